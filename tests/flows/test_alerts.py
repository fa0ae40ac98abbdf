"""Alerts from source health, delivered to a real local HTTP receiver (no mocks).

The main test drives the real pipeline (``flows.pipeline``, without Prefect) against a tiny local
ministry site whose listing suddenly shows nothing, at simulated run times two days apart, and wires
health and alerts the way ``flows.nightly.execute`` is meant to.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pressroom.connectors.config import Config, ConfigError, load_config
from pressroom.connectors.http import PoliteSession
from pressroom.flows import pipeline
from pressroom.flows.alerts import (
    AlertSettings,
    assess_run,
    deliver,
    evaluate_alerts,
    load_alert_settings,
    record_deliveries,
    report_link,
    send_alerts,
)
from pressroom.flows.report import write_report
from pressroom.flows.validation import validate_health_run
from pressroom.warehouse import Warehouse, store
from pressroom.warehouse.health import SourceHealth, save_health

# --- a webhook receiver and a tiny ministry site -------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    """Records every POSTed JSON body; answers the statuses queued in ``statuses``, then 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def received(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.bodies)


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.append(body)
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


class Site(ThreadingHTTPServer):
    """A ministry publishing one release a day at 10:00 UTC; it lists only what is published before
    ``clock``, and nothing at all while ``empty`` (a redesign its item selector no longer matches)."""

    daemon_threads = True

    def __init__(self, first: datetime, days: int) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.releases = [first + timedelta(days=n) for n in range(days)]
        self.clock = first
        self.empty = False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def visible(self) -> list[tuple[int, datetime]]:
        return [(n, at) for n, at in enumerate(self.releases) if at < self.clock][::-1]


