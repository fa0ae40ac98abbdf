"""The wheel installs one top-level package, `pressroom`, with everything a command reads at run time.

The source tree keeps the folders the project is known by (`flows/`, `connectors/`, …) and `pressroom/`
links them (see pressroom/__init__.py). This builds the wheel the way `pip install .` does and reads it:
a wheel that put `flows` or `warehouse` into site-packages, or forgot the migrations or the demo mirror's
content, would break a user's install and nothing else in the suite would notice.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
                            str(REPO)], capture_output=True, text=True, timeout=300, check=False)
    if build.returncode != 0 and "No matching distribution found for setuptools" in build.stderr:
        pytest.skip("pip cannot reach an index with setuptools to build the wheel in isolation")
    assert build.returncode == 0, build.stderr[-3000:]
    (path,) = out.glob("pressroom-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_has_one_top_level_package(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {"pressroom"}
    (top_level,) = (name for name in names if name.endswith(".dist-info/top_level.txt"))
    assert wheel.read(top_level).decode().split() == ["pressroom"]
    (entry_points,) = (name for name in names if name.endswith(".dist-info/entry_points.txt"))
    assert "pressroom = pressroom.flows.cli:main" in wheel.read(entry_points).decode()


def test_the_wheel_carries_every_file_read_at_run_time(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder in ("flows", "connectors", "warehouse", "expectations", "infra"):
        assert f"pressroom/{folder}/__init__.py" in names
        sources = {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*.py")}
        assert {f"pressroom/{path}" for path in sources} <= names
    migrations = {f"pressroom/warehouse/migrations/{p.name}" for p in (REPO / "warehouse" / "migrations").glob("*.sql")}
    assert migrations and migrations <= names
    assert "pressroom/connectors/sources.toml" in names
    templates = {f"pressroom/flows/templates/{p.name}" for p in (REPO / "flows" / "templates").glob("*.html.j2")}
    assert templates and templates <= names  # the HTML report
    demo = {f"pressroom/{p.relative_to(REPO).as_posix()}" for p in (REPO / "infra" / "demo" / "content").iterdir()}
    assert demo and demo <= names
    assert {"pressroom/expectations/gx/great_expectations.yml", "pressroom/expectations/gx/vendor/jquery/jquery.min.js",
            "pressroom/expectations/gx/vendor/licenses/jquery.txt"} <= names  # Data Docs readable offline
    assert not any("__pycache__" in name for name in names)
