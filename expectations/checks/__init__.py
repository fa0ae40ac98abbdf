"""The text checks, one family per module, all built on `expectations.checks.base.Check`."""

from __future__ import annotations

from expectations.checks.base import Check
from expectations.checks.boilerplate import Boilerplate, recurring_lines
from expectations.checks.encoding import Mojibake
from expectations.checks.fragments import GarbledFragment
from expectations.checks.language import WrongLanguage
from expectations.checks.length import TooShort
from expectations.checks.markup import MarkupRemnant
from expectations.checks.metrics import GopherRepetition, document_metrics
from expectations.checks.near_duplicates import NearDuplicateRelease
from expectations.checks.punctuation import UnbalancedPunctuation
from expectations.checks.repetition import DuplicatedPhrase
from expectations.checks.sentences import RepeatedSentence
from expectations.checks.titles import AllCapsTitle, EmptyTitle, TruncatedTitle
from expectations.checks.truncation import TruncatedText

__all__ = [
    "AllCapsTitle",
    "Boilerplate",
    "Check",
    "DuplicatedPhrase",
    "EmptyTitle",
    "GarbledFragment",
    "GopherRepetition",
    "MarkupRemnant",
    "Mojibake",
    "NearDuplicateRelease",
    "RepeatedSentence",
    "TooShort",
    "TruncatedText",
    "TruncatedTitle",
    "UnbalancedPunctuation",
    "WrongLanguage",
    "document_metrics",
    "recurring_lines",
]
