"""The end-to-end benchmark's mirror: four press offices, one per connector kind, on loopback.

Run as its own process (``python -m tests.benchmarks.e2e_mirror --releases N --log FILE --ready FILE``)
so its CPU is not in the measured process's profile (it does share the machine's cores). ``N``
releases are split over four sites, each on its own port (so its own host for politeness):

- ``wordpress``: the WordPress REST API of :class:`tests.connectors.wpserver.WordpressMirror` (the
  listing carries whole posts: no page requests);
- ``govuk``: ``/api/search.json`` (``start``/``count``, ``filter_public_timestamp``) and
  ``/api/content<path>``;
- ``html``: listing pages of 50 linked by ``a.next``, and detail pages;
- ``feed``: one RSS feed without full text, each item's link fetched.

Everything is made from ``--seed``: which real State Department release (tests/fixtures) each item
reads, and the faults, decided per path by a seeded hash: 1 % answer 503 once, 0.5 % answer 429 once
with ``Retry-After: 1``, 1 % are slow (2 s), and 0.1 % of detail pages answer 500 for good. A
``/robots.txt`` allows everything. Every request is logged as ``site<TAB>status<TAB>path`` to
``--log`` (the benchmark counts requests from it); ``--ready`` receives the base URLs as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from tests.connectors.wpserver import WordpressMirror, real_releases

KINDS = ("wordpress", "govuk", "html", "feed")
NEWEST = datetime(2021, 12, 31, 18, 0)
STEP = timedelta(hours=3)  # 8 releases a day per site
LISTING_SIZE = 50
SLOW_SECONDS = 2.0
Answer = tuple[int, dict[str, str], bytes]


def share(total: int, kind: str) -> int:
    """How many of ``total`` releases the site of ``kind`` has."""
    index = KINDS.index(kind)
    return total // len(KINDS) + (1 if index < total % len(KINDS) else 0)


def fault(seed: int, kind: str, path: str, *, detail: bool) -> str | None:
    """The fault of one path: ``503-once``, ``429-once``, ``500-always``, ``slow`` or ``None``."""
    digest = hashlib.blake2b(f"{seed}:{kind}:{path}".encode(), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    if u < 0.01:
        return "503-once"
    if u < 0.015:
        return "429-once"
    if u < 0.025:
        return "slow"
    if detail and u < 0.026:
        return "500-always"
    return None


class Site:
    """One site's items: item ``i`` (0 is the newest) reads real release ``order[i]``."""

    def __init__(self, kind: str, count: int, seed: int) -> None:
        self.kind = kind
        self.count = count
        reals = real_releases()
        digest = hashlib.blake2b(f"{seed}:{kind}".encode(), digest_size=4).digest()
        offset = int.from_bytes(digest, "big") % len(reals)
        self.order = [(offset + i) % len(reals) for i in range(count)]

    def date(self, index: int) -> datetime:
        return (NEWEST - index * STEP).replace(tzinfo=UTC)

    def title(self, index: int) -> str:
        return f"{real_releases()[self.order[index]]['title']} ({self.kind} {index})"

    def body_html(self, index: int) -> str:
        return str(real_releases()[self.order[index]]["content_html"])

    def slug(self, index: int) -> str:
        return f"release-{index}"


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}


def govuk_answer(site: Site, path: str) -> Answer:
    parts = urlsplit(path)
    if parts.path == "/api/search.json":
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        start, count = int(query.get("start", 0)), int(query.get("count", 10))
        since, until = None, None
        for bound in query.get("filter_public_timestamp", "").split(","):
            name, _, day = bound.partition(":")
            moment = datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None
            since, until = (moment, until) if name == "from" else (since, moment) if name == "to" else (since, until)
        selected = [i for i in range(site.count)
                    if (since is None or site.date(i) >= since) and (until is None or site.date(i) < until)]
        results = [{"title": site.title(i), "link": f"/government/news/{site.slug(i)}",
                    "public_timestamp": site.date(i).isoformat()} for i in selected[start:start + count]]
        return 200, JSON_TYPE, _json({"results": results, "total": len(selected), "start": start})
    prefix = "/api/content/government/news/release-"
    number = parts.path.removeprefix(prefix)
    if parts.path.startswith(prefix) and number.isdigit() and int(number) < site.count:
        index = int(number)
        item = {"content_id": f"00000000-0000-4000-8000-{index:012d}", "locale": "en", "title": site.title(index),
                "base_path": f"/government/news/{site.slug(index)}", "document_type": "press_release",
                "first_published_at": site.date(index).isoformat(),
                "details": {"body": site.body_html(index), "first_public_at": site.date(index).isoformat()}}
        return 200, JSON_TYPE, _json(item)
    return 404, HTML_TYPE, b"<h1>Not found</h1>"


