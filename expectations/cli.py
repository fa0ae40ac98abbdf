"""`pressroom check [--format text|json] [--all] [--language CODE] PATH...`: run the text checks on files.

`run_check` is the whole command; the `pressroom` Typer app calls it, and `main` wraps it in argparse so
the module also runs alone (`python -m expectations.cli PATH...`).

Contract:

* Each PATH is a UTF-8 file, read exactly as stored (no newline translation, so CRLF counts two code
  points); `-` reads standard input as bytes and decodes them as UTF-8. A path that cannot be read or is
  not valid UTF-8 gets a one-line message on stderr ("pressroom check: PATH: reason") and the other
  paths are still checked.
* `--format json` writes JSON Lines, one object per input in the order given:
  `{"path": ..., "findings": [{"check", "severity", "start", "end", "excerpt", "message"}]}`, where
  `start`/`end` are code-point offsets into the text as read; an input that could not be read gets
  `{"path": ..., "error": "...", "findings": []}`. Every finding is written, `info` included.
* `--format text` (default) writes, per finding, `path:line:col: severity check: message`, then the
  line and a caret line marking the span (to the end of that line when the span runs on); line and
  column are 1-based and count code points, a line ends at "\\n". Only `warning` and `error` findings
  are shown unless `--all` is given, because `info` findings are metrics. A last line sums up.
* Exit status: 2 when the command line is wrong or any input could not be read, else 1 when any
  finding is an `error`, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from expectations.engine import check_text
from expectations.findings import Finding

FORMATS = ("text", "json")
EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
_PROGRAM = "pressroom check"


def run_check(
    paths: Sequence[str],
    *,
    fmt: str,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
    include_info: bool = False,
    language: str = "en",
) -> int:
    """Check each of `paths` and report on `stdout` in `fmt`; return the exit status (module docstring)."""
    if fmt not in FORMATS:
        stderr.write(f"{_PROGRAM}: unknown format {fmt!r} (choose from {', '.join(FORMATS)})\n")
        return EXIT_USAGE
    if not paths:
        stderr.write(f"{_PROGRAM}: no PATH given (use - for standard input)\n")
        return EXIT_USAGE
    status = EXIT_CLEAN
    counts = {"error": 0, "warning": 0, "info": 0}
    for path in paths:
        text, problem = _read(path, sys.stdin if stdin is None else stdin)
        if text is None:
            stderr.write(f"{_PROGRAM}: {path}: {problem}\n")
            if fmt == "json":
                stdout.write(json.dumps({"path": path, "error": problem, "findings": []}, ensure_ascii=False) + "\n")
            status = EXIT_USAGE
            continue
        findings = check_text(text, language=language)
        for finding in findings:
            counts[finding.severity] += 1
        if status == EXIT_CLEAN and any(finding.severity == "error" for finding in findings):
            status = EXIT_ERRORS
        if fmt == "json":
            stdout.write(
                json.dumps({"path": path, "findings": [_as_json(f) for f in findings]}, ensure_ascii=False) + "\n"
            )
        else:
            for finding in findings:
                if include_info or finding.severity != "info":
                    stdout.write(_as_text(path, text, finding))
    if fmt == "text":
        stdout.write(f"{len(paths)} input(s): {counts['error']} error(s), {counts['warning']} warning(s)\n")
    return status


def _read(path: str, stdin: TextIO) -> tuple[str | None, str]:
    """The text of `path` (or of stdin for "-") and "", or None and the reason it could not be read."""
    try:
        if path == "-":
            buffer = getattr(stdin, "buffer", None)
            return (buffer.read().decode("utf-8") if buffer is not None else stdin.read()), ""
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read(), ""
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8 (byte 0x{error.object[error.start]:02x} at offset {error.start})"
    except OSError as error:
        return None, error.strerror or type(error).__name__


def _as_json(finding: Finding) -> dict[str, object]:
    return {
        "check": finding.check,
        "severity": finding.severity,
        "start": finding.start,
        "end": finding.end,
        "excerpt": finding.excerpt,
        "message": finding.message,
    }


def _as_text(path: str, text: str, finding: Finding) -> str:
    """`path:line:col: severity check: message`, the line, and carets under the span."""
    line_start = text.rfind("\n", 0, finding.start) + 1
    line_end = text.find("\n", finding.start)
    line_end = len(text) if line_end < 0 else line_end
    line = text[line_start:line_end].rstrip("\r")
    line_number = text.count("\n", 0, finding.start) + 1
    column = finding.start - line_start + 1
    width = max(1, min(finding.end, line_start + len(line)) - finding.start)
    shown = "".join(" " if character in "\t\r\v\f" else character for character in line)
    marker = " " * (column - 1) + "^" * width
    header = f"{path}:{line_number}:{column}: {finding.severity} {finding.check}: {finding.message}"
    return f"{header}\n    {shown}\n    {marker}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default `sys.argv[1:]`) and run `run_check` on the process's standard streams."""
    parser = argparse.ArgumentParser(prog=_PROGRAM, description="Run pressroom's text checks on files.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="UTF-8 text files; - reads standard input")
    parser.add_argument("--format", dest="fmt", default="text", help="text (default) or json (JSON Lines)")
    parser.add_argument("--all", dest="include_info", action="store_true", help="also show info findings")
    parser.add_argument("--language", default="en", help="declared ISO 639-1 language of the texts")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_CLEAN
    return run_check(
        arguments.paths,
        fmt=arguments.fmt,
        stdout=sys.stdout,
        stderr=sys.stderr,
        include_info=arguments.include_info,
        language=arguments.language,
    )


if __name__ == "__main__":
    raise SystemExit(main())
