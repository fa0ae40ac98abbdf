"""robots.txt rules, fetched once per scheme+netloc and shared by every thread of a session.

Parsing is ``urllib.robotparser``, so its limits are ours: no ``*``/``$`` wildcards in paths, the first
matching Allow/Disallow line wins (not the longest, as RFC 9309 says), and only whole-second
``Crawl-delay`` values are read. User-agent groups match on the product token of our UA
(``"pressroom/0.1 (+…)"`` -> ``pressroom``) or ``*``.

Status handling follows the project contract: 2xx is parsed; any other outcome (404/410, other 4xx,
5xx, connection failure, an unfollowable redirect) allows everything. 404/410 is the normal "no
robots.txt"; every other case is logged as a warning, because RFC 9309 §2.3.1.4 would have a crawler
assume *complete disallow* on 5xx and a human may want to know.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

__all__ = ["RobotsCache", "RobotsRules", "allow_all", "robots_url", "rules_from_response"]

logger = logging.getLogger("pressroom.http")


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """Parsed rules of one robots.txt; ``parser is None`` means everything is allowed.

    ``note`` says why the rules are what they are ("parsed", "absent", "unavailable: …").
    """

    source: str
    parser: RobotFileParser | None = None
    note: str = "parsed"

    def allows(self, url: str, user_agent: str) -> bool:
        return self.parser is None or self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        """Seconds asked between requests for our UA (or ``*``); None when not given."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def robots_url(url: str, netloc: str) -> str:
    """``https://host:port/robots.txt`` for ``url``; ``netloc`` is the normalised netloc of ``url``."""
    return f"{urlsplit(url).scheme.lower()}://{netloc}/robots.txt"


def allow_all(source: str, note: str, *, expected: bool) -> RobotsRules:
    """Rules that allow everything; logged as a warning unless ``expected`` (a plain 404/410)."""
    if expected:
        logger.debug("robots: %s %s, allowing all", source, note)
    else:
        logger.warning("robots: %s %s; treating as allow-all", source, note)
    return RobotsRules(source=source, parser=None, note=note)


def rules_from_response(source: str, status: int, body: bytes) -> RobotsRules:
    """Interpret a final (non-redirect) robots.txt response; the body is read as UTF-8 (RFC 9309)."""
    if 200 <= status < 300:
        parser = RobotFileParser(source)
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        logger.debug("robots: parsed %s (%d bytes)", source, len(body))
        return RobotsRules(source=source, parser=parser)
    if status in (404, 410):
        return allow_all(source, "absent", expected=True)
    return allow_all(source, f"unavailable: http-{status}", expected=False)


class RobotsCache:
    """Thread-safe cache of :class:`RobotsRules` keyed by robots.txt URL.

    Only one thread fetches a given robots.txt; the others wait for its result. Failures are cached
    too (as allow-all), so a host is asked at most once per session.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, RobotsRules] = {}
        self._fetching: dict[str, threading.Lock] = {}

    def rules_for(self, source: str, fetch: Callable[[str], RobotsRules]) -> RobotsRules:
        """Cached rules for the robots.txt at ``source``, calling ``fetch(source)`` on first use."""
        with self._lock:
            cached = self._rules.get(source)
            if cached is not None:
                return cached
            key_lock = self._fetching.setdefault(source, threading.Lock())
        with key_lock:
            with self._lock:
                cached = self._rules.get(source)
            if cached is not None:
                return cached
            rules = fetch(source)
            with self._lock:
                self._rules[source] = rules
            return rules
