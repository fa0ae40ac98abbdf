"""The text checks, one family per module, all built on `expectations.checks.base.Check`."""

from __future__ import annotations

from pressroom.expectations.checks.base import Check
from pressroom.expectations.checks.boilerplate import Boilerplate, recurring_lines
from pressroom.expectations.checks.encoding import Mojibake
from pressroom.expectations.checks.fragments import GarbledFragment
from pressroom.expectations.checks.language import WrongLanguage
from pressroom.expectations.checks.length import TooShort
from pressroom.expectations.checks.markup import MarkupRemnant
from pressroom.expectations.checks.metrics import GopherRepetition, document_metrics
from pressroom.expectations.checks.near_duplicates import NearDuplicateRelease
from pressroom.expectations.checks.punctuation import UnbalancedPunctuation
from pressroom.expectations.checks.repetition import DuplicatedPhrase
from pressroom.expectations.checks.sentences import RepeatedSentence
from pressroom.expectations.checks.titles import AllCapsTitle, EmptyTitle, TruncatedTitle
from pressroom.expectations.checks.truncation import TruncatedText

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
