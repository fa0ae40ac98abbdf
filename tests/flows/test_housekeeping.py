"""vacuum keeps the newest body of every page; doctor reports and never fails on an offline machine."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pressroom.connectors.model import RawPage
from pressroom.flows.housekeeping import doctor, vacuum
from pressroom.flows.settings import Settings
from pressroom.warehouse import Warehouse, store
from tests.flows.helpers import cli, rows


def page(url: str, body: bytes, when: datetime) -> RawPage:
    return RawPage(source_id="xa-mfa", url=url, final_url=url, status=200, content_type="text/html",
                   encoding="utf-8", content=body, fetched_at=when)


def test_vacuum_keeps_newest_versions(tmp_path: Path) -> None:
    settings = Settings.resolve(data_dir=tmp_path, sources=tmp_path / "none.toml")
    warehouse = Warehouse(settings.warehouse)
    old = datetime.now(UTC) - timedelta(days=400)
    with warehouse.transaction() as con:
        for version in range(5):
            store.save_raw_pages(con, [page("https://x.org/a", f"v{version}".encode(), old + timedelta(days=version))],
                                 run_id="r")
        store.save_raw_pages(con, [page("https://x.org/b", b"only", old)], run_id="r")
    result = vacuum(settings, keep_versions=2, older_than_days=30)
    assert result.deleted_pages == 3 and result.kept_pages == 3
    kept = rows(settings.warehouse, "SELECT url, body_gzip FROM raw_pages ORDER BY url, last_fetched_at")
    assert [(url, gzip.decompress(body)) for url, body in kept] == [
        ("https://x.org/a", b"v3"), ("https://x.org/a", b"v4"), ("https://x.org/b", b"only")
    ]
    assert vacuum(settings, keep_versions=2, older_than_days=30).deleted_pages == 0


def test_doctor_reports_offline_sources_without_failing(tmp_path: Path) -> None:
    settings = Settings.resolve(data_dir=tmp_path)
    findings = doctor(settings, reach=lambda url, timeout: "unreachable (ConnectionError; offline?)")
    areas = {item.area: item.status for item in findings}
    assert areas["configuration"] == "ok" and areas["warehouse"] == "ok"
    assert {status for area, status in areas.items() if area.startswith("source ")} == {"warn"}
    assert not any(item.status == "fail" for item in findings)


def test_doctor_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]]\nid = 'x'\n", encoding="utf-8")
    code, output = cli("--data-dir", str(tmp_path), "--sources", str(bad), "doctor", "--timeout", "0.5")
    assert code == 2 and "fail" in output
