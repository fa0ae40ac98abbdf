"""``pressroom sources add URL``: probe a site (:mod:`connectors.probe`), propose its ``[[sources]]`` table,
preview its first releases with the very connector the table configures, and append it on ``--write``.

The preview is the proof: the table is parsed by the same validation as the sources file, then its
connector discovers, fetches and parses the first :data:`PREVIEW` releases. ``--write`` appends only a
table that validates together with the file it goes into (an id already there is an error).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

from pressroom.connectors.config import Config, SourceConfig, parse_config
from pressroom.connectors.http import FetchError, HttpSettings, PoliteSession
from pressroom.connectors.model import ParseFailure, Release, Window
from pressroom.connectors.probe import Prober, Proposal
from pressroom.connectors.registry import connector_for, parse_safely

PREVIEW = 5
#: Listings looked at to find ``PREVIEW`` releases (a listing may start with skips).
PREVIEW_LISTINGS = 15
#: Country-code top-level domains are ISO 3166-1 codes, with the exceptions that matter here.
TLD_COUNTRY = {"uk": "GB"}


@dataclass(frozen=True)
class PreviewRow:
    title: str
    published_at: datetime | None
    first_line: str
    url: str
    problem: str = ""


def default_id(url: str) -> str:
    host = (urlsplit(url).hostname or "site").lower().removeprefix("www.")
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"


def guess_country(url: str) -> str:
    """The country of a ``.gov.pk``-style host, else ``ZZ`` (ISO 3166 "unknown"; edit it)."""
    tld = (urlsplit(url).hostname or "").rsplit(".", 1)[-1].lower()
    if tld in TLD_COUNTRY:
        return TLD_COUNTRY[tld]
    return tld.upper() if re.fullmatch(r"[a-z]{2}", tld) else "ZZ"


def render_table(entry: dict[str, object]) -> str:
    """One ``[[sources]]`` table in TOML (strings JSON-quoted, which TOML basic strings accept)."""
    lines = ["[[sources]]"]
    for key, value in entry.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = repr(value)
        else:
            text = json.dumps(str(value), ensure_ascii=False)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def proposal_entry(proposal: Proposal, *, source_id: str, url: str, country: str | None, timezone: str,
                   min_interval: float) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": source_id,
        "name": proposal.name or (urlsplit(url).hostname or source_id),
        "country": country or guess_country(url),
        "language": proposal.language,
        "timezone": timezone,
        "kind": proposal.kind,
        "url": proposal.url,
    }
    if min_interval != 1.0:
        entry["min_interval"] = min_interval
    entry.update(proposal.keys)
    return entry


def validate(entry: dict[str, object], *, into: Path | None) -> SourceConfig:
    """The entry as the sources file will read it (with the file it is appended to, when given)."""
    text = render_table(entry)
    if into is not None and into.exists():
        text = into.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + text
    config: Config = parse_config(tomllib.loads(text), path=str(into or "<proposal>"), text=text)
    return next(source for source in config.sources if source.id == entry["id"])


def preview(source: SourceConfig, session: PoliteSession, *, count: int = PREVIEW) -> list[PreviewRow]:
    """The first ``count`` releases the source yields (newest first as listed), or why a page failed."""
    connector = connector_for(source, session)
    rows: list[PreviewRow] = []
    window = Window(since=None, until=datetime.now(UTC))
    for listing in islice(connector.discover(window), PREVIEW_LISTINGS):
        if len(rows) >= count:
            break
        if listing.skip is not None:
            continue
        try:
            parsed = parse_safely(connector.parse, connector.fetch(listing))
        except FetchError as error:
            rows.append(PreviewRow(listing.title or "", listing.listed_at, "", listing.url, error.reason))
            continue
        if isinstance(parsed, ParseFailure):
            rows.append(PreviewRow(listing.title or "", listing.listed_at, "", listing.url, parsed.reason))
        elif isinstance(parsed, Release):
            rows.append(PreviewRow(parsed.title, parsed.published_at, parsed.body_text.split("\n\n", 1)[0],
                                   parsed.url))
    return rows


def propose(url: str, *, source_id: str | None, country: str | None, timezone: str, min_interval: float,
            http: HttpSettings, into: Path | None) -> tuple[dict[str, object], Proposal, list[PreviewRow]]:
    """Probe ``url``; the entry, how it was found and its preview. Raises ValueError when nothing fits."""
    with PoliteSession(http) as session:
        proposal = Prober(session, url, min_interval=min_interval).propose()
        entry = proposal_entry(proposal, source_id=source_id or default_id(url), url=url, country=country,
                               timezone=timezone, min_interval=min_interval)
        source = validate(entry, into=None)
        rows = preview(source, session)
    return entry, proposal, rows


def append(entry: dict[str, object], path: Path) -> None:
    """Append the table to ``path`` after checking the whole file still validates."""
    validate(entry, into=path)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    separator = "" if not existing else ("\n" if existing.endswith("\n") else "\n\n")
    path.write_text(existing + separator + render_table(entry), encoding="utf-8")
