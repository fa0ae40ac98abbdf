"""A ministry's RSS feed on loopback for the review tests: the seed press release (read from
/work/shared/examples, never copied in), a clean release, and a release whose title carries a `<script>`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SEED = Path("/work/shared/examples/seed-press-release.txt")
CLEAN = ("The Ministry of Foreign Affairs welcomed the agreement signed today between the two governments. "
         "Both sides agreed to expand cooperation in trade, energy and education over the next five years.\n\n"
         "The Foreign Minister said the agreement reflects a shared commitment to peace and prosperity in the region.")
DOUBLED = ("The Foreign Secretary met the visiting delegation to discuss maritime maritime cooperation. "
           "The two sides reviewed progress on the fisheries programme launched last year.\n\n"
           "They agreed to hold the next round of consultations in the spring.")
HOSTILE_TITLE = 'Talks <script>window.__pwned = 1; document.title = "pwned"</script> held'


@dataclass
class Item:
    slug: str
    title: str
    body: str
    day: int = 1


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def default_items() -> list[Item]:
    return [Item("seed", "FM Qureshi speaks with Secretary Blinken", seed_text(), 2), Item("clean", "Agreement", CLEAN),
            Item("hostile", escape(HOSTILE_TITLE), DOUBLED, 3)]  # the feed's title is HTML: its text is the tag


class ReviewSite:
    def __init__(self, items: list[Item] | None = None) -> None:
        self.items = items if items is not None else default_items()
        self.now = datetime.now(UTC).replace(microsecond=0)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.feed().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def feed(self) -> str:
        entries = []
        for item in self.items:
            html = "".join(f"<p>{escape(p)}</p>" for p in item.body.split("\n\n"))
            entries.append(
                f"<item><title>{escape(item.title)}</title><link>{self.url}/press/{item.slug}</link>"
                f"<pubDate>{format_datetime(self.now - timedelta(days=item.day))}</pubDate>"
                f"<content:encoded><![CDATA[{html}]]></content:encoded></item>"
            )
        return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>MFA</title>'
                f"<link>{self.url}</link>{''.join(entries)}</channel></rss>")

    def write_sources(self, path: Path) -> Path:
        path.write_text(
            '[[sources]]\nid = "xk-mfa"\nname = "MFA"\ncountry = "PK"\nlanguage = "en"\n'
            f'timezone = "Asia/Karachi"\nkind = "feed"\nurl = "{self.url}/feed.xml"\nmin_interval = 0\n'
            "\n[http]\nmax_attempts = 1\nbackoff = 0.01\n",
            encoding="utf-8",
        )
        return path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
