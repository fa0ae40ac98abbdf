"""robots.txt rules by RFC 9309, fetched once per scheme+netloc and shared by every thread of a session.

Parsing is `protego <https://github.com/scrapy/protego>`_ (Scrapy's parser): ``*`` and ``$`` in paths,
the longest matching rule wins and Allow wins a tie (RFC 9309 §2.2.2), fractional ``Crawl-delay``.
User-agent groups match on the product token of our UA (``"pressroom/0.1 (+…)"`` -> ``pressroom``) or
``*``.

Status handling follows RFC 9309 §2.3.1:

* 2xx — parsed;
* 4xx ("unavailable", 404/410 being the normal "no robots.txt") — everything is allowed;
* 5xx, or no answer at all (connection failure, timeout) — "unreachable": *complete disallow*. The
  pages of that host fail with ``robots-unavailable``, a reason a later run retries (the watermark
  stays before them), so nothing is lost once the host answers again;
* redirects are followed (at most five hops, §2.3.1.2) within the source's hosts; more hops, or a
  redirect elsewhere, count as unavailable (allow all), with a warning.

Each outcome is cached for the session (one run), so a host is asked at most once per run.
"""

from __future__ import annotations

import codecs
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from pressroom.connectors.failures import Reason, Retryable

__all__ = ["RobotsCache", "RobotsRules", "allow_all", "disallow_all", "robots_url", "rules_from_response"]

logger = logging.getLogger("pressroom.http")


def _product_token(user_agent: str) -> str:
    """``"pressroom/0.1 (+https://…)"`` -> ``"pressroom"``: the name robots.txt groups are matched on."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """Rules of one robots.txt. ``parser is None`` allows everything unless ``unreachable``, which
    disallows everything (RFC 9309: a 5xx or no answer means "assume complete disallow").

    ``note`` says why the rules are what they are ("parsed", "absent", "unavailable: …", "unreachable: …").
    """

    source: str
    parser: Protego | None = None
    note: str = "parsed"
    unreachable: bool = False
    #: The fetch-failure reason of pages on an unreachable host: ``robots-unavailable`` for a 5xx, the
    #: network's own (``connection``, ``timeout``) when robots.txt got no answer. Both are retried.
    failure_reason: Reason = Retryable.ROBOTS_UNAVAILABLE

    def allows(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, _product_token(user_agent)))

    def crawl_delay(self, user_agent: str) -> float | None:
        """Seconds asked between requests for our UA (or ``*``); None when not given."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(_product_token(user_agent))
        return float(delay) if delay is not None else None


def robots_url(url: str, netloc: str) -> str:
    """``https://host:port/robots.txt`` for ``url``; ``netloc`` is the normalised netloc of ``url``."""
    return f"{urlsplit(url).scheme.lower()}://{netloc}/robots.txt"


def allow_all(source: str, note: str, *, expected: bool) -> RobotsRules:
    """Rules that allow everything; logged as a warning unless ``expected`` (a plain 4xx)."""
    if expected:
        logger.debug("robots: %s %s, allowing all", source, note)
    else:
        logger.warning("robots: %s %s; treating as allow-all", source, note)
    return RobotsRules(source=source, parser=None, note=note)


def disallow_all(source: str, note: str, *, reason: Reason = Retryable.ROBOTS_UNAVAILABLE) -> RobotsRules:
    """Rules of an unreachable robots.txt (5xx, no answer): nothing may be fetched from the host this run."""
    logger.warning("robots: %s %s; assuming complete disallow (RFC 9309), a later run tries again", source, note)
    return RobotsRules(source=source, parser=None, note=f"unreachable: {note}", unreachable=True,
                       failure_reason=reason)


def robots_text(body: bytes) -> str:
    """The body of a robots.txt as text: UTF-8 (RFC 9309 §2.3), read leniently — a byte-order mark
    (UTF-8, or UTF-16 with its mark) is honoured and dropped, bytes that are not UTF-8 become U+FFFD, so
    one bad line costs that line (protego skips it), never the file."""
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    return body.decode("utf-8", errors="replace").removeprefix("\ufeff")


def rules_from_response(source: str, status: int, body: bytes) -> RobotsRules:
    """Interpret a final (non-redirect) robots.txt response; the body is read by :func:`robots_text`."""
    if 200 <= status < 300:
        parser = Protego.parse(robots_text(body))
        logger.debug("robots: parsed %s (%d bytes)", source, len(body))
        return RobotsRules(source=source, parser=parser)
    if 400 <= status < 500:
        return allow_all(source, "absent" if status in (404, 410) else f"unavailable: http-{status}",
                         expected=status in (401, 403, 404, 410))
    if status >= 500:
        return disallow_all(source, f"http-{status}")
    return allow_all(source, f"unavailable: http-{status}", expected=False)


class RobotsCache:
    """Thread-safe cache of :class:`RobotsRules` keyed by robots.txt URL.

    Only one thread fetches a given robots.txt; the others wait for its result. Every outcome is cached,
    unreachable ones included, so a host is asked at most once per session.
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
