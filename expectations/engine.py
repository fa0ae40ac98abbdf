"""Run text checks over a release and decide whether it may be published.

`check_text` is the one entry point (`check_release` applies it to a title and a body): it runs every check that
supports the text's language, puts the findings in a stable order and settles overlaps, so one defect yields one
blocking finding:

1. Findings with the same field and span are one finding; the most severe is kept (ties: check id).
2. An `error` lying wholly inside another check's `error` span is the same defect seen twice (the stray
   ")" inside the stray fragment "Foreign Affairs) said."); it is kept, downgraded to `info`, so reports
   can still show it and metrics still count it. Findings of `whole_text` checks (too short, wrong
   language, metrics, near-duplicate) are about the text as a whole and never contain another.

`check_releases` runs `check_release` on a batch across all cores (the pipeline's check step, and so
`pressroom recheck`), with the same findings in the same order.

A check that raises despite its contract is logged and turned into an `internal-error` finding of
severity `error` on an empty span at 0: the release is held back (fail closed) and the run goes on.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import signal
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks import (
    AllCapsTitle,
    Boilerplate,
    Check,
    DuplicatedPhrase,
    EmptyTitle,
    GarbledFragment,
    GopherRepetition,
    MarkupRemnant,
    Mojibake,
    RepeatedSentence,
    TooShort,
    TruncatedText,
    TruncatedTitle,
    UnbalancedPunctuation,
    WrongLanguage,
)
from pressroom.expectations.checks.language import load_model_before_fork
from pressroom.expectations.findings import SEVERITY_RANK, Finding
from pressroom.expectations.fixes import attach_suggestions, proposals_for

if TYPE_CHECKING:
    from pressroom.expectations.workers import CheckWorkers

ENGINE_VERSION = "4"
"""Bumped whenever a check, threshold or the overlap policy changes; stored with each result so that
releases checked by an older engine are checked again."""

INTERNAL_ERROR = "internal-error"

logger = logging.getLogger(__name__)


def default_checks(language: str = "en") -> list[Check]:
    """A fresh list of the standard body checks with their default thresholds and severities.

    `language` is the declared language `wrong-language` compares with. Checks that need data from the
    warehouse are not here; the pipeline adds them per source: `NearDuplicateRelease(corpus)` (the same
    source's releases of the last 14 days) and `Boilerplate(known_lines=recurring_lines(texts))`, which
    replaces the default `Boilerplate()`.
    """
    return [
        DuplicatedPhrase(),
        GarbledFragment(),
        UnbalancedPunctuation(),
        RepeatedSentence(),
        Mojibake(),
        MarkupRemnant(),
        Boilerplate(),
        TruncatedText(),
        TooShort(),
        WrongLanguage(expected=language),
        GopherRepetition(),
    ]


@functools.lru_cache(maxsize=16)
def _standard_checks(language: str) -> tuple[Check, ...]:
    """`default_checks(language)`, made once per language: checks keep no state, so `check_text` shares
    them between texts instead of building eleven objects per text."""
    return tuple(default_checks(language))


@functools.lru_cache(maxsize=16)
def _standard_title_checks(language: str) -> tuple[Check, ...]:
    """`title_checks(language)`, made once per language (see `_standard_checks`)."""
    return tuple(title_checks(language))


def title_checks(language: str = "en") -> list[Check]:
    """A fresh list of the checks `check_release` runs on titles: the body checks that apply to titles
    (`Check.applies_to_title`) and the title-only ones."""
    shared = [check for check in default_checks(language) if check.applies_to_title]
    return [*shared, EmptyTitle(), AllCapsTitle(), TruncatedTitle()]


def check_text(
    text: str,
    *,
    language: str = "en",
    checks: Sequence[Check] | None = None,
    field: str = "body",
    suggest: bool = True,
) -> list[Finding]:
    """All findings of `checks` (default: `default_checks()`) on `text`, tagged with `field`.

    Sorted by `(start, end, check)`; never raises. Checks whose `languages` exclude `language` are
    skipped. With `suggest` (the default), each finding that has a mechanical repair carries it as
    `suggestion`, proven by checking the repaired text again with the same checks, less those that
    cannot block (`Check.can_block`), since the proof looks at errors only
    (`expectations.fixes.attach_suggestions`); `suggest=False` skips that work.
    """
    selected = _standard_checks(language) if checks is None else tuple(checks)
    analysis = Analysis(text)
    findings = _find(analysis, language, selected, field)
    if not suggest or not any(finding.severity == "error" for finding in findings):
        return findings
    proposals = proposals_for(analysis, findings)
    del analysis  # the proof analyses the repaired texts; this text's parts are not needed any more
    # The proof compares errors only (and a check's own findings, which an error of it makes blocking).
    blocking = [check for check in selected if check.can_block()]
    return attach_suggestions(
        text, findings, lambda repaired: _find(Analysis(repaired), language, blocking, field), proposals=proposals
    )


def _find(analysis: Analysis, language: str, checks: Sequence[Check], field: str) -> list[Finding]:
    """The settled findings of `checks` on `analysis.text`, all reading that one `Analysis`."""
    text = analysis.text
    findings: list[Finding] = []
    whole_text: set[str] = set()
    for check in checks:
        if not check.supports(language):
            continue
        try:
            found = check.find_in(analysis)
        except Exception:
            logger.exception("check %s failed on a text of %d characters", check.id, len(text))
            found = [Finding(INTERNAL_ERROR, "error", 0, 0, "", f"check {check.id} failed; see the log")]
        if check.whole_text:
            whole_text.add(check.id)
        findings.extend(f if f.field == field else dataclasses.replace(f, field=field) for f in found)
    return _settle_overlaps(findings, whole_text)


def check_release(
    title: str,
    body: str,
    *,
    language: str = "en",
    body_checks: Sequence[Check] | None = None,
    suggest: bool = True,
) -> list[Finding]:
    """Findings on the body (`field="body"`) followed by those of `title_checks` on the title.

    `body_checks` defaults to `default_checks(language)`; the pipeline passes that list with its
    per-source checks added (see `default_checks`). `suggest` as for `check_text`.
    """
    return [
        *check_text(body, language=language, checks=body_checks, field="body", suggest=suggest),
        *check_text(title, language=language, checks=_standard_title_checks(language), field="title",
                    suggest=suggest),
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class ReleaseText:
    """One release to check with `check_releases`: the arguments of `check_release`."""

    title: str
    body: str
    language: str = "en"
    body_checks: Sequence[Check] | None = None


MIN_PER_WORKER = 8
"""`check_releases` starts worker processes only when each gets at least this many releases: below
that, starting them costs more than the checks (about 3 ms a release)."""

_batch: tuple[Sequence[ReleaseText], bool] | None = None
_batch_lock = threading.Lock()


def check_releases(
    releases: Sequence[ReleaseText], *, jobs: int | None = None, suggest: bool = True,
    workers: CheckWorkers | None = None,
) -> list[list[Finding]]:
    """`check_release` on each of `releases`, in order, spread over up to `jobs` worker processes
    (default: the number of cores).

    The result is exactly that of calling `check_release` on each in turn (the checks are pure). Workers
    are forked, so they inherit `releases` and their checks (a near-duplicate index included) without
    pickling them; only the findings travel back. Where `fork` is not available, with one job, or with
    fewer than `MIN_PER_WORKER` releases per worker, the releases are checked in this process.

    With `workers` (`expectations.workers.shared()`), the releases are sent to those long-lived processes
    instead of forking new ones: each release and its `body_checks` are pickled, so they must not carry a
    near-duplicate index (pass `NearDuplicateFound`, worked out here, instead of the index's view).
    """
    import multiprocessing

    global _batch
    if workers is not None and len(releases) >= MIN_PER_WORKER:
        return workers.check(releases, suggest=suggest)
    count = min(jobs if jobs is not None else (os.cpu_count() or 1), len(releases) // MIN_PER_WORKER)
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_check_one_of(releases, index, suggest=suggest) for index in range(len(releases))]
    load_model_before_fork(len(releases), count)
    with _batch_lock:
        _batch = (releases, suggest)
        try:
            with multiprocessing.get_context("fork").Pool(count, initializer=_start_worker) as pool:
                chunk = max(1, min(16, len(releases) // (count * 8)))  # see cli.MAX_CHUNK
                found = pool.map(_check_inherited, range(len(releases)), chunksize=chunk)
                pool.close()
                pool.join()
                return found
        finally:
            _batch = None


def _start_worker() -> None:
    """A worker inherits the caller's signal handlers; a command's "stop between two transactions"
    handler would make it ignore the SIGTERM that ends a pool (it hung `pressroom recheck`). The caller
    decides when to stop, so a worker ignores SIGINT (Ctrl-C reaches the whole process group) and dies of
    SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _check_inherited(index: int) -> list[Finding]:
    """Worker side of `check_releases`: release `index` of the batch the worker was forked with."""
    assert _batch is not None, "check_releases workers are forked with the batch set"
    return _check_one_of(_batch[0], index, suggest=_batch[1])


def _check_one_of(releases: Sequence[ReleaseText], index: int, *, suggest: bool) -> list[Finding]:
    release = releases[index]
    return check_release(release.title, release.body, language=release.language,
                         body_checks=release.body_checks, suggest=suggest)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding blocks publishing."""
    return any(finding.severity == "error" for finding in findings)


def _settle_overlaps(findings: list[Finding], whole_text: set[str]) -> list[Finding]:
    best: dict[tuple[str, int, int], Finding] = {}
    for finding in sorted(findings, key=lambda f: (-SEVERITY_RANK[f.severity], f.check)):
        best.setdefault((finding.field, finding.start, finding.end), finding)
    unique = sorted(best.values(), key=lambda f: (f.start, f.end, f.check))
    errors = sorted(
        (f for f in unique if f.severity == "error" and f.check not in whole_text),
        key=lambda f: (f.field, f.start, -f.end),
    )
    covered: set[Finding] = set()
    reach: dict[str, Finding] = {}
    for finding in errors:
        widest = reach.get(finding.field)
        if widest is not None and finding.end <= widest.end and widest.check != finding.check:
            covered.add(finding)
        elif widest is None or finding.end > widest.end:
            reach[finding.field] = finding
    return [dataclasses.replace(f, severity="info") if f in covered else f for f in unique]
