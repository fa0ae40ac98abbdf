"""`pressroom check [--format text|json] [--all] [--language CODE] [--jobs N] [--fix [--in-place]] PATH...`:
run the text checks on files, and optionally apply their suggested repairs.

`run_check` is the whole command; the `pressroom` Typer app calls it, and `main` wraps it in argparse so
the module also runs alone (`python -m pressroom.expectations.cli PATH...`).

Contract:

* Each PATH is a UTF-8 file, read exactly as stored (no newline translation, so CRLF counts two code
  points); `-` reads standard input as bytes and decodes them as UTF-8. A byte-order mark opening the
  input is not part of the text: it is dropped before checking, so offsets and columns are those an
  editor shows (they do not shift by one). A path that cannot be read or is not valid UTF-8 gets a
  one-line message on stderr ("pressroom check: PATH: reason") and the other paths are still checked.
* `--jobs N` (default: the number of cores) checks up to N files at once in worker processes; output
  is identical to `--jobs 1` and in the order the paths were given. Standard input is read by the
  main process.
* `--format json` writes JSON Lines, one object per input in the order given:
  `{"path": ..., "findings": [{"check", "severity", "start", "end", "excerpt", "message", "suggestion"}]}`,
  where `start`/`end` are code-point offsets into the text as read; an input that could not be read gets
  `{"path": ..., "error": "...", "findings": []}`. Every finding is written, `info` included.
  `suggestion` is always present: `{"start", "end", "replacement"}` (offsets into the same text: replace
  `text[start:end]` with `replacement`) when the finding has a mechanical repair, else `null`; an `error`
  with a `null` suggestion needs a person's edit.
* `--format text` (default) writes, per finding, `path:line:col: severity check: message`, then the
  line and a caret line marking the span (to the end of that line when the span runs on); line and
  column are 1-based and count code points, a line ends at "\\n". A line longer than `_SHOWN_LINE`
  code points is shown as a window around the span with "…" at the cut ends (the column is still the
  column in the whole line), so output stays proportional to the findings, not to line length times
  findings. Only `warning` and `error` findings are shown unless `--all` is given, because `info`
  findings are metrics. Under each finding, `fix: ` and its suggestion as a one-line word diff
  (`…before[-removed-]{+inserted+}after…`), or, for an `error` without one, `edit needed: `. A last
  line sums up. Time is linear in input size: line numbers come from one
  table of line starts per input, searched by bisection.
* `--fix` applies every suggestion that does not overlap another, checks again and repeats (at most
  `expectations.fixes.MAX_ROUNDS` rounds), like `ruff --fix`. The repaired text goes to standard output
  exactly as repaired (so `--fix` then takes one PATH), and the report to standard error; with
  `--in-place` (which implies `--fix`) each file is replaced by its repaired text (a temporary file in
  the same directory, renamed over the original, so an error never leaves a half-written file; an
  unchanged file is not written) and the report goes to standard output. The report lists each repair (`fixed`, with its
  diff) and each finding left, in `--format`; as JSON it is one object per input, `{"path", "fixed":
  [finding...], "findings": [finding...]}`, where `fixed` findings carry offsets into the text of the
  round that repaired them.
* Exit status: 2 when the command line is wrong or any input could not be read (or, with `--in-place`,
  written), else 1 when any finding is an `error` (with `--fix`: any finding left after repair), else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from pressroom.expectations.checks.language import load_model_before_fork
from pressroom.expectations.engine import check_text
from pressroom.expectations.findings import Finding
from pressroom.expectations.fixes import FixResult, diff_line, fix_text

FORMATS = ("text", "json")
EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2
_PROGRAM = "pressroom check"
_BOM = "\ufeff"
_SHOWN_LINE = 2000
"""Longest line shown whole under a finding (a long paragraph); longer lines, such as a whole file on
one line, are shown as a window around the span."""
_CONTEXT = 200
"""Code points shown on each side of the span when a line is shown as a window."""
_NEWLINE_RE = re.compile("\n")
MAX_CHUNK = 16
"""Files a `--jobs` worker takes at a time: a release takes a few milliseconds and a chunk's round trip a
fraction of one, and small chunks keep the workers busy until the last files (64 left one worker idle
for up to 64 releases at the end)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What checking one input produced: the report lines for stdout, a reason on failure, and counts."""

    path: str
    output: str
    problem: str | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0


def run_check(
    paths: Sequence[str],
    *,
    fmt: str,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None = None,
    include_info: bool = False,
    language: str = "en",
    jobs: int | None = None,
    fix: bool = False,
    in_place: bool = False,
) -> int:
    """Check each of `paths` and report on `stdout` in `fmt`; return the exit status (module docstring).

    `jobs` is the number of worker processes (None: `os.cpu_count()`); one, or a single input, checks
    in this process.
    """
    if fmt not in FORMATS:
        stderr.write(f"{_PROGRAM}: unknown format {fmt!r} (choose from {', '.join(FORMATS)})\n")
        return EXIT_USAGE
    if not paths:
        stderr.write(f"{_PROGRAM}: no PATH given (use - for standard input)\n")
        return EXIT_USAGE
    if jobs is not None and jobs < 1:
        stderr.write(f"{_PROGRAM}: --jobs must be at least 1, not {jobs}\n")
        return EXIT_USAGE
    if fix or in_place:
        return _run_fix(paths, fmt=fmt, stdout=stdout, stderr=stderr, stdin=stdin, include_info=include_info,
                        language=language, in_place=in_place)
    status = EXIT_CLEAN
    counts = {"error": 0, "warning": 0}
    for outcome in _outcomes(
        paths, fmt, sys.stdin if stdin is None else stdin, include_info=include_info, language=language, jobs=jobs
    ):
        if outcome.problem is not None:
            stderr.write(f"{_PROGRAM}: {outcome.path}: {outcome.problem}\n")
            status = EXIT_USAGE
        elif outcome.errors and status == EXIT_CLEAN:
            status = EXIT_ERRORS
        counts["error"] += outcome.errors
        counts["warning"] += outcome.warnings
        stdout.write(outcome.output)
    if fmt == "text":
        stdout.write(f"{len(paths)} input(s): {counts['error']} error(s), {counts['warning']} warning(s)\n")
    return status


def _outcomes(
    paths: Sequence[str], fmt: str, stdin: TextIO, *, include_info: bool, language: str, jobs: int | None
) -> Iterator[Outcome]:
    """One outcome per path, in order; files go to a pool of `jobs` processes when there are several."""
    workers = min(jobs if jobs is not None else (os.cpu_count() or 1), len(paths))
    if workers <= 1:
        for path in paths:
            yield check_input(path, fmt, include_info=include_info, language=language, stdin=stdin)
        return
    import multiprocessing
    from functools import partial

    task = partial(check_input, fmt=fmt, include_info=include_info, language=language)
    files = [path for path in paths if path != "-"]
    forking = "fork" in multiprocessing.get_all_start_methods()
    if forking:
        load_model_before_fork(len(files), workers)
    context = multiprocessing.get_context("fork" if forking else None)
    with context.Pool(workers) as pool:
        done = pool.imap(task, files, chunksize=max(1, min(MAX_CHUNK, len(files) // (workers * 8))))
        for path in paths:
            if path == "-":
                yield check_input(path, fmt, include_info=include_info, language=language, stdin=stdin)
            else:
                yield next(done)


def check_input(
    path: str, fmt: str, *, include_info: bool, language: str, stdin: TextIO | None = None
) -> Outcome:
    """Read and check one input and render its report in `fmt` (the unit of work of `--jobs`)."""
    text, problem = _read(path, sys.stdin if stdin is None else stdin)
    if text is None:
        output = json.dumps({"path": path, "error": problem, "findings": []}, ensure_ascii=False) + "\n"
        return Outcome(path, output if fmt == "json" else "", problem)
    findings = check_text(text, language=language)
    severities = [finding.severity for finding in findings]
    if fmt == "json":
        output = json.dumps({"path": path, "findings": [_as_json(f) for f in findings]}, ensure_ascii=False) + "\n"
    else:
        shown = [f for f in findings if include_info or f.severity != "info"]
        output = "".join(_as_text(path, text, finding, lines) for lines in [_line_starts(text, shown)]
                         for finding in shown)
    return Outcome(path, output, None, severities.count("error"), severities.count("warning"),
                   severities.count("info"))


def _read(path: str, stdin: TextIO) -> tuple[str | None, str]:
    """The text of `path` (or of stdin for "-"), without a leading byte-order mark, and ""; or None and
    the reason it could not be read."""
    try:
        if path == "-":
            buffer = getattr(stdin, "buffer", None)
            text = buffer.read().decode("utf-8") if buffer is not None else stdin.read()
        else:
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
    except UnicodeDecodeError as error:
        return None, f"not valid UTF-8 (byte 0x{error.object[error.start]:02x} at offset {error.start})"
    except OSError as error:
        return None, error.strerror or type(error).__name__
    return (text[1:] if text.startswith(_BOM) else text), ""


def _as_json(finding: Finding) -> dict[str, object]:
    return {
        "check": finding.check,
        "severity": finding.severity,
        "start": finding.start,
        "end": finding.end,
        "excerpt": finding.excerpt,
        "message": finding.message,
        "suggestion": None
        if finding.suggestion is None
        else {
            "start": finding.suggestion.start,
            "end": finding.suggestion.end,
            "replacement": finding.suggestion.replacement,
        },
    }


def _line_starts(text: str, findings: Sequence[Finding]) -> list[int]:
    """Offsets where the lines of `text` start (one pass; empty when nothing will be shown)."""
    if not findings:
        return []
    return [0, *(match.end() for match in _NEWLINE_RE.finditer(text))]


def _as_text(path: str, text: str, finding: Finding, line_starts: list[int]) -> str:
    """`path:line:col: severity check: message`, the line (or a window of it), and carets under the span."""
    line_number = bisect_right(line_starts, finding.start)
    line_start = line_starts[line_number - 1]
    line_end = line_starts[line_number] - 1 if line_number < len(line_starts) else len(text)
    if line_end > line_start and text[line_end - 1] == "\r":
        line_end -= 1
    column = finding.start - line_start + 1
    span_end = max(finding.start + 1, min(finding.end, line_end))
    if line_end - line_start <= _SHOWN_LINE:
        shown_start, shown_end, prefix, suffix = line_start, line_end, "", ""
    else:
        shown_start = max(line_start, finding.start - _CONTEXT)
        shown_end = min(line_end, span_end + _CONTEXT)
        prefix = "…" if shown_start > line_start else ""
        suffix = "…" if shown_end < line_end else ""
    shown = text[shown_start:shown_end].translate(_BLANKS)
    marker = " " * (len(prefix) + finding.start - shown_start) + "^" * (span_end - finding.start)
    header = f"{path}:{line_number}:{column}: {finding.severity} {finding.check}: {finding.message}"
    return f"{header}\n    {prefix}{shown}{suffix}\n    {marker}\n{_remedy(text, finding)}"


_BLANKS = str.maketrans("\t\r\v\f", "    ")


def _remedy(text: str, finding: Finding) -> str:
    """The suggestion as a one-line diff, or for an error without one, that a person must edit."""
    if finding.suggestion is not None:
        return f"    fix: {diff_line(text, finding.suggestion)}\n"
    if finding.severity == "error":
        return "    edit needed: no mechanical repair is certain here\n"
    return ""


def _location(text: str, position: int) -> str:
    return f"{text.count(chr(10), 0, position) + 1}:{position - text.rfind(chr(10), 0, position)}"


def _run_fix(
    paths: Sequence[str],
    *,
    fmt: str,
    stdout: TextIO,
    stderr: TextIO,
    stdin: TextIO | None,
    include_info: bool,
    language: str,
    in_place: bool,
) -> int:
    """`--fix`: repair each input, write it to `stdout` or back in place, report (module docstring)."""
    if not in_place and len(paths) != 1:
        stderr.write(f"{_PROGRAM}: --fix writes the repaired text to standard output, so it takes one PATH "
                     "(use --in-place for several files)\n")
        return EXIT_USAGE
    if in_place and "-" in paths:
        stderr.write(f"{_PROGRAM}: --in-place cannot rewrite standard input\n")
        return EXIT_USAGE
    report = stdout if in_place else stderr
    status = EXIT_CLEAN
    counts = {"fixed": 0, "error": 0, "warning": 0}
    for path in paths:
        text, problem = _read(path, sys.stdin if stdin is None else stdin)
        if text is None:
            stderr.write(f"{_PROGRAM}: {path}: {problem}\n")
            if fmt == "json":
                report.write(json.dumps({"path": path, "error": problem, "fixed": [], "findings": []}) + "\n")
            status = EXIT_USAGE
            continue
        result = fix_text(text, lambda current: check_text(current, language=language))
        if not in_place:
            stdout.write(result.text)
        elif result.text != text:
            problem = _replace_atomically(path, _BOM + result.text if _starts_with_bom(path) else result.text)
            if problem:
                stderr.write(f"{_PROGRAM}: {path}: not rewritten: {problem}\n")
                status = EXIT_USAGE
        counts["fixed"] += len(result.repairs)
        for finding in result.remaining:
            if finding.severity in counts:
                counts[finding.severity] += 1
        if status == EXIT_CLEAN and any(finding.severity == "error" for finding in result.remaining):
            status = EXIT_ERRORS
        report.write(_fix_report(path, result, fmt, include_info=include_info))
    if fmt == "text":
        report.write(f"{len(paths)} input(s): {counts['fixed']} fixed; left: {counts['error']} error(s), "
                     f"{counts['warning']} warning(s)\n")
    return status


def _fix_report(path: str, result: FixResult, fmt: str, *, include_info: bool) -> str:
    if fmt == "json":
        record = {
            "path": path,
            "fixed": [_as_json(repair.finding) for repair in result.repairs],
            "findings": [_as_json(finding) for finding in result.remaining],
        }
        return json.dumps(record, ensure_ascii=False) + "\n"
    lines = []
    for repair in result.repairs:
        finding, suggestion = repair.finding, repair.finding.suggestion
        assert suggestion is not None
        where = _location(repair.text, finding.start)
        lines.append(f"{path}:{where}: fixed {finding.check}: {finding.message}\n"
                     f"    {diff_line(repair.text, suggestion)}\n")
    shown = [finding for finding in result.remaining if include_info or finding.severity != "info"]
    starts = _line_starts(result.text, shown)
    lines.extend(_as_text(path, result.text, finding, starts) for finding in shown)
    if not result.converged:
        lines.append(f"{path}: repairs stopped after the round limit; run --fix again\n")
    return "".join(lines)


def _starts_with_bom(path: str) -> bool:
    """Whether the file opens with a UTF-8 byte-order mark (`_read` drops it; `--in-place` puts it back)."""
    with open(path, "rb") as handle:
        return handle.read(3) == _BOM.encode("utf-8")


def _replace_atomically(path: str, text: str) -> str:
    """Write `text` to a temporary file beside `path`, keep `path`'s mode, rename it over `path`; return
    "" or why it failed (the original is then untouched and the temporary file removed)."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, renamed or removed)
            "w", encoding="utf-8", newline="", dir=directory, prefix=".pressroom-fix-", delete=False
        )
    except OSError as error:
        return error.strerror or type(error).__name__
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, os.stat(path).st_mode & 0o7777)
        os.replace(handle.name, path)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        return error.strerror or type(error).__name__
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default `sys.argv[1:]`) and run `run_check` on the process's standard streams."""
    parser = argparse.ArgumentParser(prog=_PROGRAM, description="Run pressroom's text checks on files.")
    parser.add_argument("paths", nargs="*", metavar="PATH", help="UTF-8 text files; - reads standard input")
    parser.add_argument("--format", dest="fmt", default="text", help="text (default) or json (JSON Lines)")
    parser.add_argument("--all", dest="include_info", action="store_true", help="also show info findings")
    parser.add_argument("--language", default="en", help="declared ISO 639-1 language of the texts")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    parser.add_argument("--fix", action="store_true", help="apply suggested repairs; repaired text to stdout")
    parser.add_argument("--in-place", action="store_true", help="with --fix: rewrite each file instead")
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
        jobs=arguments.jobs,
        fix=arguments.fix,
        in_place=arguments.in_place,
    )


if __name__ == "__main__":
    raise SystemExit(main())
