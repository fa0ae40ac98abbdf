"""Backfill chunks: a long window is cut per source and per calendar month, so progress and failures
show per chunk and a rerun skips what is done.

Only kinds whose listing can be asked for a date range (WordPress, GOV.UK: ``RANGED_KINDS``) are
cut: an ``html`` listing is read newest-first from its first page, so cutting it would re-read the
newer pages once per month; those sources run as one chunk.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TypeVar

from pressroom.connectors.model import Window
from pressroom.flows.pipeline import SourceOutcome
from pressroom.warehouse.chunks import Chunk

T = TypeVar("T")

__all__ = ["RANGED_KINDS", "Chunk", "merge", "month_chunks"]

RANGED_KINDS = frozenset({"wordpress", "govuk"})


def month_chunks(start: date, end: date) -> list[Chunk]:
    """``[start, end]`` cut at month boundaries (inclusive dates)."""
    chunks: list[Chunk] = []
    cursor = start
    while cursor <= end:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        last = min(end, following - timedelta(days=1))
        chunks.append(Chunk(cursor, last))
        cursor = last + timedelta(days=1)
    return chunks


def merge(outcomes: list[SourceOutcome]) -> SourceOutcome:
    """One source's chunk outcomes as one: counts summed, the worst status, the first error."""
    rank = {"ok": 0, "partial": 1, "failed": 2}
    merged = SourceOutcome(source_id=outcomes[0].source_id)
    for outcome in outcomes:
        merged.counts.update(outcome.counts)
        if rank.get(outcome.status, 2) > rank.get(merged.status, 0):
            merged.status = outcome.status
        merged.error = merged.error or outcome.error
    windows = [o.window for o in outcomes if o.window is not None]
    if windows:
        sinces = [w.since for w in windows]
        merged.window = Window(since=None if None in sinces else min(s for s in sinces if s),
                               until=max(w.until for w in windows))
    if merged.status == "failed" and any(o.status != "failed" for o in outcomes):
        merged.status = "partial"
    return merged


def round_robin(jobs: Mapping[str, Sequence[T]]) -> list[T]:
    """Every source's first job, then every source's second …: the first wave covers all sources."""
    ordered: list[T] = []
    for wave in itertools.zip_longest(*jobs.values()):
        ordered.extend(job for job in wave if job is not None)
    return ordered
