"""A demo run made once per test module, copied for each test that changes it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pressroom.infra.demo.server import DemoMirror
from tests.flows.helpers import cli


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    sources: Path
    mirror: DemoMirror

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "pressroom.duckdb"

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--sources", str(self.sources)]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[DemoRun]:
    root = tmp_path_factory.mktemp("demo-run")
    with DemoMirror() as mirror:
        sources = mirror.write_sources(root / "sources.toml")
        code, output = cli("--data-dir", str(root / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        yield DemoRun(root / "data", sources, mirror)


@pytest.fixture()
def demo_copy(demo_run: DemoRun, tmp_path: Path) -> DemoRun:
    """A private copy of the module's demo run (warehouse, reports, exports)."""
    target = tmp_path / "data"
    shutil.copytree(demo_run.data_dir, target, ignore=shutil.ignore_patterns("prefect"))
    return DemoRun(target, demo_run.sources, demo_run.mirror)
