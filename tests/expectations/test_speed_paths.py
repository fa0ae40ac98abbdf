"""The speed paths of the engine (issue 14) give the same findings as the plain ones.

* `duplicated-phrase` compares short texts word by word and long ones with numpy: both must find the
  same candidate positions on any text.
* `check_releases` spreads a batch over worker processes: its result must be `check_release` on each
  release, in order, whatever the number of jobs.
* A text longer than `text._CHUNK` is tokenised a chunk at a time into arrays: the tokens must be
  those of the whole text at once.
* A short text is checked without importing numpy or ftfy (start-up of `pressroom check`), and a text
  that needs them still gets them.
* `mojibake` looks for replacement and C1 characters only when a suspect character is one: the same
  findings as looking always.
* The language model is loaded before forking workers only for batches in which they would likely load it.
* The Gopher metrics order long arrays with a stable sort, short ones with numpy's default: the same
  masks either way.
* `unbalanced-punctuation` does not visit a single quote between two letters or digits (an apostrophe):
  the same findings as visiting every mark.
"""

from __future__ import annotations

import re
import subprocess
import sys
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom.expectations import check_release
from pressroom.expectations import text as text_module
from pressroom.expectations.analysis import Analysis
from pressroom.expectations.checks import encoding, language, metrics, punctuation, repetition
from pressroom.expectations.checks.repetition import _doubled_at, _joined
from pressroom.expectations.engine import ReleaseText, check_releases, default_checks

WORDS = ["the", "The", "of", "peace", "Peace", "and", "to", "a", "security"]
GAPS = [" ", " ", " ", ", ", "\n", "\n\n", ". ", " \n"]


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=80))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(words), max_size=len(words)))
    return "".join(gap + word for gap, word in zip(gaps, words, strict=True))


@settings(max_examples=300, deadline=None)
@given(texts(), st.integers(min_value=1, max_value=8), st.booleans())
def test_word_by_word_and_vector_paths_find_the_same_positions(text: str, largest: int, after_space: bool) -> None:
    analysis = Analysis(text)
    joined = _joined(analysis)
    sizes = range(largest, 0, -1)
    original = repetition._VECTOR_TOKENS
    try:
        repetition._VECTOR_TOKENS = 0
        vector = _doubled_at(analysis, joined, sizes, after_space=after_space)
        repetition._VECTOR_TOKENS = 10**9
        plain = _doubled_at(analysis, joined, sizes, after_space=after_space)
    finally:
        repetition._VECTOR_TOKENS = original
    assert plain == vector


def test_check_releases_equals_check_release_on_each_in_order(
    state_dept_releases: list[dict[str, str]], seed_text: str
) -> None:
    chosen = state_dept_releases[:40]
    batch = [ReleaseText(r["title"], r["text"]) for r in chosen]
    batch.insert(7, ReleaseText("SEED", seed_text, "en", default_checks("en")))
    batch.append(ReleaseText("Titre", "Le ministre a souligné l'importance de la coopération régionale. " * 5, "fr"))
    expected = [check_release(r.title, r.body, language=r.language, body_checks=r.body_checks) for r in batch]
    assert check_releases(batch, jobs=2) == expected
    assert check_releases(batch, jobs=1) == expected
    assert check_releases(batch[:3], jobs=4) == expected[:3]
    assert check_releases([], jobs=2) == []


