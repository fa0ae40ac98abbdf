"""`pressroom check`: run_check directly, and the module through a subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from pressroom.expectations.cli import run_check

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
    code = "from pressroom.expectations.cli import main; raise SystemExit(main())"
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


def test_a_byte_order_mark_does_not_shift_offsets_or_columns(tmp_path: Path) -> None:
    text = "First line.\n" + CLEAN.replace("trade,", "trade (and")
    plain, marked = tmp_path / "plain.txt", tmp_path / "bom.txt"
    plain.write_bytes(text.encode("utf-8"))
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    for fmt in ("json", "text"):
        _, from_plain, _ = run([str(plain)], fmt=fmt)
        _, from_marked, _ = run([str(marked)], fmt=fmt)
        assert from_marked.replace(str(marked), str(plain)) == from_plain
    _, out, _ = run(["-"], fmt="json", stdin=b"\xef\xbb\xbf" + text.encode("utf-8"))
    [finding] = [f for f in json.loads(out)["findings"] if f["check"] == "unbalanced-punctuation"]
    assert text[finding["start"] : finding["end"]] == finding["excerpt"] == "("


def test_text_format_counts_lines_and_windows_a_very_long_line(tmp_path: Path) -> None:
    doubled = CLEAN.replace("to discuss", "to to discuss")
    bracket = CLEAN.replace("trade,", "trade (and")
    lines = ["Heading", "", doubled, "", "", bracket]
    path = tmp_path / "many.txt"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    _, out, _ = run([str(path)])
    headers = [line.split(": ")[0] for line in out.splitlines() if line.startswith(str(path))]
    assert headers[:2] == [f"{path}:3:{doubled.index('to to') + 4}", f"{path}:6:{bracket.index('(') + 1}"]
    long = tmp_path / "long.txt"
    filler = " ".join(f"Delegation number {n} spoke about the agenda of the meeting." for n in range(60))
    long.write_text(f"{filler} {doubled}", encoding="utf-8")
    _, out, _ = run([str(long)])
    header, shown, marker = out.splitlines()[:3]
    start = len(filler) + 1 + doubled.index("to to") + 3
    assert header.startswith(f"{long}:1:{start + 1}: error duplicated-phrase")
    assert shown.startswith("    …") and len(shown) < 600
    assert shown[marker.index("^") : marker.index("^") + 3] == "to "


def test_jobs_give_the_same_output_in_the_same_order(tmp_path: Path) -> None:
    paths = []
    for number in range(7):
        path = tmp_path / f"{number}.txt"
        path.write_text(CLEAN.replace("trade,", "trade, trade," if number % 2 else "trade (and"), encoding="utf-8")
        paths.append(str(path))
    paths[3:3] = [str(tmp_path / "missing.txt"), "-"]
    for fmt in ("json", "text"):
        serial = run(paths, fmt=fmt, stdin=CLEAN.encode("utf-8"), jobs=1)
        parallel = run(paths, fmt=fmt, stdin=CLEAN.encode("utf-8"), jobs=3)
        assert parallel == serial
        assert serial[0] == 2 and "missing.txt" in serial[2]
    assert run(paths, jobs=0)[0] == 2


def test_check_starts_without_the_pipeline_packages(tmp_path: Path) -> None:
    """`pressroom check` imports what checking needs, not the connectors, the warehouse or Prefect
    (start-up went from ~1.1 s to ~0.3 s; the time itself is measured by the benchmark)."""
    path = tmp_path / "d.txt"
    path.write_text(CLEAN, encoding="utf-8")
    code = (
        "import sys\nfrom pressroom.flows.cli import main\nsys.argv = ['pressroom', 'check', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit as exit_:\n    status = exit_.code\n"
        "heavy = sorted(set(sys.modules) & {'bs4', 'soupsieve', 'pressroom.connectors.config', 'requests',"
        " 'datasketch', 'scipy', 'prefect', 'duckdb', 'pandas', 'great_expectations'})\n"
        "print(status, heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, check=False, timeout=60)
    assert done.stderr.decode().strip().splitlines()[-1] == "0 []", done.stderr


def test_the_default_sources_file_is_still_the_bundled_one() -> None:
    from pressroom.connectors.config import default_sources_path
    from pressroom.flows.settings import Settings

    assert Settings.resolve().sources == default_sources_path()
