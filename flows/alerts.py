"""Alerts when a source's health turns bad: a plain JSON webhook and, optionally, a Prefect notification block.

Conditions, per source (each its own episode in the ``alerts`` table):

- ``broken`` — health status ``broken`` (the source failed as a whole, or most fetched pages no longer
  parse). Not judged for a source absent from the run or skipped by it, so an open episode stays open.
- ``stale`` — freshness ``stale`` (see :mod:`warehouse.health`). A site that is down for a week is
  first ``broken``, later also ``stale``: two facts, two alerts.
- ``held-jump`` — the share of the source's releases held by the gate rose by at least
  ``held_share_jump`` (absolute, default 0.2) since the previous health row; it clears when the share
  falls back below the share before the jump plus that threshold.

No storms: an episode is opened once and alerted once; later runs in which the condition holds send
nothing until it clears. When it clears an "ok again" notice is sent (``notify_cleared``, default on)
provided the opening alert was delivered. Delivery is at least once: an episode whose alert no channel
accepted (receiver down) is sent again by the next run; a failure is logged and recorded in
``alerts.last_error`` and never raises into the flow. With no channel configured, alerts are logged
as warnings and count as delivered.

The webhook receives one POST per alert with a JSON object: ``source``, ``condition``, ``state``
(``opened``/``cleared``), ``what_changed`` (one sentence), ``run_id``, ``opened_run_id``, ``report``
(link to the run page or ``null``), ``status``, ``reasons``, ``health`` (every figure of the source's
health row) and ``text`` (the sentence and link, which Slack- and Mattermost-style incoming webhooks show).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import httpx
import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pressroom.connectors.config import Config, ConfigError
from pressroom.warehouse import Warehouse
from pressroom.warehouse.alerts import Delivery, clear_episode, open_episode, open_episodes
from pressroom.warehouse.alerts import record_deliveries as save_deliveries
from pressroom.warehouse.health import HealthRules, SourceHealth, compute_health, latest_health, save_health

log = logging.getLogger("pressroom.alerts")
CONDITIONS = ("broken", "stale", "held-jump")
USER_AGENT = "pressroom-alerts/1 (+https://github.com/pressroom-dev/pressroom)"


class AlertSettings(BaseModel):
    """The optional ``[alerts]`` table of the sources file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_url: str | None = Field(default=None, description="http(s) URL that receives one JSON POST per alert")
    prefect_block: str | None = Field(default=None, description="notification block, '<block-type>/<name>'")
    held_share_jump: float = Field(default=0.2, gt=0, le=1, description="rise of the held share that alerts")
    timeout: float = Field(default=10.0, gt=0, le=300, description="seconds per webhook request")
    notify_cleared: bool = Field(default=True, description="send an 'ok again' notice when a condition clears")
    report_base_url: str | None = Field(default=None, description="where data/reports is served, for links")

    @field_validator("webhook_url", "report_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("prefect_block")
    @classmethod
    def _block_slug(cls, value: str | None) -> str | None:
        if value is not None and (value.count("/") != 1 or not all(value.split("/"))):
            raise ValueError(f"{value!r} must be '<block-type-slug>/<block-name>', e.g. 'slack-webhook/ops'")
        return value


def alert_settings(config: Config) -> AlertSettings:
    """The ``[alerts]`` table of a parsed sources file (defaults when absent); raises ``ConfigError``
    naming the key."""
    return _alert_settings(config.alerts, config.path)


def load_alert_settings(sources: Path) -> AlertSettings:
    """The ``[alerts]`` table of a file read on its own, whatever else it holds (commands read it with
    the sources through :func:`alert_settings`); raises ``ConfigError`` naming the key."""
    try:
        data = tomllib.loads(sources.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{sources}: cannot read [alerts] ({error})") from None
    table = data.get("alerts", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{sources}: [alerts] must be a table")
    return _alert_settings(table, str(sources))


def _alert_settings(table: dict[str, Any], path: str) -> AlertSettings:
    try:
        return AlertSettings.model_validate(table)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "?"
        problem = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: [alerts] {key!r}: {problem}") from None


@dataclass(frozen=True, slots=True)
class Alert:
    """A notice to send: a condition ``opened`` (or delivered late) or ``cleared`` on a source."""

    source_id: str
    condition: str
    state: str  # opened | cleared
    what_changed: str
    run_id: str
    opened_run_id: str
    health: SourceHealth

    def payload(self, report_url: str | None) -> dict[str, Any]:
        text = f"pressroom: {self.what_changed}" + (f" Report: {report_url}" if report_url else "")
        return {"source": self.source_id, "condition": self.condition, "state": self.state,
                "what_changed": self.what_changed, "run_id": self.run_id, "opened_run_id": self.opened_run_id,
                "report": report_url, "status": self.health.status, "reasons": self.health.reasons,
                "health": self.health.figures(), "text": text}


@dataclass(frozen=True, slots=True)
class SendResult:
    """One delivery attempt of one alert over one channel (``webhook``, ``prefect-block`` or ``log``)."""

    alert: Alert
    channel: str
    ok: bool
    detail: str


def _active(h: SourceHealth, open_baseline: float | None, previous: SourceHealth | None,
            jump: float) -> dict[str, tuple[str, float | None]]:
    """Conditions holding now: ``condition → (sentence, baseline)``."""
    active: dict[str, tuple[str, float | None]] = {}
    if h.status == "broken":
        active["broken"] = (f"{h.source_id} is broken: {h.reasons}.", None)
    if h.freshness == "stale":
        active["stale"] = (
            f"{h.source_id} turned stale: its newest release is {h.days_since_newest or 0:.1f} days old, while it "
            f"usually publishes every {h.typical_gap_days or 0:g} day(s) (stale after {h.stale_after_days or 0:g}).",
            None)
    share = h.held_share
    if share is not None:
        base = open_baseline if open_baseline is not None else previous.held_share if previous else None
        if base is not None and share - base >= jump - 1e-9:
            active["held-jump"] = (f"{h.source_id}: the held share rose from {base:.0%} to {share:.0%} of its "
                                   f"{h.releases} releases ({h.held} held).", base)
    return active


def evaluate_alerts(
    con: duckdb.DuckDBPyConnection,
    health: Sequence[SourceHealth],
    *,
    run_id: str,
    now: datetime,
    held_share_jump: float = 0.2,
) -> list[Alert]:
    """Open and clear episodes in ``alerts`` for this run's ``health`` (in the caller's transaction) and
    return what to send: new episodes, episodes not delivered yet, and episodes that cleared after
    being delivered. Call after :func:`warehouse.health.save_health` or before; the current run's row
    is never its own "previous"."""
    ids = [h.source_id for h in health]
    previous = latest_health(con, ids, exclude_run=run_id)
    episodes = open_episodes(con, ids)
    out: list[Alert] = []
    for h in health:
        held_open = episodes.get((h.source_id, "held-jump"))
        active = _active(h, held_open.baseline if held_open else None, previous.get(h.source_id), held_share_jump)
        for condition in CONDITIONS:
            episode = episodes.get((h.source_id, condition))
            if condition == "broken" and h.source_status not in ("ok", "partial", "failed"):
                continue
            if condition in active and episode is None:
                sentence, baseline = active[condition]
                open_episode(con, source_id=h.source_id, condition=condition, run_id=run_id, now=now,
                             what_changed=sentence, baseline=baseline)
                out.append(Alert(h.source_id, condition, "opened", sentence, run_id, run_id, h))
            elif condition in active and episode is not None and not episode.delivered:
                out.append(Alert(h.source_id, condition, "opened", episode.what_changed, run_id,
                                 episode.opened_run_id, h))
            elif condition not in active and episode is not None:
                clear_episode(con, source_id=h.source_id, condition=condition, opened_run_id=episode.opened_run_id,
                              run_id=run_id, now=now)
                if episode.delivered:
                    sentence = f"{h.source_id} is no longer {condition} (status now {h.status})."
                    out.append(Alert(h.source_id, condition, "cleared", sentence, run_id, episode.opened_run_id, h))
    return out


def send_alerts(alerts: Sequence[Alert], settings: AlertSettings, *, report_url: str | None) -> list[SendResult]:
    """Deliver each alert over every configured channel; never raises (failures are logged and returned)."""
    wanted = [a for a in alerts if a.state == "opened" or settings.notify_cleared]
    results: list[SendResult] = []
    if not wanted:
        return results
    if settings.webhook_url is None and settings.prefect_block is None:
        for alert in wanted:
            log.warning("alert (no [alerts] channel configured): %s", alert.what_changed)
            results.append(SendResult(alert, "log", ok=True, detail="logged"))
        return results
    block = _load_block(settings.prefect_block) if settings.prefect_block else None
    for alert in wanted:
        payload = alert.payload(report_url)
        if settings.webhook_url:
            results.append(_post(alert, settings.webhook_url, payload, settings.timeout))
        if settings.prefect_block:
            results.append(_notify(alert, block, payload["text"]))
    return results


def _post(alert: Alert, url: str, payload: dict[str, Any], timeout: float) -> SendResult:
    try:
        response = requests.post(url, json=payload, timeout=timeout, headers={"User-Agent": USER_AGENT})
    except requests.RequestException as error:
        log.warning("alert webhook %s failed: %s", url, error)
        return SendResult(alert, "webhook", ok=False, detail=f"{type(error).__name__}: {error}"[:500])
    if not 200 <= response.status_code < 300:
        log.warning("alert webhook %s answered %s", url, response.status_code)
        return SendResult(alert, "webhook", ok=False, detail=f"http-{response.status_code}")
    return SendResult(alert, "webhook", ok=True, detail=f"http-{response.status_code}")


def _load_block(name: str) -> Any:
    """The notification block ``name`` or ``None`` (a warning says why) — a missing block never fails a run."""
    from prefect.blocks.abstract import NotificationBlock
    from prefect.blocks.core import Block
    from prefect.exceptions import PrefectException

    try:
        block = Block.load(name)
    except (ValueError, KeyError, RuntimeError, PrefectException, httpx.HTTPError, OSError) as error:
        log.warning("alerts: cannot load Prefect notification block %r: %s", name, error)
        return None
    if not isinstance(block, NotificationBlock):
        log.warning("alerts: Prefect block %r is a %s, not a notification block", name, type(block).__name__)
        return None
    return block


def _notify(alert: Alert, block: Any, text: str) -> SendResult:
    from prefect.blocks.abstract import NotificationError
    from prefect.exceptions import PrefectException

    if block is None:
        return SendResult(alert, "prefect-block", ok=False, detail="block not loaded")
    subject = f"pressroom: {alert.source_id} {alert.condition} {alert.state}"
    try:
        block.notify(body=text, subject=subject)
    except (NotificationError, PrefectException, httpx.HTTPError, OSError, ValueError, RuntimeError) as error:
        log.warning("alerts: notification block failed: %s", error)
        return SendResult(alert, "prefect-block", ok=False, detail=f"{type(error).__name__}: {error}"[:500])
    return SendResult(alert, "prefect-block", ok=True, detail="sent")


def record_deliveries(con: duckdb.DuckDBPyConnection, results: Sequence[SendResult], *, now: datetime) -> None:
    """Mark each episode delivered when any channel accepted its alert; count attempts, keep the last error."""
    outcome: dict[tuple[str, str, str, str], list[SendResult]] = {}
    for result in results:
        a = result.alert
        outcome.setdefault((a.source_id, a.condition, a.opened_run_id, a.state), []).append(result)
    save_deliveries(con, [
        Delivery(*key, delivered=any(r.ok for r in tried),
                 error="; ".join(f"{r.channel}: {r.detail}" for r in tried if not r.ok) or None)
        for key, tried in outcome.items()
    ], now=now)


# --- the two calls a flow makes -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Assessment:
    health: tuple[SourceHealth, ...]
    alerts: tuple[Alert, ...]


def assess_run(
    warehouse: Warehouse, *, run_id: str, source_ids: Sequence[str], now: datetime, settings: AlertSettings,
    rules: HealthRules | None = None,
) -> Assessment:
    """After ``finish_run``: compute and save each source's health and open/clear alert episodes, in one
    transaction. Sends nothing (call :func:`deliver` once the report exists)."""
    with warehouse.transaction() as con:
        health = compute_health(con, run_id=run_id, now=now, source_ids=source_ids, rules=rules or HealthRules())
        # Judge against the stored previous health first: saving may fold this run into that row.
        alerts = evaluate_alerts(con, health, run_id=run_id, now=now, held_share_jump=settings.held_share_jump)
        save_health(con, health)
    return Assessment(tuple(health), tuple(alerts))


def deliver(
    warehouse: Warehouse, alerts: Sequence[Alert], settings: AlertSettings, *, report_url: str | None, now: datetime
) -> list[SendResult]:
    """Send ``alerts`` (no warehouse lock held meanwhile), then record what was delivered. Never raises
    for a receiver's failure."""
    results = send_alerts(alerts, settings, report_url=report_url)
    if results:
        with warehouse.transaction() as con:
            record_deliveries(con, results, now=now)
    return results


def report_link(settings: AlertSettings, *, run_id: str, report_path: str | None) -> str | None:
    """``<report_base_url>/runs/<run_id>.html`` when the reports are served, else the run page's file URI."""
    if settings.report_base_url:
        return f"{settings.report_base_url.rstrip('/')}/runs/{run_id}.html"
    return Path(report_path).resolve().as_uri() if report_path else None
