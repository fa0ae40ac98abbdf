"""`pressroom check`: run_check directly, and the module through a subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from expectations.cli import run_check

CLEAN = (
    "The Foreign Minister received the Ambassador of Chile on Monday to discuss trade, climate cooperation "
    "and preparations for the regional summit. Both sides agreed to hold consultations in Santiago later "
    "this year and to expand student exchanges between their universities."
)


def run(paths: list[str], fmt: str = "text", stdin: bytes = b"", **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stream = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    status = run_check(paths, fmt=fmt, stdout=out, stderr=err, stdin=stream, **options)  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


def test_json_lines_offsets_are_code_points_in_the_text_as_read(tmp_path: Path) -> None:
    text = "😀 Intro line.\r\n\r\n" + CLEAN.replace("to discuss", "to to discuss")
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode("utf-8"))
    status, out, err = run([str(path)], fmt="json")
    assert (status, err) == (1, "")
    [record] = [json.loads(line) for line in out.splitlines()]
    assert record["path"] == str(path)
    [finding] = [f for f in record["findings"] if f["check"] == "duplicated-phrase"]
    assert set(finding) == {"check", "severity", "start", "end", "excerpt", "message", "suggestion"}
    assert text[finding["start"] : finding["end"]] == finding["excerpt"] == "to"
    assert finding["start"] == text.index("to to") + 3


def test_text_format_marks_the_span_and_hides_info(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text("First line.\n" + CLEAN.replace("trade,", "trade (and"), encoding="utf-8")
    status, out, _ = run([str(path)])
    assert status == 1
    header, line, marker = out.splitlines()[:3]
    column = CLEAN.replace("trade,", "trade (and").index("(") + 1
    assert header == f'{path}:2:{column}: error unbalanced-punctuation: bracket "(" is not closed in its paragraph'
    assert marker.index("^") - 4 == column - 1 and line.startswith("    The Foreign")
    assert "gopher" not in out


def test_stdin_clean_text_exits_zero() -> None:
    status, out, err = run(["-"], stdin=CLEAN.encode("utf-8"))
    assert (status, err) == (0, "")
    assert out.strip().endswith("0 error(s), 0 warning(s)")


def test_unreadable_inputs_exit_two_and_others_are_still_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 ok")
    good = tmp_path / "good.txt"
    good.write_text(CLEAN, encoding="utf-8")
    status, out, err = run([str(bad), str(tmp_path / "missing.txt"), str(good)], fmt="json")
    assert status == 2
    assert err.count("\n") == 2 and "not valid UTF-8 (byte 0xe9 at offset 3)" in err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["path"] for r in records] == [str(bad), str(tmp_path / "missing.txt"), str(good)]
    assert "error" in records[0] and records[2]["findings"] == []


def test_usage_errors_exit_two() -> None:
    assert run([], fmt="json")[0] == 2
    assert run(["-"], fmt="xml")[0] == 2


def test_through_a_subprocess(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text(CLEAN.replace("trade,", "trade, trade,"), encoding="utf-8")
    code = "from expectations.cli import main; raise SystemExit(main())"
    done = subprocess.run(
        [sys.executable, "-c", code, "--format", "json", str(path), "-"],
        input=CLEAN.encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [r["path"] for r in records] == [str(path), "-"]
