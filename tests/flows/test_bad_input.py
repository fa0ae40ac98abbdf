"""Bad input gets the documented one-line error (exit 2) from every command, never a traceback, and
nothing is written: a sources file that is not UTF-8 or has no source, a warehouse path holding a file
that is not DuckDB, a truncated copy or another application's DuckDB database, a read-only data
directory. ``doctor`` reports each as a ``fail`` finding (exit 2).

The matrix runs the real CLI in-process (typer's CliRunner, exceptions not caught, so a traceback fails
the test); one case per input runs the installed console script as a subprocess and checks standard
error is exactly the one line. The read-only directory is made read-only for root too: in-process with
``chattr +i`` (the kernel refuses to create, change or delete anything in an immutable directory, even
for root), and in a subprocess with a read-only bind mount in a private mount namespace (``unshare -m``);
each is skipped, saying why, where the machine does not allow it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pressroom.warehouse import Warehouse
from tests.flows.helpers import cli
from tests.flows.test_cli_errors import GOOD

PRESSROOM = Path(sys.executable).parent / "pressroom"

#: Every command of ``pressroom --help`` but ``check`` (which reads only the files it is given), with
#: arguments that would make it work on good input.
COMMANDS: dict[str, list[str]] = {
    "run": ["run"],
    "backfill": ["backfill", "-s", "xa-mfa", "--from", "2024-05-01", "--to", "2024-05-01"],
    "demo": ["demo"],
    "sources": ["sources"],
    "reparse": ["reparse"],
    "recheck": ["recheck"],
    "publish": ["publish"],
    "waive": ["waive", "0123456789abcdef0123", "--check", "duplicated-phrase", "--reason", "r", "--by", "t"],
    "held": ["held"],
    "report": ["report"],
    "serve": ["serve"],
    "vacuum": ["vacuum"],
    "doctor": ["doctor", "--timeout", "0.2"],
}
#: The message each bad input gets (``{sources}``, ``{warehouse}``, ``{data}`` filled in per test).
MESSAGES = {
    "sources-not-utf8": "pressroom: {sources}: not UTF-8 (byte 0xe8 on line 4); save the sources file as UTF-8",
    "sources-empty": "pressroom: {sources}: no sources configured (add a [[sources]] table per ministry)",
    "warehouse-not-duckdb": ("pressroom: warehouse {warehouse} is not a DuckDB database file; "
                             "pass --warehouse with pressroom's own file"),
    "warehouse-truncated": "pressroom: warehouse {warehouse} is truncated: ",
    "warehouse-foreign": ("pressroom: warehouse {warehouse} is a DuckDB database of another application "
                          "(tables invoices; no schema_migrations): pressroom will not write into it; "
                          "pass --warehouse with pressroom's own file"),
}
SOURCES_INPUTS = ("sources-not-utf8", "sources-empty")
WAREHOUSE_INPUTS = ("warehouse-not-duckdb", "warehouse-truncated", "warehouse-foreign")


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("real") / "pressroom.duckdb"
    Warehouse(path).ensure_schema()
    return path.read_bytes()


def make_input(kind: str, root: Path, real: bytes) -> tuple[Path, Path]:
    """``(data dir, sources file)`` with the bad input ``kind`` in place (the rest good)."""
    data, sources = root / "data", root / "sources.toml"
    data.mkdir()
    sources.write_text(GOOD, encoding="utf-8")
    warehouse = data / "pressroom.duckdb"
    warehouse.write_bytes(real)
    if kind == "sources-not-utf8":
        sources.write_bytes(GOOD.replace('"Ministry"', '"Minist\u00e8re"').encode("latin-1"))
    elif kind == "sources-empty":
        sources.write_text("", encoding="utf-8")
    elif kind == "warehouse-not-duckdb":
        warehouse.write_text("release_id,title\n1,Hello\n" * 50, encoding="utf-8")
    elif kind == "warehouse-truncated":
        warehouse.write_bytes(real[: len(real) // 2])
    elif kind == "warehouse-foreign":
        warehouse.unlink()
        with duckdb.connect(str(warehouse)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER, amount DOUBLE)")
    return data, sources


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.fixture(autouse=True)
def no_serving(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` must stop before serving; if it did not, fail rather than block the test run."""
    def refuse(**_: object) -> None:
        raise AssertionError("serve started serving despite bad input")

    monkeypatch.setattr("pressroom.flows.serve.serve_deployments", refuse)


