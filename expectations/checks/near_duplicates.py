"""`near-duplicate-release`: a release that re-issues another recent release of the same source.

MinHash (Broder 1997) over word 5-gram shingles, with datasketch's `MinHash` and `MinHashLSH`: the
index is built once from a candidate corpus `[(release_id, text), …]` — the pipeline passes the same
source's releases of the last 14 days from the warehouse — and each release is then looked up in it.
A candidate whose estimated Jaccard similarity with the release is at least `threshold` is reported as a
`warning` that names it: a re-issued release is worth a person's look (a correction, a reposted
statement), but it may be published deliberately.

Threshold 0.8 (the common choice for near-duplicate text in dedup pipelines such as datatrove's
MinHash stage and Lee et al. 2022): on the 587 US State Department releases, whose readouts share
formulae ("spoke today with", "The below is attributable to Spokesperson Ned Price:"), no two distinct
releases reach it (two pairs do, and they are the same release posted twice under two URLs). Shingles are
our case-folded word tokens, so punctuation and spacing changes do not hide a re-issue; a text shorter
than five words is one shingle. Shingles are hashed with CRC-32 (2.4× faster than datasketch's default
SHA-1, and deterministic across processes, unlike `hash`).

`find(text)` compares with every candidate; `find_for(release_id, text)` skips the release itself, and
`excluding(release_id)` returns a view sharing the index whose `find` does the same, for `check_text`.

A signature depends on the text alone, so the index keeps each corpus text's signature (`signatures`,
by text) and reuses it: a checked release that is also a candidate (the pipeline loads a release before
checking it) is not signed twice, and an index built with `known=` the `signatures` of an earlier index
(the pipeline's previous batch of the same source, whose candidates are mostly the same) signs only the
texts that one did not have. Same signatures, same findings.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity
from pressroom.expectations.text import tokenize

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE_WORDS = 5


def shingles(text: str, size: int = SHINGLE_WORDS, *, analysis: Analysis | None = None) -> set[bytes]:
    """The set of `size`-word shingles of `text` (case-folded tokens joined by spaces), UTF-8 encoded;
    `analysis`, when given, is that of `text`, whose tokens are used."""
    words = (tokenize(text) if analysis is None else analysis.tokens).folded
    if len(words) <= size:
        return {" ".join(words).encode("utf-8", "surrogatepass")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8", "surrogatepass") for i in range(len(words) - size + 1)}


class NearDuplicateRelease(Check):
    """Report candidates whose text is nearly the same as the checked release (see the module docstring)."""

    id = "near-duplicate-release"
    default_severity = "warning"
    applies_to_title = False
    whole_text = True

    def __init__(
        self,
        corpus: Iterable[tuple[str, str]] = (),
        *,
        severity: Severity | None = None,
        threshold: float = 0.8,
        num_perm: int = 128,
        exclude: str | None = None,
        known: Mapping[str, MinHash | None] | None = None,
    ) -> None:
        super().__init__(severity=severity)
        self.threshold = threshold
        self.num_perm = num_perm
        self.exclude = exclude
        from datasketch import MinHashLSH  # imported on use: it loads scipy (~1 s), which `check` never needs

        self._index = MinHashLSH(threshold=threshold, num_perm=num_perm, params=_bands(threshold, num_perm))
        self._hashes: dict[str, MinHash] = {}
        #: The signature of each text of the corpus (None: too short to have one), by text.
        self.signatures: dict[str, MinHash | None] = {}
        known = known or {}
        for release_id, text in corpus:
            if text not in self.signatures:
                self.signatures[text] = known[text] if text in known else self._signature(text)
            signature = self.signatures[text]
            if signature is None or release_id in self._hashes:
                continue
            self._hashes[release_id] = signature
            self._index.insert(release_id, signature)

    def excluding(self, release_id: str) -> NearDuplicateRelease:
        """A view sharing this index whose `find` skips `release_id` (for passing to `check_text`)."""
        view = object.__new__(NearDuplicateRelease)
        view.severity, view.threshold, view.num_perm = self.severity, self.threshold, self.num_perm
        view.exclude, view._index, view._hashes = release_id, self._index, self._hashes
        view.signatures = self.signatures
        return view

    def find(self, text: str) -> list[Finding]:
        return self.find_for(self.exclude, text)

    def find_in(self, analysis: Analysis) -> list[Finding]:
        return self.find_for(self.exclude, analysis.text, analysis=analysis)

    def find_for(self, release_id: str | None, text: str, *, analysis: Analysis | None = None) -> list[Finding]:
        """Findings for `text`, the body of `release_id`, against every other candidate (`analysis`, when
        given, is that of `text`)."""
        signature = self.signatures[text] if text in self.signatures else self._signature(text, analysis)
        if signature is None:
            return []
        matches: list[tuple[float, str]] = []
        for candidate in self._index.query(signature):
            if candidate == release_id:
                continue
            similarity = float(signature.jaccard(self._hashes[candidate]))
            if similarity >= self.threshold:
                matches.append((similarity, str(candidate)))
        return [
            self.finding(text, 0, len(text), f"near-duplicate of release {candidate} (estimated Jaccard {score:.2f})")
            for score, candidate in sorted(matches, key=lambda match: (-match[0], match[1]))
        ]

    def _signature(self, text: str, analysis: Analysis | None = None) -> MinHash | None:
        grams = shingles(text, analysis=analysis)
        if not grams:
            return None
        from datasketch import MinHash

        permutations, scheme = _permutations(self.num_perm)
        signature = MinHash(num_perm=self.num_perm, seed=1, hashfunc=zlib.crc32, permutations=permutations,
                            scheme=scheme)
        signature.update_batch(list(grams))
        return signature


@functools.lru_cache(maxsize=16)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """The LSH bands and rows datasketch picks for `threshold` and `num_perm` (equal weights): found by
    numerical integration, ~30 ms each time an index is made, once per source and batch otherwise (a
    fifth of the flows process's CPU in a 200-source run), so found once."""
    from datasketch import MinHashLSH

    chosen = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(chosen.b), int(chosen.r)


@functools.lru_cache(maxsize=4)
def _permutations(num_perm: int) -> Any:
    """The permutations and scheme of a seed-1 `MinHash` of `num_perm`: the same every time, so made once
    (datasketch draws them anew for every signature otherwise)."""
    from datasketch import MinHash

    model = MinHash(num_perm=num_perm, seed=1, hashfunc=zlib.crc32)
    return model.permutations, model.scheme


class NearDuplicateFound(Check):
    """The findings of a `NearDuplicateRelease` view on one text, worked out beforehand: a check that can
    travel to a worker process (the index cannot, cheaply) and that the engine treats exactly as the view
    (same id, severity, whole-text flag, order among the checks). A view that raised is replayed as the
    same exception's message, which the engine turns into its usual `internal-error` finding."""

    id = NearDuplicateRelease.id
    default_severity = NearDuplicateRelease.default_severity
    applies_to_title = False
    whole_text = True

    def __init__(self, view: NearDuplicateRelease, text: str) -> None:
        super().__init__(severity=view.severity)
        self.found: list[Finding] = []
        self.failure: str | None = None
        try:
            self.found = view.find(text)
        except Exception as error:  # noqa: BLE001 — replayed in the worker, where the engine logs it
            self.failure = f"{type(error).__name__}: {error}"

    def find(self, text: str) -> list[Finding]:
        if self.failure is not None:
            raise RuntimeError(f"near-duplicate lookup failed: {self.failure}")
        return list(self.found)
