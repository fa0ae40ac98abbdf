"""The one polite HTTP client every connector fetches through.

Contract of :meth:`PoliteSession.get` (see ARCHITECTURE.md, "Politeness and safety when fetching"):

* only ``http``/``https`` URLs whose netloc is in ``SitePolicy.hosts``; redirects (at most
  :data:`MAX_REDIRECTS`) are followed by hand and only to those hosts;
* robots.txt is fetched once per scheme+netloc, read up to :data:`ROBOTS_MAX_BYTES` and obeyed by RFC 9309
  (:mod:`connectors.robots`); one that answers unreadably (a broken ``Content-Encoding``) counts as absent; an
  unreachable one (5xx, no answer) fails every URL of the host with ``robots-unavailable``, which a
  later run retries; ``Crawl-delay`` widens the interval;
* at most one request per netloc in flight, and its start at least the effective interval after both
  the start and the end of the previous one to the netloc, across threads (the session's
  :class:`Clock`: monotonic time and sleep, real by default, a fake one in tests), so a server sees
  the interval between arrivals whatever the network delays;
* at most ``HttpSettings.max_hosts_in_parallel`` requests in flight at once, across threads; a thread
  waiting for its host's interval holds no such slot, so many hosts progress at once, each at its own pace;
* 429/5xx (``HttpSettings.retry_statuses``, plus the site's ``SitePolicy.retry_statuses``), timeouts
  and connection errors are retried with exponential backoff and jitter, never sooner than
  ``Retry-After`` asks, at most ``max_attempts`` times per URL; other non-2xx statuses (except 304) fail at once;
* bodies are streamed and capped at ``max_bytes``; the encoding is decided by :mod:`connectors.charset`.

Every failure is a :class:`FetchError` whose ``reason`` is a typed code of :mod:`connectors.failures`.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Protocol
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError

from pressroom.connectors.charset import decide_encoding, media_type
from pressroom.connectors.failures import Permanent, Reason, Retryable, Skip, http_reason, reason_of
from pressroom.connectors.normalise import absolute_url
from pressroom.connectors.robots import (
    RobotsCache,
    RobotsRules,
    allow_all,
    disallow_all,
    robots_url,
    rules_from_response,
)

__all__ = [
    "MAX_REDIRECTS", "Clock", "FetchError", "HttpSettings", "PoliteSession", "RandomSource", "Response", "SitePolicy",
    "SystemClock",
]

logger = logging.getLogger("pressroom.http")

MAX_REDIRECTS = 5
#: robots.txt is read up to this many bytes and the rest ignored: RFC 9309 §2.5 asks crawlers to parse
#: at least the first 500 kibibytes, so a larger file is cut there, never refused.
ROBOTS_MAX_BYTES = 500 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_CHUNK_BYTES = 64 * 1024
#: a thread waiting for a netloc's requests in flight to end is woken when one ends; this is the longest
#: it sleeps without being woken (a safety net, never the pace)
_BUSY_POLL = 0.5
#: The most requests a source may allow in flight to its host at once (``SitePolicy.connections``).
MAX_CONNECTIONS = 16
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Clock(Protocol):
    """Time as a :class:`PoliteSession` sees it: :class:`SystemClock` unless a test passes a fake one."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: request spacing and waits."""
        ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime:
        """Timezone-aware wall time: ``fetched_at`` and ``Retry-After`` dates."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.sleep`` and ``datetime.now(UTC)``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomSource(Protocol):
    """Where backoff jitter comes from (``random.Random`` by default)."""

    def uniform(self, a: float, b: float) -> float: ...


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Session-wide fetching behaviour. Times are seconds, sizes bytes.

    Before attempt n+1 we wait ``min(max_backoff, backoff * 2**(n-1) * uniform(0.5, 1.5))`` or the
    server's ``Retry-After``, whichever is longer; a ``Retry-After`` above ``max_retry_after`` ends the
    fetch ('retry-after-too-long') instead of stalling the run.
    """

    user_agent: str = "pressroom/0.1 (+https://github.com/pressroom-dev/pressroom)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_retry_after: float = 300.0
    max_bytes: int = 20_000_000
    respect_robots: bool = True
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    #: requests in flight at once across the session's threads (each to a host whose interval allows it)
    max_hosts_in_parallel: int = 32

    def __post_init__(self) -> None:
        if self.max_hosts_in_parallel < 1:
            raise ValueError(f"max_hosts_in_parallel must be >= 1, got {self.max_hosts_in_parallel}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("timeouts must be > 0 seconds")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("backoff, max_backoff and max_retry_after must be >= 0 seconds")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {self.max_bytes}")

    def retry_delay(self, attempt: int, *, jitter: float, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based); ``jitter`` is drawn from
        ``uniform(0.5, 1.5)``, ``retry_after`` is what the server asked for (``None`` if nothing)."""
        growth = 2.0 ** min(attempt - 1, 1000)  # finite whatever max_attempts is
        return max(min(self.max_backoff, self.backoff * growth * jitter), retry_after or 0.0)


@dataclass(frozen=True, slots=True)
class SitePolicy:
    """Where one source may be fetched from and how often.

    ``hosts`` are netlocs as they appear in URLs ("host" or "host:port"); compared case-insensitively
    and with default ports (:80 for http, :443 for https) ignored. ``min_interval`` is the minimum
    number of seconds between the starts of two requests to the same netloc, robots.txt included.
    ``retry_statuses`` are retried for this site on top of the session's own (a site that throttles
    with 403 rather than 429, as the US State Department does, lists 403 here). ``connections`` is how
    many requests to one netloc may be in flight at once (1: the next starts after the last ended);
    the interval between starts holds whatever it is.
    """

    hosts: frozenset[str]
    min_interval: float = 1.0
    retry_statuses: frozenset[int] = frozenset()
    connections: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.hosts, str):
            raise TypeError("SitePolicy.hosts must be a set of netlocs, not a single string")
        if self.min_interval < 0:
            raise ValueError(f"min_interval must be >= 0 seconds, got {self.min_interval}")
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ValueError(f"connections must be between 1 and {MAX_CONNECTIONS}, got {self.connections}")


@dataclass(frozen=True, slots=True)
class Response:
    """A successful fetch (2xx, or 304 with empty ``content``).

    ``url`` is as requested, ``final_url`` after same-host redirects; ``headers`` has lower-cased
    names; ``encoding`` is a ``codecs.lookup`` name; ``attempts`` counts tries of the final URL.
    """

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    encoding: str
    fetched_at: datetime
    attempts: int

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        """Media type without parameters, lower-case; "" when the server sent none."""
        return media_type(self.headers.get("content-type", ""))


class FetchError(Exception):
    """A URL could not be fetched. ``reason`` is a :class:`~connectors.failures.Retryable`,
    :class:`~connectors.failures.Permanent` or :class:`~connectors.failures.Skip` code (a plain string
    is turned into its member; an unknown one is a ``ValueError``).

    ``attempts`` is how many requests were made to the failing URL (0 if refused before any);
    ``status`` is the last HTTP status seen, if any.
    """

    def __init__(
        self, url: str, reason: Reason, *, attempts: int = 0, status: int | None = None, detail: str = ""
    ) -> None:
        reason = reason_of(reason)
        super().__init__(url, reason)
        self.url = url
        self.reason = reason
        self.attempts = attempts
        self.status = status
        self.detail = " ".join(detail.split())

    def __str__(self) -> str:
        status = f", status {self.status}" if self.status is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.reason} fetching {self.url} (attempts {self.attempts}{status}){detail}"


@dataclass(frozen=True, slots=True)
class _Raw:
    status: int
    headers: dict[str, str]
    content: bytes
    fetched_at: datetime


class _AttemptFailed(Exception):
    """One request failed before an HTTP status could be judged; tried again only if ``Retryable``."""

    def __init__(self, reason: Retryable | Permanent, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class _Throttle:
    """Spacing per netloc, shared by all threads, and at most ``slots`` requests in flight.

    A request to a netloc starts ``interval`` s or more after the previous one to it started *and*
    after the last one ended (its response read), and only while fewer than ``connections`` requests
    to it are in flight (one unless the source allows more), so the server sees the interval too,
    whatever the network delays: a request that reached it late still reached it before it was
    answered. A request first waits, holding nothing, until its netloc is ready; then takes an
    in-flight slot; then checks again (another thread may have started a request to the netloc
    meanwhile) and records its start only if the netloc is still ready. So no thread sleeps on a host
    while holding a slot others could use. A thread waiting for a request in flight to end is woken
    when it ends.
    """

    def __init__(self, clock: Clock, *, slots: int = 32) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)
        self._slots = threading.BoundedSemaphore(slots)
        self._last_start: dict[str, float] = {}
        self._last_end: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}
        self._last_interval: dict[str, float] = {}
        self._not_before: dict[str, float] = {}

    def _ready(self, netloc: str, interval: float, connections: int = 1) -> float:
        """When a request to ``netloc`` may start (inf while ``connections`` are in flight to it)."""
        if self._in_flight.get(netloc, 0) >= connections:
            return math.inf
        return max(self._last_start.get(netloc, -math.inf) + interval,
                   self._last_end.get(netloc, -math.inf) + interval,
                   self._not_before.get(netloc, -math.inf))

    def _until_ready(self, netloc: str, interval: float, connections: int) -> bool:
        """Wait (outside the lock) until ``netloc`` may be ready; ``True`` when it may be now."""
        with self._lock:
            wait = self._ready(netloc, interval, connections) - self._clock.monotonic()
            if wait == math.inf:
                self._ended.wait(_BUSY_POLL)
                return False
        if wait > 0:
            self._clock.sleep(wait)
            return False
        return True

    @contextmanager
    def turn(self, netloc: str, interval: float, connections: int = 1) -> Iterator[None]:
        """Hold an in-flight slot for one request to ``netloc`` that may start now (see the class)."""
        while True:
            if not self._until_ready(netloc, interval, connections):
                continue
            self._slots.acquire()
            with self._lock:
                now = self._clock.monotonic()
                started = now >= self._ready(netloc, interval, connections)
                if started:
                    self._last_start[netloc] = now
                    self._in_flight[netloc] = self._in_flight.get(netloc, 0) + 1
            if started:
                break
            self._slots.release()
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[netloc] -= 1
                self._last_end[netloc] = max(self._clock.monotonic(), self._last_start[netloc])
                self._last_interval[netloc] = interval
                self._ended.notify_all()
            self._slots.release()

    def wait(self, netloc: str, interval: float) -> None:
        """Block until a request to ``netloc`` may start ``interval`` s after the previous start, and
        record it as started (a request that needs no in-flight slot)."""
        with self.turn(netloc, interval):
            pass

    def defer(self, netloc: str, seconds: float) -> None:
        """No request to ``netloc`` starts in the next ``seconds`` (a server's Retry-After)."""
        with self._lock:
            until = self._clock.monotonic() + seconds
            self._not_before[netloc] = max(self._not_before.get(netloc, -math.inf), until)

    def settle(self, netlocs: Iterable[str]) -> None:
        """Block until a request to any of ``netlocs`` could start again (nothing in flight to them,
        and the interval after the last one has passed)."""
        while True:
            with self._lock:
                ready = max((self._ready(netloc, self._last_interval.get(netloc, 0.0)) for netloc in netlocs),
                            default=-math.inf)
                wait = ready - self._clock.monotonic()
                if wait == math.inf:
                    self._ended.wait(_BUSY_POLL)
                    continue
            if wait <= 0:
                return
            self._clock.sleep(wait)


def _netloc(url: str) -> str:
    """Lower-case netloc of ``url`` without its scheme's default port: the throttle and robots key."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    return netloc.removesuffix(default) if default else netloc


def _allowed(url: str, hosts: frozenset[str]) -> bool:
    """http(s) and on one of ``hosts``, with or without the scheme's default port."""
    default = _DEFAULT_PORTS.get(urlsplit(url).scheme.lower())
    netloc = _netloc(url)
    return default is not None and (netloc in hosts or netloc + default in hosts)


def _retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delay-seconds, or an HTTP-date minus ``now``); None if
    absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _is_read_timeout(exc: requests.ConnectionError) -> bool:
    """requests reports a read timeout *while streaming the body* as ConnectionError(ReadTimeoutError)."""
    return any(isinstance(arg, ReadTimeoutError) for arg in exc.args)


