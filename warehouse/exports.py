"""Exports of what is published: Parquet partitions and one JSON Lines file per run.

Layout under the export root (default ``<data dir>/published``)::

    source=<id>/date=<YYYY-MM-DD>/part-0.parquet   every published release of that source and day
    runs/<run_id>.jsonl                             the releases a run published (only when it did)

Columns are ``published_releases``' own plus ``withdrawn_at`` (from ``releases``; NULL unless the release
was withdrawn: a withdrawn release stays published, marked) and ``repaired``, ``parent_version``,
``parent_hash`` (from ``release_reviews``: whether a person made the published version, and from which).
A partition is rewritten only when its content changed (a withdrawal included), and removed when
nothing in it is published any more (every release in it was retracted): each holds a ``_fingerprint``
file (count and a hash of its releases' content hashes and withdrawals), so exporting unchanged content
writes nothing. Files are written to a temporary name and renamed, so a crash leaves either the old file
or the new one. The day is the release's ``published_at`` in UTC.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = ("release_id, source_id, url, title, published_at, body_text, language, content_hash, version,"
           " published_run_id, published_at_utc, waived_checks, withdrawn_at, repaired, parent_version, parent_hash")
#: ``published_releases`` with each release's ``withdrawn_at`` (NULL unless withdrawn; issue 15): a withdrawn
#: release stays published and exported, marked; and whether the published version was made by a person
#: (issue 13: ``repaired``, with the version it was made from, ``parent_version``/``parent_hash``; both NULL
#: for the ministry's own text).
PUBLISHED = ("(SELECT p.*, r.withdrawn_at, v.release_id IS NOT NULL AS repaired, v.parent_version, v.parent_hash"
             " FROM published_releases p LEFT JOIN releases r ON r.release_id = p.release_id"
             " LEFT JOIN release_reviews v ON v.release_id = p.release_id AND v.version = p.version"
             " AND v.content_hash = p.content_hash)")


_DAY = "coalesce(strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%d'), 'unknown')"
"""A release's partition day: its ``published_at`` in UTC, ``unknown`` when it has none."""
#: Written into each partition's ``_fingerprint``: a partition written before ``withdrawn_at`` (columns-2) or
#: ``repaired`` (columns-3) was a column is rewritten once, so every file has the same columns.
EXPORT_SCHEMA = "columns-3"
#: Changed partitions exported per scan of ``published_releases``.
EXPORT_GROUP = 200


@dataclass(frozen=True, slots=True)
class ExportResult:
    partitions_written: int
    partitions_unchanged: int
    run_file: Path | None


