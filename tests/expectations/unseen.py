"""A seeded evaluation of the issue-14 defect families that the checks cannot be tuned to.

Host texts are real releases, split into two halves by source and by writer: the tuning half is the
State Department's "Office of the Spokesperson" releases and pressroom's own base texts
(tests/fixtures/corpus/base_texts.py); the test half is every other State Department writer (the
Secretary, the Department Spokesperson's briefings and the other officials, which hold almost all the
transcripts) and the GOV.UK items. The material a defect is made of (list words, sentences, share-bar
parts, place names, entities) is split the same way into pool "tune" and pool "test", so the test half
shares neither texts nor phrasing with the tuning half.

Each family's defect is generated in five syntactic positions — at a sentence start, inside a list,
after a quotation, at a paragraph end and inside a transcript turn — with a clean twin made the same way
without the defect. Recall: a finding of the family's check, at `warning` or above, overlapping the
labelled span. False alarm: a finding of the family's check on the clean twin that the untouched host
does not have. Only the test half is reported (`python -m tests.expectations.unseen` prints it; the
gate is tests/expectations/test_unseen_eval.py). Real texts are read from ../shared/fixtures.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pressroom.expectations import Finding, check_text
from pressroom.expectations.text import is_transcript

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
POSITIONS = ("sentence-start", "list", "after-quotation", "paragraph-end", "transcript")
SEED = 14
TUNING_WRITERS = frozenset({"Office of the Spokesperson"})


@dataclass(frozen=True, slots=True)
class Host:
    """A real text the defects are put into, with the half it belongs to."""

    name: str
    text: str
    half: str


@dataclass(frozen=True, slots=True)
class Sample:
    """One generated defect (`start`/`end` label its span in `text`) and its clean twin."""

    family: str
    check: str
    position: str
    host: Host
    text: str
    start: int
    end: int
    twin: str


@dataclass
class Tally:
    """Recall and false alarms of one family on one half."""

    samples: int = 0
    found: int = 0
    false_alarms: int = 0
    missed: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.samples if self.samples else 1.0


def hosts() -> list[Host]:
    """The host texts of both halves (State Department releases split by writer, GOV.UK, base texts)."""
    from tests.expectations.conftest import release_text
    from tests.fixtures.corpus.base_texts import BASE_TEXTS

    found: list[Host] = []
    with (SHARED / "state-dept" / "press-releases-2021.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            half = "tune" if record["creator"] in TUNING_WRITERS else "test"
            found.append(Host(record["guid"], release_text(record["content_html"]), half))
    for path in sorted((SHARED / "govuk").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found.append(Host(path.name, release_text(record.get("details", {}).get("body", "")), "test"))
    found.extend(Host(f"base-{number}", text, "tune") for number, (_, _, text) in enumerate(BASE_TEXTS))
    return [host for host in found if len(host.text) > 400 and "\n\n" in host.text]


# Material pools: "tune" and "test" share no words a rule could latch on to.
POOLS: dict[str, dict[str, list[str]]] = {
    "tune": {
        "verb": ["maintaining", "promoting", "strengthening", "ensuring"],
        "noun": ["stability", "prosperity", "peace", "security", "growth", "dialogue"],
        "tail": ["in the region", "across the continent", "for future generations"],
        "sentence": [
            "The two sides agreed to hold the next round of talks in Nairobi.",
            "Ministers signed a memorandum on customs cooperation.",
            "The delegation visited a water treatment plant outside the capital.",
        ],
        "network": ["Facebook", "Twitter", "LinkedIn", "Email"],
        "bar": ["Share this page: {0} {1}", "{0} | {1} | {2}", "Share on {0} Share on {1}"],
        "prep": ["learn from", "cooperate with", "benefit from"],
        "object": ["Kenya's experience in drought management", "Ghana's expertise in digital payments"],
        "quote": ["historic step", "new chapter", "turning point"],
        "place": ["Hà Nội", "voilà", "città"],
        "entity": ["&amp;amp;", "&nbsp;"],
        "town": ["Addis Ababa", "Dar es Salaam"],
    },
    "test": {
        "verb": ["enhancing", "building", "deepening", "safeguarding", "advancing"],
        "noun": ["connectivity", "resilience", "transparency", "trade", "investment", "cooperation", "unity"],
        "tail": ["among member states", "along the border", "in the years ahead", "with its neighbours"],
        "sentence": [
            "Officials will meet again in Montevideo before the end of the year.",
            "Thank you all for coming.",
            "The envoy also met representatives of civil society and the private sector.",
            "Both governments welcomed the reopening of the consulate in Busan.",
        ],
        "network": ["WhatsApp", "Telegram", "X", "Reddit", "Messenger", "Pinterest"],
        "bar": ["Share: {0}, {1}, {2}", "{0} · {1} · Print", "Tweet Share {1}", "Share {0} 12 Share {1} 3",
                "Share via {0} or {1}"],
        "prep": ["draw lessons from", "work closely with", "take inspiration from", "stay in touch with"],
        "object": ["Viet Nam's record on rural electrification", "Chile's approach to pension reform",
                   "Norway's management of its sovereign fund"],
        "quote": ["decisive moment", "shared responsibility", "red line", "fresh start"],
        "place": ["Đà Nẵng", "Cà Mau", "Bà Rịa", "déjà vu", "5\u00a0km", "Jürgen"],
        "entity": ["&amp;amp;", "&#8217;", "<br>", "&quot;"],
        "town": ["Ouagadougou", "Port Moresby", "Santo Domingo", "Kuala Lumpur"],
    },
}
SUBJECTS = ["The Minister reaffirmed the commitment to", "Both leaders stressed the importance of",
            "The statement underlined the value of", "Officials spoke about"]
QUOTED = "“We will keep working together,” the Minister said."


def _mojibake(word: str) -> str:
    """`word` as UTF-8 read as Windows-1252, with no-break spaces turned into plain ones afterwards."""
    return word.encode("utf-8").decode("cp1252", errors="replace").replace("\u00a0", " ").replace("\ufffd", "?")


# A family makes (defective snippet, span of the defect in it, clean twin snippet); `shape` says whether
# the snippet is a sentence put inside a paragraph or a paragraph of its own.
Maker = Callable[[random.Random, dict[str, list[str]]], tuple[str, int, int, str]]


def _list_tail(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    first, second, third = rng.sample(pool["noun"], 3)
    head = f"{rng.choice(SUBJECTS)} {rng.choice(pool['verb'])} {first}, {second} and "
    return f"{head}{first} {rng.choice(pool['tail'])}.", len(head), len(head) + len(first), \
        f"{head}{third} {rng.choice(pool['tail'])}."


def _cap_stray(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    head = f"The Minister said the country was keen to {rng.choice(pool['prep'])}. "
    thing = rng.choice(pool["object"])
    return f"{head}{thing}.", len(head), len(head) + len(thing) + 1, f"{head[:-2]} {thing}."


def _single_quote(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    head = "The Foreign Minister described the agreement as a '"
    phrase = rng.choice(pool["quote"])
    return f"{head}{phrase} for both nations.", len(head) - 1, len(head), f"{head}{phrase}' for both nations."


def _mojibake_space(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    place = rng.choice(pool["place"])
    head = "The delegation then held talks in "
    broken = _mojibake(place)
    return f"{head}{broken} with local officials.", len(head), len(head) + len(broken), \
        f"{head}{place} with local officials."


def _entity_double(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    town = rng.choice(pool["town"])
    head = f"The summit will take place in {rng.choice(pool['entity'])} {town}. "
    return f"{head}{town}.", len(head), len(head) + len(town) + 1, f"{head}It opens on Monday."


def _echo(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    sentence = rng.choice(pool["sentence"])
    other = rng.choice([s for s in pool["sentence"] if s != sentence])
    return f"{sentence}\n\n{sentence}", len(sentence) + 2, 2 * len(sentence) + 2, f"{sentence}\n\n{other}"


def _share_bar(rng: random.Random, pool: dict[str, list[str]]) -> tuple[str, int, int, str]:
    bar = rng.choice(pool["bar"]).format(*rng.sample(pool["network"], 3))
    prose = f"Photographs of the visit are on the Ministry's {rng.choice(pool['network'])} account and website."
    return f"\n\n{bar}\n\n", 2, 2 + len(bar), f"\n\n{prose}\n\n"


FAMILIES: dict[str, tuple[str, Maker, str]] = {
    "list-tail": ("duplicated-phrase", _list_tail, "sentence"),
    "echo-paragraph": ("repeated-sentence", _echo, "echo"),
    "share-bar": ("boilerplate", _share_bar, "paragraph"),
    "capitalised-stray-stop": ("garbled-fragment", _cap_stray, "sentence"),
    "unclosed-single-quote": ("unbalanced-punctuation", _single_quote, "sentence"),
    "mojibake-space": ("mojibake", _mojibake_space, "sentence"),
    "entity-doubled-tail": ("garbled-fragment", _entity_double, "sentence"),
}


def _place(host: str, position: str, rng: random.Random, snippet: str, shape: str) -> tuple[str, int]:
    """`host` with `snippet` put at `position`; returns the text and where the snippet starts."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", host)]
    start, end = spans[rng.randrange(len(spans))] if position != "paragraph-end" else spans[-1]
    if position == "transcript":
        turns = [span for span in spans if re.match(r"[A-Z][A-Z .']+:\s", host[span[0] : span[1]])]
        start, end = rng.choice(turns or spans)
    if shape == "echo":
        # The sentence ends a paragraph (a list, a quotation, a speaker's turn or an ordinary paragraph)
        # and is written again as the next paragraph.
        context = {"list": "\n\nThe agreement covers:\n• cooperation on customs and trade\n• ",
                   "after-quotation": " " + QUOTED + " "}.get(position, " ")
        lead = host[:end] + context
        return lead + snippet + host[end:], len(lead)
    if position == "list":
        intro = "The agreement covers:\n• cooperation on customs and trade\n• "
        text = host[:end] + "\n\n" + intro
        return text + snippet + "\n• exchanges between universities" + host[end:], len(text)
    if position == "after-quotation":
        lead = host[:end] + " " + QUOTED + ("\n\n" if shape != "sentence" else " ")
        return lead + snippet + host[end:], len(lead)
    if shape == "paragraph":
        return host[:end] + snippet + host[end:].lstrip("\n"), end
    if position == "sentence-start" and shape == "sentence":
        return host[:start] + snippet + " " + host[start:], start
    lead = host[:end] + (" " if shape == "sentence" else "\n\n")
    return lead + snippet + host[end:], len(lead)


