"""Source health after a run: is each source fresh, listing as usual, parsing, and publishable?

Pure SQL over the warehouse (``releases``, ``runs.sources`` JSON, ``fetch_failures``, the publish gate);
no network, no Prefect. :func:`compute_health` judges, :func:`save_health` stores into ``source_health``.

Signals and where their thresholds come from (all in :class:`HealthRules`):

- **freshness** — days since the newest ``published_at`` (future dates ignored) against the source's own
  rhythm: the *typical gap* is the median number of days between consecutive publication days (UTC
  dates, so five releases on one day are one day) over its most recent 100 publication days. Stale when
  the newest is older than ``max(3 × typical gap, 7 days)``: three missed beats of its usual rhythm, and
  never sooner than a week, so a daily ministry's quiet weekend or holiday is not an alarm. Unknown with
  fewer than 3 publication days (no rhythm yet).
- **volume** — entries listed in this run's window against the median of the source's previous (up to
  10) nightly runs in which it did not fail. ``zero`` when nothing was listed while that median is at
  least 1 (the listing usually shows something: a selector that no longer matches after a redesign
  looks exactly like this). Unknown for backfills (their windows are arbitrary), for a source that
  failed, and with fewer than 3 earlier runs.
- **extraction** — share of the pages fetched in this run that failed to parse (``parse_failed`` /
  ``fetched`` from ``runs.sources``; reasons such as ``no-body`` / ``empty-body`` from ``fetch_failures``
  kind ``parse``): a sign of a site redesign. Broken at ≥ 50 %, degraded at ≥ 10 % (with ≥ 2 pages).
- **held share** — releases of the source whose current version the gate holds / its releases.
  Degraded at ≥ 50 % (with ≥ 4 releases): half of a ministry's releases failing the text checks is
  more likely an extraction problem (furniture in bodies) than bad translation.

A source the run skipped (a backfill whose chunks were all done before: status ``ok`` with no window
in ``runs.sources``) has ``source_status`` ``skipped`` and is judged on freshness and held share only.

``status`` is the worst that applies: ``broken`` (the source failed as a whole, or extraction ≥ 50 %)
> ``stale`` > ``degraded`` (zero volume, extraction ≥ 10 %, ≥ 20 % of listed pages failed to fetch, held
≥ 50 %) > ``ok``; ``unknown`` when nothing is wrong but freshness cannot be judged yet. ``reasons`` holds
one sentence per problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

import duckdb
import pyarrow as pa

# Re-exported: the thresholds are shared with the GX health suite, so they live with the expectations.
from pressroom.expectations.health_rules import STATUSES as STATUSES
from pressroom.expectations.health_rules import HealthRules
from pressroom.warehouse.releases import gate_query
from pressroom.warehouse.store import UTC_TS


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One row of ``source_health`` (same columns, same order); ``None`` means "could not be judged"."""

    source_id: str
    run_id: str
    computed_at: datetime
    status: str
    reasons: str
    source_status: str | None
    freshness: str
    newest_published_at: datetime | None
    days_since_newest: float | None
    typical_gap_days: float | None
    stale_after_days: float | None
    volume: str
    listed: int | None
    new_releases: int | None
    typical_listed: float | None
    typical_new: float | None
    history_runs: int
    fetched: int | None
    parse_failed: int | None
    fetch_failed: int | None
    extraction_failure_share: float | None
    parse_reasons: str | None
    releases: int
    held: int
    held_share: float | None

    def figures(self) -> dict[str, object]:
        """JSON-ready figures (datetimes as ISO 8601, floats rounded to 3 places)."""
        out: dict[str, object] = {}
        for name, value in asdict(self).items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, float):
                value = round(value, 3)
            out[name] = value
        return out