def _detail_page(site: Site, index: int, *, title: str, time_tag: str, body: str) -> bytes:
    moment = site.date(index)
    page = (f"<html><head><title>{html.escape(site.title(index))}</title></head><body><nav>Home · Press</nav>"
            f"<article><{title}>{html.escape(site.title(index))}</{title.split()[0]}>"
            f'<{time_tag} datetime="{moment.isoformat()}">{moment:%d %B %Y}</time>'
            f"<{body}>{site.body_html(index)}</div>"
            f'<div class="share">Share this page</div></article><footer>© Ministry</footer></body></html>')
    return page.encode()


def html_answer(site: Site, path: str) -> Answer:
    parts = urlsplit(path)
    if parts.path == "/press/":
        page = int(parse_qs(parts.query).get("page", ["1"])[-1])
        first = (page - 1) * LISTING_SIZE
        items = "".join(
            f'<li class="item"><a href="/press/{site.slug(i)}/">{html.escape(site.title(i))}</a>'
            f'<span class="date">{site.date(i):%d %B %Y}</span></li>'
            for i in range(first, min(site.count, first + LISTING_SIZE))
        )
        more = f'<a class="next" href="/press/?page={page + 1}">Next</a>' if first + LISTING_SIZE < site.count else ""
        return 200, HTML_TYPE, f"<html><body><ul>{items}</ul>{more}</body></html>".encode()
    index = _index(site, parts.path, "/press/release-", "/")
    if index is None:
        return 404, HTML_TYPE, b"<h1>Not found</h1>"
    return 200, HTML_TYPE, _detail_page(site, index, title="h1 class=\"title\"", time_tag="time class=\"published\"",
                                        body='div class="body"')


def feed_answer(site: Site, path: str, base: str) -> Answer:
    parts = urlsplit(path)
    if parts.path == "/feed.xml":
        items = "".join(
            f"<item><title>{html.escape(site.title(i))}</title><link>{base}/news/{site.slug(i)}.html</link>"
            f"<pubDate>{format_datetime(site.date(i), usegmt=True)}</pubDate></item>"
            for i in range(site.count)
        )
        feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>{items}'
                "</channel></rss>")
        return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, feed.encode()
    index = _index(site, parts.path, "/news/release-", ".html")
    if index is None:
        return 404, HTML_TYPE, b"<h1>Not found</h1>"
    return 200, HTML_TYPE, _detail_page(site, index, title="h1", time_tag="time", body='div class="text"')


def _index(site: Site, path: str, prefix: str, suffix: str) -> int | None:
    number = path.removeprefix(prefix).removesuffix(suffix)
    if not path.startswith(prefix) or not path.endswith(suffix) or not number.isdigit():
        return None
    return int(number) if int(number) < site.count else None


def is_listing(kind: str, path: str) -> bool:
    """Whether ``path`` of the site of ``kind`` is a listing (not one release's page)."""
    route = urlsplit(path).path
    return route in ("/feed.xml", "/press/", "/api/search.json") or (kind == "wordpress" and "/wp-json/" in route)


