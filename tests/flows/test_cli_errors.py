"""Bad input gets exit 2 and one line naming the key or value at fault; the warehouse is left as it was."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from pressroom.warehouse import Warehouse
from tests.flows.helpers import cli

GOOD = """
[[sources]]
id = "xa-mfa"
name = "Ministry"
country = "XA"
language = "en"
timezone = "Asia/Karachi"
kind = "html"
url = "http://127.0.0.1:9/press-releases/"
enabled = true
min_interval = 0.0
item = "article"
body = "div.body"
"""


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "pressroom.duckdb"
    Warehouse(path).ensure_schema()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("sources", "args", "expected"),
    [
        (GOOD.replace('kind = "html"', 'kind = "gopher"'), ["run"], "unknown kind 'gopher'"),
        (GOOD.replace('url = "http://127.0.0.1:9/press-releases/"', ""), ["run"], "missing key 'url'"),
        (GOOD, ["backfill", "-s", "xa-mfa", "--from", "2024-05-02", "--to", "2024-05-01"],
         "--from 2024-05-02 is after"),
        (GOOD, ["backfill", "-s", "xa-mfa", "--from", "2024-13-01", "--to", "2024-05-01"], "--from: '2024-13-01'"),
        (GOOD, ["backfill", "-s", "xa-mfa", "--from", "yesterday", "--to", "2024-05-01"], "--from: 'yesterday'"),
        (GOOD, ["run", "--source", "nope"], "unknown source 'nope'"),
        (GOOD, ["backfill", "-s", "nope", "--from", "2024-05-01", "--to", "2024-05-01"], "unknown source 'nope'"),
    ],
)
def test_bad_configuration_exits_2_and_writes_nothing(
    tmp_path: Path, warehouse: Path, sources: str, args: list[str], expected: str
) -> None:
    file = tmp_path / "sources.toml"
    file.write_text(sources, encoding="utf-8")
    before = digest(warehouse)
    listing = sorted(p.name for p in warehouse.parent.iterdir())
    code, output = cli("--data-dir", str(warehouse.parent), "--sources", str(file), *args)
    assert code == 2, output
    assert expected in output
    assert len([line for line in output.splitlines() if line.strip()]) == 1
    assert digest(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == listing  # no prefect home, no reports


def test_missing_sources_file_exits_2(tmp_path: Path) -> None:
    code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(tmp_path / "nope.toml"), "run")
    assert code == 2 and "cannot read sources file" in output
    assert not (tmp_path / "data").exists()


def test_usage_errors_exit_2() -> None:
    assert cli("backfill", "--from", "2024-01-01")[0] == 2
    assert cli("frobnicate")[0] == 2


def test_console_script_is_installed() -> None:
    result = subprocess.run([Path(sys.executable).parent / "pressroom", "--help"], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0
    for command in ("run", "backfill", "demo", "sources"):
        assert command in result.stdout
