"""Shared helpers for flow tests: run the CLI in-process and count the warehouse's tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from pressroom.flows.cli import app


def cli(*args: str) -> tuple[int, str]:
    """Run ``pressroom ARGS`` in-process; return the exit code and everything printed."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def rows(warehouse: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


FAST_HTTP = "\n[http]\nmax_attempts = 2\nbackoff = 0.01\n"


def fast_sources(path: Path) -> Path:
    """Make a rendered demo sources file retry quickly (tests of failing sites)."""
    path.write_text(path.read_text(encoding="utf-8") + FAST_HTTP, encoding="utf-8")
    return path