class PoliteSession:
    """One ``requests.Session`` with the politeness rules above; safe to share between threads.

    ``clock`` (spacing, waits, ``fetched_at``) and ``rng`` (backoff jitter) are the real ones unless
    given. Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self, settings: HttpSettings | None = None, *, clock: Clock | None = None, rng: RandomSource | None = None
    ) -> None:
        self._settings = settings or HttpSettings()
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._session = requests.Session()
        # one kept-alive pool per host in flight (requests keeps 10 by default, so with more hosts at once
        # each request would open a new connection), with room for the most connections a source may allow
        adapter = HTTPAdapter(pool_connections=max(10, self._settings.max_hosts_in_parallel),
                              pool_maxsize=MAX_CONNECTIONS)
        for scheme in ("http://", "https://"):
            self._session.mount(scheme, adapter)
        self._session.headers.update({"User-Agent": self._settings.user_agent, "Accept": _ACCEPT})
        self._throttle = _Throttle(self._clock, slots=self._settings.max_hosts_in_parallel)
        self._robots = RobotsCache()

    def __enter__(self) -> PoliteSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def settle(self, hosts: Iterable[str]) -> None:
        """Block until the interval after this session's last request to each of ``hosts`` (netlocs) has
        passed, so another process may start one to them at once: how a host is handed over between
        workers (:mod:`flows.hosts`)."""
        netlocs = {host.lower() for host in hosts}
        self._throttle.settle(netlocs | {n.removesuffix(port) for n in netlocs for port in _DEFAULT_PORTS.values()})

    def get(
        self, url: str, *, policy: SitePolicy, etag: str | None = None, last_modified: str | None = None,
        max_attempts: int | None = None,
    ) -> Response:
        """Fetch ``url`` politely; returns a 2xx or 304 :class:`Response`, raises :class:`FetchError`.

        ``etag`` / ``last_modified`` are the validators of a previous response, sent as
        ``If-None-Match`` / ``If-Modified-Since``. ``max_attempts`` lowers the session's (a page that
        already had its retries in an earlier run is tried once).
        """
        hosts = frozenset(host.lower() for host in policy.hosts)
        settings = self._settings
        if urlsplit(url).scheme.lower() not in _DEFAULT_PORTS:
            raise FetchError(url, Skip.BAD_SCHEME)
        if not _allowed(url, hosts):
            raise FetchError(url, Skip.OFF_HOST, detail=f"allowed hosts: {', '.join(sorted(hosts))}")
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                interval = self._interval(current, policy, hosts)
                raw, attempts = self._fetch_with_retries(
                    current, interval, headers, settings.retry_statuses | policy.retry_statuses,
                    connections=policy.connections,
                    max_attempts=min(settings.max_attempts, max_attempts or settings.max_attempts),
                )
            except FetchError as exc:
                if current == url:
                    raise
                detail = "; ".join(filter(None, (f"after redirect to {current}", exc.detail)))
                raise FetchError(
                    url, exc.reason, attempts=exc.attempts, status=exc.status, detail=detail
                ) from exc
            location = raw.headers.get("location")
            if raw.status in _REDIRECT_STATUSES and location:
                target = absolute_url(current, location)
                if target is None:
                    raise FetchError(url, Skip.BAD_URL, attempts=attempts, status=raw.status,
                                     detail=f"redirect to {location.strip()[:200]!r}")
                if not _allowed(target, hosts):
                    raise FetchError(
                        url, Skip.OFF_HOST_REDIRECT, attempts=attempts, status=raw.status, detail=f"to {target}"
                    )
                current = target
                continue
            if not (200 <= raw.status < 300 or raw.status == 304):
                detail = f"after redirect to {current}" if current != url else ""
                raise FetchError(
                    url, http_reason(raw.status), attempts=attempts, status=raw.status, detail=detail
                )
            content = b"" if raw.status == 304 else raw.content
            return Response(
                url=url,
                final_url=current,
                status=raw.status,
                headers=raw.headers,
                content=content,
                encoding=decide_encoding(content, raw.headers.get("content-type", "")),
                fetched_at=raw.fetched_at,
                attempts=attempts,
            )
        raise FetchError(url, Retryable.TOO_MANY_REDIRECTS, detail=f"more than {MAX_REDIRECTS}, last {current}")

    def _interval(self, url: str, policy: SitePolicy, hosts: frozenset[str]) -> float:
        """Effective seconds between request starts for ``url``'s netloc; raises if robots disallow."""
        if not self._settings.respect_robots:
            return policy.min_interval
        source = robots_url(url, _netloc(url))
        rules = self._robots.rules_for(source, lambda src: self._fetch_robots(src, policy, hosts))
        user_agent = self._settings.user_agent
        if rules.unreachable:
            raise FetchError(url, rules.failure_reason, detail=f"{source} {rules.note}")
        if not rules.allows(url, user_agent):
            raise FetchError(url, Skip.ROBOTS_DISALLOWED, detail=f"by {source}")
        return max(policy.min_interval, rules.crawl_delay(user_agent) or 0.0)

    def _fetch_robots(self, source: str, policy: SitePolicy, hosts: frozenset[str]) -> RobotsRules:
        """One attempt at robots.txt (redirects followed within ``hosts``); never raises FetchError."""
        current = source
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                with self._throttle.turn(_netloc(current), policy.min_interval):
                    raw = self._send(current, {}, truncate_at=ROBOTS_MAX_BYTES)
            except _AttemptFailed as exc:
                if isinstance(exc.reason, Permanent):  # it answered, unreadably: as if it had no robots.txt
                    return allow_all(source, f"unavailable: {exc.reason}", expected=False)
                return disallow_all(source, exc.reason, reason=exc.reason)
            location = raw.headers.get("location")
            if raw.status not in _REDIRECT_STATUSES or not location:
                return rules_from_response(source, raw.status, raw.content)
            target = absolute_url(current, location)
            if target is None:
                return allow_all(source, "unavailable: redirect to an invalid URL", expected=False)
            current = target
            if not _allowed(current, hosts):
                return allow_all(source, f"unavailable: redirect to {current}", expected=False)
        return allow_all(source, "unavailable: too many redirects", expected=False)

    def _fetch_with_retries(
        self, url: str, interval: float, headers: dict[str, str], retry_statuses: frozenset[int], *,
        connections: int, max_attempts: int,
    ) -> tuple[_Raw, int]:
        """The first response whose status is not in ``retry_statuses``, with the attempts it took (at
        most ``max_attempts``). Between attempts this thread sleeps holding nothing: other requests to
        the host go on meanwhile."""
        settings = self._settings
        netloc = _netloc(url)
        for attempt in range(1, max_attempts + 1):
            status: int | None = None
            retry_after: float | None = None
            try:
                with self._throttle.turn(netloc, interval, connections):
                    raw = self._send(url, headers)
            except _AttemptFailed as exc:
                if not isinstance(exc.reason, Retryable):
                    raise FetchError(url, exc.reason, attempts=attempt, status=exc.status) from exc
                reason: Reason = exc.reason
            else:
                if raw.status not in retry_statuses:
                    return raw, attempt
                status = raw.status
                reason = http_reason(status)
                retry_after = _retry_after(raw.headers.get("retry-after"), now=self._clock.now())
            if attempt == max_attempts:
                break
            if retry_after is not None and retry_after > settings.max_retry_after:
                raise FetchError(
                    url,
                    Retryable.RETRY_AFTER_TOO_LONG,
                    attempts=attempt,
                    status=status,
                    detail=f"server asked for {retry_after:.0f} s (limit {settings.max_retry_after:.0f} s)",
                )
            delay = settings.retry_delay(attempt, jitter=self._rng.uniform(0.5, 1.5), retry_after=retry_after)
            if retry_after:
                self._throttle.defer(netloc, retry_after)
            logger.info(
                "retrying %s after %s (attempt %d of %d) in %.2f s",
                url,
                reason,
                attempt,
                max_attempts,
                delay,
            )
            self._clock.sleep(delay)
        raise FetchError(url, reason, attempts=max_attempts, status=status)

    def _send(self, url: str, headers: dict[str, str], *, truncate_at: int | None = None) -> _Raw:
        """One GET without redirects; the body is streamed and capped at ``max_bytes`` (``too-large``),
        or, with ``truncate_at``, cut after that many bytes (robots.txt) whatever its size."""
        settings = self._settings
        limit = truncate_at or settings.max_bytes
        try:
            with self._session.get(
                url,
                headers=headers,
                timeout=(settings.connect_timeout, settings.read_timeout),
                allow_redirects=False,
                stream=True,
            ) as resp:
                fetched_at = self._clock.now()
                declared = resp.headers.get("content-length", "").strip()
                if truncate_at is None and declared.isdigit() and int(declared) > limit:
                    raise _AttemptFailed(Permanent.TOO_LARGE, status=resp.status_code)
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_content(chunk_size=_CHUNK_BYTES):
                    size += len(chunk)
                    if size > limit:
                        if truncate_at is None:
                            raise _AttemptFailed(Permanent.TOO_LARGE, status=resp.status_code)
                        chunks.append(chunk[: len(chunk) - (size - limit)])
                        break
                    chunks.append(chunk)
                headers_out = {name.lower(): value for name, value in resp.headers.items()}
                return _Raw(resp.status_code, headers_out, b"".join(chunks), fetched_at)
        except requests.Timeout as exc:
            raise _AttemptFailed(Retryable.TIMEOUT) from exc
        except requests.ConnectionError as exc:
            raise _AttemptFailed(Retryable.TIMEOUT if _is_read_timeout(exc) else Retryable.CONNECTION) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _AttemptFailed(Retryable.CONNECTION) from exc
        except requests.exceptions.ContentDecodingError as exc:
            raise _AttemptFailed(Permanent.BAD_CONTENT_ENCODING) from exc
