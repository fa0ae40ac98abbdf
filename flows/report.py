"""The static data-quality report under ``<data dir>/reports/``: index → run page → release page.

Every string that came from a website is escaped with :func:`html.escape`; links are only emitted for
``http``/``https`` URLs. The pages load nothing from the network (inline CSS, no scripts, no fonts).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from warehouse import Warehouse

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#137333}.partial{color:#b06000}.failed{color:#c5221f}.held{color:#c5221f;font-weight:600}
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


def write_report(warehouse: Warehouse, out: Path, *, run_id: str | None = None) -> Path:
    """Write the index, the page of ``run_id`` (default: the latest run) and the pages of the releases
    it shows; return the path of that run page."""
    with warehouse.reader() as con:
        runs = _rows(con, "SELECT * FROM runs ORDER BY started_at DESC LIMIT 200")
        if not runs:
            raise ValueError("no runs in the warehouse yet")
        run = next((r for r in runs if r["run_id"] == run_id), None) if run_id else runs[0]
        if run is None:
            raise ValueError(f"no run {run_id!r} in the warehouse")
        sources = json.loads(run["sources"]) if run["sources"] else []
        ids = [s["source_id"] for s in sources]
        held = _rows(con, """
            SELECT r.release_id, r.source_id, r.title, r.url, r.published_at, r.body_text, d.record_failures
            FROM releases r JOIN dq_runs d USING (release_id, content_hash)
            WHERE NOT d.passed AND r.source_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY r.source_id, r.published_at DESC""", [ids])
        findings = _rows(con, """
            SELECT f.* FROM dq_findings f JOIN releases r USING (release_id, content_hash)
            WHERE f.release_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.release_id, f.field, f.span_start""",
            [[h["release_id"] for h in held]])
        failures = _rows(con, """
            SELECT source_id, url, reason, attempts, kind, detail, last_failed_at FROM fetch_failures
            WHERE resolved_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY source_id, url""",
            [ids])
        check_counts = _rows(con, """
            SELECT check_id, severity, count(*) AS n, count(DISTINCT release_id) AS releases
            FROM dq_findings f JOIN releases r USING (release_id, content_hash)
            WHERE r.source_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL ORDER BY severity, n DESC""", [ids])
    by_release: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_release.setdefault(finding["release_id"], []).append(finding)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "releases").mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(render_index(runs), encoding="utf-8")
    for release in held:
        path = out / "releases" / f"{release['release_id']}.html"
        path.write_text(render_release(release, by_release.get(release["release_id"], [])), encoding="utf-8")
    run_path = out / "runs" / f"{run['run_id']}.html"
    run_path.write_text(render_run(run, sources, held, by_release, failures, check_counts), encoding="utf-8")
    return run_path


def render_index(runs: Sequence[dict[str, Any]]) -> str:
    head = "".join(f"<th>{name}</th>" for name in ("run", "flow", "started (UTC)", "status", *COUNTS))
    rows = "".join(
        f"<tr><td><a href=\"runs/{esc(r['run_id'])}.html\">{esc(r['run_id'])}</a></td><td>{esc(r['flow'])}</td>"
        f"<td>{esc(r['started_at'])}</td><td class=\"{esc(r['status'])}\">{esc(r['status'])}</td>"
        + "".join(f"<td class=\"n\">{esc(r[name])}</td>" for name in COUNTS) + "</tr>"
        for r in runs
    )
    return page("pressroom runs", f"<table><tr>{head}</tr>{rows}</table>", depth=0)


def render_run(
    run: dict[str, Any],
    sources: Sequence[dict[str, Any]],
    held: Sequence[dict[str, Any]],
    by_release: dict[str, list[dict[str, Any]]],
    failures: Sequence[dict[str, Any]],
    check_counts: Sequence[dict[str, Any]],
) -> str:
    parts = [f"<p>{esc(run['flow'])} run, started {esc(run['started_at'])}, finished {esc(run['finished_at'])}: "
             f"<span class=\"{esc(run['status'])}\">{esc(run['status'])}</span></p>"]
    head = "".join(f"<th>{name}</th>" for name in ("source", "status", "window", *COUNTS, "error"))
    rows = "".join(
        f"<tr><td>{esc(s['source_id'])}</td><td class=\"{esc(s['status'])}\">{esc(s['status'])}</td>"
        f"<td>{esc(s.get('since') or 'beginning')} → {esc(s.get('until'))}</td>"
        + "".join(f"<td class=\"n\">{esc(s.get(name, 0))}</td>" for name in COUNTS)
        + f"<td>{esc(s.get('error') or '')}</td></tr>"
        for s in sources
    )
    parts.append(f"<h2>Sources</h2><table><tr>{head}</tr>{rows}</table>")
    if check_counts:
        rows = "".join(f"<tr><td>{esc(c['check_id'])}</td><td>{esc(c['severity'])}</td><td class=\"n\">{c['n']}</td>"
                       f"<td class=\"n\">{c['releases']}</td></tr>" for c in check_counts)
        parts.append("<h2>Findings by check</h2><table><tr><th>check</th><th>severity</th><th>findings</th>"
                     f"<th>releases</th></tr>{rows}</table>")
    parts.append(f"<h2>Held back ({len(held)})</h2>")
    if held:
        items = []
        for release in held:
            reasons = [f"{f['check_id']}: “{f['excerpt']}”" for f in by_release.get(release["release_id"], [])
                       if f["severity"] == "error"] + list(release["record_failures"] or [])
            items.append(
                f"<tr><td><a href=\"../releases/{esc(release['release_id'])}.html\">{esc(release['title'])}</a></td>"
                f"<td>{esc(release['source_id'])}</td><td>{esc(release['published_at'])}</td>"
                f"<td>{'<br>'.join(esc(reason) for reason in reasons)}</td></tr>"
            )
        parts.append("<table><tr><th>release</th><th>source</th><th>published</th><th>why</th></tr>"
                     + "".join(items) + "</table>")
    else:
        parts.append("<p class=\"muted\">Nothing is held back.</p>")
    parts.append(f"<h2>Open fetch failures ({len(failures)})</h2>")
    if failures:
        rows = "".join(f"<tr><td>{esc(f['source_id'])}</td><td>{link(f['url'])}</td><td>{esc(f['kind'])}</td>"
                       f"<td>{esc(f['reason'])}</td><td class=\"n\">{esc(f['attempts'])}</td></tr>" for f in failures)
        parts.append("<table><tr><th>source</th><th>url</th><th>kind</th><th>reason</th><th>attempts</th></tr>"
                     f"{rows}</table>")
    return page(f"Run {run['run_id']}", "".join(parts), depth=1)


def render_release(release: dict[str, Any], findings: Sequence[dict[str, Any]]) -> str:
    body_spans = [(f["span_start"], f["span_end"], f["severity"], f"{f['check_id']}: {f['message']}")
                  for f in findings if f["field"] == "body"]
    title_spans = [(f["span_start"], f["span_end"], f["severity"], f"{f['check_id']}: {f['message']}")
                   for f in findings if f["field"] == "title"]
    rows = "".join(
        f"<li class=\"finding\"><b>{esc(f['severity'])}</b> <code>{esc(f['check_id'])}</code> "
        f"({esc(f['field'])} {f['span_start']}–{f['span_end']}): {esc(f['message'])} — “{esc(f['excerpt'])}”</li>"
        for f in findings
    )
    record = release.get("record_failures") or []
    body = (
        f"<p><b>Title:</b> {highlight(release['title'] or '', title_spans)}</p>"
        f"<p><b>Source:</b> {esc(release['source_id'])} · <b>Published:</b> {esc(release['published_at'])}"
        f" · {link(release['url'], 'original page')}</p>"
        + (f"<p class=\"held\">Record checks failed: {esc(', '.join(record))}</p>" if record else "")
        + f"<h2>Findings</h2><ul>{rows}</ul>"
        + f"<h2>Body</h2><div class=\"body\">{highlight(release['body_text'] or '', body_spans)}</div>"
    )
    return page(release["title"] or release["release_id"], body, depth=1)
