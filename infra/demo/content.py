"""Typed model of the demo content files (``content/<site>.json``) and their loader.

A content file holds one ``site`` object and a list of ``releases``. A release body is a list of
blocks: a plain string is a paragraph; ``{"heading": str}``, ``{"list": [str, ...]}`` and
``{"lines": [str, ...]}`` (one paragraph whose lines are separated by ``<br>``) are the others.
``defects`` lists the planted text defects the pipeline must hold; ``lookalikes`` lists clean
constructions a naive checker would wrongly flag. Both are substrings of the rendered page text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CONTENT_DIR = Path(__file__).resolve().parent / "content"

DEFECT_KINDS = frozenset(
    {
        "duplicated-phrase",
        "repeated-list-item",
        "broken-sentence",
        "repeated-tail",
        "unbalanced-bracket",
        "unbalanced-quote",
    }
)
LAYOUTS = frozenset({"articles", "table"})
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SITE_ID = re.compile(r"[a-z0-9-]+")
_NOON = time(12, 0)


class ContentError(ValueError):
    """A content file does not match the schema; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineGroup:
    lines: tuple[str, ...]


Block = Paragraph | Heading | BulletList | LineGroup


@dataclass(frozen=True, slots=True)
class Defect:
    """A planted defect: ``text`` is the minimal defective span, ``context`` a unique span around it."""

    kind: str
    field: str
    text: str
    context: str


@dataclass(frozen=True, slots=True)
class Release:
    slug: str
    title: str
    date: date
    time: time | None
    body: tuple[Block, ...]
    defects: tuple[Defect, ...]
    lookalikes: tuple[str, ...]
    number: int | None = None

    @property
    def is_defective(self) -> bool:
        return bool(self.defects)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    source_id: str
    layout: str
    name: str
    short_name: str
    country: str
    language: str
    timezone: str
    per_page: int
    address: str
    phone: str
    copyright: str
    releases: tuple[Release, ...]

    def published_at(self, release: Release) -> datetime:
        """Publication instant in the site's zone; a release without a time counts as local noon."""
        return datetime.combine(release.date, release.time or _NOON, tzinfo=ZoneInfo(self.timezone))

    def newest_first(self) -> list[Release]:
        """Listing order: newest first; ties broken by time, then by number or slug, descending."""
        return sorted(
            self.releases,
            key=lambda r: (r.date, r.time or _NOON, r.number or 0, r.slug),
            reverse=True,
        )

    def release(self, slug: str) -> Release:
        for candidate in self.releases:
            if candidate.slug == slug:
                return candidate
        raise KeyError(f"site {self.id!r} has no release {slug!r}")


def load_sites(content_dir: Path = CONTENT_DIR) -> dict[str, Site]:
    """Every ``*.json`` file in ``content_dir``, keyed by site id, in file-name order."""
    sites: dict[str, Site] = {}
    for path in sorted(content_dir.glob("*.json")):
        site = load_site(path)
        if site.id in sites:
            raise ContentError(f"{path}: duplicate site id {site.id!r}")
        sites[site.id] = site
    if not sites:
        raise ContentError(f"{content_dir}: no content files (*.json)")
    return sites


def load_site(path: Path) -> Site:
    raw = json.loads(path.read_text(encoding="utf-8"))
    meta = _mapping(raw, "site", path)
    site_id = _text(meta, "id", path)
    if not _SITE_ID.fullmatch(site_id):
        raise ContentError(f"{path}: site.id {site_id!r} must match [a-z0-9-]+")
    layout = _text(meta, "layout", path)
    if layout not in LAYOUTS:
        raise ContentError(f"{path}: site.layout {layout!r} is not one of {sorted(LAYOUTS)}")
    ZoneInfo(_text(meta, "timezone", path))
    releases = tuple(_release(entry, path, index) for index, entry in enumerate(raw.get("releases", [])))
    slugs = [r.slug for r in releases]
    if len(set(slugs)) != len(slugs):
        raise ContentError(f"{path}: duplicate release slugs")
    if layout == "table" and any(r.number is None for r in releases):
        raise ContentError(f"{path}: the table layout needs a numeric 'id' on every release")
    per_page = meta.get("per_page", 10)
    if not isinstance(per_page, int) or per_page < 1:
        raise ContentError(f"{path}: site.per_page must be a positive integer")
    return Site(
        id=site_id,
        source_id=_text(meta, "source_id", path),
        layout=layout,
        name=_text(meta, "name", path),
        short_name=_text(meta, "short_name", path),
        country=_text(meta, "country", path),
        language=_text(meta, "language", path),
        timezone=_text(meta, "timezone", path),
        per_page=per_page,
        address=_text(meta, "address", path),
        phone=_text(meta, "phone", path),
        copyright=_text(meta, "copyright", path),
        releases=releases,
    )


def _release(entry: Any, path: Path, index: int) -> Release:
    where = f"{path}: releases[{index}]"
    if not isinstance(entry, dict):
        raise ContentError(f"{where} must be an object")
    slug = _text(entry, "slug", where)
    if not _SLUG.fullmatch(slug):
        raise ContentError(f"{where}: slug {slug!r} must be lower-case words joined by '-'")
    number = entry.get("id")
    if number is not None and not isinstance(number, int):
        raise ContentError(f"{where}: id must be an integer")
    clock = entry.get("time")
    body = entry.get("body")
    if not isinstance(body, list) or not body:
        raise ContentError(f"{where}: body must be a non-empty list")
    return Release(
        slug=slug,
        title=_text(entry, "title", where),
        date=date.fromisoformat(_text(entry, "date", where)),
        time=time.fromisoformat(clock) if isinstance(clock, str) else None,
        body=tuple(_block(block, where) for block in body),
        defects=tuple(_defect(item, where) for item in entry.get("defects", [])),
        lookalikes=tuple(str(item) for item in entry.get("lookalikes", [])),
        number=number,
    )


def _block(block: Any, where: str) -> Block:
    if isinstance(block, str):
        return Paragraph(block)
    if isinstance(block, dict) and len(block) == 1:
        ((kind, value),) = block.items()
        if kind == "heading" and isinstance(value, str):
            return Heading(value)
        if kind in {"list", "lines"} and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return BulletList(tuple(value)) if kind == "list" else LineGroup(tuple(value))
    raise ContentError(f"{where}: unknown body block {block!r}")


def _defect(item: Any, where: str) -> Defect:
    if not isinstance(item, dict):
        raise ContentError(f"{where}: each defect must be an object")
    kind = _text(item, "kind", where)
    if kind not in DEFECT_KINDS:
        raise ContentError(f"{where}: unknown defect kind {kind!r}")
    field = item.get("field", "body")
    if field not in {"title", "body"}:
        raise ContentError(f"{where}: defect field must be 'title' or 'body'")
    text = _text(item, "text", where)
    context = str(item.get("context", text))
    if text not in context:
        raise ContentError(f"{where}: defect text {text!r} is not inside its context")
    return Defect(kind=kind, field=field, text=text, context=context)


def _mapping(raw: Any, key: str, path: Path) -> dict[str, Any]:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, dict):
        raise ContentError(f"{path}: missing object {key!r}")
    return value


def _text(raw: dict[str, Any], key: str, where: object) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ContentError(f"{where}: missing or empty string field {key!r}")
    return value
