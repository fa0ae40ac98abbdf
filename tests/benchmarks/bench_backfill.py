"""Benchmark (make bench): ``pressroom backfill`` of 2,000 and of 10,000 releases from a local
WordPress-shaped mirror (tests/connectors/wpserver.py, min_interval 0), each run as the real CLI in a
subprocess with its own data directory, so its wall time and peak RSS (``wait4`` rusage) are its own.

Prints wall time, releases/s and peak RSS; writes tests/benchmarks/results/backfill.json. Asserts
that every release is loaded and that the 10,000 run's peak RSS stays within 1.3× the 2,000 run's
(the pipeline streams listings a batch at a time; memory must not grow with the backfill's size).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from tests.connectors.wpserver import WordpressMirror, sources_toml

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "backfill.json"
PRESSROOM = Path(sys.executable).with_name("pressroom")
STEP = timedelta(hours=3)  # 8 releases a day


def run_backfill(count: int, work: Path) -> dict[str, float]:
    with WordpressMirror(count, step=STEP) as mirror:
        work.mkdir(parents=True, exist_ok=True)
        sources = work / "sources.toml"
        sources.write_text(sources_toml(mirror, min_interval=0.0), encoding="utf-8")
        oldest = mirror.post(count - 1).date_local.date()
        newest = mirror.post(0).date_local.date()
        env = {**os.environ, "PREFECT_HOME": str(work / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
        command = [str(PRESSROOM), "--data-dir", str(work / "data"), "--sources", str(sources), "backfill",
                   "--source", "us-state", "--from", oldest.isoformat(), "--to", newest.isoformat()]
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        output = process.stdout.read().decode("utf-8", errors="replace")
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, output[-3000:]
    with duckdb.connect(str(work / "data" / "pressroom.duckdb"), read_only=True) as con:
        (loaded,) = con.execute("SELECT count(*) FROM releases").fetchone() or (0,)
    assert loaded == count, output[-3000:]
    return {"releases": count, "wall_s": round(wall, 2), "releases_per_s": round(count / wall, 1),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def test_backfill_throughput_and_flat_memory(tmp_path: Path) -> None:
    figures = [run_backfill(count, tmp_path / str(count)) for count in (2_000, 10_000)]
    print()
    print(f"{'releases':>10}{'wall s':>10}{'releases/s':>12}{'peak RSS MiB':>14}")
    for row in figures:
        print(f"{row['releases']:>10}{row['wall_s']:>10.1f}{row['releases_per_s']:>12.1f}{row['peak_rss_mib']:>14.1f}")
    growth = figures[1]["peak_rss_mib"] / figures[0]["peak_rss_mib"]
    print(f"peak RSS 10,000 / 2,000: {growth:.2f} (limit 1.30)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.machine(), "python": platform.python_version(),
                                   "cpus": os.cpu_count(), "runs": figures, "rss_growth": round(growth, 3)},
                                  indent=2) + "\n", encoding="utf-8")
    assert growth <= 1.3
