"""Suggestions attached to findings, applied to texts, and `fix_text`, the loop behind `pressroom check --fix`.

`attach_suggestions` is called once by the engine after the checks ran. It asks `expectations.repairs`
for a proposal per finding and keeps only a proposal that is proven on the text: it lies inside the text,
changes it, and once applied and the text checked again, no finding of the same check touches the edited
place and no `error` appears that was not there before. So a repair rule that drifts from a changed
detection rule loses its suggestions instead of publishing wrong ones.

Proving is batched so that it costs about one extra check run per text, not one per finding: the
disjoint proposals are applied together and the result checked once; a proposal whose finding survives,
or that a new error touches, is dropped. Only a new error that touches no edit (a whole-text effect)
makes each proposal be proven alone, for at most `MAX_PROVEN` of them. Proposals overlapping another
are proven in a later batch (`_BATCHES` at most).

`fix_text` applies every non-overlapping suggestion, checks again and repeats until no suggestion is left
or `MAX_ROUNDS` rounds ran, so its result, checked again, has no finding with a suggestion unless the
bound was hit (`FixResult.converged`).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import MAX_SPAN
from pressroom.expectations.findings import Finding, Suggestion
from pressroom.expectations.repairs import propose

Recheck = Callable[[str], list[Finding]]
"""Runs the same checks as the findings came from on another text (without attaching suggestions)."""

MAX_PROVEN = 32
MAX_ROUNDS = 8


@dataclasses.dataclass(frozen=True, slots=True)
class Repair:
    """One applied suggestion: the finding it repaired, on `text`, the text of the round it was made in."""

    finding: Finding
    text: str


@dataclasses.dataclass(frozen=True, slots=True)
class FixResult:
    """What `fix_text` made: the repaired text, the repairs in the order made, the findings left on the
    repaired text (with suggestions only if not `converged`), and whether a fixed point was reached."""

    text: str
    repairs: tuple[Repair, ...]
    remaining: tuple[Finding, ...]
    converged: bool


def proposals_for(analysis: Analysis, findings: Sequence[Finding]) -> dict[int, Suggestion]:
    """The well-formed proposal of each finding that has one, by its index in `findings` (on `analysis.text`)."""
    text = analysis.text
    proposals = {index: s for index, f in enumerate(findings) if (s := propose(text, f, analysis)) is not None}
    return {index: s for index, s in proposals.items() if _well_formed(text, s)}


def attach_suggestions(
    text: str, findings: Sequence[Finding], recheck: Recheck, *, proposals: dict[int, Suggestion] | None = None
) -> list[Finding]:
    """`findings` with a proven `suggestion` on each finding that has a mechanical repair (module docstring).

    `proposals` are `proposals_for(Analysis(text), findings)` when the caller made them already (the engine
    does, from the analysis its checks read, and frees that analysis before the rechecks)."""
    if proposals is None:
        proposals = proposals_for(Analysis(text), findings)
    proven: dict[int, Suggestion] = {}
    for _ in range(_BATCHES):
        batch = _disjoint(proposals)
        if not batch:
            break
        proven.update(_prove_batch(text, findings, batch, recheck))
        proposals = {index: s for index, s in proposals.items() if index not in batch}
    return [
        dataclasses.replace(finding, suggestion=proven[index]) if index in proven else finding
        for index, finding in enumerate(findings)
    ]


_BATCHES = 3
"""Batches of mutually disjoint proposals proven per text; proposals that overlap more often than that
are left to the next `--fix` round."""


def _well_formed(text: str, suggestion: Suggestion) -> bool:
    return 0 <= suggestion.start <= suggestion.end <= len(text) and (
        text[suggestion.start : suggestion.end] != suggestion.replacement
    )


def _disjoint(proposals: dict[int, Suggestion]) -> dict[int, Suggestion]:
    chosen: dict[int, Suggestion] = {}
    reach = -1
    for index, suggestion in sorted(proposals.items(), key=lambda item: (item[1].start, item[1].end)):
        if suggestion.start > reach:
            chosen[index] = suggestion
            reach = suggestion.end
    return chosen


def _prove_batch(
    text: str, findings: Sequence[Finding], batch: dict[int, Suggestion], recheck: Recheck
) -> dict[int, Suggestion]:
    """The proposals of `batch` (disjoint) that hold: all are applied at once and the text checked once; a
    proposal fails when a finding of its check still touches its edit, or a new `error` touches it. A new
    error that touches no edit cannot be blamed on one, so then each proposal is proven alone
    (`MAX_PROVEN` at most)."""
    repaired = apply_suggestions(text, batch.values())
    after = recheck(repaired)
    regions: dict[int, tuple[int, int]] = {}
    shift = 0
    for index, suggestion in sorted(batch.items(), key=lambda item: item[1].start):
        regions[index] = (suggestion.start + shift, suggestion.start + shift + len(suggestion.replacement))
        shift += len(suggestion.replacement) - (suggestion.end - suggestion.start)
    new_errors = _new_errors(findings, after)
    touching = _Touching(after)
    held: dict[int, Suggestion] = {}
    blamed: set[Finding] = set()
    for index, (start, end) in regions.items():
        check = findings[index].check
        near = touching(start, end)
        if any(f.check == check for f in near):
            continue
        if any(f in new_errors for f in near):
            blamed.update(f for f in near if f in new_errors)
            continue
        held[index] = batch[index]
    if all(error in blamed for error in new_errors):
        return held
    alone = sorted(batch)[:MAX_PROVEN]
    return {index: batch[index] for index in alone if _proven(text, findings, index, batch[index], recheck)}


class _Touching:
    """Findings touching a range `[start, end]` (closed), found by bisection: spans are at most
    `MAX_SPAN` long except those of whole-text checks, which are few and tested one by one."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        short = sorted((f for f in findings if f.end - f.start <= MAX_SPAN), key=lambda f: f.start)
        self.short = short
        self.starts = [f.start for f in short]
        self.long = [f for f in findings if f.end - f.start > MAX_SPAN]

    def __call__(self, start: int, end: int) -> list[Finding]:
        low = bisect_left(self.starts, start - MAX_SPAN)
        high = bisect_right(self.starts, end)
        return [f for f in [*self.short[low:high], *self.long] if f.start <= end and f.end >= start]