class SiteHandler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        if self.path == "/news/":
            items = "" if self.server.empty else "".join(
                f'<article class="item"><a href="/news/{n}">Statement {n}</a>'
                f'<span class="date">{at:%Y-%m-%d}</span></article>' for n, at in self.server.visible())
            self._send(200, f"<html><body><main>{items}</main></body></html>")
        elif self.path.startswith("/news/") and self.path[6:].isdigit() and int(self.path[6:]) < len(
                self.server.releases):
            n = int(self.path[6:])
            at = self.server.releases[n]
            body = (f"<p>On {at:%d %B %Y} the ministry issued statement number {n} about regional trade.</p>"
                    f"<p>The minister met delegations from {n % 7 + 2} countries to discuss ports and roads.</p>")
            self._send(200, f'<html><body><h1>Statement {n}</h1><time datetime="{at.isoformat()}">{at:%Y-%m-%d}'
                            f'</time><div class="body">{body}</div></body></html>')
        else:
            self._send(404, "<html><body>not found</body></html>")

    def _send(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


def serving(server: ThreadingHTTPServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    yield from serving(Receiver())


SOURCES = """
[[sources]]
id = "xz-mfa"
name = "Ministry of Foreign Affairs of Testland"
country = "XA"
language = "en"
timezone = "UTC"
kind = "html"
url = "{base}/news/"
min_interval = 0.0
item = "article.item"
link = "a"
date = ".date"
title = "h1"
published = "time"
body = "div.body"
date_format = "%Y-%m-%d"

[http]
max_attempts = 1
backoff = 0.01
"""


def nightly_run(warehouse: Warehouse, config: Config, *, started: datetime) -> str:
    """What ``flows.nightly.execute`` does for a nightly run, minus Prefect, publishing and the report."""
    run_id = pipeline.new_run_id(started)
    with warehouse.transaction() as con:
        store.start_run(con, run_id=run_id, flow="nightly", started_at=started)
    ctx = pipeline.RunContext(run_id=run_id, flow="nightly", started_at=started, config=config, warehouse=warehouse)
    with PoliteSession(config.http.settings()) as session:
        outcomes = []
        for source in config.select(None):
            with warehouse.transaction() as con:
                state = store.get_state(con, source.id)
            window = pipeline.nightly_window(state, until=started, lag=timedelta(days=config.pipeline.lag_days))
            outcomes.append(pipeline.run_source(ctx, source, window, session=session, move_watermark=True))
    with warehouse.transaction() as con:
        store.finish_run(con, run_id=run_id, status="completed", finished_at=started, totals={},
                         sources=[outcome.as_dict() for outcome in outcomes])
    return run_id


@pytest.mark.slow
def test_an_empty_listing_alerts_exactly_once_and_clears(tmp_path: Path, receiver: Receiver) -> None:
    start = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=100)
    settings = AlertSettings(webhook_url=receiver.url, report_base_url="https://reports.example.org/pressroom")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    health: dict[int, SourceHealth] = {}
    run_ids: dict[int, str] = {}
    gx: dict[int, dict[str, tuple[str, ...]]] = {}
    page = ""
    for site in serving(Site(start - timedelta(days=30, hours=-4), 60)):
        (tmp_path / "sources.toml").write_text(SOURCES.format(base=site.base), encoding="utf-8")
        config = load_config(tmp_path / "sources.toml")
        # Runs every two days: normal until day 0, the listing empty on days 2..10, back on day 12.
        for day in range(-6, 15, 2):
            now = start + timedelta(days=day)
            site.clock, site.empty = now, 2 <= day <= 10
            run_ids[day] = nightly_run(warehouse, config, started=now)
            assessment = assess_run(warehouse, run_id=run_ids[day], source_ids=["xz-mfa"], now=now,
                                    settings=settings)
            (health[day],) = assessment.health
            if day in (0, 2, 8, 12):  # the GX health suite, as the flow runs it after assessing
                figures = [h.figures() for h in assessment.health]
                gx[day] = validate_health_run(warehouse, figures, run_id=run_ids[day], now=now,
                                              results_dir=tmp_path / "gx", docs_dir=tmp_path / "gx-docs").failures
            if day == 8:
                page = write_report(warehouse, tmp_path / "reports", run_id=run_ids[day]).read_text(encoding="utf-8")
            link = report_link(settings, run_id=run_ids[day], report_path=None)
            results = deliver(warehouse, assessment.alerts, settings, report_url=link, now=now)
            assert all(result.ok for result in results)
            if day == 10:
                assert len(receiver.received()) == 1, "a condition that persists is alerted once"

    assert [health[d].status for d in (0, 2, 6, 8, 10, 12, 14)] == [
        "ok", "degraded", "degraded", "stale", "stale", "ok", "ok"]
    assert health[2].volume == "zero" and health[2].listed == 0 and health[2].typical_listed == 4
    assert health[8].volume == "zero" and health[8].freshness == "stale"
    assert health[12].volume == "normal" and health[12].freshness == "fresh"
    # The GX source-health suite agrees, from the figures rather than the labels.
    assert gx == {0: {}, 2: {"xz-mfa": ("health-volume",)}, 8: {"xz-mfa": ("health-fresh", "health-volume")},
                  12: {}}
    # The run page of the day it turned stale says so, and shows the GX verdict.
    assert re.search(r'<td>xz-mfa</td><td class="partial">stale</td>', page)
    assert "turned stale" not in page and "newest release is 8.8 days old" in page
    assert "failed: health-fresh, health-volume" in page and "source-health results (JSON)" in page

    opened, cleared = receiver.received()
    assert opened["source"] == "xz-mfa" and opened["condition"] == "stale" and opened["state"] == "opened"
    assert opened["run_id"] == run_ids[8] == opened["opened_run_id"]
    assert opened["what_changed"].startswith("xz-mfa turned stale: its newest release is 8.8 days old")
    assert opened["report"] == f"https://reports.example.org/pressroom/runs/{run_ids[8]}.html"
    assert opened["health"]["volume"] == "zero" and opened["health"]["status"] == "stale"
    assert opened["health"]["stale_after_days"] == 7 and opened["text"].startswith("pressroom: xz-mfa turned stale")
    assert (cleared["condition"], cleared["state"], cleared["run_id"]) == ("stale", "cleared", run_ids[12])
    assert cleared["opened_run_id"] == run_ids[8] and "no longer stale" in cleared["what_changed"]

    with warehouse.reader() as con:
        rows = con.execute("SELECT condition, opened_run_id, cleared_run_id, last_sent_at IS NOT NULL,"
                           " cleared_sent_at IS NOT NULL, send_attempts FROM alerts").fetchall()
        saved = con.execute("SELECT count(*) FROM source_health WHERE source_id = 'xz-mfa'").fetchone()
    assert rows == [("stale", run_ids[8], run_ids[12], True, True, 2)]
    assert 2 <= saved[0] < len(run_ids)  # one row per change of a source's health, not per run


# --- evaluation and delivery on health rows written directly ------------------------------------------

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
HEALTHY = SourceHealth(
    source_id="a", run_id="r0", computed_at=NOW, status="ok", reasons="", source_status="ok", freshness="fresh",
    newest_published_at=NOW - timedelta(days=1), days_since_newest=1.0, typical_gap_days=1.0, stale_after_days=7.0,
    volume="normal", listed=3, new_releases=1, typical_listed=3.0, typical_new=1.0, history_runs=5, fetched=3,
    parse_failed=0, fetch_failed=0, extraction_failure_share=0.0, parse_reasons=None, releases=20, held=2,
    held_share=0.1,
)


@pytest.fixture()
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    Warehouse(tmp_path / "w.duckdb").ensure_schema()
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def step(con: duckdb.DuckDBPyConnection, n: int, **changes: Any) -> list[Any]:
    """Health of run ``r<n>`` (a day after the previous), evaluated, then saved (as ``assess_run`` does)."""
    row = replace(HEALTHY, run_id=f"r{n}", computed_at=NOW + timedelta(days=n), **changes)
    alerts = evaluate_alerts(con, [row], run_id=row.run_id, now=row.computed_at, held_share_jump=0.2)
    save_health(con, [row])
    return alerts


def test_held_share_jump_opens_once_and_clears_when_it_falls_back(con: duckdb.DuckDBPyConnection) -> None:
    assert step(con, 0) == []
    assert step(con, 1, held=4, held_share=0.2) == []  # +0.1: below the threshold
    (alert,) = step(con, 2, held=9, held_share=0.45)
    assert (alert.condition, alert.state) == ("held-jump", "opened")
    assert alert.what_changed == "a: the held share rose from 20% to 45% of its 20 releases (9 held)."
    record_deliveries(con, send_alerts([alert], AlertSettings(), report_url=None), now=NOW)
    assert step(con, 3, held=10, held_share=0.5) == []  # still high: no second alert
    assert step(con, 4, held=9, held_share=0.45) == []
    (back,) = step(con, 5, held=6, held_share=0.3)  # below 0.2 + 0.2 again
    assert (back.condition, back.state) == ("held-jump", "cleared")


def test_broken_and_stale_are_separate_episodes(con: duckdb.DuckDBPyConnection) -> None:
    broken = {"status": "broken", "source_status": "failed", "reasons": "the source failed in this run"}
    (first,) = step(con, 1, **broken)
    assert (first.condition, first.what_changed) == ("broken", "a is broken: the source failed in this run.")
    record_deliveries(con, send_alerts([first], AlertSettings(), report_url=None), now=NOW)
    (second,) = step(con, 8, freshness="stale", days_since_newest=9.0, **broken)
    assert second.condition == "stale"
    # Not in this run: "broken" cannot be judged, so it stays open; freshness can, and is fine again.
    assert step(con, 9, source_status=None) == []
    assert step(con, 10, source_status="skipped") == []  # a backfill that had nothing to do
    rows = con.execute("SELECT condition, cleared_at IS NULL FROM alerts ORDER BY condition").fetchall()
    assert rows == [("broken", True), ("stale", False)]


def test_an_alert_no_channel_accepted_is_sent_again_by_the_next_run(
    con: duckdb.DuckDBPyConnection, receiver: Receiver
) -> None:
    settings = AlertSettings(webhook_url=receiver.url, timeout=5)
    receiver.statuses = [500]
    alerts = step(con, 1, status="stale", freshness="stale", days_since_newest=9.0)
    results = send_alerts(alerts, settings, report_url=None)
    assert [(r.channel, r.ok, r.detail) for r in results] == [("webhook", False, "http-500")]
    record_deliveries(con, results, now=NOW)
    assert con.execute("SELECT last_sent_at, last_error FROM alerts").fetchall() == [(None, "webhook: http-500")]
    again = step(con, 2, status="stale", freshness="stale", days_since_newest=10.0)
    assert [(a.condition, a.state, a.opened_run_id) for a in again] == [("stale", "opened", "r1")]
    record_deliveries(con, send_alerts(again, settings, report_url=None), now=NOW)
    assert step(con, 3, status="stale", freshness="stale", days_since_newest=11.0) == []
    assert len(receiver.received()) == 2
    assert con.execute("SELECT send_attempts, last_error FROM alerts").fetchall() == [(2, None)]


def test_an_unreachable_webhook_is_a_recorded_failure_not_an_exception(con: duckdb.DuckDBPyConnection) -> None:
    dead = Receiver()
    url = dead.url
    dead.server_close()  # nothing listens there any more
    alerts = step(con, 1, status="stale", freshness="stale", days_since_newest=9.0)
    (result,) = send_alerts(alerts, AlertSettings(webhook_url=url, timeout=2), report_url=None)
    assert not result.ok and result.detail.startswith("ConnectionError")


def test_cleared_notices_can_be_switched_off(con: duckdb.DuckDBPyConnection, receiver: Receiver) -> None:
    settings = AlertSettings(webhook_url=receiver.url, notify_cleared=False)
    opened = step(con, 1, status="stale", freshness="stale", days_since_newest=9.0)
    record_deliveries(con, send_alerts(opened, settings, report_url=None), now=NOW)
    cleared = step(con, 2)
    assert [a.state for a in cleared] == ["cleared"]
    assert send_alerts(cleared, settings, report_url=None) == []
    assert [body["state"] for body in receiver.received()] == ["opened"]


def test_without_a_channel_alerts_are_logged_once(
    con: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pressroom.alerts"):
        alerts = step(con, 1, status="stale", freshness="stale", days_since_newest=9.0)
        record_deliveries(con, send_alerts(alerts, AlertSettings(), report_url=None), now=NOW)
        assert step(con, 2, status="stale", freshness="stale", days_since_newest=10.0) == []
    assert [r.getMessage() for r in caplog.records] == [
        "alert (no [alerts] channel configured): a turned stale: its newest release is 9.0 days old, while it "
        "usually publishes every 1 day(s) (stale after 7)."]


# --- settings -------------------------------------------------------------------------------------------

def test_settings_from_the_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[alerts]\nwebhook_url = "https://hooks.example.org/x"\nheld_share_jump = 0.3\n', encoding="utf-8")
    assert load_alert_settings(path) == AlertSettings(webhook_url="https://hooks.example.org/x", held_share_jump=0.3)
    path.write_text("[[sources]]\n", encoding="utf-8")
    assert load_alert_settings(path) == AlertSettings()
    for table, message in [('webhok_url = "x"', "'webhok_url': unknown key"),
                           ('webhook_url = "ftp://x"', "not an http(s) URL"),
                           ('prefect_block = "ops"', "'<block-type-slug>/<block-name>'"),
                           ("held_share_jump = 0", "'held_share_jump'")]:
        path.write_text(f"[alerts]\n{table}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_alert_settings(path)


def test_report_link() -> None:
    assert report_link(AlertSettings(report_base_url="https://r.example/p/"), run_id="R", report_path="x") == (
        "https://r.example/p/runs/R.html")
    assert report_link(AlertSettings(), run_id="R", report_path="/tmp/reports/runs/R.html") == (
        "file:///tmp/reports/runs/R.html")
    assert report_link(AlertSettings(), run_id="R", report_path=None) is None


# --- a Prefect notification block (needs the session's Prefect test server) -----------------------------

@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_prefect_notification_block_and_a_missing_one(
    con: duckdb.DuckDBPyConnection, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(name="pressroom", url=receiver.url,
                                   json_data={"subject": "{{subject}}", "body": "{{body}}"}).save(
        "pressroom-test-hook", overwrite=True)
    alerts = step(con, 1, status="stale", freshness="stale", days_since_newest=9.0)
    results = send_alerts(alerts, AlertSettings(prefect_block="custom-webhook/pressroom-test-hook"), report_url=None)
    assert [(r.channel, r.ok) for r in results] == [("prefect-block", True)]
    (body,) = receiver.received()
    assert body["subject"] == "pressroom: a stale opened" and body["body"].startswith("pressroom: a turned stale")

    with caplog.at_level(logging.WARNING, logger="pressroom.alerts"):
        settings = AlertSettings(webhook_url=receiver.url, prefect_block="custom-webhook/no-such-block")
        results = send_alerts(alerts, settings, report_url=None)
    assert [(r.channel, r.ok) for r in results] == [("webhook", True), ("prefect-block", False)]
    assert "cannot load Prefect notification block 'custom-webhook/no-such-block'" in caplog.text
    record_deliveries(con, results, now=NOW)  # one channel delivered: the episode counts as sent
    assert con.execute("SELECT last_sent_at IS NOT NULL, last_error FROM alerts").fetchall() == [
        (True, "prefect-block: block not loaded")]