_SCHEMA = pa.schema([
    ("source_id", pa.string()), ("run_id", pa.string()), ("computed_at", UTC_TS), ("status", pa.string()),
    ("reasons", pa.string()), ("source_status", pa.string()), ("freshness", pa.string()),
    ("newest_published_at", UTC_TS), ("days_since_newest", pa.float64()), ("typical_gap_days", pa.float64()),
    ("stale_after_days", pa.float64()), ("volume", pa.string()), ("listed", pa.int32()),
    ("new_releases", pa.int32()), ("typical_listed", pa.float64()), ("typical_new", pa.float64()),
    ("history_runs", pa.int32()), ("fetched", pa.int32()), ("parse_failed", pa.int32()),
    ("fetch_failed", pa.int32()), ("extraction_failure_share", pa.float64()), ("parse_reasons", pa.string()),
    ("releases", pa.int32()), ("held", pa.int32()), ("held_share", pa.float64()),
])

_DEFAULT_RULES = HealthRules()

#: one row per source entry of each run's ``runs.sources``. The fields are read with
#: ``json_extract_string`` rather than ``->>``: on DuckDB 1.5 the filters pushed into this subquery make
#: ``e->>'until'`` cast the whole entry to a number (a ConversionException) where 2.0 does not.
_ENTRIES = """
    SELECT r.run_id, r.flow, r.started_at, json_extract_string(e, 'source_id') AS source_id,
           CASE WHEN json_extract_string(e, 'status') = 'ok' AND json_extract_string(e, 'until') IS NULL
                THEN 'skipped' ELSE json_extract_string(e, 'status') END AS status,
           try_cast(json_extract_string(e, 'listed') AS INTEGER) AS listed,
           try_cast(json_extract_string(e, 'new') AS INTEGER) AS new,
           try_cast(json_extract_string(e, 'fetched') AS INTEGER) AS fetched,
           try_cast(json_extract_string(e, 'failed') AS INTEGER) AS failed,
           try_cast(json_extract_string(e, 'parse_failed') AS INTEGER) AS parse_failed
    FROM (SELECT run_id, flow, started_at, unnest(json_extract(sources, '$[*]')) AS e
          FROM runs WHERE sources IS NOT NULL) r
"""