def expected_message(kind: str, data: Path, sources: Path) -> str:
    return MESSAGES[kind].format(sources=sources, warehouse=data / "pressroom.duckdb", data=data)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", [*SOURCES_INPUTS, *WAREHOUSE_INPUTS])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, real_warehouse: bytes, kind: str, command: str) -> None:
    if kind in SOURCES_INPUTS and command == "demo":
        pytest.skip("demo writes and uses its own sources file; --sources does not apply")
    data, sources = make_input(kind, tmp_path, real_warehouse)
    before = snapshot(tmp_path)
    code, output = cli("--data-dir", str(data), "--sources", str(sources), "--lock-timeout", "2", *COMMANDS[command])
    message = expected_message(kind, data, sources)
    assert code == 2, output
    if command == "doctor":  # the finding in doctor's table (rich wraps it), with status fail
        flat = " ".join(output.replace("│", " ").split())
        assert "fail" in flat and " ".join(message.removeprefix("pressroom: ").split()[:6]) in flat, output
    else:
        lines = [line for line in output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(message), output
    after = snapshot(tmp_path)
    assert after == before, "bad input changed the data directory"


#: Under a read-only data directory: commands that write there (or write the warehouse in it) exit 2
#: naming it; those that only read work; doctor reports it.
READ_ONLY_EXPECTED = {command: 2 for command in COMMANDS} | {"held": 0, "sources": 0}


@pytest.fixture()
def immutable(tmp_path: Path, real_warehouse: bytes) -> Iterator[Path]:
    """A data directory (with a warehouse) that root cannot write: ``chattr +i`` on it and its files."""
    data, _ = make_input("good", tmp_path, real_warehouse)
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not installed, so a directory cannot be made read-only for root here")
    paths = [data, *data.iterdir()]
    done = subprocess.run([chattr, "+i", *map(str, paths)], capture_output=True, text=True, check=False)
    try:
        if done.returncode != 0:
            pytest.skip(f"chattr +i refused ({done.stderr.strip()}): the file system or the user cannot "
                        "make a directory immutable")
        try:
            (data / "probe").touch()
        except PermissionError:
            pass
        else:
            pytest.skip("an immutable directory still accepted a new file here")
        yield data
    finally:
        subprocess.run([chattr, "-i", *map(str, paths)], capture_output=True, check=False)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_read_only_data_directory(immutable: Path, tmp_path: Path, command: str) -> None:
    sources = tmp_path / "sources.toml"
    before = snapshot(immutable)
    code, output = cli("--data-dir", str(immutable), "--sources", str(sources), "--lock-timeout", "2",
                       *COMMANDS[command])
    assert code == READ_ONLY_EXPECTED[command], output
    flat = " ".join(output.replace("│", " ").split())
    if command == "doctor":
        assert f"data directory fail {immutable} is not writable" in flat, output
    elif code == 2:
        lines = [line for line in output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"pressroom: `{command}` writes"), output
        assert f"which cannot be written: {immutable} is not writable" in flat
    assert snapshot(immutable) == before


def test_read_only_data_directory_does_not_stop_check(immutable: Path, tmp_path: Path) -> None:
    text = tmp_path / "release.txt"
    text.write_text("The minister met the delegation from the neighbouring republic on Tuesday afternoon.\n",
                    encoding="utf-8")
    assert cli("--data-dir", str(immutable), "check", str(text)) == (0, cli("check", str(text))[1])


def run_script(*args: str, read_only: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``pressroom`` in a subprocess; with ``read_only``, inside a private mount namespace
    where that directory is a read-only bind mount of itself."""
    command = [str(PRESSROOM), *args]
    if read_only is not None:
        script = (f'mount --bind "{read_only}" "{read_only}" && mount -o remount,bind,ro "{read_only}" '
                  '&& exec "$@"')
        command = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("kind", [*SOURCES_INPUTS, *WAREHOUSE_INPUTS])
def test_console_script_prints_one_line_and_no_traceback(tmp_path: Path, real_warehouse: bytes, kind: str) -> None:
    data, sources = make_input(kind, tmp_path, real_warehouse)
    result = run_script("--data-dir", str(data), "--sources", str(sources), "run")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(expected_message(kind, data, sources))
    assert result.stdout == ""


def _read_only_mounts() -> str | None:
    """Why a read-only bind mount cannot be made here, or None."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount --bind / /mnt && mount -o remount,bind,ro /mnt"],
                           capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"no private read-only mounts ({probe.stderr.strip()})"


@pytest.mark.skipif(_read_only_mounts() is not None, reason=str(_read_only_mounts()))
@pytest.mark.parametrize(("command", "code"), [("run", 2), ("report", 2), ("publish", 2), ("held", 0), ("doctor", 2)])
def test_read_only_mount(tmp_path: Path, real_warehouse: bytes, command: str, code: int) -> None:
    data, sources = make_input("good", tmp_path, real_warehouse)
    before = snapshot(data)
    result = run_script("--data-dir", str(data), "--sources", str(sources), *COMMANDS[command], read_only=data)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if command == "doctor":
        assert f"{data} is on a read-only file system" in " ".join(result.stdout.replace("│", " ").split())
    elif code == 2:
        assert result.stderr == (f"pressroom: `{command}` writes to data directory {data}, which cannot be "
                                 f"written: {data} is on a read-only file system\n")
    assert snapshot(data) == before
