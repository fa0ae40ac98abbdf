"""Bundled demo mirror: two fictional ministry websites served from ``content/*.json`` on 127.0.0.1.

Used by ``pressroom demo`` (offline) and by the test suite. ``DemoMirror`` starts the sites,
``render_sources`` writes a sources file pointing at them from the template ``SOURCES_TEMPLATE``.
The server module is imported lazily so that ``python -m pressroom.infra.demo.server`` runs it only once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pressroom.infra.demo.content import CONTENT_DIR, Defect, Release, Site, load_site, load_sites

if TYPE_CHECKING:
    from pressroom.infra.demo.server import DemoMirror, RequestRecord
    from pressroom.infra.demo.sources import SOURCES_TEMPLATE, render_sources

_LAZY = {"DemoMirror": "pressroom.infra.demo.server", "RequestRecord": "pressroom.infra.demo.server",
         "SOURCES_TEMPLATE": "pressroom.infra.demo.sources", "render_sources": "pressroom.infra.demo.sources"}

__all__ = [
    "CONTENT_DIR",
    "SOURCES_TEMPLATE",
    "Defect",
    "DemoMirror",
    "Release",
    "RequestRecord",
    "Site",
    "load_site",
    "load_sites",
    "render_sources",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
