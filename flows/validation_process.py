"""The Great Expectations stage of a run, in a process of its own.

Great Expectations and what it loads take about 130 MiB once imported, and validating a run adds its
frames on top, at the end of a run whose own memory is then at its highest; a Python process does not
give such memory back. So a run (``flows/nightly.py``) validates in a child,
``python -m pressroom.flows.validation_process``, which opens the same warehouse, runs
:func:`flows.validation.validate_run` or :func:`flows.validation.validate_health_run` exactly as the run
would have, and answers with what the run logs: the batch warnings and the statistics. The run's
process never imports Great Expectations. The child starts while the run waits for it, and the run holds
no warehouse connection meanwhile (it opens one per transaction), so the child's transactions are the
only ones.

Requests are JSON lines on the child's stdin, answers JSON lines on its stdout; one child serves every
validation of this process (a run's, then its source health; the next run's in a long-lived process)
until :func:`stop` or the process ends, and :func:`start` starts it early, so that it loads Great
Expectations while the run still fetches. A validation that fails, or a child that dies,
is an error of the run's validation step with the child's message, as an exception of Great
Expectations in the run's own process would have been.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressroom.expectations.gx import SourceRules  # a dataclass: the package loads no Great Expectations
from pressroom.expectations.workers import end_child

if TYPE_CHECKING:
    from pressroom.connectors.config import SourceConfig
    from pressroom.warehouse import Warehouse
    from pressroom.warehouse.health import SourceHealth


class ValidationProcessError(RuntimeError):
    """The validation child failed."""


@dataclass(frozen=True)
class Validated:
    """What the run logs of a validation: one line per failed batch-level expectation, and GX's counts."""

    warnings: tuple[str, ...]
    statistics: dict[str, int]


def rules_for(source: SourceConfig) -> SourceRules:
    """What Great Expectations holds a source's releases to: its hosts and its declared language."""
    return SourceRules(source.id, hosts=source.hosts, languages=frozenset({source.language}))


def validate_run(warehouse: Warehouse, sources: Sequence[SourceConfig], *, run_id: str, now: datetime,
                 results_dir: Path, docs_dir: Path, with_history: bool) -> Validated:
    """:func:`flows.validation.validate_run` with each source's :func:`rules_for`, in a child process."""
    rules = [{name: sorted(value) if isinstance(value, frozenset) else value
              for name, value in dataclasses.asdict(rules_for(source)).items()} for source in sources]
    return _run({"kind": "run", "warehouse": _where(warehouse), "rules": rules, "run_id": run_id,
                 "now": now.isoformat(), "results_dir": str(results_dir.resolve()),
                 "docs_dir": str(docs_dir.resolve()), "with_history": with_history})


def validate_health_run(warehouse: Warehouse, health: Sequence[SourceHealth], *, run_id: str, now: datetime,
                        results_dir: Path, docs_dir: Path) -> Validated:
    """:func:`flows.validation.validate_health_run`, in a child process."""
    return _run({"kind": "health", "warehouse": _where(warehouse), "figures": [h.figures() for h in health],
                 "run_id": run_id, "now": now.isoformat(), "results_dir": str(results_dir.resolve()),
                 "docs_dir": str(docs_dir.resolve())})


def _where(warehouse: Warehouse) -> dict[str, Any]:
    """The warehouse as the child opens it: local paths made absolute (the child keeps the working
    directory it was started in, which a long-lived process may since have left)."""
    location, data_path = warehouse.location, None
    if warehouse.lake is None:
        location = str(Path(location).resolve())
    else:
        metadata = warehouse.lake.metadata_file
        if metadata is not None:
            location = f"ducklake:{metadata.resolve()}"
        data_path = warehouse.lake.data_path
        if data_path and "://" not in data_path:
            data_path = str(Path(data_path).resolve())
    return {"location": location, "memory_limit": warehouse.memory_limit, "lock_timeout": warehouse.lock_timeout,
            "lake_data_path": data_path}


class _Child:
    """One ``python -m pressroom.flows.validation_process``: a JSON request per line, a JSON answer per line."""

    def __init__(self) -> None:
        # stderr is the run's: the child's own messages (a traceback, if it fails) appear where the run's do
        self.process = subprocess.Popen([sys.executable, "-m", "pressroom.flows.validation_process"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(request, default=str).encode() + b"\n")
            stdin.flush()
            line = stdout.readline()
        except OSError:
            line = b""
        if not line:
            self.close()
            raise ValidationProcessError(f"the Great Expectations step's process ended (exit "
                                         f"{self.process.returncode}); its messages are above")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        end_child(self.process, timeout=30)


_child: _Child | None = None
_child_lock = threading.Lock()
_ask_lock = threading.Lock()


def start() -> None:
    """Start the child now, so that it loads Great Expectations while the run fetches (optional: a
    validation starts it when it has not been)."""
    global _child
    with _child_lock:
        if _child is None or _child.process.poll() is not None:
            _child = _Child()
            atexit.register(stop)


def stop() -> None:
    """End the child (the next validation starts another)."""
    global _child
    with _child_lock:
        child, _child = _child, None
    if child is not None:
        child.close()


def _run(request: dict[str, Any]) -> Validated:
    start()
    with _child_lock:
        child = _child
    assert child is not None
    with _ask_lock:  # one request at a time on the child's pipes
        answer = child.ask(request)
    if "error" in answer:
        raise ValidationProcessError(f"the Great Expectations step failed: {answer['error']}")
    return Validated(warnings=tuple(answer["warnings"]), statistics=dict(answer["statistics"]))


def _serve(request: dict[str, Any]) -> dict[str, Any]:
    from pressroom.flows import validation
    from pressroom.warehouse import Warehouse

    where = request["warehouse"]
    warehouse = Warehouse(where["location"], lock_timeout=where["lock_timeout"], memory_limit=where["memory_limit"],
                          lake_data_path=where["lake_data_path"])
    now = datetime.fromisoformat(request["now"])
    results_dir, docs_dir = Path(request["results_dir"]), Path(request["docs_dir"])
    if request["kind"] == "run":
        fields: list[dict[str, Any]] = [{name: frozenset(value) if isinstance(value, list) else value
                                         for name, value in r.items()} for r in request["rules"]]
        rules = {f["source_id"]: SourceRules(**f) for f in fields}
        outcome = validation.validate_run(warehouse, rules, run_id=request["run_id"], now=now,
                                          results_dir=results_dir, docs_dir=docs_dir,
                                          with_history=request["with_history"])
        return {"warnings": list(outcome.batch_warnings), "statistics": outcome.statistics}
    checked = validation.validate_health_run(warehouse, request["figures"], run_id=request["run_id"], now=now,
                                             results_dir=results_dir, docs_dir=docs_dir)
    return {"warnings": list(checked.warnings), "statistics": checked.statistics}


def _main() -> None:
    import logging
    import traceback

    import great_expectations  # noqa: F401 — loaded now, while the run is still fetching

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for line in sys.stdin.buffer:
        try:
            answer = _serve(json.loads(line))
        except Exception as error:  # noqa: BLE001 — answered, so the run reports it as its step's failure
            traceback.print_exc()
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer, default=int) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _main()
