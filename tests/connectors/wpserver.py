"""A WordPress-shaped site on loopback, for connector tests, the CLI acceptance test and benchmarks.

It answers what pressroom asks of a WordPress site the way WordPress does:

- ``/wp-json/wp/v2/<post_type>`` with ``after``/``before`` (compared with the posts' *local*
  ``date``, exclusive), ``page``/``per_page`` (≤ 100), ``orderby=date&order=desc``, ``slug`` and
  ``_embed=author``; ``X-WP-Total`` / ``X-WP-TotalPages`` headers; a page past the last answers
  ``400 {"code": "rest_post_invalid_page_number"}``; JSON escaped as WordPress escapes it (``\\/``,
  ``\\uXXXX``), titles and bodies HTML-escaped (``&#8217;``, ``&#8211;``).
- ``/robots.txt`` (404 unless ``robots`` is given); ``/`` announcing the API with
  ``<link rel="https://api.w.org/">``; ``/wp-json/wp/v2/types`` naming the post types.

Posts are made on demand from their index (post 0 is the newest), so a 10,000-post mirror costs
nothing to build; their bodies are the real State Department releases of
``tests/fixtures/state-dept/press-releases-2021.jsonl``, cycled, with the site's furniture in place
(speaker paragraph, hidden ``<input data-filter>``, stray ``<b> </b>``).

Faults: ``fail_once[page] = status`` answers that page's first request with ``status`` and
``Retry-After: 0``; ``fail_always[page] = status`` answers it with ``status`` until removed; a post in
``trashed`` is no longer returned.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "state-dept" / "press-releases-2021.jsonl"
ZONE = ZoneInfo("America/New_York")


@cache
def real_releases() -> tuple[dict[str, str], ...]:
    with RELEASES.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle)


@dataclass(frozen=True, slots=True)
class Post:
    index: int
    slug: str
    title: str
    date_local: datetime  # naive, the site's timezone
    creator: str
    content_html: str

    @property
    def date_gmt(self) -> datetime:
        return self.date_local.replace(tzinfo=ZONE).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _escape_title(title: str) -> str:
    return title.replace("&", "&amp;").replace("’", "&#8217;").replace("–", "&#8211;")


class WordpressMirror:
    """``count`` posts of ``post_type``, newest at ``newest`` (local time), one every ``step``."""

    def __init__(
        self,
        count: int,
        *,
        post_type: str = "state_press_release",
        newest: datetime = datetime(2021, 12, 31, 18, 0),
        step: timedelta = timedelta(hours=6),
        robots: str | None = None,
    ) -> None:
        self.count = count
        self.post_type = post_type
        self.newest = newest
        self.step = step
        self.robots = robots
        self.fail_once: dict[int, int] = {}
        self.fail_always: dict[int, int] = {}
        #: Indexes of posts moved to the trash: the API no longer returns them, by listing or by slug.
        self.trashed: set[int] = set()
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- content ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def post(self, index: int) -> Post:
        real = real_releases()[index % len(real_releases())]
        slug = f"{urlsplit(real['link']).path.strip('/')}-{index}"
        return Post(
            index=index,
            slug=slug,
            title=real["title"],
            date_local=self.newest - index * self.step,
            creator=real["creator"],
            content_html=real["content_html"],
        )

    def posts(self) -> Iterator[Post]:
        return (self.post(index) for index in range(self.count) if index not in self.trashed)

    def link(self, post: Post) -> str:
        return f"{self.base_url}/{post.slug}/"

    def as_json(self, post: Post, *, embed: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": 100000 + post.index,
            "date": post.date_local.isoformat(),
            "date_gmt": post.date_gmt.isoformat(),
            "guid": {"rendered": f"{self.base_url}/?page_id={100000 + post.index}"},
            "modified": post.date_local.isoformat(),
            "modified_gmt": post.date_gmt.isoformat(),
            "slug": post.slug,
            "status": "publish",
            "type": self.post_type,
            "link": self.link(post),
            "title": {"rendered": _escape_title(post.title)},
            "content": {"rendered": post.content_html.replace("’", "&#8217;"), "protected": False},
            "excerpt": {"rendered": "", "protected": False},
            "author": 7,
            "template": "",
            "meta": [],
        }
        if embed:
            item["_embedded"] = {"author": [{"id": 7, "name": post.creator, "slug": "state-author"}]}
        return item

    def in_range(self, after: datetime | None, before: datetime | None) -> range:
        """Indexes of the posts strictly after ``after`` and strictly before ``before`` (local)."""
        dates = [self.newest - index * self.step for index in range(self.count)]  # newest first
        first = sum(1 for moment in dates if before is not None and moment >= before)
        last = sum(1 for moment in dates if after is None or moment > after)
        return range(first, max(first, last))

    # --- server -------------------------------------------------------------------------------------

    def __enter__(self) -> WordpressMirror:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def listing_requests(self) -> list[str]:
        with self._lock:
            return [path for path in self.requests if "/wp-json/" in path]

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(path)
        parts = urlsplit(path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if parts.path == "/robots.txt":
            if self.robots is None:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            return 200, {"Content-Type": "text/plain"}, self.robots.encode()
        if parts.path == "/":  # the site's home page announces its API, as WordPress does
            api = f'<link rel="https://api.w.org/" href="{self.base_url}/wp-json/">'
            page = f"<html><head>{api}</head><body></body></html>"
            return 200, {"Content-Type": "text/html; charset=UTF-8"}, page.encode()
        if parts.path.rstrip("/") == "/wp-json/wp/v2/types":
            types = {"post": {"name": "Posts", "slug": "post", "rest_base": "posts"},
                     "page": {"name": "Pages", "slug": "page", "rest_base": "pages"},
                     self.post_type: {"name": "Press Releases", "slug": self.post_type, "rest_base": self.post_type}}
            return 200, {"Content-Type": "application/json; charset=UTF-8"}, _dump(types)
        if parts.path.rstrip("/") != f"/wp-json/wp/v2/{self.post_type}":
            return 404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>"
        embed = "_embed" in query
        if "slug" in query:
            found = [self.as_json(p, embed=embed) for p in self.posts() if p.slug == query["slug"]]
            return 200, _json_headers(len(found), 1), _dump(found)
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        with self._lock:
            status = self.fail_once.pop(page, None) or self.fail_always.get(page)
        if status is not None:
            return status, {"Content-Type": "text/html", "Retry-After": "0"}, b"<h1>Service Unavailable</h1>"
        if per_page > 100:
            return 400, {"Content-Type": "application/json"}, _dump({"code": "rest_invalid_param"})
        after = datetime.fromisoformat(query["after"]) if "after" in query else None
        before = datetime.fromisoformat(query["before"]) if "before" in query else None
        selected = self.in_range(after, before)
        pages = max(1, -(-len(selected) // per_page))
        if page > pages:
            body = {"code": "rest_post_invalid_page_number", "message": "The page number requested is larger"
                    " than the number of pages available.", "data": {"status": 400}}
            return 400, {"Content-Type": "application/json; charset=UTF-8"}, _dump(body)
        chunk = selected[(page - 1) * per_page : page * per_page]
        posts = [self.as_json(self.post(index), embed=embed) for index in chunk if index not in self.trashed]
        return 200, _json_headers(len(selected), pages), _dump(posts)


def _json_headers(total: int, pages: int) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=UTF-8", "X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}


def _dump(value: object) -> bytes:
    """JSON as WordPress writes it: ASCII with ``\\uXXXX`` escapes and ``\\/``."""
    return json.dumps(value).replace("/", "\\/").encode("ascii")


def _handler(mirror: WordpressMirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, headers, body = mirror.answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def sources_toml(mirror: WordpressMirror, *, min_interval: float = 0.0, extra: str = "") -> str:
    """The bundled ``us-state`` entry pointed at ``mirror``, with fast retries for tests."""
    return f"""
[http]
max_attempts = 3
backoff = 0.01

[[sources]]
id = "us-state"
name = "U.S. Department of State"
country = "US"
language = "en"
timezone = "America/New_York"
kind = "wordpress"
url = "{mirror.base_url}"
post_type = "{mirror.post_type}"
min_interval = {min_interval}
retry_statuses = [403]
byline = "leading-speaker"
{extra}
"""
