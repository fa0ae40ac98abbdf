"""The text checks, one family per module, all built on `expectations.checks.base.Check`."""

from __future__ import annotations

from expectations.checks.base import Check
from expectations.checks.fragments import GarbledFragment
from expectations.checks.punctuation import UnbalancedPunctuation
from expectations.checks.repetition import DuplicatedPhrase

__all__ = ["Check", "DuplicatedPhrase", "GarbledFragment", "UnbalancedPunctuation"]
