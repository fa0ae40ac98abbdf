"""Throughput of pressroom's text checks against datatrove's Gopher filters (run by `make bench` only).

`pytest tests/benchmarks -s -o python_files=bench_*.py`. On one core, in one run: our full standard
check set (`expectations.check_text`: every check in `default_checks`) over the 587 real State
Department releases replicated to `PRESSROOM_BENCH_DOCS` documents (default 20,000), and datatrove's
`GopherRepetitionFilter` + `GopherQualityFilter` over the same texts (on `PRESSROOM_BENCH_DATATROVE_DOCS`
of them, default the same number; spaCy tokenisation makes datatrove ~100× slower per document, so a
smaller sample keeps the run short without changing its per-document rate). Also: the near-duplicate
check (MinHash index over the 587, one lookup per document) and one 1 MB text, which must take under a
second. Results go to tests/benchmarks/results/checks.json.

Whole-process figures (issue 14), measured in the same run: `pressroom check` start-up (median of five
runs on a one-line file), `pressroom check --format json` over the 587 releases replicated to 1,444
files (default `--jobs`, and `--jobs 1`) against datatrove's in-process rate, and the seed repeated to
5, 10 and 20 MB in json format and to 20 MB in text format (wall and CPU seconds, and the peak resident
memory of that one process, to show time and memory linear in the text). The issue's goals are recorded
with whether each was met; the run fails only on the older floors (`RATIO_GOAL`, 1 MB < 1 s) and on a
20 MB file taking more than 20 CPU seconds in either format (CPU, not wall time: on the shared machine
wall time also measures the neighbours' load, recorded as `load_average_1_min`).

Every rate is given per wall second and per CPU second (`time.process_time` in this process, the
children's user + system time for whole processes). The ratios the goals are judged on are per CPU
second: with five engineers' jobs on two cores the load changes between the two measurements of a ratio,
and wall time then compares the neighbours, not the code (a run at load 25 measured ours at 26 docs/s
and datatrove at 14 docs/s, each several times below its CPU rate).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pressroom.expectations import check_text
from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks import NearDuplicateRelease
from pressroom.expectations.engine import default_checks
from tests.expectations.conftest import SEED, STATE_DEPT, release_text

RESULTS = Path(__file__).resolve().parent / "results" / "checks.json"
DOCS = int(os.environ.get("PRESSROOM_BENCH_DOCS", "20000"))
DATATROVE_DOCS = int(os.environ.get("PRESSROOM_BENCH_DATATROVE_DOCS", str(DOCS)))
RATIO_GOAL = 5.0
PRESSROOM = Path(sys.executable).parent / "pressroom"
WHOLE_PROCESS_FILES = 1444


def _run(arguments: list[str]) -> tuple[float, int, float]:
    """Wall seconds of `pressroom` with `arguments`, its peak resident memory in MB, and the CPU seconds
    (user + system) it used, which other load on a shared machine inflates far less than wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(PRESSROOM), *arguments], capture_output=True, check=False)
    seconds = time.perf_counter() - started
    assert done.returncode in (0, 1), done.stderr[-2000:]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of children is the largest so far; each measured run is larger than the ones before it
    return seconds, after.ru_maxrss // 1024, cpu


_MEASURED_CHILD = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)\n"
    "seconds = time.perf_counter() - started\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(done.returncode, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)\n"
)


def _big_file(path: Path, fmt: str) -> dict[str, float]:
    """`pressroom check --format FMT PATH` run by a fresh Python process, so that its peak resident memory
    is that of this one run (the children's maximum of this process covers every earlier run)."""
    done = subprocess.run([sys.executable, "-c", _MEASURED_CHILD, str(PRESSROOM), "check", "--format", fmt,
                           str(path)], capture_output=True, text=True, check=True)
    status, seconds, cpu, peak_kb = done.stdout.split()
    assert int(status) in (0, 1), done.stderr[-2000:]
    return {"seconds": round(float(seconds), 2), "cpu_seconds": round(float(cpu), 2),
            "peak_rss_mb": round(int(peak_kb) / 1024, 1)}


