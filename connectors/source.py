"""The keys every source has, whatever its kind, and validators the kinds share.

A source's model is validated before any request is made (``extra="forbid"``: an unknown key is an
error naming it). Kind-specific models live in :mod:`connectors.kinds`.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import soupsieve
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pressroom.connectors.http import MAX_CONNECTIONS, SitePolicy

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Keys whose value must match a pattern (``re.match``), and what a value that does not is said to be.
_FORMATS = {
    "id": (SOURCE_ID, "must match [a-z0-9-]+"),
    "country": (re.compile(r"[A-Z]{2}\Z"), "is not an ISO 3166-1 alpha-2 code"),
    "language": (re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z"), "is not a language code such as 'en'"),
}


def matching(value: str, pattern: re.Pattern[str], problem: str) -> str:
    """``value`` when ``pattern`` matches at its start, else a ValueError saying ``value`` ``problem``."""
    if not pattern.match(value):
        raise ValueError(f"{value!r} {problem}")
    return value


class SourceConfig(BaseModel):
    """Keys every source has, whatever its kind.

    ``retry_statuses`` are HTTP statuses retried for this source on top of the session's own
    (429 and 5xx): the US State Department throttles with ``403`` HTML pages, so its entry lists 403.
    ``connections`` is how many requests to the source's host may be in flight at once (default 1:
    the next starts after the last was answered); ``min_interval`` between starts holds whatever it is.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind_name: ClassVar[str] = ""

    id: str
    name: str
    country: str
    language: str = "en"
    timezone: str = "UTC"
    kind: str
    url: str
    enabled: bool = True
    min_interval: float = Field(default=1.0, ge=0)
    max_pages: int = Field(default=200, ge=1, description="listing pages followed at most in one run")
    retry_statuses: tuple[int, ...] = ()
    connections: int = Field(default=1, ge=1, le=MAX_CONNECTIONS, description="requests in flight to the host at once")

    @field_validator(*_FORMATS)
    @classmethod
    def _format(cls, value: str, info: ValidationInfo) -> str:
        return matching(value, *_FORMATS[str(info.field_name)])

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone") from None
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("retry_statuses")
    @classmethod
    def _statuses(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for status in value:
            if not 400 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP error status (400-599)")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({urlsplit(self.url).netloc.lower()})

    @property
    def policy(self) -> SitePolicy:
        """How this source may be fetched: its hosts, its interval, its extra retry statuses and how many
        requests may be in flight to it."""
        return SitePolicy(
            hosts=self.hosts, min_interval=self.min_interval, retry_statuses=frozenset(self.retry_statuses),
            connections=self.connections,
        )


def check_selector(selector: str) -> None:
    """Raise ``ValueError`` naming ``selector`` when it is not valid CSS."""
    try:
        soupsieve.compile(selector)
    except (soupsieve.SelectorSyntaxError, TypeError) as error:
        raise ValueError(f"{selector!r} is not a CSS selector ({str(error).splitlines()[0]})") from None


def check_selectors(value: str | tuple[str, ...] | None) -> None:
    """:func:`check_selector` on one selector, a tuple of them, or nothing."""
    if value is None:
        return
    for selector in (value,) if isinstance(value, str) else value:
        check_selector(selector)


def alternatives(selector: str) -> tuple[str, ...]:
    """The comma-separated alternatives of a selector list, in the order written (commas inside
    brackets, parentheses or quotes do not separate)."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(selector):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selector[start:index].strip())
            start = index + 1
    parts.append(selector[start:].strip())
    return tuple(part for part in parts if part)
