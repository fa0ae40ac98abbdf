"""Text-quality checks that decide whether a scraped press release may be published.

The public surface is re-exported here; see `engine` for how checks run and `checks` for the checks.
"""

from __future__ import annotations

from pressroom.expectations.checks.base import Check
from pressroom.expectations.engine import ENGINE_VERSION, check_release, check_text, has_errors
from pressroom.expectations.findings import Finding, Severity

__all__ = ["ENGINE_VERSION", "Check", "Finding", "Severity", "check_release", "check_text", "has_errors"]