def _whole_process(releases: list[str], seed: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pressroom-bench-") as folder:
        root = Path(folder)
        tiny = root / "tiny.txt"
        tiny.write_text("The Minister met the Ambassador of Chile on Monday.", encoding="utf-8")
        runs = [_run(["check", str(tiny)]) for _ in range(5)]
        startup = statistics.median(run[0] for run in runs)
        startup_cpu = statistics.median(run[2] for run in runs)
        files = []
        for number in range(WHOLE_PROCESS_FILES):
            path = root / f"{number:04d}.txt"
            path.write_text(releases[number % len(releases)], encoding="utf-8")
            files.append(str(path))
        parallel, _, parallel_cpu = _run(["check", "--format", "json", *files])
        serial, _, serial_cpu = _run(["check", "--format", "json", "--jobs", "1", *files])
        big: dict[str, dict[str, float]] = {}
        for megabytes in (5, 10, 20):
            path = root / f"{megabytes}mb.txt"
            size = megabytes * 1_000_000
            path.write_text("\n\n".join([seed] * (size // len(seed) + 1))[:size], encoding="utf-8")
            big[f"{megabytes}_mb_json"] = _big_file(path, "json")
        big["20_mb_text"] = _big_file(root / "20mb.txt", "text")
    return {
        "startup_seconds_median_of_5": round(startup, 3),
        "startup_cpu_seconds_median_of_5": round(startup_cpu, 3),
        "load_average_1_min": round(os.getloadavg()[0], 2),
        "files": WHOLE_PROCESS_FILES,
        "cores": os.cpu_count(),
        "docs_per_s_default_jobs": round(WHOLE_PROCESS_FILES / parallel, 1),
        "docs_per_s_jobs_1": round(WHOLE_PROCESS_FILES / serial, 1),
        "docs_per_cpu_s_default_jobs": round(WHOLE_PROCESS_FILES / parallel_cpu, 1),
        "docs_per_cpu_s_jobs_1": round(WHOLE_PROCESS_FILES / serial_cpu, 1),
        "big_files": big,
    }


def _releases() -> list[str]:
    with STATE_DEPT.open(encoding="utf-8") as lines:
        return [release_text(json.loads(line)["content_html"]) for line in lines]


_PARTS = (
    "tokens", "sentences", "paragraphs", "paragraph_tokens", "word_ids", "is_transcript", "wrapped_joins", "url_spans",
)


def _cost_by_part(texts: list[str]) -> dict[str, float]:
    """CPU microseconds a text of `texts` spends on each shared part of its `Analysis` and in each check,
    so the report says where our time goes."""
    checks = default_checks()
    for text in texts:  # the language model, numpy and ftfy are loaded by the texts that need them
        check_text(text)
    spent = dict.fromkeys([*_PARTS, *(check.id for check in checks)], 0.0)
    for text in texts:
        analysis = Analysis(text)
        for part in _PARTS:
            started = time.process_time()
            getattr(analysis, part)
            spent[part] += time.process_time() - started
        for check in checks:
            started = time.process_time()
            check.find_in(analysis)
            spent[check.id] += time.process_time() - started
    return {name: round(1e6 * seconds / len(texts), 1) for name, seconds in sorted(spent.items(), key=lambda i: -i[1])}


def _replicated(texts: list[str], count: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(count)]


def _ours(texts: list[str]) -> tuple[float, float]:
    for text in texts[:600]:  # loads the language model and compiles the regexes
        check_text(text)
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        check_text(text)
    return time.perf_counter() - started, time.process_time() - cpu


def _datatrove(texts: list[str]) -> tuple[float, float]:
    from datatrove.data import Document
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    repetition, quality = GopherRepetitionFilter(), GopherQualityFilter()
    warm = Document(text="warm up the tokenizer with a sentence.", id="warm")
    repetition.filter(warm)
    quality.filter(warm)
    started, cpu = time.perf_counter(), time.process_time()
    for number, text in enumerate(texts):
        document = Document(text=text, id=str(number))
        repetition.filter(document)
        quality.filter(document)
    return time.perf_counter() - started, time.process_time() - cpu


def _rate(count: int, seconds: tuple[float, float], texts: list[str]) -> dict[str, float]:
    wall, cpu = seconds
    megabytes = sum(len(text.encode("utf-8")) for text in texts) / 1e6
    return {
        "documents": count,
        "seconds": round(wall, 3),
        "docs_per_s": round(count / wall, 1),
        "mb_per_s": round(megabytes / wall, 3),
        "cpu_seconds": round(cpu, 3),
        "docs_per_cpu_s": round(count / cpu, 1),
    }


def test_checks_against_datatrove() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    releases = _releases()
    ours_texts = _replicated(releases, DOCS)
    ours = _rate(DOCS, _ours(ours_texts), ours_texts)

    near = NearDuplicateRelease([(str(i), text) for i, text in enumerate(releases)])
    sample = _replicated(releases, min(DOCS, 5000))
    started, cpu = time.perf_counter(), time.process_time()
    for number, text in enumerate(sample):
        near.find_for(str(number % len(releases)), text)
    near_rate = _rate(len(sample), (time.perf_counter() - started, time.process_time() - cpu), sample)

    seed = SEED.read_text(encoding="utf-8")
    megabyte = "\n\n".join([seed] * (1_000_000 // len(seed) + 1))[:1_000_000]
    started, cpu = time.perf_counter(), time.process_time()
    check_text(megabyte)
    megabyte_seconds, megabyte_cpu = time.perf_counter() - started, time.process_time() - cpu

    result: dict[str, object] = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "corpus": "587 State Department releases (tests/fixtures/state-dept), replicated",
        "ours_default_checks": ours,
        "ours_near_duplicate_lookup": near_rate,
        "one_megabyte_seconds": round(megabyte_seconds, 3),
        "one_megabyte_cpu_seconds": round(megabyte_cpu, 3),
        "ours_cpu_us_per_doc_by_part": _cost_by_part(releases),
    }
    whole = _whole_process(releases, seed)
    result["whole_process"] = whole
    try:
        dt_texts = _replicated(releases, DATATROVE_DOCS)
        datatrove = _rate(DATATROVE_DOCS, _datatrove(dt_texts), dt_texts)
        result["datatrove_gopher_repetition_plus_quality"] = datatrove
        result["ratio_docs_per_s"] = round(ours["docs_per_s"] / datatrove["docs_per_s"], 2)
        result["ratio_docs_per_cpu_s"] = round(ours["docs_per_cpu_s"] / datatrove["docs_per_cpu_s"], 2)
        whole_ratio = float(str(whole["docs_per_s_default_jobs"])) / datatrove["docs_per_s"]
        result["ratio_whole_process_docs_per_s"] = round(whole_ratio, 2)
        whole_cpu_ratio = float(str(whole["docs_per_cpu_s_jobs_1"])) / datatrove["docs_per_cpu_s"]
        result["ratio_whole_process_jobs_1_docs_per_cpu_s"] = round(whole_cpu_ratio, 2)
        result["issue_14_goals"] = {
            "startup_under_0.35_s": float(str(whole["startup_seconds_median_of_5"])) < 0.35,
            "startup_under_0.35_cpu_s": float(str(whole["startup_cpu_seconds_median_of_5"])) < 0.35,
            "in_process_ratio_at_least_20": result["ratio_docs_per_s"] >= 20,
            "in_process_cpu_ratio_at_least_20": result["ratio_docs_per_cpu_s"] >= 20,
            "whole_process_ratio_at_least_10": whole_ratio >= 10,
            "whole_process_jobs_1_cpu_ratio_at_least_10": whole_cpu_ratio >= 10,
            "twenty_mb_under_20_s_both_formats": all(
                whole["big_files"][key]["seconds"] < 20  # type: ignore[index]
                for key in ("20_mb_json", "20_mb_text")
            ),
            "twenty_mb_under_20_cpu_s_both_formats": all(
                whole["big_files"][key]["cpu_seconds"] < 20  # type: ignore[index]
                for key in ("20_mb_json", "20_mb_text")
            ),
        }
    except ImportError as error:
        result["datatrove_gopher_repetition_plus_quality"] = f"not installed: {error}"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))

    assert megabyte_cpu < 1.0, megabyte_cpu
    for key in ("20_mb_json", "20_mb_text"):
        assert whole["big_files"][key]["cpu_seconds"] < 20, whole  # type: ignore[index]
    if "ratio_docs_per_cpu_s" in result:
        assert float(str(result["ratio_docs_per_cpu_s"])) >= RATIO_GOAL, result
    else:
        pytest.skip("datatrove is not installed: pip install -e '.[bench]'")