class _Wordpress(WordpressMirror):
    """The WordPress API answered by :class:`MirrorServer` (its own server socket is never served)."""

    def __init__(self, base_url: str, count: int) -> None:
        super().__init__(count, step=STEP, newest=NEWEST)
        self._base = base_url

    @property
    def base_url(self) -> str:
        return self._base

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        answer = super().answer(path)
        with self._lock:
            self.requests.clear()  # the benchmark counts requests from the log, not here
        return answer


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, kind: str, count: int, seed: int, log: TextIO, lock: threading.Lock) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.kind, self.seed, self.log, self.lock = kind, seed, log, lock
        self.failed_once: set[str] = set()
        self.site = Site(kind, count, seed)
        base = f"http://127.0.0.1:{self.server_address[1]}"
        self.wordpress = _Wordpress(base, count) if kind == "wordpress" else None
        answers: dict[str, Callable[[str], Answer]] = {
            "govuk": lambda path: govuk_answer(self.site, path),
            "html": lambda path: html_answer(self.site, path),
            "feed": lambda path: feed_answer(self.site, path, base),
        }
        if self.wordpress is not None:
            answers["wordpress"] = self.wordpress.answer
        self.answer = answers[kind]

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client killed mid-request (the durability run) is expected

    def server_close(self) -> None:
        super().server_close()
        if self.wordpress is not None:
            self.wordpress._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: MirrorServer
    protocol_version = "HTTP/1.1"
    #: Headers and body go out in two writes; with Nagle on, a kept-alive connection held the body until
    #: the client's delayed ACK of the headers, 40 ms on every response. Web servers answer with
    #: TCP_NODELAY (nginx's ``tcp_nodelay on`` is its default), and so does the mirror.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        server, path = self.server, self.path
        extra: dict[str, str] = {}
        if urlsplit(path).path == "/robots.txt":
            status, headers, body = 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        else:
            kind = fault(server.seed, server.kind, path, detail=not is_listing(server.kind, path))
            with server.lock:
                first = path not in server.failed_once
                server.failed_once.add(path)
            if kind == "slow":
                time.sleep(SLOW_SECONDS)
            if kind == "500-always" or (kind in ("503-once", "429-once") and first):
                status = 500 if kind == "500-always" else int(kind[:3])
                headers, body = HTML_TYPE, b"<h1>Unavailable</h1>"
                extra = {"Retry-After": "1"} if status == 429 else {}
            else:
                status, headers, body = server.answer(path)
        with server.lock:
            server.log.write(f"{server.kind}\t{status}\t{path}\n")
        self.send_response(status)
        for name, value in {**headers, **extra}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def sources_toml(base_urls: dict[str, str], *, backoff: float = 0.05, connections: int | None = None) -> str:
    """The four sources, ``min_interval = 0``, pointed at a running mirror, each allowing ``connections``
    requests in flight (``PRESSROOM_BENCH_CONNECTIONS``, default 4: the sites are ours)."""
    if connections is None:
        connections = int(os.environ.get("PRESSROOM_BENCH_CONNECTIONS", "4"))
    common = ('country = "XA"\nlanguage = "en"\ntimezone = "UTC"\nmin_interval = 0.0\n'
              f"connections = {connections}\n")
    wp_common = common.replace('"UTC"', '"America/New_York"')  # WordPress dates are the site's local time
    return f"""[http]
max_attempts = 3
backoff = {backoff}

[[sources]]
id = "bench-wordpress"
name = "Bench WordPress"
kind = "wordpress"
url = "{base_urls['wordpress']}"
post_type = "state_press_release"
{wp_common}
[[sources]]
id = "bench-govuk"
name = "Bench GOV.UK"
kind = "govuk"
url = "{base_urls['govuk']}"
organisation = "bench-office"
{common}
[[sources]]
id = "bench-html"
name = "Bench HTML"
kind = "html"
url = "{base_urls['html']}/press/"
item = "li.item"
link = "a"
date = "span.date"
next = "a.next"
title = "h1.title"
published = "time.published"
body = "div.body"
drop = [".share"]
date_format = "%d %B %Y"
{common}
[[sources]]
id = "bench-feed"
name = "Bench feed"
kind = "feed"
url = "{base_urls['feed']}/feed.xml"
body = "div.text"
drop = [".share"]
{common}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, required=True)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--ready", type=Path, required=True)
    args = parser.parse_args()
    lock = threading.Lock()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with args.log.open("a", encoding="utf-8", buffering=1) as log:
        servers = {kind: MirrorServer(kind, share(args.releases, kind), args.seed, log, lock) for kind in KINDS}
        for server in servers.values():
            threading.Thread(target=server.serve_forever, daemon=True).start()
        urls = {kind: f"http://127.0.0.1:{server.server_address[1]}" for kind, server in servers.items()}
        args.ready.write_text(json.dumps(urls), encoding="utf-8")
        stop.wait()
        for server in servers.values():
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
