"""Shared helpers for flow tests: run the CLI in-process and count the warehouse's tables."""

from __future__ import annotations

import threading
from datetime import datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
from typer.testing import CliRunner

from pressroom.flows.cli import app


def cli(*args: str) -> tuple[int, str]:
    """Run ``pressroom ARGS`` in-process; return the exit code and everything printed."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}


def rows(warehouse: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


FAST_HTTP = "\n[http]\nmax_attempts = 2\nbackoff = 0.01\n"


def fast_sources(path: Path) -> Path:
    """Make a rendered demo sources file retry quickly (tests of failing sites)."""
    path.write_text(path.read_text(encoding="utf-8") + FAST_HTTP, encoding="utf-8")
    return path


class LoopbackFeed:
    """A ministry's RSS feed on loopback, its items carrying their full text; a subclass says what the feed
    holds now (``entries``), so a test can edit the site between two commands."""

    def __init__(self) -> None:
        site = self
        #: Pages served besides the feed, path → (body, content type): what an item without full text links to.
        self.pages: dict[str, tuple[bytes, str]] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, content_type = site.pages.get(self.path) or (
                    site.feed().encode("utf-8"), "application/rss+xml; charset=utf-8")
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def entries(self) -> list[tuple[str, str, str, datetime]]:
        """``(slug, title, body, published)`` of each item; paragraphs of ``body`` are split on blank lines.
        An item whose slug is a path of :attr:`pages` carries no text: it links to that page."""
        raise NotImplementedError

    def feed(self) -> str:
        items = []
        for slug, title, body, published in self.entries():
            html = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
            linked = f"/press/{slug}" in self.pages
            content = "" if linked else f"<content:encoded><![CDATA[{html}]]></content:encoded>"
            items.append(
                f"<item><title>{escape(title)}</title><link>{self.url}/press/{slug}</link>"
                f"<pubDate>{format_datetime(published)}</pubDate>{content}</item>"
            )
        return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>MFA</title>'
                f"<link>{self.url}</link>{''.join(items)}</channel></rss>")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