@pytest.mark.parametrize(
    ("text", "loaded"),
    [
        ("The Minister met the Ambassador of Chile on Monday.", []),
        ("The talks in Ná»™i went well. " * 3, ["ftfy"]),
        ("The Minister met the Ambassador of Chile on Monday and they talked. " * 30, ["numpy"]),
    ],
)
def test_heavy_libraries_load_only_for_texts_that_need_them(text: str, loaded: list[str]) -> None:
    script = (
        "import sys\n"
        "from pressroom.expectations import check_text\n"
        f"check_text({text!r})\n"
        "print(' '.join(m for m in ('numpy', 'ftfy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == loaded


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab_ .,\n\r\t\u00a0’'-ßİ", max_size=300), st.integers(min_value=0, max_value=40))
def test_a_long_text_is_tokenised_in_chunks_exactly_as_at_once(text: str, chunk: int) -> None:
    original = text_module._CHUNK
    try:
        text_module._CHUNK = 10**9
        whole = text_module.tokenize.__wrapped__(text)
        text_module._CHUNK = chunk
        chunked = text_module.tokenize.__wrapped__(text)
    finally:
        text_module._CHUNK = original
    assert len(text) <= chunk or isinstance(chunked.starts, array)
    assert (list(chunked.starts), list(chunked.ends)) == (list(whole.starts), list(whole.ends))
    assert (chunked.folded, chunked.spaced) == (whole.folded, whole.spaced)


def test_check_releases_ends_its_workers_under_a_handler_that_only_notes_sigterm() -> None:
    """`pressroom recheck` handles SIGTERM by noting a stop request; workers forked with that handler
    ignored the SIGTERM that ends a pool, and the command hung. Run in a child with a time limit, so a
    hang fails the test instead of the suite."""
    script = (
        "import signal\n"
        "import threading\n"
        "from pressroom.expectations.engine import ReleaseText, check_releases\n"
        "noted = []\n"
        "signal.signal(signal.SIGTERM, lambda signum, frame: noted.append(signum))\n"
        "signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))\n"
        "body = 'The Minister met the Ambassador of Chile on Monday to discuss trade and investment. ' * 4\n"
        "out = {}\n"
        "for _ in range(5):\n"  # as in `recheck`: the flow runs on a thread while the main one handles signals
        "    work = threading.Thread(target=lambda: out.update(found=check_releases([ReleaseText('Talks', body)] * 40,"
        " jobs=2)))\n"
        "    work.start()\n"
        "    work.join()\n"
        "print(len(out['found']), noted)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["40", "[]"]


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


MOJIBAKE_PIECES = ["The", " ", "minister", "’", "“", "—", "\ufffd", "\x85", "\x9f", "â€™", "Ã©", "Ã ", "Â ",
                   "Ná»™i", "é", "😀", "\u00a0", "\n"]


@settings(max_examples=300, deadline=None, database=None)
@given(pieces=st.lists(st.sampled_from(MOJIBAKE_PIECES), max_size=30))
def test_mojibake_scans_for_broken_characters_only_where_a_suspect_is_one(pieces: list[str]) -> None:
    text = "".join(pieces)
    fast = encoding.Mojibake().find(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoding, "_BROKEN_CHARACTERS", _Everything())
        assert encoding.Mojibake().find(text) == fast


def test_language_model_is_loaded_before_forking_only_for_enough_texts_per_worker() -> None:
    per_worker = language.MODEL_TEXTS_PER_WORKER
    language._identifier.cache_clear()
    language.load_model_before_fork(2 * per_worker - 1, 2)
    language.load_model_before_fork(10 * per_worker, 1)
    assert language._identifier.cache_info().currsize == 0
    language.load_model_before_fork(2 * per_worker, 2)
    assert language._identifier.cache_info().currsize == 1


def test_a_letter_or_digit_in_the_mark_regex_is_exactly_what_isalnum_says() -> None:
    alphanumeric = re.compile(r"[^\W_]")
    differing = [code for code in range(sys.maxunicode + 1)
                 if (alphanumeric.fullmatch(chr(code)) is not None) != chr(code).isalnum()]
    assert differing == []


QUOTE_PIECES = ["’", "‘", "'", '"', "“", "”", "(", ")", "[", "]", "a", "B", "7", "²", "_", "é", " ", "\n",
                "\n\n", "Pakistan", "don", "t", "s", " the", "http://x.org/a'b", ":)", "مسیح", "١"]


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(st.sampled_from(QUOTE_PIECES), max_size=40))
def test_punctuation_skipping_apostrophes_finds_what_visiting_every_mark_finds(pieces: list[str]) -> None:
    text = "".join(pieces)
    check = punctuation.UnbalancedPunctuation()
    fast = check.find_in(Analysis(text))
    original = punctuation._MARK_RE
    try:
        punctuation._MARK_RE = re.compile(r"[()\[\]{}（）【】\"“”„‘’']")
        plain = check.find_in(Analysis(text))
    finally:
        punctuation._MARK_RE = original
    assert fast == plain


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1) | st.sampled_from([0, 1, 2**63, 2**64 - 1]),
                min_size=1, max_size=200))
def test_gopher_repeats_are_the_same_with_the_stable_and_the_default_sort(values: list[int]) -> None:
    import numpy as np

    array_ = np.array(values, dtype=np.uint64)
    original = metrics._STABLE_SORT_FROM
    try:
        metrics._STABLE_SORT_FROM = 0
        stable = metrics._repeated(array_)
        metrics._STABLE_SORT_FROM = 10**9
        default = metrics._repeated(array_)
    finally:
        metrics._STABLE_SORT_FROM = original
    assert (stable is None) == (default is None)
    if stable is not None and default is not None:
        assert stable[0].tolist() == default[0].tolist()
        assert stable[1].tolist() == default[1].tolist()
