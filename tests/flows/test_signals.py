"""SIGTERM and SIGKILL of a real ``pressroom run``, SIGINT of a real ``pressroom backfill`` (a subprocess,
with its own ephemeral Prefect server) caught mid-run, then a rerun that must end where an uninterrupted
run ends.

The demo mirror holds one detail page (the 8th fetched from Valdoria; batches of 3 pages) until the
test says so: the run is then certainly waiting on that fetch, batches 1–2 committed and batch 3 not,
when the signal lands. After SIGTERM/SIGINT the test releases the page: batch 3 finishes (its load and
its check) and the run stops before batch 4. After SIGKILL nothing more happens.

Each test: exit code 143 / 130 / -9; the run recorded ``interrupted`` (after SIGKILL: once the next
process opens the warehouse); no process of ours left (the uvicorn child found while the run was
alive is gone, its port free); the report links only pages that exist; and a rerun (in-process)
ends with the same releases, versions, findings and published set as an uninterrupted run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pressroom.infra.demo.server import DemoMirror
from pressroom.warehouse import Warehouse
from tests.flows.helpers import cli, rows

pytestmark = [pytest.mark.slow]

SITE, SOURCE = "valdoria", "xa-mfa"
BATCH = "\n[pipeline]\nbatch_size = 3\n"
HELD_INDEX = 7  # the 8th detail page: batches 1 and 2 are in, batch 3 waits on it


@dataclass(frozen=True)
class Baseline:
    data: Path
    mirror: DemoMirror
    sources: Path
    held_path: str
    outcome: dict[str, object]


def outcome(warehouse: Path) -> dict[str, object]:
    """What a run must end with, whatever interrupted it on the way."""
    return {
        "releases": rows(warehouse, "SELECT release_id, version, content_hash FROM releases ORDER BY 1"),
        "versions": rows(warehouse, "SELECT release_id, version, content_hash FROM release_versions ORDER BY 1, 2"),
        "findings": rows(warehouse, "SELECT release_id, check_id, field, span_start, span_end, content_hash"
                                    " FROM dq_findings ORDER BY ALL"),
        "checked": rows(warehouse, "SELECT release_id, content_hash, passed FROM dq_runs ORDER BY 1"),
        "published": rows(warehouse, "SELECT release_id, version, content_hash FROM published_releases ORDER BY 1"),
    }


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PREFECT_HOME for the module's runs, one after the other: its database is migrated once
    (a fresh ephemeral server spends about half its start-up on that)."""
    return tmp_path_factory.mktemp("prefect-home")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Baseline]:
    root = tmp_path_factory.mktemp("signals")
    with DemoMirror() as mirror:
        sources = mirror.write_sources(root / "sources.toml")
        sources.write_text(sources.read_text(encoding="utf-8") + BATCH, encoding="utf-8")
        code, output = cli("--data-dir", str(root / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        details = {urlsplit(mirror.release_url(SITE, r.slug)).path for r in mirror.site(SITE).releases}
        fetched = [path for path in mirror.requests(SITE) if urlsplit(path).path in details]
        assert len(fetched) == len(details) > HELD_INDEX + 3
        yield Baseline(root / "data", mirror, sources, fetched[HELD_INDEX], outcome(root / "data" / "pressroom.duckdb"))


def start(args: list[str], home: Path, log: Path) -> subprocess.Popen[bytes]:
    """``pressroom ARGS`` with its own Prefect home; output to ``log`` (a file, not a pipe: a server
    child that outlived it would hold a pipe open)."""
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"}
    env.pop("PREFECT_API_URL", None)
    with log.open("wb") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "pressroom"), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


@dataclass(frozen=True)
class Child:
    pid: int
    cmdline: str

    @property
    def port(self) -> int:
        match = re.search(r"--port (\d+)", self.cmdline)
        assert match, self.cmdline
        return int(match.group(1))


def children(parent: int) -> list[Child]:
    """Processes whose parent is ``parent`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
            found.append(Child(int(entry.name), cmdline.strip()))
    return found


def servers_with_home(home: Path) -> list[int]:
    """Live uvicorn/Prefect server processes whose environment names this test's PREFECT_HOME."""
    needle = f"PREFECT_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"uvicorn" in cmdline and needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` (connections of the dead server in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(condition())  # type: ignore[operator]


def links_resolve(reports: Path) -> list[str]:
    """Relative links of the report's pages that point at a file that is not there."""
    missing = []
    for page in reports.rglob("*.html"):
        if "gx-docs" in page.parts:
            continue
        for href in re.findall(r'href="([^"#?]+)', page.read_text(encoding="utf-8")):
            if href.startswith(("http://", "https://")):
                continue
            if not (page.parent / href).exists():
                missing.append(f"{page.relative_to(reports)} → {href}")
    return missing


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_a_signal_mid_run_leaves_nothing_behind_and_a_rerun_ends_equal(
    baseline: Baseline, prefect_home: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    data = tmp_path / "data"
    warehouse = data / "pressroom.duckdb"
    args = ["--data-dir", str(data), "--sources", str(baseline.sources)]
    command = rerun_command = ["run"]
    if signum == signal.SIGINT:  # a backfill over every demo date, for once
        dates = [r.date for site in baseline.mirror.sites.values() for r in site.releases]
        command = rerun_command = ["backfill", "-s", "xa-mfa", "-s", "xb-mea", "--from", str(min(dates)),
                                   "--to", str(max(dates))]
    if signum == signal.SIGKILL:
        # The held source only: it is certainly waiting on a fetch when killed. A source running beside it
        # may be killed between its load and its check; the next run's check queue then checks those
        # releases against another corpus (boilerplate, near-duplicates) than an uninterrupted run did.
        command = ["run", "--source", SOURCE]
    hold = baseline.mirror.hold(SITE, baseline.held_path)
    home = prefect_home
    log = tmp_path / "pressroom.log"
    process = start([*args, *command], home, log)
    try:
        assert hold.arrived.wait(150), log.read_text(errors="replace")[-3000:]
        (server,) = [c for c in children(process.pid) if "uvicorn" in c.cmdline]
        assert servers_with_home(home) == [server.pid]
        assert not port_free(server.port)
        process.send_signal(signum)
        if signum == signal.SIGKILL:
            process.wait(timeout=30)
        hold.release.set()
        process.wait(timeout=120)
        output = log.read_text(errors="replace")
        expected_code = -signal.SIGKILL if signum == signal.SIGKILL else 128 + signum
        assert process.returncode == expected_code, output[-3000:]
        assert wait_until(lambda: gone(server.pid), 20), f"the Prefect server {server} outlived pressroom"
        assert servers_with_home(home) == []
        assert wait_until(lambda: port_free(server.port), 10)
    finally:
        hold.release.set()
        if process.poll() is None:
            process.kill()
            process.wait()
        for leftover in servers_with_home(home):  # a failed test leaves nothing running either
            os.kill(leftover, signal.SIGKILL)

    (run_id, status), = rows(warehouse, "SELECT run_id, status FROM runs")
    if signum == signal.SIGKILL:
        assert status == "running"  # nobody could say otherwise yet
        code, output = cli(*args, "report")  # a reader cannot record it, but shows it as it is
        assert code == 0, output
        assert re.search(rf'runs/{run_id}\.html">{run_id}</a></td><td>nightly</td><td>[^<]*</td>'
                         r'<td class="interrupted">interrupted</td>',
                         (data / "reports" / "index.html").read_text(encoding="utf-8"))
        assert rows(warehouse, "SELECT status FROM runs") == [("running",)]
        Warehouse(warehouse).ensure_schema()  # the next process to open it for writing
        # Batch 3 was still fetching (ahead of the batch being loaded or checked, or waited for): batch 1
        # or 2 was the last one loaded; the last may have been killed between its load and its check.
        expected = {1 * 3, 2 * 3}
    else:
        assert f"stopped by {signum.name}" in output and f"run {run_id} recorded as interrupted" in output, output
        # Batch 3 is fetched ahead while batch 2 loads and checks: a signal that comes then stops after
        # batch 2 (batch 3 is dropped, unwritten); one that comes while batch 3 is waited for, after it.
        expected = {2 * 3, 3 * 3}
    assert rows(warehouse, "SELECT status, finished_at IS NOT NULL FROM runs") == [("interrupted", True)]
    ((loaded,),) = rows(warehouse, "SELECT count(*) FROM releases WHERE source_id = ?", SOURCE)
    assert loaded in expected  # whole batches: a batch's pages are loaded in one transaction
    ((checked,),) = rows(warehouse, "SELECT count(*) FROM releases r JOIN dq_runs d USING (release_id, content_hash)"
                                    " WHERE r.source_id = ?", SOURCE)
    if signum == signal.SIGKILL:
        assert checked in {loaded, loaded - 3}  # the next run's check queue takes a batch killed unchecked
    else:
        assert checked == loaded  # each loaded batch was checked before the run stopped
    assert rows(warehouse, "SELECT count(*) FROM published_releases") == [(0,)]

    code, rerun = cli(*args, *rerun_command)
    assert code == 0, rerun
    assert outcome(warehouse) == baseline.outcome
    assert rows(warehouse, "SELECT flow, status FROM runs ORDER BY started_at") == [
        (command[0].replace("run", "nightly"), "interrupted"), (command[0].replace("run", "nightly"), "completed")]
    index = (data / "reports" / "index.html").read_text(encoding="utf-8")
    if signum != signal.SIGKILL:  # its page was never written (after SIGKILL the report above wrote it)
        assert f"runs/{run_id}.html" not in index and f"{run_id} <span" in index
    assert links_resolve(data / "reports") == []


def test_sigterm_stops_a_maintenance_command_before_it_publishes(
    baseline: Baseline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``recheck --all`` (in-process, no Prefect) gets a real SIGTERM while it checks: it stops at the
    next safe point, before publishing, records its run as interrupted and exits 143."""
    from pressroom.flows import pipeline

    data = tmp_path / "data"
    shutil.copytree(baseline.data, data, ignore=shutil.ignore_patterns("prefect"))
    warehouse = data / "pressroom.duckdb"
    check = pipeline.check

    def check_then_signal(*args: object, **kwargs: object) -> object:
        os.kill(os.getpid(), signal.SIGTERM)
        return check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "check", check_then_signal)
    published = rows(warehouse, "SELECT count(*) FROM published_releases")
    before = signal.getsignal(signal.SIGTERM)
    code, output = cli("--data-dir", str(data), "--sources", str(baseline.sources), "recheck", "--all")
    assert code == 128 + signal.SIGTERM, output
    assert "stopped by SIGTERM" in output and "recorded as interrupted" in output, output
    assert rows(warehouse, "SELECT flow, status, finished_at IS NOT NULL FROM runs WHERE flow = 'recheck'") == [
        ("recheck", "interrupted", True)]
    assert rows(warehouse, "SELECT count(*) FROM published_releases") == published
    assert signal.getsignal(signal.SIGTERM) is before  # the handlers are put back


def test_a_second_signal_exits_at_once(tmp_path: Path) -> None:
    script = (
        "import os, signal, time\n"
        "from pressroom.flows import interrupts\n"
        "with interrupts.handling_signals():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    assert interrupts.requested() == signal.SIGINT\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 130, done.stderr
