"""The Great Expectations step in its own process (flows/validation_process.py): the run's process never
loads Great Expectations, and a validation that fails there fails the step here, with its message."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom.flows import validation_process
from pressroom.warehouse import Warehouse


def test_a_run_never_loads_great_expectations() -> None:
    code = ("import sys, pressroom.flows.nightly, pressroom.flows.maintenance\n"
            "assert 'great_expectations' not in sys.modules, 'loaded'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_failing_validation_fails_the_step_and_the_next_one_works(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the warehouse's folder should be", encoding="utf-8")
    now = datetime.now(UTC)
    try:
        with pytest.raises(validation_process.ValidationProcessError, match="failed"):
            validation_process.validate_run(Warehouse(blocked / "w.duckdb"), [], run_id="r1", now=now,
                                            results_dir=tmp_path / "gx", docs_dir=tmp_path / "docs",
                                            with_history=False)
        warehouse = Warehouse(tmp_path / "ok.duckdb")
        warehouse.ensure_schema()
        done = validation_process.validate_run(warehouse, [], run_id="r2", now=now, results_dir=tmp_path / "gx",
                                               docs_dir=tmp_path / "docs", with_history=False)
        assert done.warnings == ()
    finally:
        validation_process.stop()


def test_a_child_started_elsewhere_finds_a_relative_warehouse(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The child keeps its first working directory; a later run's relative paths are sent absolute."""
    validation_process.start()
    try:
        monkeypatch.chdir(tmp_path)
        warehouse = Warehouse(Path("rel.duckdb"))
        warehouse.ensure_schema()
        done = validation_process.validate_run(warehouse, [], run_id="r3", now=datetime.now(UTC),
                                               results_dir=Path("gx"), docs_dir=Path("docs"), with_history=False)
        assert done.warnings == ()
        assert (tmp_path / "gx").is_dir()
    finally:
        validation_process.stop()
