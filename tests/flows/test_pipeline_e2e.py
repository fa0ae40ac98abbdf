"""The whole nightly pipeline against the demo mirror's real local HTTP servers (no mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.connectors.normalise import release_id
from pressroom.infra.demo.server import DemoMirror
from tests.flows.helpers import cli, fast_sources, rows, table_counts

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def expected_held(mirror: DemoMirror) -> set[str]:
    held = set()
    for site in mirror.sites.values():
        for release in site.releases:
            if release.is_defective:
                held.add(release_id(site.source_id, mirror.release_url(site.id, release.slug)))
    return held


def test_nightly_twice_is_idempotent_and_holds_exactly_the_defective(tmp_path: Path) -> None:
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        warehouse = tmp_path / "data" / "pressroom.duckdb"
        first = table_counts(warehouse)
        published_before = rows(warehouse, "SELECT * FROM published_releases ORDER BY release_id")
        releases_total = sum(len(site.releases) for site in mirror.sites.values())
        assert first["releases"] == releases_total >= 30
        held = {row[0] for row in rows(warehouse, "SELECT release_id FROM dq_runs WHERE NOT passed")}
        assert held == expected_held(mirror)
        assert first["published_releases"] == releases_total - len(held)
        assert f"published={releases_total - len(held)}" in output and "report: " in output

        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        second = table_counts(warehouse)
        assert second.pop("runs") == first.pop("runs") + 1
        assert second == first
        assert rows(warehouse, "SELECT * FROM published_releases ORDER BY release_id") == published_before
        assert "new=0" in output and "published=0" in output

        # A backfill that overlaps the nightly window adds no duplicates and leaves the watermark alone.
        watermark = rows(warehouse, "SELECT source_id, watermark FROM source_state ORDER BY 1")
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources),
                           "backfill", "--source", "xa-mfa", "--from", "2026-08-01", "--to", "2026-11-30")
        assert code == 0, output
        third = table_counts(warehouse)
        third.pop("runs")
        assert third.pop("backfill_chunks") == 1  # the chunk the backfill completed
        first.pop("backfill_chunks")
        assert third == first
        assert rows(warehouse, "SELECT source_id, watermark FROM source_state ORDER BY 1") == watermark


def test_failing_source_exits_3_and_the_other_is_loaded(tmp_path: Path) -> None:
    with DemoMirror(fail_status={"norland": 500}) as mirror:
        sources = fast_sources(mirror.write_sources(tmp_path / "sources.toml"))
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run")
        assert code == 3, output
        warehouse = tmp_path / "data" / "pressroom.duckdb"
        loaded = dict(rows(warehouse, "SELECT source_id, count(*) FROM releases GROUP BY 1"))
        assert loaded == {"xa-mfa": len(mirror.site("valdoria").releases)}
        failures = rows(warehouse, "SELECT source_id, url, reason, attempts, resolved_at FROM fetch_failures")
        # The whole site answers 500, robots.txt too: by RFC 9309 that disallows every page, so the listing
        # is never requested (0 attempts) and fails with a reason the next run retries.
        assert failures == [("xb-mea", mirror.listing_url("norland"), "robots-unavailable", 0, None)]
        status = dict(rows(warehouse, "SELECT source_id, last_status FROM source_state"))
        assert status == {"xa-mfa": "ok", "xb-mea": "failed"}
        assert rows(warehouse, "SELECT status FROM runs") == [("partial",)]

        # The site recovers: the next run loads it and marks the failure resolved.
        mirror.set_fail_status("norland", None)
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        resolved = rows(warehouse, "SELECT resolved_at IS NOT NULL FROM fetch_failures")
        assert resolved == [(True,)]
        assert rows(warehouse, "SELECT count(*) FROM releases WHERE source_id = 'xb-mea'") == [
            (len(mirror.site("norland").releases),)
        ]


def test_page_that_fails_once_is_loaded_by_the_next_run(tmp_path: Path) -> None:
    with DemoMirror() as mirror:
        sources = fast_sources(mirror.write_sources(tmp_path / "sources.toml"))
        site = mirror.site("valdoria")
        victim = site.newest_first()[3]
        url = mirror.release_url("valdoria", victim.slug)
        mirror.set_path_status("valdoria", url, 503)
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run", "-s", "xa-mfa")
        assert code == 3, output
        warehouse = tmp_path / "data" / "pressroom.duckdb"
        assert rows(warehouse, "SELECT url, reason, resolved_at FROM fetch_failures") == [(url, "http-503", None)]
        # The watermark stops at the failed page's listing day, never past it.
        (watermark,), = rows(warehouse, "SELECT watermark FROM source_state")
        assert watermark is not None and watermark <= site.published_at(victim)
        mirror.set_path_status("valdoria", url, None)
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run", "-s", "xa-mfa")
        assert code == 0, output
        assert rows(warehouse, "SELECT resolved_at IS NOT NULL FROM fetch_failures") == [(True,)]
        assert rows(warehouse, "SELECT count(*) FROM releases") == [(len(site.releases),)]
