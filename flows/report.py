"""The static data-quality report under ``<data dir>/reports/``: index → run page → release page.

The pages are Jinja2 templates (``flows/templates/*.html.j2``, package data) rendered with autoescaping on
for every template, so every string that came from a website is escaped; links are only emitted for
``http``/``https`` URLs. The pages load nothing from the network (inline CSS, no scripts, no fonts). What
they show is read by ``warehouse/report_queries.py``: this module holds no SQL.
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable, Collection, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pressroom.flows.report_lifecycle import lifecycle_sections
from pressroom.warehouse import Warehouse
from pressroom.warehouse import report_queries as queries
from pressroom.warehouse.health import SourceHealth, health_for_run

#: The run counts the index shows per run.
COUNTS = ("listed", "fetched", "new", "changed", "failed", "published", "held")
#: A source's row on the run page also shows what it skipped (links deliberately not loaded).
SOURCE_COUNTS = ("listed", "fetched", "new", "changed", "failed", "skipped", "published", "held")
PALETTE = ("#1a73e8", "#d93025", "#188038", "#f9ab00", "#9334e6", "#e8710a", "#12b5cb", "#5f6368")
_HEALTH_CLASS = {"ok": "ok", "unknown": "muted", "degraded": "partial", "stale": "partial", "broken": "failed"}
_RANK = {"error": 0, "warning": 1, "info": 2}


def _web_url(url: object) -> bool:
    """Whether ``url`` may be a link: http(s) and valid (a ``bad-url`` skip keeps the site's broken
    ``http://[::1…`` as it was, which ``urlsplit`` refuses: shown as text, never a crash of the report)."""
    try:
        return isinstance(url, str) and bool(url) and urlsplit(url).scheme in ("http", "https")
    except ValueError:
        return False


def _num(value: float | None, spec: str = "g") -> str:
    return "–" if value is None else format(value, spec)


def _clip(value: object, length: int) -> str:
    """The first ``length`` characters of ``value`` as text (a timestamp without seconds or zone)."""
    return "" if value is None else str(value)[:length]


def _blank_none(value: object) -> object:
    return "" if value is None else value


TEMPLATES = Environment(
    loader=PackageLoader("pressroom.flows", "templates"),
    # On for every template whatever its name (``select_autoescape`` would miss ``.html.j2``).
    autoescape=True,
    undefined=StrictUndefined,
    finalize=_blank_none,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
TEMPLATES.filters.update(num=_num, clip=_clip, spec=format)
TEMPLATES.tests["web_url"] = _web_url
#: Where `pressroom review` serves by default; ``PRESSROOM_REVIEW_URL`` names another address (issue 13).
REVIEW_ADDRESS = "http://127.0.0.1:8766"


def review_url(release_id: str) -> str:
    """The review app's page of a held release (run `pressroom review` to serve it)."""
    return f"{os.environ.get('PRESSROOM_REVIEW_URL', REVIEW_ADDRESS).rstrip('/')}/release/{quote(release_id, safe='')}"


TEMPLATES.globals.update(health_class=_HEALTH_CLASS, counts=list(COUNTS), source_counts=list(SOURCE_COUNTS),
                         review_url=review_url)


def render(template: str, /, **values: Any) -> str:
    """``template`` (a file of ``flows/templates/``) rendered with ``values``; every value is escaped
    unless it is :class:`markupsafe.Markup` (the output of another template)."""
    return TEMPLATES.get_template(template).render(**values)


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of a field's text; with a ``severity``, a defect to highlight, ``tip`` saying which."""

    text: str
    severity: str | None = None
    tip: str = ""


def highlight(text: str, spans: Sequence[tuple[int, int, str, str]]) -> list[Piece]:
    """``text`` cut at every boundary of the ``(start, end, severity, message)`` spans. Overlapping spans
    are cut at every boundary; the most severe one colours a piece, and its tip lists every message."""
    cuts = sorted({0, len(text), *(max(0, min(len(text), s)) for s, _, _, _ in spans),
                   *(max(0, min(len(text), e)) for _, e, _, _ in spans)})
    pieces: list[Piece] = []
    for left, right in pairwise(cuts):
        covering = [span for span in spans if span[0] <= left and right <= span[1] and span[0] < span[1]]
        if covering:
            worst = min(covering, key=lambda span: _RANK.get(span[2], 3))[2]
            pieces.append(Piece(text[left:right], worst, " · ".join(dict.fromkeys(span[3] for span in covering))))
        else:
            pieces.append(Piece(text[left:right]))
    return pieces


def write_report(warehouse: Warehouse, out: Path, *, run_id: str | None = None) -> Path:
    """Write the index, the page of ``run_id`` (default: the latest run) and the pages of the releases
    it shows; return the path of that run page."""
    with warehouse.reader() as con:
        runs = queries.recent_runs(con)
        if not runs:
            raise ValueError("no runs in the warehouse yet")
        run = next((r for r in runs if r.run_id == run_id), None) if run_id else runs[0]
        if run is None:
            raise ValueError(f"no run {run_id!r} in the warehouse")
        ids = [s["source_id"] for s in run.sources] or queries.state_source_ids(con)
        held = queries.held_releases(con, ids)
        findings = queries.current_findings(con, [h.release_id for h in held])
        failures = queries.open_failures(con, ids)
        lifecycle = queries.lifecycle(con, run_id=run.run_id, source_ids=ids)
        health = health_for_run(con, run.run_id)
        current_health = queries.current_health(con)
        check_counts = queries.check_counts(con, ids)
    by_release: dict[str, list[queries.FindingRow]] = {}
    for finding in findings:
        by_release.setdefault(finding.release_id, []).append(finding)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "releases").mkdir(parents=True, exist_ok=True)
    for release in held:
        _write(out / "releases" / f"{release.release_id}.html",
               render_release(release, by_release.get(release.release_id, [])))
    run_path = out / "runs" / f"{run.run_id}.html"
    _write(run_path, render_run(run, held, by_release, failures, check_counts, gx=gx_links(run, run_path),
                                health=health, lifecycle=lifecycle_sections(lifecycle)))
    # Last, so it links only run pages that exist: a run interrupted before its report has none.
    written = {page.stem for page in (out / "runs").glob("*.html")}
    _write(out / "index.html", render_index(runs, health=current_health, pages=written))
    return run_path


@dataclass(frozen=True, slots=True)
class GxLinks:
    """The run's Great Expectations files, as ``(label, href relative to the run page)``: ``recorded``
    says whether the run wrote any, ``links`` those still on disk."""

    recorded: bool
    links: list[tuple[str, str]]
    warnings: list[str]


def gx_links(run: queries.RunRow, page_path: Path) -> GxLinks:
    """The run's Great Expectations results and Data Docs, linked relative to ``page_path``."""
    links = []
    for label, target in (("validation results (JSON)", run.gx_results),
                          ("source-health results (JSON)", run.health_gx_results),
                          ("Data Docs", run.gx_docs)):
        if target and Path(target).exists():
            relative = Path(os.path.relpath(Path(target).resolve(), page_path.parent.resolve())).as_posix()
            links.append((label, relative))
    return GxLinks(recorded=bool(run.gx_results or run.health_gx_results), links=links, warnings=run.gx_warnings)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


@dataclass(frozen=True, slots=True)
class Line:
    """One source's held share over its last runs, as SVG points."""

    source_id: str
    colour: str
    points: list[tuple[float, float]]
    latest: float


@dataclass(frozen=True, slots=True)
class Chart:
    series: list[Line]
    top: float
    last: int
    width: int = 640
    height: int = 180
    pad: int = 30


def held_share_chart(runs: Sequence[queries.RunRow], *, last: int = 30) -> Chart:
    """The share of each source's releases held back, over its last ``last`` runs (oldest first)."""
    series: dict[str, list[float]] = {}
    for run in reversed(runs):
        for source in run.sources:
            total = source.get("total") or 0
            if total:
                series.setdefault(source["source_id"], []).append(float(source.get("held", 0)) / total)
    series = {k: v[-last:] for k, v in sorted(series.items()) if v}
    top = max(0.1, max((max(v) for v in series.values()), default=0.0))
    chart = Chart(series=[], top=top, last=last)
    step = (chart.width - 2 * chart.pad) / max(1, last - 1)
    span = chart.height - 2 * chart.pad
    for index, (source_id, values) in enumerate(series.items()):
        points = [(chart.pad + i * step, chart.height - chart.pad - (v / top) * span) for i, v in enumerate(values)]
        chart.series.append(Line(source_id, PALETTE[index % len(PALETTE)], points, values[-1]))
    return chart


def render_index(
    runs: Sequence[queries.RunRow], *, health: Sequence[SourceHealth] = (), pages: Collection[str] | None = None
) -> str:
    """The list of runs; with ``pages`` (ids of the runs whose page was written) only those are links."""
    return render("index.html.j2", title="pressroom runs", depth=0, runs=runs, health=health, pages=pages,
                  held_chart=held_share_chart(runs))


def render_run(
    run: queries.RunRow,
    held: Sequence[queries.HeldRelease],
    by_release: dict[str, list[queries.FindingRow]],
    failures: Sequence[queries.OpenFailure],
    check_counts: Sequence[queries.CheckCount],
    *,
    gx: GxLinks,
    health: Sequence[SourceHealth] = (),
    lifecycle: str = "",
) -> str:
    rows = []
    for release in held:
        excerpts = {f.check_id: f.excerpt for f in by_release.get(release.release_id, []) if f.severity == "error"}
        reasons = [f"{check}: “{excerpts[check]}”" if check in excerpts else check for check in release.open_checks]
        rows.append({"release": release, "reasons": reasons})
    return render("run.html.j2", title=f"Run {run.run_id}", depth=1, run=run, held=rows, failures=failures,
                  check_counts=check_counts, gx=gx, health=health, lifecycle=Markup(lifecycle))


def render_release(release: queries.HeldRelease, findings: Sequence[queries.FindingRow]) -> str:
    def spans(field: str) -> list[tuple[int, int, str, str]]:
        return [(f.span_start, f.span_end, f.severity, f"{f.check_id}: {f.message}") for f in findings
                if f.field == field]

    return render("release.html.j2", title=release.title or release.release_id, depth=1, release=release,
                  findings=findings, title_pieces=highlight(release.title or "", spans("title")),
                  body=highlight(release.body_text or "", spans("body")))


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