def _new_errors(before: Sequence[Finding], after: Sequence[Finding]) -> set[Finding]:
    """Errors of `after` beyond those of `before`, compared by check and excerpt (offsets move)."""
    extra = _error_counts(after) - _error_counts(before)
    return {f for f in after if f.severity == "error" and extra[(f.check, f.excerpt)] > 0}


def _proven(text: str, findings: Sequence[Finding], index: int, suggestion: Suggestion, recheck: Recheck) -> bool:
    """Whether `suggestion` alone removes `findings[index]` and adds no error."""
    after = recheck(suggestion.apply(text))
    edited_start, edited_end = suggestion.start, suggestion.start + len(suggestion.replacement)
    check = findings[index].check
    if any(f.check == check and f.start <= edited_end and f.end >= edited_start for f in after):
        return False
    return not _new_errors(findings, after)


def _error_counts(findings: Iterable[Finding]) -> Counter[tuple[str, str]]:
    return Counter((f.check, f.excerpt) for f in findings if f.severity == "error")


def non_overlapping(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with a suggestion whose edits neither overlap nor touch an earlier one, by position."""
    chosen: list[Finding] = []
    reach = -1
    for finding in sorted((f for f in findings if f.suggestion is not None), key=_edit_key):
        suggestion = finding.suggestion
        assert suggestion is not None
        if suggestion.start > reach:
            chosen.append(finding)
            reach = suggestion.end
    return chosen


def _edit_key(finding: Finding) -> tuple[int, int]:
    assert finding.suggestion is not None
    return finding.suggestion.start, finding.suggestion.end


def apply_suggestions(text: str, suggestions: Iterable[Suggestion]) -> str:
    """`text` with the given non-overlapping suggestions applied (each in `text`'s own offsets).

    Raises ValueError when two suggestions overlap or one lies outside the text.
    """
    pieces: list[str] = []
    position = 0
    for suggestion in sorted(suggestions, key=lambda s: (s.start, s.end)):
        if suggestion.start < position or not suggestion.start <= suggestion.end <= len(text):
            raise ValueError(f"suggestion {suggestion} overlaps another or lies outside the text")
        pieces += [text[position : suggestion.start], suggestion.replacement]
        position = suggestion.end
    return "".join([*pieces, text[position:]])


def fix_text(text: str, check: Recheck, *, max_rounds: int = MAX_ROUNDS) -> FixResult:
    """Apply suggestions of `check(text)` (findings with suggestions attached) until none is left."""
    repairs: list[Repair] = []
    findings = check(text)
    for _ in range(max_rounds):
        chosen = non_overlapping(findings)
        if not chosen:
            return FixResult(text, tuple(repairs), tuple(findings), converged=True)
        repairs.extend(Repair(finding, text) for finding in chosen)
        text = apply_suggestions(text, (f.suggestion for f in chosen if f.suggestion is not None))
        findings = check(text)
    converged = not any(f.suggestion is not None for f in findings)
    return FixResult(text, tuple(repairs), tuple(findings), converged=converged)


def diff_line(text: str, suggestion: Suggestion, *, context: int = 30) -> str:
    """The suggestion as a one-line word diff in `git diff --word-diff=plain` notation:
    `…before[-removed-]{+inserted+}after…`, line breaks shown as "⏎"."""
    left = max(0, suggestion.start - context)
    right = min(len(text), suggestion.end + context)
    removed, inserted = text[suggestion.start : suggestion.end], suggestion.replacement
    parts = [
        "…" if left > 0 else "",
        text[left : suggestion.start],
        f"[-{removed}-]" if removed else "",
        f"{{+{inserted}+}}" if inserted else "",
        text[suggestion.end : right],
        "…" if right < len(text) else "",
    ]
    return "".join(parts).replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
