"""The report's sections on pages that are not (or no longer) releases: what a run skipped and why,
failures retired after answering 404/410 for ``retire_after`` runs, and withdrawn releases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

#: Rows shown per section; the warehouse keeps them all.
LIMIT = 200


def lifecycle_sections(con: duckdb.DuckDBPyConnection, *, run_id: str, source_ids: Sequence[str]) -> str:
    from pressroom.flows.report import esc, link

    ids = list(source_ids)
    skipped = con.execute(
        "SELECT source_id, url, reason, detail FROM skipped_pages WHERE last_run_id = ?"
        " ORDER BY source_id, reason, url LIMIT ?", [run_id, LIMIT]).fetchall()
    retired = con.execute(
        "SELECT source_id, url, reason, gone_runs, retired_at, detail FROM fetch_failures"
        " WHERE retired_at IS NOT NULL AND resolved_at IS NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY retired_at DESC, url LIMIT ?", [ids, LIMIT]).fetchall()
    withdrawn = con.execute(
        "SELECT source_id, url, title, withdrawn_at, withdrawn_reason FROM releases"
        " WHERE withdrawn_at IS NOT NULL AND source_id IN (SELECT unnest(?::VARCHAR[]))"
        " ORDER BY withdrawn_at DESC, url LIMIT ?", [ids, LIMIT]).fetchall()

    def table(head: tuple[str, ...], rows: list[tuple[Any, ...]], cells: Any) -> str:
        if not rows:
            return "<p class=\"muted\">None.</p>"
        header = "".join(f"<th>{name}</th>" for name in head)
        return f"<table><tr>{header}</tr>" + "".join(f"<tr>{cells(row)}</tr>" for row in rows) + "</table>"

    parts = [
        f"<h2>Skipped by this run ({len(skipped)})</h2>"
        "<p class=\"muted\">Links seen and deliberately not loaded; never retried, never a failure.</p>",
        table(("source", "url", "reason", "detail"), skipped,
              lambda r: f"<td>{esc(r[0])}</td><td>{link(r[1])}</td><td>{esc(r[2])}</td><td>{esc(r[3] or '')}</td>"),
        f"<h2>Retired failures ({len(retired)})</h2>"
        "<p class=\"muted\">Pages that answered 404/410 run after run: kept, no longer retried.</p>",
        table(("source", "url", "reason", "runs", "retired", "detail"), retired,
              lambda r: f"<td>{esc(r[0])}</td><td>{link(r[1])}</td><td>{esc(r[2])}</td>"
                        f"<td class=\"n\">{esc(r[3])}</td><td>{esc(str(r[4])[:16])}</td><td>{esc(r[5] or '')}</td>"),
        f"<h2>Withdrawn releases ({len(withdrawn)})</h2>"
        "<p class=\"muted\">Kept as they were loaded (and published); the exports carry <code>withdrawn_at</code>.</p>",
        table(("source", "release", "withdrawn", "why"), withdrawn,
              lambda r: f"<td>{esc(r[0])}</td><td>{link(r[1], r[2] or r[1])}</td><td>{esc(str(r[3])[:16])}</td>"
                        f"<td>{esc(r[4] or '')}</td>"),
    ]
    return "".join(parts)