def export_published(con: duckdb.DuckDBPyConnection, root: Path, *, run_id: str | None = None) -> ExportResult:
    """Bring ``root`` in line with ``published_releases``; write ``runs/<run_id>.jsonl`` when that run
    published anything."""
    partitions = con.execute(
        f"""SELECT source_id, {_DAY} AS day,
                  count(*) AS n, md5(string_agg(release_id || ':' || content_hash
                      || coalesce(':withdrawn:' || withdrawn_at::VARCHAR, ''), ',' ORDER BY release_id)) AS fp
           FROM {PUBLISHED} GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    written = unchanged = 0
    _remove_emptied(root, {(source_id, day) for source_id, day, _, _ in partitions})
    changed: list[tuple[str, str, str]] = []
    for source_id, day, count, fingerprint in partitions:
        folder = root / f"source={source_id}" / f"date={day}"
        stamp = f"{EXPORT_SCHEMA}:{count}:{fingerprint}"
        marker = folder / "_fingerprint"
        if marker.exists() and marker.read_text(encoding="utf-8") == stamp and (folder / "part-0.parquet").exists():
            unchanged += 1
        else:
            changed.append((source_id, day, stamp))
    for start in range(0, len(changed), EXPORT_GROUP):
        group = changed[start:start + EXPORT_GROUP]
        # One scan of published_releases per group of partitions, not one per partition (a long
        # backfill changes thousands of source-days): the group's rows are staged, then split.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE export_stage AS
                SELECT p.* FROM (SELECT {COLUMNS}, {_DAY} AS day FROM {PUBLISHED}) p
                JOIN (SELECT unnest($sources::VARCHAR[]) AS source_id, unnest($days::VARCHAR[]) AS day) w
                  ON w.source_id = p.source_id AND w.day = p.day""",
            {"sources": [g[0] for g in group], "days": [g[1] for g in group]},
        )
        try:
            # Read once as Arrow, sorted, and cut into the partitions with pyarrow: a `COPY` per partition
            # cost ~3.5 ms each (4,000 source-days of a 200-source backfill: 14 s), a pyarrow write ~1 ms.
            staged = con.execute(
                f"SELECT {COLUMNS}, day FROM export_stage ORDER BY source_id, day, release_id").to_arrow_table()
        finally:
            con.execute("DROP TABLE IF EXISTS export_stage")
        stamps = {(source_id, day): stamp for source_id, day, stamp in group}
        for (source_id, day), rows in _runs(staged):
            folder = root / f"source={source_id}" / f"date={day}"
            folder.mkdir(parents=True, exist_ok=True)
            temporary = folder / ".part-0.parquet.tmp"
            pq.write_table(rows.drop_columns(["day"]), temporary)
            os.replace(temporary, folder / "part-0.parquet")
            _write_atomic(folder / "_fingerprint", stamps[(source_id, day)])
            written += 1
    run_file = None
    if run_id is not None:
        run_file = _write_run_file(con, root / "runs" / f"{run_id}.jsonl", run_id=run_id)
    return ExportResult(written, unchanged, run_file)


def _runs(table: pa.Table) -> Iterator[tuple[tuple[str, str], pa.Table]]:
    """The slices of `table` (sorted by source_id and day) that share a source_id and a day."""
    keys = list(zip(table.column("source_id").to_pylist(), table.column("day").to_pylist(), strict=True))
    start = 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or keys[end] != keys[start]:
            yield keys[start], table.slice(start, end - start)
            start = end


def _remove_emptied(root: Path, live: set[tuple[str, str]]) -> None:
    """Remove the partitions whose every release was retracted: an export holds only what is published."""
    for marker in root.glob("source=*/date=*/_fingerprint"):
        folder = marker.parent
        key = (folder.parent.name.removeprefix("source="), folder.name.removeprefix("date="))
        if key in live:
            continue
        for name in ("part-0.parquet", "_fingerprint"):
            (folder / name).unlink(missing_ok=True)
        for empty in (folder, folder.parent):
            if not any(empty.iterdir()):
                empty.rmdir()


#: Releases read per query while writing a run file: a backfill's run file holds every release it
#: published, so it is written a slice at a time rather than built in memory.
RUN_FILE_SLICE = 500


def _write_run_file(con: duckdb.DuckDBPyConnection, path: Path, *, run_id: str) -> Path | None:
    """``path`` with the releases ``run_id`` published, one JSON object a line in ``release_id`` order;
    ``None`` (and nothing written) when it published none."""
    ids = [row[0] for row in con.execute(
        "SELECT release_id FROM published_releases WHERE published_run_id = ? ORDER BY release_id", [run_id]
    ).fetchall()]
    if not ids:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for start in range(0, len(ids), RUN_FILE_SLICE):
            rows = con.execute(
                f"SELECT {COLUMNS} FROM {PUBLISHED} WHERE release_id IN (SELECT unnest(?::VARCHAR[]))"
                " ORDER BY release_id",
                [ids[start:start + RUN_FILE_SLICE]],
            )
            names = [column[0] for column in rows.description]
            handle.writelines(json.dumps(dict(zip(names, row, strict=True)), default=str, ensure_ascii=False) + "\n"
                              for row in rows.fetchall())
    os.replace(temporary, path)
    return path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
