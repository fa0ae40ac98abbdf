"""The report's sections on pages that are not (or no longer) releases: what a run skipped and why,
failures retired after answering 404/410 for ``retire_after`` runs, and withdrawn releases. The rows come
from :func:`pressroom.warehouse.report_queries.lifecycle` (at most ``LIFECYCLE_LIMIT`` per section)."""

from __future__ import annotations

from pressroom.warehouse.report_queries import LIFECYCLE_LIMIT as LIMIT
from pressroom.warehouse.report_queries import Lifecycle

__all__ = ["LIMIT", "lifecycle_sections"]


def lifecycle_sections(lifecycle: Lifecycle) -> str:
    from pressroom.flows.report import render

    return render("lifecycle.html.j2", lifecycle=lifecycle)