def compute_health(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    now: datetime,
    source_ids: Sequence[str],
    rules: HealthRules = _DEFAULT_RULES,
) -> list[SourceHealth]:
    """Health of each of ``source_ids`` after run ``run_id`` (which should be finished, so that
    ``runs.sources`` holds its counts), judged at ``now`` (timezone-aware). Reads only."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ids = list(dict.fromkeys(source_ids))
    run = con.execute("SELECT flow, started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if run is None:
        raise ValueError(f"no run {run_id!r} in the warehouse")
    flow, started_at = run
    params = {"ids": ids, "run_id": run_id}
    entries = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT source_id, status, listed, new, fetched, failed, parse_failed FROM ({_ENTRIES})"
            " WHERE run_id = $run_id AND source_id IN (SELECT unnest($ids::VARCHAR[]))", params,
        ).fetchall()
    }
    history = {
        row[0]: row[1:]
        for row in con.execute(
            f"""SELECT source_id, median(listed), median(new), count(*) FROM (
                    SELECT * FROM ({_ENTRIES})
                    WHERE flow = 'nightly' AND run_id <> $run_id AND started_at < $started
                      AND status <> 'failed' AND source_id IN (SELECT unnest($ids::VARCHAR[]))
                    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY started_at DESC) <= $limit)
                GROUP BY source_id""",
            {**params, "started": started_at, "limit": rules.history_runs},
        ).fetchall()
    }
    rhythm = {
        row[0]: row[1:]
        for row in con.execute(
            """WITH days AS (
                   SELECT DISTINCT source_id, CAST(timezone('UTC', published_at) AS DATE) AS day FROM releases
                   WHERE published_at <= $now AND source_id IN (SELECT unnest($ids::VARCHAR[]))),
               recent AS (
                   SELECT *, row_number() OVER (PARTITION BY source_id ORDER BY day DESC) AS n FROM days),
               gaps AS (
                   SELECT source_id, day - lead(day) OVER (PARTITION BY source_id ORDER BY day DESC) AS gap
                   FROM recent WHERE n <= $sample)
               SELECT source_id, median(gap), count(*) + 1 FROM gaps WHERE gap IS NOT NULL GROUP BY source_id""",
            {"ids": ids, "now": now, "sample": rules.gap_sample_days},
        ).fetchall()
    }
    newest = dict(con.execute(
        "SELECT source_id, max(published_at) FROM releases WHERE published_at <= $now"
        " AND source_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY 1", {"ids": ids, "now": now},
    ).fetchall())
    parse_reasons: dict[str, tuple[str, int]] = {
        row[0]: (row[1], int(row[2]))
        for row in con.execute(
            """SELECT source_id, string_agg(reason || '×' || n, ', ' ORDER BY n DESC, reason), sum(n) FROM (
                   SELECT source_id, reason, count(*) AS n FROM fetch_failures
                   WHERE kind = 'parse' AND last_run_id = $run_id AND source_id IN (SELECT unnest($ids::VARCHAR[]))
                   GROUP BY ALL) GROUP BY source_id""", params,
        ).fetchall()
    }
    totals = dict(con.execute(
        "SELECT source_id, count(*) FROM releases WHERE source_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY 1",
        {"ids": ids},
    ).fetchall())
    scope = "r.source_id IN (SELECT unnest($ids::VARCHAR[]))"
    held = dict(con.execute(
        f"SELECT source_id, count(*) FROM ({gate_query(scope)}) WHERE NOT publishable GROUP BY 1", {"ids": ids}
    ).fetchall())
    return [
        _judge(
            source_id, run_id=run_id, now=now, flow=flow, rules=rules, entry=entries.get(source_id),
            history=history.get(source_id), rhythm=rhythm.get(source_id), newest=newest.get(source_id),
            parse_reasons=parse_reasons.get(source_id), releases=int(totals.get(source_id, 0)),
            held=int(held.get(source_id, 0)),
        )
        for source_id in ids
    ]


def _judge(
    source_id: str, *, run_id: str, now: datetime, flow: str, rules: HealthRules,
    entry: tuple[str | None, int | None, int | None, int | None, int | None, int | None] | None,
    history: tuple[float | None, float | None, int] | None, rhythm: tuple[float, int] | None,
    newest: datetime | None, parse_reasons: tuple[str, int] | None, releases: int, held: int,
) -> SourceHealth:
    broken: list[str] = []
    stale: list[str] = []
    degraded: list[str] = []
    source_status, listed, new, fetched, failed, parse_failed = entry or (None, None, None, None, None, None)
    if source_status == "failed":
        broken.append(f"the source failed in this run ({failed or 0} failure(s) recorded)")

    days_since = (now - newest).total_seconds() / 86400 if newest is not None else None
    gap = float(rhythm[0]) if rhythm and rhythm[1] >= rules.min_publication_days else None
    stale_after = max(rules.stale_gap_multiple * gap, rules.stale_min_days) if gap is not None else None
    freshness = "unknown"
    if days_since is not None and stale_after is not None and gap is not None:
        freshness = "stale" if days_since > stale_after else "fresh"
        if freshness == "stale":
            stale.append(f"newest release is {days_since:.1f} days old; it usually publishes every "
                         f"{gap:g} day(s), so stale after {stale_after:g} days")

    typical_listed, typical_new, runs = history or (None, None, 0)
    volume = "unknown"
    if flow == "nightly" and source_status in ("ok", "partial") and runs >= rules.min_history_runs:
        volume = "normal"
        if listed == 0 and typical_listed is not None and typical_listed >= 1:
            volume = "zero"
            degraded.append(f"the listing showed no entries in this run's window; typically {typical_listed:g}")

    reasons_text, parse_rows = parse_reasons or (None, 0)
    if parse_failed is None and fetched is not None:  # runs recorded before `parse_failed` was counted
        parse_failed = parse_rows
    share = parse_failed / fetched if fetched and parse_failed is not None else None
    if share is not None and fetched is not None and fetched >= rules.min_pages_fetched:
        what = f"{parse_failed} of {fetched} fetched page(s) did not parse ({reasons_text or 'no reason recorded'})"
        if share >= rules.broken_extraction_share:
            broken.append(what + ": the site's layout has probably changed")
        elif share >= rules.degraded_extraction_share:
            degraded.append(what)
    fetch_failed = None if failed is None else max(0, failed - (parse_failed or 0))
    fetch_share = fetch_failed / max(listed or 0, 1) if fetch_failed else 0.0
    if source_status == "partial" and fetch_share >= rules.degraded_fetch_failed_share:
        degraded.append(f"{fetch_failed} page(s) failed to fetch of {listed or 0} listed")

    held_share = held / releases if releases else None
    if held_share is not None and releases >= rules.min_releases_for_held and held_share >= rules.degraded_held_share:
        degraded.append(f"{held} of {releases} releases are held by the publish gate ({held_share:.0%})")

    status = "broken" if broken else "stale" if stale else "degraded" if degraded else (
        "unknown" if freshness == "unknown" else "ok")
    return SourceHealth(
        source_id=source_id, run_id=run_id, computed_at=now, status=status,
        reasons="; ".join([*broken, *stale, *degraded]), source_status=source_status, freshness=freshness,
        newest_published_at=newest, days_since_newest=days_since, typical_gap_days=gap,
        stale_after_days=stale_after, volume=volume, listed=listed, new_releases=new,
        typical_listed=None if typical_listed is None else float(typical_listed),
        typical_new=None if typical_new is None else float(typical_new), history_runs=int(runs),
        fetched=fetched, parse_failed=parse_failed, fetch_failed=fetch_failed, extraction_failure_share=share,
        parse_reasons=reasons_text, releases=releases, held=held, held_share=held_share,
    )


#: What a health row says about a source; figures may move within the same judgement.
JUDGEMENT = ("status", "reasons", "freshness", "volume")


def save_health(con: duckdb.DuckDBPyConnection, rows: Sequence[SourceHealth]) -> None:
    """Store ``rows`` in ``source_health`` as a record of changes: when a source's judgement
    (``JUDGEMENT``) is the same as in its latest row, that row moves to this run with the new figures;
    otherwise a new row is added. So a rerun on unchanged sites adds no row, and the table's rows are
    the episodes of each source's health. A row for the same (source, run) is replaced."""
    if not rows:
        return
    table = pa.Table.from_pylist([asdict(row) for row in rows], schema=_SCHEMA)
    same = " AND ".join(f"l.{name} = i.{name}" for name in JUDGEMENT)
    con.register("incoming_health", table)
    try:
        con.execute(f"""
            DELETE FROM source_health WHERE (source_id, run_id) IN (
                SELECT l.source_id, l.run_id
                FROM (SELECT * FROM source_health
                      QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY computed_at DESC, run_id DESC) = 1) l
                JOIN incoming_health i ON i.source_id = l.source_id AND {same})""")
        con.execute("DELETE FROM source_health WHERE (source_id, run_id) IN"
                    " (SELECT source_id, run_id FROM incoming_health)")
        con.execute("INSERT INTO source_health SELECT * FROM incoming_health")
    finally:
        con.unregister("incoming_health")


def latest_health(
    con: duckdb.DuckDBPyConnection, source_ids: Sequence[str], *, exclude_run: str | None = None
) -> dict[str, SourceHealth]:
    """Each source's most recently computed saved health, leaving out run ``exclude_run`` (so the
    previous run's figures can be compared with the current run's)."""
    names = ", ".join(f.name for f in fields(SourceHealth))
    rows = con.execute(
        f"""SELECT {names} FROM source_health
            WHERE source_id IN (SELECT unnest($ids::VARCHAR[])) AND ($exclude IS NULL OR run_id <> $exclude)
            QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY computed_at DESC, run_id DESC) = 1""",
        {"ids": list(source_ids), "exclude": exclude_run},
    ).fetchall()
    return {row[0]: SourceHealth(*row) for row in rows}


def health_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[SourceHealth]:
    """The saved health rows of one run, by source id (for the report)."""
    names = ", ".join(f.name for f in fields(SourceHealth))
    rows = con.execute(f"SELECT {names} FROM source_health WHERE run_id = ? ORDER BY source_id", [run_id]).fetchall()
    return [SourceHealth(*row) for row in rows]
