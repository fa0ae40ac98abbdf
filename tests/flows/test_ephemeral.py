"""flows/ephemeral.py: the run's own ephemeral Prefect server, without Prefect's server code in the run's
process (issue 17: 72 MiB of its resident memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, sys
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL
from pressroom.flows import ephemeral

server = ephemeral.start()
again = ephemeral.start()
with get_client(sync_client=True) as client:
    healthy = client.api_healthcheck() is None
server_code = sorted(m for m in sys.modules if m.startswith("prefect.server.api"))
print(json.dumps({"url": PREFECT_API_URL.value(), "api_url": server.api_url, "same": again is server,
                  "healthy": healthy, "server_code": server_code, "alive": server.server_process.poll() is None}))
"""


def test_the_server_runs_apart_and_prefect_talks_to_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["url"] == seen["api_url"]
    assert seen["same"] and seen["healthy"] and seen["alive"]
    assert seen["server_code"] == []  # FastAPI, SQLAlchemy and the ORM stay in the server's process
