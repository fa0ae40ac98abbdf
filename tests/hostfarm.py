"""Many small ministries on loopback, one threaded ``http.server`` per port (so one host each), each
logging when every request arrived: what the politeness of many hosts at once is judged on.

Each site has ``releases`` press releases, listed three ways: an RSS feed (``/feed.xml``) whose items
carry no full text, an HTML listing (``/list.html``), and GOV.UK's search API (``/api/search.json``,
paged by ``start``/``count``). Each release is then fetched on its own: its page (``/press/<n>``) or
its content item (``/api/content/press/<n>``). :func:`feed_sources_toml` writes a sources file of
feed sources; :func:`source_entry` one entry of a given kind.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

WORDS = ("minister", "talks", "bilateral", "trade", "visit", "statement", "cooperation", "delegation", "summit",
         "agreement", "consular", "embassy", "water", "energy", "climate", "security", "students", "ports")


def release_text(site: int, number: int) -> tuple[str, str]:
    """A distinct title and a three-paragraph body for release ``number`` of site ``site``."""
    pick = [WORDS[(site * 7 + number * 3 + k) % len(WORDS)] for k in range(6)]
    title = f"Ministry {site}: {pick[0]} {pick[1]} on {pick[2]} (release {number})"
    body = "\n\n".join(
        f"The ministry of site {site} said on release {number} that {pick[k]} and {pick[k + 1]} were discussed "
        f"at length with partners, paragraph {k}, and that further {pick[k + 2]} would follow in due course."
        for k in range(3))
    return title, body


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class HostFarm:
    """``sites`` one-port sites of ``releases`` each, published a day apart ending ``newest``."""

    def __init__(self, sites: int, releases: int, *, newest: datetime = datetime(2026, 6, 30, 9, tzinfo=UTC)) -> None:
        self.sites = sites
        self.releases = releases
        self.newest = newest
        self.lock = threading.Lock()
        self.log: dict[str, list[tuple[float, str]]] = {}
        self.servers: list[_Server] = []
        self.threads: list[threading.Thread] = []

    def published(self, number: int) -> datetime:
        return self.newest - timedelta(days=self.releases - 1 - number)

    def __enter__(self) -> HostFarm:
        farm = self
        for site in range(self.sites):
            class Handler(BaseHTTPRequestHandler):
                site_number = site

                def do_GET(self) -> None:
                    netloc = f"127.0.0.1:{self.server.server_address[1]}"
                    with farm.lock:
                        farm.log.setdefault(netloc, []).append((time.monotonic(), self.path))
                    status, content_type, body = farm.answer(self.site_number, netloc, self.path)
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

                def log_message(self, format: str, *args: Any) -> None:
                    return

            server = _Server(("127.0.0.1", 0), Handler)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            thread.start()
            self.servers.append(server)
            self.threads.append(thread)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    @property
    def netlocs(self) -> list[str]:
        return [f"127.0.0.1:{server.server_address[1]}" for server in self.servers]

    def answer(self, site: int, netloc: str, path: str) -> tuple[int, str, bytes]:
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>{escape(release_text(site, n)[0])}</title><link>http://{netloc}/press/{n}</link>"
                f"<pubDate>{format_datetime(self.published(n))}</pubDate></item>"
                for n in reversed(range(self.releases)))
            feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Site {site}</title>'
                    f"<link>http://{netloc}/</link>{items}</channel></rss>")
            return 200, "application/rss+xml; charset=utf-8", feed.encode()
        if path == "/list.html":
            items = "".join(
                f'<li class="item"><a href="/press/{n}">{escape(release_text(site, n)[0])}</a>'
                f'<span class="date">{self.published(n):%Y-%m-%d}</span></li>' for n in reversed(range(self.releases)))
            return 200, "text/html; charset=utf-8", f"<html><body><ul>{items}</ul></body></html>".encode()
        if path.startswith("/api/search.json"):
            query = {key: values[-1] for key, values in parse_qs(urlsplit(path).query).items()}
            start, count = int(query.get("start", 0)), int(query.get("count", 10))
            results = [{"link": f"/press/{n}", "title": release_text(site, n)[0],
                        "public_timestamp": self.published(n).isoformat()} for n in reversed(range(self.releases))]
            answer = {"results": results[start:start + count], "total": len(results), "start": start}
            return 200, "application/json", json.dumps(answer).encode()
        if path.startswith("/api/content/press/") and path.removeprefix("/api/content/press/").isdigit():
            number = int(path.removeprefix("/api/content/press/"))
            if number < self.releases:
                title, body = release_text(site, number)
                item = {"content_id": f"c-{site}-{number}", "locale": "en", "title": title,
                        "details": {"body": "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n")),
                                    "first_public_at": self.published(number).isoformat()}}
                return 200, "application/json", json.dumps(item).encode()
        if path.startswith("/press/") and path.removeprefix("/press/").isdigit():
            number = int(path.removeprefix("/press/"))
            if number < self.releases:
                title, body = release_text(site, number)
                paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
                page = (f"<html><head><title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>"
                        f'<time datetime="{self.published(number).isoformat()}">{self.published(number):%d %B %Y}'
                        f'</time><div class="body">{paragraphs}</div></body></html>')
                return 200, "text/html; charset=utf-8", page.encode()
        return 404, "text/plain", b"not found"

    def requests_to(self, netloc: str) -> list[tuple[float, str]]:
        with self.lock:
            return list(self.log.get(netloc, []))

    def shortest_gaps(self) -> dict[str, float]:
        """Per host, the shortest time between two requests' arrivals (inf with fewer than two)."""
        with self.lock:
            logs = {netloc: sorted(at for at, _ in hits) for netloc, hits in self.log.items()}
        return {netloc: min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))
                for netloc, times in logs.items()}

    def total_requests(self) -> int:
        with self.lock:
            return sum(len(hits) for hits in self.log.values())


