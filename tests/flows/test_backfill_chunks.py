"""Backfill chunks: month cuts, a rerun skips completed chunks, --force redoes them."""

from __future__ import annotations

from datetime import date

import pytest

from pressroom.flows.chunks import Chunk, month_chunks
from tests.flows.conftest import DemoRun
from tests.flows.helpers import cli, rows


def test_month_chunks() -> None:
    assert month_chunks(date(2021, 5, 20), date(2021, 7, 3)) == [
        Chunk(date(2021, 5, 20), date(2021, 5, 31)),
        Chunk(date(2021, 6, 1), date(2021, 6, 30)),
        Chunk(date(2021, 7, 1), date(2021, 7, 3)),
    ]
    assert month_chunks(date(2020, 12, 31), date(2021, 1, 1)) == [
        Chunk(date(2020, 12, 31), date(2020, 12, 31)), Chunk(date(2021, 1, 1), date(2021, 1, 1))
    ]
    assert month_chunks(date(2024, 2, 1), date(2024, 1, 31)) == []


@pytest.mark.slow
def test_rerun_skips_done_chunks_unless_forced(demo_copy: DemoRun) -> None:
    backfill = [*demo_copy.args(), "backfill", "-s", "xa-mfa", "--from", "2026-09-01", "--to", "2026-09-30"]
    code, output = cli(*backfill)
    assert code == 0, output
    listed = rows(demo_copy.warehouse, "SELECT counts->>'listed' FROM backfill_chunks")
    assert rows(demo_copy.warehouse, "SELECT source_id, chunk_start, chunk_end, status FROM backfill_chunks") == [
        ("xa-mfa", date(2026, 9, 1), date(2026, 9, 30), "ok")
    ]
    assert int(listed[0][0]) > 0
    code, output = cli(*backfill)
    assert code == 0 and "listed=0" in output
    code, output = cli(*backfill, "--force")
    assert code == 0 and f"listed={listed[0][0]}" in output and "new=0" in output
