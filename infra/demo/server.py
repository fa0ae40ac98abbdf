"""Serve the demo sites on 127.0.0.1, one threaded HTTP server (and so one host:port) per site.

``with DemoMirror() as mirror:`` starts every site in ``content/`` on a free port; ``mirror.base_urls``
maps site id to ``http://127.0.0.1:PORT``. Pages are rendered once at start. Conditional GET is
honoured (strong ETag over the page bytes, ``Last-Modified`` from the release time). ``fail_status``
makes a site answer that status to every request, ``set_path_status`` fails one page, ``hold`` makes
one page wait until released. ``python -m
pressroom.infra.demo.server`` serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from pressroom.infra.demo import layout_articles, layout_table
from pressroom.infra.demo.content import CONTENT_DIR, Site, load_sites
from pressroom.infra.demo.pages import HTML_TYPE, Page, SitePages
from pressroom.infra.demo.sources import SOURCES_TEMPLATE, render_sources

_log = logging.getLogger(__name__)
__all__ = ["SOURCES_TEMPLATE", "DemoMirror", "Hold", "RequestRecord", "main", "render_sources"]

_LAYOUTS: dict[str, Callable[[Site], SitePages]] = {"articles": layout_articles.build, "table": layout_table.build}


@dataclass(frozen=True, slots=True)
class Hold:
    """A page held back: ``arrived`` is set when a request for it comes in, which then waits until
    ``release`` is set (at most ``timeout`` seconds) before it is answered."""

    arrived: threading.Event
    release: threading.Event
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the mirror saw it; ``path`` includes any query string."""

    method: str
    path: str
    status: int
    user_agent: str | None
    if_none_match: str | None
    if_modified_since: str | None


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site, pages: SitePages) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.pages = pages
        self.fail_status: int | None = None
        self.path_status: dict[str, int] = {}
        self.holds: dict[str, Hold] = {}
        self.log: list[RequestRecord] = []
        self.lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def process_request(self, request: socket.socket | tuple[bytes, socket.socket],
                        client_address: tuple[str, int] | str) -> None:
        if isinstance(request, socket.socket):
            with self.lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self.lock:
                self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections too, so no client talks to a stopped mirror through its pool."""
        with self.lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                _log.debug("connection already closed")


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "DemoMirror/1.0"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version
    timeout = 10

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("%s %s", self.server.site.id, format % args)

    def _answer(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        hold = self.server.holds.get(path)
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(hold.timeout)
        pages = self.server.pages
        fail = self.server.path_status.get(path, self.server.fail_status)
        if fail is not None:
            body = f"<html><body><h1>{fail} {_reason(fail)}</h1></body></html>\n".encode()
            extra = {"Retry-After": "0"} if fail in (429, 503) else {}
            self._send(fail, body, HTML_TYPE, extra, send_body=send_body)
        elif path in pages.routes:
            self._send_page(pages.routes[path], send_body=send_body)
        elif path in pages.redirects or (not path.endswith("/") and path + "/" in pages.routes):
            target = pages.redirects.get(path, path + "/")
            self._send(301, b"", HTML_TYPE, {"Location": target}, send_body=send_body)
        else:
            page = pages.not_found
            self._send(404, page.body, page.content_type, {}, send_body=send_body)

    def _send_page(self, page: Page, *, send_body: bool) -> None:
        validators = {"ETag": page.etag, "Last-Modified": format_datetime(page.last_modified, usegmt=True),
                      "Cache-Control": "no-cache"}
        if self._not_modified(page):
            self._send(304, b"", None, validators, send_body=False)
        else:
            self._send(200, page.body, page.content_type, validators, send_body=send_body)

    def _not_modified(self, page: Page) -> bool:
        """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only when it is absent."""
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            offered = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
            return "*" in offered or page.etag in offered
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            return False
        return page.last_modified.replace(microsecond=0) <= when

    def _send(self, status: int, body: bytes, content_type: str | None, headers: Mapping[str, str],
              *, send_body: bool) -> None:
        # Logged before the answer goes out: a client that has its answer finds its request in the log.
        record = RequestRecord(self.command, self.path, status, self.headers.get("User-Agent"),
                               self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
        with self.server.lock:
            self.server.log.append(record)
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class DemoMirror:
    """The demo sites on 127.0.0.1, each on its own free port; a context manager.

    ``sites`` picks site ids (default: every content file); ``fail_status`` maps a site id to the
    status it answers to every request; ``content_dir`` replaces the bundled content; ``ports`` pins
    ports (0, the default, means a free one).
    """

    def __init__(self, sites: Iterable[str] | None = None, *, fail_status: Mapping[str, int] | None = None,
                 content_dir: Path | None = None, host: str = "127.0.0.1",
                 ports: Mapping[str, int] | None = None) -> None:
        available = load_sites(content_dir or CONTENT_DIR)
        chosen = list(available) if sites is None else list(sites)
        unknown = sorted({*chosen, *(fail_status or {}), *(ports or {})} - set(available))
        if unknown:
            raise ValueError(f"unknown demo site(s) {unknown}; known: {sorted(available)}")
        self._sites = {site_id: available[site_id] for site_id in chosen}
        self._pages = {site_id: _LAYOUTS[site.layout](site) for site_id, site in self._sites.items()}
        self._fail_status = dict(fail_status or {})
        self._host = host
        self._ports = dict(ports or {})
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> DemoMirror:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        if self._servers:
            raise RuntimeError("DemoMirror already started")
        try:
            for site_id, site in self._sites.items():
                server = _SiteServer((self._host, self._ports.get(site_id, 0)), site, self._pages[site_id])
                server.fail_status = self._fail_status.get(site_id)
                self._servers[site_id] = server
                thread = threading.Thread(target=server.serve_forever, name=f"demo-{site_id}", daemon=True)
                thread.start()
                self._threads.append(thread)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
            server.drop_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    @property
    def base_urls(self) -> dict[str, str]:
        return {site_id: f"http://{self._host}:{server.server_address[1]}" for site_id, server in self._servers.items()}

    @property
    def sites(self) -> dict[str, Site]:
        return dict(self._sites)

    def site(self, site_id: str) -> Site:
        return self._sites[site_id]

    def release_url(self, site_id: str, slug: str) -> str:
        return self.base_urls[site_id] + self._pages[site_id].release_paths[slug]

    def listing_url(self, site_id: str) -> str:
        return self.base_urls[site_id] + self._pages[site_id].listing_path

    def requests(self, site_id: str) -> list[str]:
        """Paths (with query strings) requested from ``site_id``, in the order they were answered."""
        return [record.path for record in self.request_log(site_id)]

    def request_log(self, site_id: str) -> list[RequestRecord]:
        server = self._server(site_id)
        with server.lock:
            return list(server.log)

    def clear_requests(self, site_id: str | None = None) -> None:
        for sid in [site_id] if site_id else list(self._servers):
            server = self._server(sid)
            with server.lock:
                server.log.clear()

    def set_fail_status(self, site_id: str, status: int | None) -> None:
        """From now on ``site_id`` answers ``status`` to every request (``None``: serve normally)."""
        self._server(site_id).fail_status = status

    def set_path_status(self, site_id: str, url: str, status: int | None) -> None:
        """From now on one page of ``site_id`` (a full URL or a path) answers ``status`` (``None``: serve it)."""
        path = urlsplit(url).path
        server = self._server(site_id)
        with server.lock:
            if status is None:
                server.path_status.pop(path, None)
            else:
                server.path_status[path] = status

    def hold(self, site_id: str, url: str, *, timeout: float = 60.0) -> Hold:
        """From now on requests for one page of ``site_id`` (a full URL or a path) wait for the returned
        hold's ``release`` (a client caught mid-request, for tests of signals and crashes)."""
        hold = Hold(threading.Event(), threading.Event(), timeout)
        server = self._server(site_id)
        with server.lock:
            server.holds[urlsplit(url).path] = hold
        return hold

    def write_sources(self, out: Path, template: Path = SOURCES_TEMPLATE) -> Path:
        """A sources file for the running sites only (tables for sites not started are left out)."""
        return render_sources(template, out, self.base_urls, only_running=True)

    def _server(self, site_id: str) -> _SiteServer:
        if site_id not in self._servers:
            raise KeyError(f"demo site {site_id!r} is not running")
        return self._servers[site_id]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pressroom.infra.demo.server", description=__doc__.splitlines()[0])
    parser.add_argument("--site", action="append", dest="sites", help="site id to serve (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="first port; sites get consecutive ports (0: free)")
    parser.add_argument("--sources-out", type=Path, help="also write a sources TOML pointing at the mirror")
    args = parser.parse_args(argv)
    names = args.sites or list(load_sites())
    ports = {name: args.port + offset for offset, name in enumerate(names)} if args.port else None
    with DemoMirror(names, ports=ports) as mirror:
        for site_id, url in mirror.base_urls.items():
            print(f"{site_id}: {url}", flush=True)
        if args.sources_out:
            print(f"sources: {mirror.write_sources(args.sources_out)}", flush=True)
        print("Serving; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