def feed_sources_toml(farm: HostFarm, path: Path, *, min_interval: float, extra: str = "") -> Path:
    """One ``feed`` source per site (ids ``h000``, ``h001`` …), every one at ``min_interval``."""
    entries = [
        f'[[sources]]\nid = "h{site:03d}"\nname = "Ministry {site}"\ncountry = "XA"\nkind = "feed"\n'
        f'url = "http://{netloc}/feed.xml"\nmin_interval = {min_interval}\ntitle = "h1"\n'
        f'published = "time"\nbody = "div.body"\n'
        for site, netloc in enumerate(farm.netlocs)]
    path.write_text(extra + "\n" + "\n".join(entries), encoding="utf-8")
    return path


def source_ids(farm: HostFarm) -> Iterator[str]:
    return (f"h{site:03d}" for site in range(farm.sites))


def source_entry(kind: str, source_id: str, netloc: str, *, min_interval: float) -> str:
    """A ``[[sources]]`` entry of ``kind`` (``feed``, ``html`` or ``govuk``) for the site at ``netloc``."""
    common = (f'[[sources]]\nid = "{source_id}"\nname = "Ministry {source_id}"\ncountry = "XA"\n'
              f'kind = "{kind}"\nmin_interval = {min_interval}\n')
    if kind == "feed":
        return common + f'url = "http://{netloc}/feed.xml"\ntitle = "h1"\npublished = "time"\nbody = "div.body"\n'
    if kind == "html":
        return common + (f'url = "http://{netloc}/list.html"\nitem = "li.item"\nlink = "a"\ndate = "span.date"\n'
                         'date_format = "%Y-%m-%d"\ntitle = "h1"\npublished = "time"\nbody = "div.body"\n')
    if kind == "govuk":
        return common + f'url = "http://{netloc}"\norganisation = "ministry-{source_id}"\ncount = 10\n'
    raise ValueError(f"no {kind!r} sites here")
