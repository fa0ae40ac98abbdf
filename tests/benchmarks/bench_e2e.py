"""End-to-end benchmark (``make bench-e2e``): a backfill of N releases from four local sites, one per
connector kind (tests/benchmarks/e2e_mirror.py: generated from a seed, with faults), ``min_interval = 0``.

``PRESSROOM_BENCH_RELEASES`` picks N (comma-separated; default ``2000,10000``). For each N, in one run:

1. **flows**: ``pressroom backfill`` (the real CLI: Prefect flows, ephemeral server) in a subprocess
   under the stage profiler (tests/benchmarks/stage_profile.py): wall time, releases/s, peak RSS of
   the process (``wait4``; the forked check workers and the Prefect server are other processes),
   requests made against the minimum needed (from the mirror's log: every distinct path once),
   thread-seconds per stage;
2. **second run**: the same command again, nothing changed: its time against the first, its requests;
3. **direct**: the same backfill through the same pipeline functions without Prefect (e2e_run.py),
   against a fresh mirror: flows / direct is Prefect's overhead;
4. **check**: ``pressroom check`` over the same texts (the stored bodies), the ceiling the pipeline is
   compared with;
5. at the largest N (unless ``PRESSROOM_BENCH_DURABILITY=0``), **durability**: a backfill SIGKILLed
   half-way, then run again; the warehouse must end equal to the uninterrupted run's (release ids,
   versions, findings, published set).

The mirror is its own process (its CPU is not in our profile, but it shares the machine's cores with
us). Writes tests/benchmarks/results/e2e.json and prints the table.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tests.benchmarks.e2e_mirror import KINDS, NEWEST, STEP, is_listing, share, sources_toml

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "e2e.json"
ROOT = HERE.parents[1]
PRESSROOM = Path(sys.executable).with_name("pressroom")


def releases_wanted() -> list[int]:
    return [int(n) for n in os.environ.get("PRESSROOM_BENCH_RELEASES", "2000,10000").split(",") if n.strip()]


@dataclass
class Mirror:
    urls: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def lines(self) -> list[tuple[str, int, str]]:
        rows = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            kind, status, path = line.split("\t", 2)
            rows.append((kind, int(status), path))
        return rows


@contextmanager
def mirror(count: int, work: Path) -> Iterator[Mirror]:
    work.mkdir(parents=True, exist_ok=True)
    log, ready = work / "requests.log", work / "ready.json"
    for stale in (log, ready):
        stale.unlink(missing_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.e2e_mirror", "--releases", str(count),
                                "--log", str(log), "--ready", str(ready)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() or not ready.read_text():
            assert process.poll() is None and time.monotonic() < deadline, "the mirror did not start"
            time.sleep(0.1)
        yield Mirror(json.loads(ready.read_text()), log, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def window(count: int) -> tuple[str, str]:
    oldest = NEWEST - share(count, KINDS[0]) * STEP
    return (oldest.date().isoformat(), NEWEST.date().isoformat())


def env_for(work: Path) -> dict[str, str]:
    return {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)}


def measured(mode: str, args: list[str], work: Path, name: str, *, kill_after: Any = None) -> dict[str, Any]:
    """One run of e2e_run.py; ``kill_after()`` true → SIGKILL it (the durability run)."""
    profile = work / f"{name}.profile.json"
    profile.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tests.benchmarks.e2e_run", "--profile", str(profile), mode, "--", *args]
    output = work / f"{name}.out"
    start = time.perf_counter()
    with output.open("wb") as sink:
        process = subprocess.Popen(command, env=env_for(work), stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
        killed, ended = False, None
        while kill_after is not None and ended is None:  # never poll(): it would reap the child before wait4
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                ended = (status, usage)
            elif kill_after():
                process.send_signal(signal.SIGKILL)
                killed = True
                break
            else:
                time.sleep(0.2)
        status, usage = ended or os.wait4(process.pid, 0)[1:]
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    assert killed or code in (0, 3), output.read_text(errors="replace")[-3000:]
    profiled = json.loads(profile.read_text()) if profile.exists() else {}
    return {"wall_s": round(wall, 2), "exit": code, "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "stages": profiled.get("stages", {}), "cpu": profiled.get("cpu", {}),
            "orchestration": profiled.get("orchestration", {})}


def requests(rows: list[tuple[str, int, str]]) -> dict[str, int]:
    paths = [(kind, path) for kind, _, path in rows if not path.startswith("/robots.txt")]
    listing = sum(1 for kind, path in paths if is_listing(kind, path))
    return {"made": len(rows), "minimum": len(set(paths)) + len(KINDS), "listing": listing,
            "pages": len(paths) - listing}


def content(warehouse: Path) -> dict[str, Any]:
    """What the warehouse holds, as digests: release ids and versions, findings, the published set."""
    queries = {
        "releases": "SELECT release_id, version, content_hash FROM releases ORDER BY ALL",
        "versions": "SELECT release_id, version, content_hash FROM release_versions ORDER BY ALL",
        "findings": "SELECT DISTINCT release_id, content_hash, check_id, severity, field, span_start, span_end "
                    "FROM dq_findings ORDER BY ALL",
        "published": "SELECT release_id, version, content_hash FROM published_releases ORDER BY ALL",
    }
    out: dict[str, Any] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, sql in queries.items():
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error as error:
                out[name] = f"unreadable: {error}"
                continue
            out[name] = {"rows": len(rows), "sha256": hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}
    return out


def check_throughput(warehouse: Path, work: Path) -> dict[str, float]:
    texts = work / "texts"
    texts.mkdir(exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        bodies = con.execute("SELECT body_text FROM releases ORDER BY release_id").fetchall()
    files = []
    for number, (body,) in enumerate(bodies):
        path = texts / f"{number}.txt"
        path.write_text(body, encoding="utf-8")
        files.append(str(path))
    start = time.perf_counter()
    done = subprocess.run([str(PRESSROOM), "check", "--format", "json", *files], env=env_for(work),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return {"texts": len(files), "wall_s": round(wall, 2), "texts_per_s": round(len(files) / wall, 1)}


def bench(count: int, work: Path, *, durability: bool) -> dict[str, Any]:
    since, until = window(count)
    row: dict[str, Any] = {"releases": count}
    flows_dir = work / "flows"
    with mirror(count, work / "mirror-flows") as site:
        sources = flows_dir / "sources.toml"
        flows_dir.mkdir(parents=True, exist_ok=True)
        sources.write_text(sources_toml(site.urls), encoding="utf-8")
        cli = ["--data-dir", str(flows_dir / "data"), "--sources", str(sources), "backfill",
               *(f"--source=bench-{kind}" for kind in KINDS), "--from", since, "--to", until]
        first = measured("flows", cli, flows_dir, "first")
        first_rows = site.lines()
        second = measured("flows", cli, flows_dir, "second")
        second_rows = site.lines()[len(first_rows):]
    warehouse = flows_dir / "data" / "pressroom.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (loaded,) = con.execute("SELECT count(*) FROM releases").fetchone() or (0,)
    row.update(loaded=loaded, wall_s=first["wall_s"], releases_per_s=round(count / first["wall_s"], 1),
               peak_rss_mib=first["peak_rss_mib"], requests=requests(first_rows), stages=first["stages"],
               cpu=first["cpu"], orchestration=first["orchestration"],
               exit=first["exit"], content=content(warehouse))
    row["second"] = {"wall_s": second["wall_s"], "ratio": round(second["wall_s"] / first["wall_s"], 3),
                     "requests": requests(second_rows), "statuses": dict(Counter(s for _, s, _ in second_rows))}
    direct_dir = work / "direct"
    with mirror(count, work / "mirror-direct") as site:
        sources = direct_dir / "sources.toml"
        direct_dir.mkdir(parents=True, exist_ok=True)
        sources.write_text(sources_toml(site.urls), encoding="utf-8")
        direct = measured("direct", ["--data-dir", str(direct_dir / "data"), "--sources", str(sources),
                                     "--from", since, "--to", until], direct_dir, "direct")
    row["direct"] = {"wall_s": direct["wall_s"], "peak_rss_mib": direct["peak_rss_mib"], "stages": direct["stages"],
                     "cpu": direct["cpu"],
                     "flows_over_direct": round(first["wall_s"] / direct["wall_s"], 3),
                     "same_content": content(direct_dir / "data" / "pressroom.duckdb") == row["content"]}
    row["check"] = check_throughput(warehouse, work)
    row["pipeline_over_check"] = round(row["releases_per_s"] / row["check"]["texts_per_s"], 3)
    if durability:
        row["durability"] = durability_run(count, work / "durability", since, until, row)
    return row


def durability_run(count: int, work: Path, since: str, until: str, reference: dict[str, Any]) -> dict[str, Any]:
    """SIGKILL a backfill once the mirror has answered half the requests the first run needed, run the
    same command again, and compare the warehouse with the uninterrupted run's."""
    half = reference["requests"]["minimum"] // 2
    with mirror(count, work / "mirror") as site:
        sources = work / "sources.toml"
        sources.write_text(sources_toml(site.urls), encoding="utf-8")
        cli = ["--data-dir", str(work / "data"), "--sources", str(sources), "backfill",
               *(f"--source=bench-{kind}" for kind in KINDS), "--from", since, "--to", until]

        def halfway() -> bool:
            with site.log.open("rb") as handle:
                return sum(1 for _ in handle) >= half

        killed = measured("flows", cli, work, "killed", kill_after=halfway)
        loaded_at_kill = _count(work / "data" / "pressroom.duckdb")
        rerun = measured("flows", cli, work, "rerun")
    after = content(work / "data" / "pressroom.duckdb")
    return {"killed_after_s": killed["wall_s"], "exit": killed["exit"], "loaded_at_kill": loaded_at_kill,
            "rerun_wall_s": rerun["wall_s"], "content": after, "equal": after == reference["content"],
            "differs": sorted(k for k in after if after[k] != reference["content"].get(k))}


