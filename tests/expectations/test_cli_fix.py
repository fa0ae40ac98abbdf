"""`pressroom check --fix [--in-place]`: repaired text, report, exit status, and safe rewriting in place."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pressroom.expectations import cli
from pressroom.expectations.cli import run_check

GOOD = "The Foreign Minister received the Ambassador of Chile on Monday to discuss trade and climate cooperation."
DOUBLED = GOOD.replace("to discuss", "to to discuss")
OTHER = "Both sides agreed to hold further consultations in Santiago later this year."
CUT = "Both sides agreed to hold further consultations in Santiago later this year and to expand the"


def run(paths: list[str], stdin: bytes = b"", **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    status = run_check(paths, stdout=out, stderr=err, stdin=stream, **{"fmt": "text", **options})  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


def test_fix_writes_the_repaired_text_to_stdout_and_the_report_to_stderr(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(f"{DOUBLED}\r\n\r\nShare this page\r\n\r\n{OTHER}".encode())
    status, out, err = run([str(path)], fix=True)
    assert status == 0
    assert out == f"{GOOD}\r\n\r\n{OTHER}"
    assert f"{path}:1:68: fixed duplicated-phrase" in err and "[- to-]" in err
    assert "fixed boilerplate" in err and "1 input(s): 2 fixed; left: 0 error(s)" in err
    assert path.read_bytes().startswith(DOUBLED.encode())


def test_fix_reports_what_still_needs_an_edit_and_exits_one() -> None:
    status, out, err = run(["-"], stdin=f"{DOUBLED}\n\n{CUT}".encode(), fix=True)
    assert status == 1
    assert out == f"{GOOD}\n\n{CUT}"
    assert "error truncated-text" in err and "edit needed:" in err
    assert err.endswith("1 fixed; left: 1 error(s), 0 warning(s)\n")


def test_fix_json_report(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text(f"{DOUBLED}\n\n{CUT}", encoding="utf-8")
    status, out, err = run([str(path)], fix=True, fmt="json")
    assert (status, out) == (1, f"{GOOD}\n\n{CUT}")
    [record] = [json.loads(line) for line in err.splitlines()]
    [fixed] = record["fixed"]
    assert fixed["check"] == "duplicated-phrase" and fixed["suggestion"]["replacement"] == ""
    assert [(f["check"], f["suggestion"]) for f in record["findings"] if f["severity"] == "error"] == [
        ("truncated-text", None)
    ]


def test_in_place_rewrites_changed_files_only_and_keeps_their_mode(tmp_path: Path) -> None:
    changed, clean = tmp_path / "changed.txt", tmp_path / "clean.txt"
    changed.write_text(DOUBLED, encoding="utf-8")
    clean.write_text(GOOD, encoding="utf-8")
    changed.chmod(0o640)
    os.utime(clean, (1_000_000_000, 1_000_000_000))
    status, out, err = run([str(changed), str(clean)], fix=True, in_place=True)
    assert (status, err) == (0, "")
    assert changed.read_text(encoding="utf-8") == GOOD and changed.stat().st_mode & 0o777 == 0o640
    assert clean.stat().st_mtime == 1_000_000_000
    assert "fixed duplicated-phrase" in out and "2 input(s): 1 fixed; left: 0 error(s)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changed.txt", "clean.txt"]


def test_in_place_failure_leaves_the_original_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.txt"
    path.write_text(DOUBLED, encoding="utf-8")

    def refuse(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", refuse)
    status, _, err = run([str(path)], fix=True, in_place=True)
    assert status == 2
    assert f"{path}: not rewritten: No space left on device" in err
    assert path.read_text(encoding="utf-8") == DOUBLED
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]


def test_fix_usage_errors_and_unreadable_inputs(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(DOUBLED, encoding="utf-8")
    assert run([str(good), str(good)], fix=True)[0] == 2
    assert run(["-"], fix=True, in_place=True)[0] == 2
    status, _, err = run([str(tmp_path / "missing.txt"), str(good)], fix=True, in_place=True)
    assert status == 2 and "missing.txt" in err
    assert good.read_text(encoding="utf-8") == GOOD


def test_check_without_fix_shows_the_diff_or_the_edit_needed() -> None:
    status, out, _ = run(["-"], stdin=f"{DOUBLED}\n\n{CUT}".encode())
    assert status == 1
    assert "    fix: …cuss trade" not in out
    assert "    fix: " in out and "to[- to-] discuss" in out
    assert "    edit needed: no mechanical repair is certain here" in out


@pytest.mark.parametrize("program", ["expectations", "pressroom"])
def test_fix_in_place_through_both_command_lines(tmp_path: Path, program: str) -> None:
    path = tmp_path / "d.txt"
    path.write_text(DOUBLED, encoding="utf-8")
    code = (
        "from pressroom.expectations.cli import main; raise SystemExit(main())"
        if program == "expectations"
        else "from pressroom.flows.cli import app; app(prog_name='pressroom')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *(["check"] if program == "pressroom" else []), "--fix", "--in-place", str(path)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert path.read_text(encoding="utf-8") == GOOD
    assert b"fixed duplicated-phrase" in done.stdout
