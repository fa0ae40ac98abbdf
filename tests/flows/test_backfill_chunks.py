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


@pytest.mark.slow
def test_rerun_of_a_partial_chunk_fetches_only_what_it_lacks(demo_copy: DemoRun) -> None:
    """A chunk left partial by a failed page is run again by the next backfill, which lists it again but
    fetches only the page that failed: the pages it loaded are not fetched twice."""
    site = "valdoria"
    mirror = demo_copy.mirror
    releases = [r for r in mirror.site(site).releases if date(2026, 9, 1) <= r.date <= date(2026, 9, 30)]
    assert len(releases) > 1
    failing = mirror.release_url(site, releases[0].slug)
    pages = {mirror.release_url(site, r.slug).split("://", 1)[1].split("/", 1)[1] for r in releases}
    backfill = [*demo_copy.args(), "backfill", "-s", "xa-mfa", "--from", "2026-09-01", "--to", "2026-09-30"]
    mirror.set_path_status(site, failing, 404)
    try:
        code, output = cli(*backfill)
    finally:
        mirror.set_path_status(site, failing, None)
    assert code == 3, output
    assert rows(demo_copy.warehouse, "SELECT status FROM backfill_chunks") == [("partial",)]
    mirror.clear_requests(site)
    code, output = cli(*backfill)
    assert code == 0, output
    fetched = {path.split("?", 1)[0] for path in mirror.requests(site)} & {f"/{p}" for p in pages}
    assert fetched == {"/" + failing.split("://", 1)[1].split("/", 1)[1]}
    assert rows(demo_copy.warehouse, "SELECT status FROM backfill_chunks") == [("ok",)]
    (listed, unchanged), = rows(demo_copy.warehouse,
                               "SELECT counts->>'listed', counts->>'unchanged' FROM backfill_chunks")
    assert int(listed) >= len(releases) and int(unchanged) >= len(releases) - 1
