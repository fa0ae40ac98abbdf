"""A data directory remembers the sources file it was written with: after ``pressroom demo``, commands
given only ``--data-dir`` act on the demo's sources (``publish`` used to say "0 held" while eight were
held, because it fell back to the bundled sources file). A warehouse holding sources absent from the
configuration says so, naming them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pressroom.connectors.config import default_sources_path
from pressroom.flows.cli import app
from pressroom.flows.settings import SOURCES_MEMORY, Settings, remember_sources

GOOD = """
[[sources]]
id = "zz-mfa"
name = "Ministry"
country = "XA"
language = "en"
timezone = "UTC"
kind = "html"
url = "http://127.0.0.1:9/press-releases/"
min_interval = 0.0
item = "article"
body = "div.body"
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Path]:
    """``pressroom --data-dir DIR demo``, as a new user runs it (the mirror is stopped afterwards)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    result = invoke("--data-dir", str(data), "demo")
    assert result.exit_code == 0, result.output
    assert "published=26 held=8" in result.stdout
    yield data


@pytest.fixture()
def demo(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's data directory: the memory travels with it."""
    target = tmp_path / "demo"
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns("prefect"))
    return target


def test_demo_remembers_its_sources_file_relative_to_the_data_directory(demo_dir: Path) -> None:
    record = json.loads((demo_dir / SOURCES_MEMORY).read_text(encoding="utf-8"))
    assert record["sources"] == "demo-sources.toml" and record["bundled"] is False


def test_publish_and_held_with_only_the_data_dir_act_on_the_demo(demo: Path) -> None:
    published = invoke("--data-dir", str(demo), "publish")
    assert published.exit_code == 0, published.output
    assert published.stdout.strip() == "published 0 release(s); 8 held"
    assert stderr_lines(published) == [
        f"pressroom: sources file {demo / 'demo-sources.toml'} (remembered by data directory {demo}; "
        "--sources chooses another)"]
    held = invoke("--data-dir", str(demo), "held", "--json")
    assert held.exit_code == 0, held.output
    items = [json.loads(line) for line in held.stdout.splitlines()]
    assert len(items) == 8 and {item["source_id"] for item in items} == {"xa-mfa", "xb-mea"}
    assert all(item["checks"] for item in items)


def test_an_explicit_sources_file_wins_and_is_remembered_only_by_a_command_that_writes(
    demo: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text(GOOD, encoding="utf-8")
    remembered = demo / "demo-sources.toml"
    memory = (demo / SOURCES_MEMORY).read_bytes()
    read = invoke("--data-dir", str(demo), "--sources", str(other), "held")
    assert read.exit_code == 0, read.output
    assert stderr_lines(read) == [
        f"pressroom: data directory {demo} was used with sources file {remembered}; using {other} as given by "
        "--sources",
        f"pressroom: warning: the warehouse holds sources that {other} does not configure: xa-mfa (17 releases), "
        "xb-mea (17 releases); pass --sources with the file they came from"]
    assert (demo / SOURCES_MEMORY).read_bytes() == memory
    written = invoke("--data-dir", str(demo), "--sources", str(other), "publish")
    assert written.exit_code == 0, written.output
    assert stderr_lines(written)[-1] == f"pressroom: data directory {demo} now remembers sources file {other}"
    assert json.loads((demo / SOURCES_MEMORY).read_text(encoding="utf-8"))["sources"] == str(other.resolve())
    again = invoke("--data-dir", str(demo), "held")  # now other.toml is the remembered one
    assert stderr_lines(again)[0].startswith(f"pressroom: sources file {other} (remembered by data directory")


@pytest.mark.parametrize("command", [["publish"], ["held"], ["report"], ["sources"], ["recheck"]])
def test_sources_absent_from_the_configuration_are_named(demo: Path, command: list[str]) -> None:
    bundled = default_sources_path()
    result = invoke("--data-dir", str(demo), "--sources", str(bundled), *command)
    assert result.exit_code == 0, result.output
    assert (f"pressroom: warning: the warehouse holds sources that {bundled} does not configure: "
            "xa-mfa (17 releases), xb-mea (17 releases); pass --sources with the file they came from"
            ) in stderr_lines(result)


def test_run_names_absent_sources_before_it_starts(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(GOOD, encoding="utf-8")
    result = invoke("--data-dir", str(demo), "--sources", str(other), "run")
    assert result.exit_code == 3, result.output  # port 9 refuses: the source failed, the rest went on
    assert stderr_lines(result)[1].startswith(
        f"pressroom: warning: the warehouse holds sources that {other} does not configure: xa-mfa (17 releases)")


def test_doctor_names_absent_sources_and_the_remembered_file(demo: Path) -> None:
    result = invoke("--data-dir", str(demo), "--sources", str(default_sources_path()), "doctor", "--timeout", "0.1")
    flat = " ".join(result.stdout.replace("│", " ").split())
    assert result.exit_code == 0, result.output
    assert "warehouse warn the warehouse holds sources that" in flat and "xa-mfa (17 releases)" in flat
    assert f"was used with sources file {demo / 'demo-sources.toml'}" in flat
    remembered = invoke("--data-dir", str(demo), "doctor", "--timeout", "0.1")
    flat = " ".join(remembered.stdout.replace("│", " ").split())
    assert f"(remembered by data directory {demo}): 2 source(s)" in flat and "holds sources" not in flat


def test_a_remembered_file_that_is_gone_is_exit_2_naming_it(demo: Path) -> None:
    (demo / "demo-sources.toml").unlink()
    result = invoke("--data-dir", str(demo), "publish")
    assert result.exit_code == 2
    assert stderr_lines(result) == [
        f"pressroom: {demo / 'demo-sources.toml'}: cannot read sources file (No such file or directory) "
        f"(the sources file data directory {demo} remembers; pass --sources to use another)"]


def test_resolution_order_option_environment_memory_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    mine, env = tmp_path / "mine.toml", tmp_path / "env.toml"
    assert Settings.resolve(data_dir=data).sources_origin == "default"
    assert remember_sources(Settings.resolve(data_dir=data, sources=mine), command="run") is True
    assert not remember_sources(Settings.resolve(data_dir=data, sources=mine), command="run")  # unchanged
    assert (Settings.resolve(data_dir=data).sources, Settings.resolve(data_dir=data).sources_origin) == (
        mine.resolve(), "data-dir")
    monkeypatch.setenv("PRESSROOM_SOURCES", str(env))
    assert (Settings.resolve(data_dir=data).sources, Settings.resolve(data_dir=data).sources_origin) == (
        env, "environment")
    assert Settings.resolve(data_dir=data, sources=tmp_path / "x.toml").sources_origin == "option"


def test_the_bundled_file_is_remembered_as_bundled(tmp_path: Path) -> None:
    data = tmp_path / "data"
    remember_sources(Settings.resolve(data_dir=data), command="run")
    assert json.loads((data / SOURCES_MEMORY).read_text(encoding="utf-8"))["bundled"] is True
    settings = Settings.resolve(data_dir=data)
    assert settings.sources == default_sources_path() and settings.sources_origin == "data-dir"


def test_a_damaged_memory_file_is_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / SOURCES_MEMORY).write_text("{not json", encoding="utf-8")
    result = invoke("--data-dir", str(data), "held")
    assert result.exit_code == 2
    assert stderr_lines(result)[0].startswith(f"pressroom: {data / SOURCES_MEMORY}: cannot read which sources file")
