"""All SQL lives in warehouse/ (ARCHITECTURE.md, "Scale-out path"): flows/ orchestrates and passes values,
so a second warehouse backend is one seam. This test reads flows/*.py and fails on any ``.execute(`` /
``.executemany(`` / ``.sql(`` call and any string literal that reads as an SQL statement."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"

SQL_CALLS = frozenset({"execute", "executemany", "sql"})
SQL_TEXT = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(OR\s+REPLACE\s+)?(TABLE|VIEW|INDEX)|ALTER\s+TABLE|DROP\s+(TABLE|VIEW)|"
    r"(FORCE\s+)?CHECKPOINT|BEGIN\s+TRANSACTION|COMMIT|ROLLBACK)\b"
)


def sql_in(source: str) -> list[str]:
    """``line: what`` for each SQL call or SQL text in ``source`` (a Python module's text)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"{node.lineno}: {SQL_TEXT.search(node.value).group(0)[:40]!r}")  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize("path", sorted(FLOWS.rglob("*.py")), ids=lambda path: path.name)
def test_flows_hold_no_sql(path: Path) -> None:
    assert sql_in(path.read_text(encoding="utf-8")) == [], f"SQL in {path}: move it into warehouse/"


@pytest.mark.parametrize("snippet", [
    'con.execute("SELECT 1")',
    'rows = con.execute(query, [run_id]).fetchall()',
    'duckdb.sql("SELECT 1")',
    'QUERY = """\n    SELECT source_id, count(*)\n    FROM releases GROUP BY 1\n"""',
    'q = f"UPDATE runs SET report_path = {x}"',
    'q = "INSERT OR REPLACE INTO source_health SELECT * FROM incoming"',
    'q = "DELETE FROM raw_pages"',
    'q = "FORCE CHECKPOINT"',
])
def test_the_guard_sees_sql(snippet: str) -> None:
    assert sql_in(snippet)


@pytest.mark.parametrize("snippet", [
    '"""Select the sources from the file; update the watermark and delete nothing."""',
    'summary = execute("nightly", settings, sources, jobs_for, move_watermark=True)',
    'log.info("published %d releases", n)',
])
def test_the_guard_passes_prose_and_plain_calls(snippet: str) -> None:
    assert sql_in(snippet) == []
