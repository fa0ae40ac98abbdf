"""Render the demo sources template: ``{demo:<site>}`` placeholders become running sites' base URLs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

SOURCES_TEMPLATE = Path(__file__).resolve().parent / "sources.toml"

_PLACEHOLDER = re.compile(r"\{demo:([a-z0-9-]+)\}")
_SOURCES_TABLE = re.compile(r"^(?=\[\[sources\]\])", re.MULTILINE)


def render_sources(template: Path, out: Path, base_urls: Mapping[str, str], *, only_running: bool = False) -> Path:
    """Write ``template`` to ``out`` with every ``{demo:<site>}`` replaced by that site's base URL.

    A placeholder naming a site missing from ``base_urls`` is an error, unless ``only_running``: then
    each ``[[sources]]`` table that mentions such a site is left out of ``out``.
    """

    def replace(match: re.Match[str]) -> str:
        site_id = match.group(1)
        if site_id not in base_urls:
            raise ValueError(f"{template}: placeholder {match.group(0)} has no running demo site")
        return base_urls[site_id].rstrip("/")

    text = template.read_text(encoding="utf-8")
    if only_running:
        tables = _SOURCES_TABLE.split(text)
        text = "".join(t for t in tables if set(_PLACEHOLDER.findall(t)) <= set(base_urls))
    text = _PLACEHOLDER.sub(replace, text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
