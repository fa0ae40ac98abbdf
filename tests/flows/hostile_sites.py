"""Three ministries' sites on one loopback server, whose pages a test sets per example (issue 17).

An ``html`` source (a listing page, detail pages read with selectors), a ``feed`` source (one RSS
document whose items carry their text or link to a page) and a ``wordpress`` source (the REST API's
posts listing). :class:`HostileSites` serves exactly what :attr:`HostileSites.routes` holds when a
request arrives — the path without its query — so one server, started once per module, serves every
Hypothesis example; a path it does not hold answers 404 (robots.txt too: "no robots.txt").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HTML = "text/html; charset=utf-8"
#: Every page of the sites is dated in this month; the backfills ask for it.
MONTH = ("2024-03-01", "2024-03-31")


@dataclass(frozen=True)
class Served:
    """One answer: status, content type and body; with ``stream``, that many bytes of one long
    paragraph are streamed instead of ``body`` (the 50 MB page)."""

    body: bytes
    content_type: str = HTML
    status: int = 200
    stream: int = 0
    #: Whether ``Content-Length`` is sent; without it the body ends when the connection closes.
    declare: bool = True


class HostileSites:
    """A threaded ``http.server`` on 127.0.0.1 serving :attr:`routes`, path → :class:`Served`."""

    def __init__(self) -> None:
        self.routes: dict[str, Served] = {}
        self.served_bytes = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                answer = site.routes.get(urlsplit(self.path).path)
                if answer is None:
                    answer = Served(b"not found", "text/plain", 404)
                size = answer.stream or len(answer.body)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.declare:
                    self.send_header("Content-Length", str(size))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                if urlsplit(self.path).path.endswith("/wp/v2/posts"):
                    self.send_header("X-WP-TotalPages", "1")
                self.end_headers()
                try:
                    if answer.stream:
                        chunk = b"<p>" + b"x" * (64 * 1024 - 3)
                        for start in range(0, answer.stream, len(chunk)):
                            self.wfile.write(chunk[: answer.stream - start])
                            site.served_bytes += min(len(chunk), answer.stream - start)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the three sites ------------------------------------------------------------------------------

    def html_site(self, pages: dict[str, Served], *, listing: Served | None = None) -> list[str]:
        """The html source's listing (``listing``, else one linking every page of ``pages``, slug →
        answer) and its detail pages at ``/html/p/<slug>``; return the pages' URLs."""
        urls = [f"{self.url}/html/p/{slug}" for slug in pages]
        items = "".join(f'<li class="item"><a href="/html/p/{slug}">Release {n}</a>'
                        f'<span class="date">{3 + n % 20} March 2024</span></li>' for n, slug in enumerate(pages))
        self.routes["/html/list"] = listing or Served(
            f"<html><body><h1>Press releases</h1><ul>{items}</ul></body></html>".encode())
        for slug, answer in pages.items():
            self.routes[f"/html/p/{slug}"] = answer
        return urls

    def feed(self, items: Sequence[str], *, listing: Served | None = None) -> None:
        """The feed source's RSS document made of ``items`` (each an ``<item>`` element as text)."""
        self.routes["/feed.xml"] = listing or Served(
            ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
             'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>MFA</title>'
             f"<link>{self.url}/</link>{''.join(items)}</channel></rss>").encode("utf-8", "surrogateescape"),
            "application/rss+xml; charset=utf-8")

    def wordpress(self, posts: Iterable[str] | None = None, *, listing: Served | None = None) -> None:
        """The WordPress source's posts listing: a JSON array of ``posts`` (each a JSON text)."""
        self.routes["/wp/wp-json/wp/v2/posts"] = listing or Served(
            ("[" + ",".join(posts or ()) + "]").encode("utf-8"), "application/json; charset=UTF-8")


def good_html(title: str, paragraphs: Sequence[str]) -> Served:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return Served(f'<html><head><title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>'
                  f'<time class="published" datetime="2024-03-05T10:00:00+00:00">5 March</time>'
                  f'<div class="body">{body}</div></body></html>'.encode())


def good_item(url: str, title: str, paragraphs: Sequence[str]) -> str:
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<item><title>{escape(title)}</title><link>{url}</link>"
            f"<pubDate>Tue, 05 Mar 2024 10:00:00 +0000</pubDate>"
            f"<content:encoded><![CDATA[{html}]]></content:encoded></item>")


def good_post(url: str, title: str, paragraphs: Sequence[str]) -> str:
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return json.dumps({"id": 1, "link": url, "date_gmt": "2024-03-05T10:00:00", "title": {"rendered": title},
                       "content": {"rendered": html, "protected": False}})


def write_sources(path: Path, site: HostileSites) -> Path:
    """The three sources on ``site``, no politeness delay, one attempt per URL."""
    common = 'country = "XA"\nlanguage = "en"\ntimezone = "UTC"\nmin_interval = 0\n'
    path.write_text(
        f'[[sources]]\nid = "xa-html"\nname = "HTML ministry"\n{common}kind = "html"\n'
        f'url = "{site.url}/html/list"\nitem = "li.item"\nlink = "a"\ndate = ".date"\ntitle = "h1"\n'
        'published = "time.published"\nbody = "div.body"\n\n'
        f'[[sources]]\nid = "xa-feed"\nname = "Feed ministry"\n{common}kind = "feed"\n'
        f'url = "{site.url}/feed.xml"\nbody = "div.body"\n\n'
        f'[[sources]]\nid = "xa-wp"\nname = "WordPress ministry"\n{common}kind = "wordpress"\n'
        f'url = "{site.url}/wp"\n\n'
        "[http]\nmax_attempts = 1\nbackoff = 0.01\nread_timeout = 10\n",
        encoding="utf-8",
    )
    return path