def samples(half: str, per_position: int = 6, seed: int = SEED) -> Iterator[Sample]:
    """`per_position` samples of every family in every position, from `half`'s hosts and pool."""
    rng = random.Random(f"{seed}-{half}")
    pool = POOLS[half]
    chosen = [host for host in hosts() if host.half == half]
    transcripts = [host for host in chosen if is_transcript(host.text)]
    for family, (check, maker, shape) in FAMILIES.items():
        for position in POSITIONS:
            for _ in range(per_position):
                host = rng.choice(transcripts if position == "transcript" and transcripts else chosen)
                snippet, start, end, twin_snippet = maker(rng, pool)
                state = rng.getstate()
                text, offset = _place(host.text, position, rng, snippet, shape)
                rng.setstate(state)
                twin, _ = _place(host.text, position, rng, twin_snippet, shape)
                yield Sample(family, check, position, host, text, offset + start, offset + end, twin)


def evaluate(half: str, per_position: int = 6) -> dict[str, Tally]:
    """Recall and false alarms per family on `half` (see the module docstring)."""
    tallies: dict[str, Tally] = {family: Tally() for family in FAMILIES}
    baseline: dict[str, list[Finding]] = {}
    for sample in samples(half, per_position):
        tally = tallies[sample.family]
        tally.samples += 1
        found = [f for f in check_text(sample.text) if f.check == sample.check and f.severity != "info"]
        if any(f.start < max(sample.end, sample.start + 1) and f.end > sample.start for f in found):
            tally.found += 1
        else:
            tally.missed.append(f"{sample.position}: {sample.text[sample.start - 60 : sample.end + 20]!r}")
        if sample.host.name not in baseline:
            baseline[sample.host.name] = check_text(sample.host.text)
        known = {(f.check, f.excerpt) for f in baseline[sample.host.name] if f.severity != "info"}
        for finding in check_text(sample.twin):
            if finding.check == sample.check and finding.severity != "info" and (finding.check, finding.excerpt) \
                    not in known:
                tally.false_alarms += 1
                tally.alarms.append(f"{sample.position}: {finding.excerpt!r} {finding.message}")
    return tallies


def report(tallies: dict[str, Tally]) -> str:
    lines = [f"{'family':24} {'check':24} {'samples':>7} {'recall':>7} {'false alarms':>12}"]
    for family, tally in tallies.items():
        check = FAMILIES[family][0]
        lines.append(f"{family:24} {check:24} {tally.samples:>7} {tally.recall:>7.1%} {tally.false_alarms:>12}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    half = sys.argv[1] if len(sys.argv) > 1 else "test"
    result = evaluate(half)
    sys.stdout.write(f"half: {half}\n{report(result)}\n")
    if "-v" in sys.argv:
        for family, tally in result.items():
            for line in tally.missed[:5] + tally.alarms[:5]:
                sys.stdout.write(f"  {family}: {line}\n")
