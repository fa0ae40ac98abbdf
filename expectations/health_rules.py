"""The thresholds a source's health is judged by, shared by the two judges: `warehouse.health.compute_health`
(the labels and alerts) and the GX source-health suite (`expectations.gx.health`). One definition, so the
two cannot drift apart; `warehouse/health.py`'s module docstring says where each number comes from."""

from __future__ import annotations

from dataclasses import dataclass

#: Every status `compute_health` gives a source.
STATUSES = ("ok", "stale", "broken", "degraded", "unknown")


@dataclass(frozen=True, slots=True)
class HealthRules:
    """Thresholds of `compute_health` and the GX health suite (see `warehouse/health.py` for why each is
    what it is)."""

    stale_gap_multiple: float = 3.0
    stale_min_days: float = 7.0
    gap_sample_days: int = 100
    min_publication_days: int = 3
    history_runs: int = 10
    min_history_runs: int = 3
    broken_extraction_share: float = 0.5
    degraded_extraction_share: float = 0.1
    min_pages_fetched: int = 2
    degraded_fetch_failed_share: float = 0.2
    degraded_held_share: float = 0.5
    min_releases_for_held: int = 4
