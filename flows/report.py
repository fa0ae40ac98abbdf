"""The static data-quality report under ``<data dir>/reports/``: index → run page → release page.

Every string that came from a website is escaped with :func:`html.escape`; links are only emitted for
``http``/``https`` URLs. The pages load nothing from the network (inline CSS, no scripts, no fonts).
"""

from __future__ import annotations

import html
import json
import os
import webbrowser
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import suppress
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from pressroom.flows.report_lifecycle import lifecycle_sections
from pressroom.warehouse import Warehouse
from pressroom.warehouse.health import SourceHealth, health_for_run, latest_health
from pressroom.warehouse.releases import gate_query as _gate
from pressroom.warehouse.runs import shown_status

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#137333}.partial,.interrupted{color:#b06000}.failed{color:#c5221f}.held{color:#c5221f;font-weight:600}
.body{white-space:pre-wrap;font-family:Georgia,serif;font-size:16px;line-height:1.6;border-left:3px solid #ddd;padding-left:1rem}
mark{padding:0 1px;border-radius:2px}mark.error{background:#ffd6d6;outline:1px solid #c5221f}
mark.warning{background:#fff1b8}mark.info{background:#e3f0ff}
code,pre.cmd{background:#f4f4f6;padding:.1rem .3rem;border-radius:3px}pre.cmd{padding:.6rem;white-space:pre-wrap}
.finding{margin:.3rem 0}.muted{color:#666}nav a{margin-right:1rem}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def link(url: str | None, text: str | None = None) -> str:
    """An anchor only for http(s) URLs; anything else (``javascript:`` …) is shown as plain text."""
    label = esc(text if text is not None else url)
    if url and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{label}</a>'
    return label


#: Where `pressroom review` serves by default; ``PRESSROOM_REVIEW_URL`` names another address (issue 13).
REVIEW_ADDRESS = "http://127.0.0.1:8766"


def review_url(release_id: str) -> str:
    """The review app's page of a held release (run `pressroom review` to serve it)."""
    return f"{os.environ.get('PRESSROOM_REVIEW_URL', REVIEW_ADDRESS).rstrip('/')}/release/{release_id}"


def page(title: str, body: str, *, depth: int) -> str:
    up = "../" * depth
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:\">"
        f"<title>{esc(title)} · pressroom</title><style>{CSS}</style></head><body>"
        f"<nav><a href=\"{up}index.html\">All runs</a></nav><h1>{esc(title)}</h1>{body}</body></html>\n"
    )


def highlight(text: str, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """``text`` escaped, with each ``(start, end, severity, message)`` span wrapped in ``<mark>``.
    Overlapping spans are cut at every boundary; the most severe one colours a piece."""
    rank = {"error": 0, "warning": 1, "info": 2}
    cuts = sorted({0, len(text), *(max(0, min(len(text), s)) for s, _, _, _ in spans),
                   *(max(0, min(len(text), e)) for _, e, _, _ in spans)})
    out: list[str] = []
    for left, right in pairwise(cuts):
        piece = esc(text[left:right])
        covering = [span for span in spans if span[0] <= left and right <= span[1] and span[0] < span[1]]
        if covering:
            worst = min(covering, key=lambda span: rank.get(span[2], 3))[2]
            tip = " · ".join(dict.fromkeys(span[3] for span in covering))
            out.append(f'<mark class="{esc(worst)}" title="{esc(tip)}">{piece}</mark>')
        else:
            out.append(piece)
    return "".join(out)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


COUNTS = ("listed", "fetched", "new", "changed", "failed", "published", "held")
#: A source's row on the run page also shows what it skipped (links deliberately not loaded).
SOURCE_COUNTS = ("listed", "fetched", "new", "changed", "failed", "skipped", "published", "held")
PALETTE = ("#1a73e8", "#d93025", "#188038", "#f9ab00", "#9334e6", "#e8710a", "#12b5cb", "#5f6368")


def write_report(warehouse: Warehouse, out: Path, *, run_id: str | None = None) -> Path:
    """Write the index, the page of ``run_id`` (default: the latest run) and the pages of the releases
    it shows; return the path of that run page."""
    with warehouse.reader() as con:
        runs = _rows(con, "SELECT * FROM runs ORDER BY started_at DESC LIMIT 500")
        if not runs:
            raise ValueError("no runs in the warehouse yet")
        for row in runs:
            row["status"] = shown_status(row)
        run = next((r for r in runs if r["run_id"] == run_id), None) if run_id else runs[0]
        if run is None:
            raise ValueError(f"no run {run_id!r} in the warehouse")
        sources = json.loads(run["sources"]) if run["sources"] else []
        ids = [s["source_id"] for s in sources] or [r[0] for r in con.execute("SELECT source_id FROM source_state").fetchall()]
        held = _rows(con, f"""
            SELECT g.release_id, g.source_id, g.title, g.url, g.published_at, g.body_text, g.open_checks,
                   g.first_seen_at, g.last_seen_at, g.version
            FROM ({_gate("r.source_id IN (SELECT unnest(?::VARCHAR[]))")}) g
            WHERE NOT g.publishable ORDER BY g.source_id, g.published_at DESC NULLS LAST""", [ids])
        findings = _rows(con, """
            SELECT f.* FROM dq_findings f JOIN releases r USING (release_id, content_hash)
            WHERE f.release_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.release_id, f.field, f.span_start""",
            [[h["release_id"] for h in held]])
        failures = _rows(con, """
            SELECT source_id, url, reason, attempts, kind, detail, last_failed_at FROM fetch_failures
            WHERE resolved_at IS NULL AND retired_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY source_id, url""",
            [ids])
        lifecycle = lifecycle_sections(con, run_id=run["run_id"], source_ids=ids)
        health = health_for_run(con, run["run_id"])
        known = [row[0] for row in con.execute("SELECT DISTINCT source_id FROM source_health ORDER BY 1").fetchall()]
        current_health = sorted(latest_health(con, known).values(), key=lambda h: h.source_id)
        check_counts = _rows(con, """
            SELECT check_id, severity, count(*) AS n, count(DISTINCT release_id) AS releases
            FROM dq_findings f JOIN releases r USING (release_id, content_hash)
            WHERE r.source_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL ORDER BY severity, n DESC""", [ids])
    by_release: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_release.setdefault(finding["release_id"], []).append(finding)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "releases").mkdir(parents=True, exist_ok=True)
    for release in held:
        _write(out / "releases" / f"{release['release_id']}.html",
               render_release(release, by_release.get(release["release_id"], [])))
    run_path = out / "runs" / f"{run['run_id']}.html"
    gx_health = json.loads(run["health_gx_failures"]) if run.get("health_gx_failures") else None
    _write(run_path, render_run(run, sources, held, by_release, failures, check_counts, gx=gx_links(run, run_path),
                                health=render_health(health, gx_failures=gx_health), lifecycle=lifecycle))
    # Last, so it links only run pages that exist: a run interrupted before its report has none.
    written = {page.stem for page in (out / "runs").glob("*.html")}
    _write(out / "index.html", render_index(runs, health=render_health(current_health, title="Source health now"),
                                            pages=written))
    return run_path


_HEALTH_CLASS = {"ok": "ok", "unknown": "muted", "degraded": "partial", "stale": "partial", "broken": "failed"}


def _num(value: float | None, spec: str = "g") -> str:
    return "–" if value is None else format(value, spec)


def render_health(
    rows: Sequence[SourceHealth], *, title: str = "Source health", gx_failures: dict[str, list[str]] | None = None
) -> str:
    """The health table; with ``gx_failures`` (the run's GX source-health verdicts) a column per source
    says which expectations of the health suite it failed."""
    if not rows:
        return ""

    def gx_cell(source_id: str) -> str:
        if gx_failures is None:
            return ""
        failed = gx_failures.get(source_id) or []
        verdict = (f'<span class="partial">failed: {esc(", ".join(failed))}</span>' if failed
                   else '<span class="ok">passed</span>')
        return f"<td>{verdict}</td>"

    body = "".join(
        f'<tr><td>{esc(h.source_id)}</td><td class="{_HEALTH_CLASS.get(h.status, "")}">{esc(h.status)}</td>'
        f'<td class="n">{_num(h.days_since_newest, ".1f")} / {_num(h.stale_after_days)}</td>'
        f"<td>{esc(h.volume)} ({_num(h.listed)} vs {_num(h.typical_listed)})</td>"
        f'<td class="n">{_num(h.parse_failed)} / {_num(h.fetched)} {esc(h.parse_reasons or "")}</td>'
        f'<td class="n">{h.held} / {h.releases} ({_num(None if h.held_share is None else 100 * h.held_share, ".0f")} %)</td>'
        f"<td>{esc(h.reasons)}</td>{gx_cell(h.source_id)}</tr>" for h in rows)
    gx_head = "<th>GX source-health suite</th>" if gx_failures is not None else ""
    return (f"<h2>{esc(title)}</h2><table><tr><th>source</th><th>status</th><th>days since newest / stale after</th>"
            "<th>volume (listed vs typical)</th><th>not parsed / fetched</th><th>held</th><th>why</th>"
            f"{gx_head}</tr>{body}</table>")


def gx_links(run: dict[str, Any], page_path: Path) -> str:
    """The run's Great Expectations results and Data Docs, linked relative to ``page_path``."""
    if not run.get("gx_results") and not run.get("health_gx_results"):
        return "<p class=\"muted\">This run has no Great Expectations results.</p>"
    links = []
    for label, target in (("validation results (JSON)", run.get("gx_results")),
                          ("source-health results (JSON)", run.get("health_gx_results")),
                          ("Data Docs", run.get("gx_docs"))):
        if target and Path(target).exists():
            relative = Path(os.path.relpath(Path(target).resolve(), page_path.parent.resolve())).as_posix()
            links.append(f'<a href="{esc(relative)}">{esc(label)}</a>')
    if not links:
        return "<p class=\"muted\">This run's Great Expectations results are no longer on disk.</p>"
    warnings = "".join(f"<li>{esc(w)}</li>" for w in run.get("gx_warnings") or [])
    return (f"<p>{' · '.join(links)} (Data Docs use local copies of their scripts and styles: readable offline)</p>"
            + (f"<p>Batch-level warnings:</p><ul>{warnings}</ul>" if warnings else "<p>No batch-level warnings.</p>"))


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def held_share_chart(runs: Sequence[dict[str, Any]], *, last: int = 30) -> str:
    """Inline SVG: the share of each source's releases held back, over its last ``last`` runs."""
    series: dict[str, list[float]] = {}
    for run in reversed(runs):
        for source in json.loads(run["sources"]) if run["sources"] else []:
            total = source.get("total") or 0
            if total:
                series.setdefault(source["source_id"], []).append(float(source.get("held", 0)) / total)
    series = {k: v[-last:] for k, v in sorted(series.items()) if v}
    if not series:
        return "<p class=\"muted\">No history yet.</p>"
    width, height, pad = 640, 180, 30
    top = max(0.1, max(max(v) for v in series.values()))
    lines, legend = [], []
    for index, (source_id, values) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        step = (width - 2 * pad) / max(1, last - 1)
        coords = [(pad + i * step, height - pad - (v / top) * (height - 2 * pad)) for i, v in enumerate(values)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords)
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
                     f"<title>{esc(source_id)}: {values[-1]:.0%} held in the latest run</title></polyline>{dots}")
        legend.append(f'<span style="color:{colour}">■</span> {esc(source_id)} ({values[-1]:.0%})')
    axis = (f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
            f'<text x="2" y="{pad}" font-size="11">{top:.0%}</text>'
            f'<text x="2" y="{height - pad}" font-size="11">0%</text>'
            f'<text x="{pad}" y="{height - 8}" font-size="11">oldest of the last {last} runs → newest</text>')
    return (f'<svg role="img" aria-label="held share per source" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{axis}{"".join(lines)}</svg><p>{" · ".join(legend)}</p>')


def render_index(runs: Sequence[dict[str, Any]], *, health: str = "", pages: Collection[str] | None = None) -> str:
    """The list of runs; with ``pages`` (ids of the runs whose page was written) only those are links."""
    def run_cell(run_id: str) -> str:
        if pages is None or run_id in pages:
            return f"<a href=\"runs/{esc(run_id)}.html\">{esc(run_id)}</a>"
        return f"{esc(run_id)} <span class=\"muted\">(no page)</span>"

    head = "".join(f"<th>{name}</th>" for name in ("run", "flow", "started (UTC)", "status", *COUNTS))
    rows = "".join(
        f"<tr><td>{run_cell(r['run_id'])}</td><td>{esc(r['flow'])}</td>"
        f"<td>{esc(str(r['started_at'])[:19])}</td><td class=\"{esc(r['status'])}\">{esc(r['status'])}</td>"
        + "".join(f"<td class=\"n\">{esc(r[name])}</td>" for name in COUNTS) + "</tr>"
        for r in runs
    )
    body = (f"{health}<h2>Held back, share of each source's releases</h2>{held_share_chart(runs)}"
            f"<h2>Runs</h2><table><tr>{head}</tr>{rows}</table>")
    return page("pressroom runs", body, depth=0)


def render_run(
    run: dict[str, Any],
    sources: Sequence[dict[str, Any]],
    held: Sequence[dict[str, Any]],
    by_release: dict[str, list[dict[str, Any]]],
    failures: Sequence[dict[str, Any]],
    check_counts: Sequence[dict[str, Any]],
    *,
    gx: str = "",
    health: str = "",
    lifecycle: str = "",
) -> str:
    parts = [f"<p>{esc(run['flow'])} run, started {esc(run['started_at'])}, finished {esc(run['finished_at'])}: "
             f"<span class=\"{esc(run['status'])}\">{esc(run['status'])}</span></p>"]
    if run["status"] == "interrupted":
        parts.append("<p class=\"interrupted\">A signal or a crash stopped this run between two transactions: "
                     "what it loaded and checked is kept, and the next run carries on from there.</p>")
    head = "".join(f"<th>{name}</th>" for name in ("source", "status", "window", *SOURCE_COUNTS, "error"))
    rows = "".join(
        f"<tr><td>{esc(s['source_id'])}</td><td class=\"{esc(s['status'])}\">{esc(s['status'])}</td>"
        f"<td>{esc(s.get('since') or 'beginning')} → {esc(s.get('until'))}</td>"
        + "".join(f"<td class=\"n\">{esc(s.get(name, 0))}</td>" for name in SOURCE_COUNTS)
        + f"<td>{esc(s.get('error') or '')}</td></tr>"
        for s in sources
    )
    parts.append(f"<h2>Sources</h2><table><tr>{head}</tr>{rows}</table>")
    parts.append(health)
    if check_counts:
        rows = "".join(f"<tr><td>{esc(c['check_id'])}</td><td>{esc(c['severity'])}</td><td class=\"n\">{c['n']}</td>"
                       f"<td class=\"n\">{c['releases']}</td></tr>" for c in check_counts)
        parts.append("<h2>Findings by check</h2><table><tr><th>check</th><th>severity</th><th>findings</th>"
                     f"<th>releases</th></tr>{rows}</table>")
    parts.append(f"<h2>Held back ({len(held)})</h2>")
    if held:
        items = []
        for release in held:
            excerpts = {f["check_id"]: f["excerpt"] for f in by_release.get(release["release_id"], [])
                        if f["severity"] == "error"}
            reasons = [f"{check}: “{excerpts[check]}”" if check in excerpts else check
                       for check in release["open_checks"] or []]
            items.append(
                f"<tr><td><a href=\"../releases/{esc(release['release_id'])}.html\">{esc(release['title'] or release['release_id'])}</a></td>"
                f"<td>{esc(release['source_id'])}</td><td>{esc(str(release['published_at'] or '')[:16])}</td>"
                f"<td>{'<br>'.join(esc(reason) for reason in reasons)}</td>"
                f"<td>{link(review_url(release['release_id']), 'review')}</td></tr>"
            )
        parts.append("<table><tr><th>release</th><th>source</th><th>published (UTC)</th><th>why</th><th></th></tr>"
                     + "".join(items) + "</table>")
    else:
        parts.append("<p class=\"muted\">Nothing is held back.</p>")
    parts.append(f"<h2>Great Expectations</h2>{gx}")
    parts.append(f"<h2>Open fetch failures ({len(failures)})</h2>")
    if failures:
        rows = "".join(f"<tr><td>{esc(f['source_id'])}</td><td>{link(f['url'])}</td><td>{esc(f['kind'])}</td>"
                       f"<td>{esc(f['reason'])}</td><td class=\"n\">{esc(f['attempts'])}</td></tr>" for f in failures)
        parts.append("<table><tr><th>source</th><th>url</th><th>kind</th><th>reason</th><th>attempts</th></tr>"
                     f"{rows}</table>")
    parts.append(lifecycle)
    return page(f"Run {run['run_id']}", "".join(parts), depth=1)


def render_release(release: dict[str, Any], findings: Sequence[dict[str, Any]]) -> str:
    def spans(field: str) -> list[tuple[int, int, str, str]]:
        return [(f["span_start"], f["span_end"], f["severity"], f"{f['check_id']}: {f['message']}")
                for f in findings if f["field"] == field]

    rows = "".join(
        f"<li class=\"finding\"><b class=\"{esc(f['severity'])}\">{esc(f['severity'])}</b> <code>{esc(f['check_id'])}</code> "
        f"({esc(f['field'])} {f['span_start']}–{f['span_end']}): {esc(f['message'])} — “<mark class=\"{esc(f['severity'])}\">"
        f"{esc(f['excerpt'])}</mark>”</li>"
        for f in findings if f["severity"] != "info"
    )
    info = [f for f in findings if f["severity"] == "info"]
    if info:
        rows += "".join(f"<li class=\"finding muted\">info <code>{esc(f['check_id'])}</code>: {esc(f['message'])}</li>"
                        for f in info)
    commands = "\n".join(
        f"pressroom waive {release['release_id']} --check {check} --reason \"…\"" for check in release["open_checks"] or []
    ) + "\npressroom publish"
    body = (
        f"<p class=\"title\"><b>Title:</b> {highlight(release['title'] or '', spans('title'))}</p>"
        f"<p><b>Source:</b> {esc(release['source_id'])} · <b>Published:</b> {esc(release['published_at'])}"
        f" · <b>First seen:</b> {esc(str(release['first_seen_at'])[:19])} · <b>Version:</b> {esc(release['version'])}"
        f" · {link(release['url'], 'original page')}</p>"
        f"<p class=\"held\">Held back by: {esc(', '.join(release['open_checks'] or []))}</p>"
        f"<p>Repair, edit, waive or publish it in the review app: {link(review_url(release['release_id']))}"
        " (served by <code>pressroom review</code>)</p>"
        f"<h2>Findings</h2><ul>{rows}</ul>"
        f"<h2>Body</h2><div class=\"body\" id=\"body\">{highlight(release['body_text'] or '', spans('body'))}</div>"
        f"<h2>To publish it anyway</h2><p>After reading the findings, a person may waive each blocking check:</p>"
        f"<pre class=\"cmd\">{esc(commands)}</pre>"
    )
    return page(release["title"] or release["release_id"], body, depth=1)


def serve_reports(root: Path, *, port: int, page: Path, announce: Callable[[str], None], open_browser: bool) -> None:
    """Serve ``root`` on 127.0.0.1 until interrupted."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/{page.resolve().relative_to(root.resolve()).as_posix()}"
        announce(url)
        if open_browser:
            webbrowser.open(url)
        with suppress(KeyboardInterrupt):
            server.serve_forever()
