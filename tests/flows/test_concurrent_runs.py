"""A nightly run and a backfill started together in two processes: both complete, nothing doubles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pressroom.infra.demo.server import DemoMirror
from tests.flows.helpers import rows

pytestmark = [pytest.mark.slow]


def start(args: list[str], home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen([str(Path(sys.executable).parent / "pressroom"), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_nightly_and_backfill_together(tmp_path: Path) -> None:
    with DemoMirror() as mirror:
        sources = mirror.write_sources(tmp_path / "sources.toml")
        common = ["--data-dir", str(tmp_path / "data"), "--sources", str(sources), "--lock-timeout", "120"]
        nightly = start([*common, "run"], tmp_path / "prefect-a")
        backfill = start([*common, "backfill", "-s", "xa-mfa", "-s", "xb-mea", "--from", "2026-08-01",
                          "--to", "2026-11-30"], tmp_path / "prefect-b")
        outputs = [process.communicate(timeout=300)[0] for process in (nightly, backfill)]
        assert nightly.returncode == 0, outputs[0]
        assert backfill.returncode == 0, outputs[1]
        total = sum(len(site.releases) for site in mirror.sites.values())
        defective = sum(r.is_defective for site in mirror.sites.values() for r in site.releases)
    warehouse = tmp_path / "data" / "pressroom.duckdb"
    assert rows(warehouse, "SELECT count(*), count(DISTINCT release_id) FROM releases") == [(total, total)]
    assert rows(warehouse, "SELECT count(*) FROM release_versions") == [(0,)]
    published = rows(warehouse, "SELECT count(*), count(DISTINCT release_id) FROM published_releases")
    assert published == [(total - defective, total - defective)]
    assert rows(warehouse, "SELECT flow, status FROM runs ORDER BY flow") == [
        ("backfill", "completed"), ("nightly", "completed")
    ]
    findings = rows(warehouse, "SELECT count(*) FROM (SELECT DISTINCT * FROM dq_findings)")
    assert rows(warehouse, "SELECT count(*) FROM dq_findings") == findings