def _count(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM releases").fetchone() or (0,)
    return int(n)


def print_table(rows: list[dict[str, Any]]) -> None:
    print()
    print(f"{'N':>7} {'wall s':>8} {'rel/s':>7} {'req made/min':>14} {'RSS MiB':>8} {'flows/direct':>13} "
          f"{'2nd run':>8} {'check/s':>8} {'pipe/check':>10}")
    for r in rows:
        print(f"{r['releases']:>7} {r['wall_s']:>8.1f} {r['releases_per_s']:>7.1f} "
              f"{r['requests']['made']:>7}/{r['requests']['minimum']:<6} {r['peak_rss_mib']:>8.1f} "
              f"{r['direct']['flows_over_direct']:>13.2f} {r['second']['ratio']:>8.2f} "
              f"{r['check']['texts_per_s']:>8.1f} {r['pipeline_over_check']:>10.2f}")
    for r in rows:
        print(f"  N={r['releases']} stages (thread-s): " + ", ".join(f"{k} {v}" for k, v in r["stages"].items()))
        print(f"  N={r['releases']} CPU s by stage: " + ", ".join(f"{k} {v}" for k, v in r["cpu"].items()))
        print(f"  N={r['releases']} second run: {r['second']['requests']} statuses {r['second']['statuses']}")
        if "durability" in r:
            print(f"  N={r['releases']} durability: {r['durability']}")


def test_end_to_end_backfill(tmp_path: Path) -> None:
    counts = releases_wanted()
    rows = [bench(n, tmp_path / str(n), durability=n == max(counts)
                  and os.environ.get("PRESSROOM_BENCH_DURABILITY", "1") != "0") for n in counts]
    print_table(rows)
    if len(rows) > 1:
        growth = rows[-1]["peak_rss_mib"] / rows[0]["peak_rss_mib"]
        print(f"peak RSS {rows[-1]['releases']} / {rows[0]['releases']}: {growth:.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.machine(), "python": platform.python_version(),
                                   "cpus": os.cpu_count(), "runs": rows}, indent=2) + "\n", encoding="utf-8")
    for r in rows:
        assert r["loaded"] >= r["releases"] * 0.99, r  # 0.1 % of pages fail for good
        assert r["direct"]["same_content"], r["direct"]
        if "durability" in r:
            assert r["durability"]["equal"], r["durability"]
