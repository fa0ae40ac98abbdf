"""Issue 15 end to end on a real local server (pytest-httpserver, no mocks): a ministry whose listing has
what the real web has — a tracking-parameter duplicate, links robots.txt disallows (``*`` and ``$``
rules), an off-host link, a PDF release, a scanned PDF, an image — then a release withdrawn and a page
that stays 404. Runs go through the CLI, so exit codes and the watermark are what a nightly job sees."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.connectors.pdfs import scanned_pdf, text_pdf
from tests.flows.helpers import cli, rows

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]

ROBOTS = "User-agent: *\nDisallow: /*?print=\nDisallow: /drafts/*.html$\nAllow: /drafts/public/\n"
BODY = ("The Ministry of Foreign Affairs welcomes the agreement reached today on {topic}. "
        "The Minister said the agreement opens a new chapter in the relations between the two countries. "
        "Both delegations will meet again in the spring to review the progress made.")


def page(title: str, topic: str) -> str:
    return (f"<html><head><title>{title}</title></head><body><nav>Home</nav><h1>{title}</h1>"
            f"<div class=\"body\"><p>{BODY.format(topic=topic)}</p>"
            f"<p>The full text is <a href=\"/files/annex-{topic}.pdf\">in the annex</a>.</p></div></body></html>")


class Ministry:
    """The site; ``gone`` paths answer 404, ``extra`` links are added to the listing."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.gone: set[str] = set()
        self.extra: list[str] = []
        self.day = datetime.now(UTC).strftime("%Y-%m-%d")
        self.requested: list[str] = []

    def listing(self) -> str:
        links = [
            ("/news/fisheries.html", "Fisheries"),
            ("/news/fisheries.html?utm_source=newsletter&utm_medium=email#top", "Fisheries (newsletter)"),
            ("/news/trade.html?print=1", "Trade (print)"),
            ("/drafts/visit.html", "Visit draft"),
            ("https://elsewhere.example/news/other.html", "Elsewhere"),
            ("/files/statement.pdf", "Statement on the climate summit"),
            ("/files/scan.pdf", "Scanned communiqué"),
            ("/files/photo.jpg", "Photo of the signing"),
            ("/news/border.html", "Border talks"),
            *((path, path) for path in self.extra),
        ]
        items = "".join(f"<li class=\"item\"><a href=\"{href}\">{text}</a><span class=\"date\">{self.day}</span></li>"
                        for href, text in links)
        return f"<html><body><h1>Press releases</h1><ul>{items}</ul></body></html>"

    def handle(self, request: Request) -> Response:
        path = request.full_path.rstrip("?")
        self.requested.append(path)
        if request.path in self.gone:
            return Response("gone", status=404)
        if request.path == "/robots.txt":
            return Response(ROBOTS, content_type="text/plain")
        if request.path == "/news/":
            return Response(self.listing(), content_type="text/html; charset=utf-8")
        if request.path == "/news/fisheries.html":
            return Response(page("Agreement on fisheries", "fisheries"), content_type="text/html; charset=utf-8")
        if request.path == "/news/border.html":
            return Response(page("Border talks concluded", "border"), content_type="text/html; charset=utf-8")
        if request.path == "/files/statement.pdf":
            pdf = text_pdf([textwrap.wrap(BODY.format(topic="the climate summit"), 80)])
            return Response(pdf, content_type="application/pdf")
        if request.path == "/files/scan.pdf":
            return Response(scanned_pdf(), content_type="application/pdf")
        if request.path == "/files/photo.jpg":
            return Response(b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
        return Response("not found", status=404)


@pytest.fixture
def ministry(httpserver: HTTPServer) -> Ministry:
    site = Ministry(httpserver)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(site.handle)
    return site


def sources_file(tmp_path: Path, server: HTTPServer, *, retire_after: int) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[pipeline]
retire_after = {retire_after}

[http]
max_attempts = 1
backoff = 0.01

[[sources]]
id = "xr-mfa"
name = "Ministry of Foreign Affairs of Ruritania"
country = "RU"
timezone = "UTC"
kind = "html"
url = "{server.url_for('/news/')}"
min_interval = 0
item = "li.item"
date = ".date"
body = ".body"
""", encoding="utf-8")
    return path


def test_skips_pdfs_withdrawal_and_retirement_over_three_nightly_runs(
    ministry: Ministry, httpserver: HTTPServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "--sources", str(sources_file(tmp_path, httpserver, retire_after=2))]
    warehouse = data / "pressroom.duckdb"

    # Run 1: the only problems are skips -> exit 0, the watermark moves.
    code, output = cli(*args, "run")
    assert code == 0, output
    loaded = dict(rows(warehouse, "SELECT url, format FROM releases"))
    base = httpserver.url_for("").rstrip("/")
    assert loaded == {f"{base}/news/fisheries.html": "html", f"{base}/news/border.html": "html",
                      f"{base}/files/statement.pdf": "pdf"}
    # The tracking-parameter duplicate was fetched once and stored under the clean URL.
    assert ministry.requested.count("/news/fisheries.html") == 1
    assert not any("utm_" in path for path in ministry.requested)
    # robots.txt: '*' and '$' rules obeyed, no request made for either link.
    assert "/news/trade.html?print=1" not in ministry.requested and "/drafts/visit.html" not in ministry.requested
    skipped = dict(rows(warehouse, "SELECT url, reason FROM skipped_pages"))
    assert skipped == {
        f"{base}/news/trade.html?print=1": "robots-disallowed",
        f"{base}/drafts/visit.html": "robots-disallowed",
        "https://elsewhere.example/news/other.html": "off-host",
        f"{base}/files/scan.pdf": "pdf-no-text",
        f"{base}/files/photo.jpg": "attachment",
    }
    assert rows(warehouse, "SELECT count(*) FROM fetch_failures") == [(0,)]
    (pdf_title, pdf_body), = rows(warehouse, "SELECT title, body_text FROM releases WHERE format = 'pdf'")
    assert pdf_title == "Statement on the climate summit"  # from the listing
    assert pdf_body == BODY.format(topic="the climate summit")
    attachments = rows(warehouse, "SELECT attachments FROM releases WHERE url LIKE '%fisheries.html'")
    assert attachments == [([f"{base}/files/annex-fisheries.pdf"],)]
    (watermark,), = rows(warehouse, "SELECT watermark FROM source_state")
    assert watermark is not None
    sources = json.loads(rows(warehouse, "SELECT sources FROM runs")[0][0])
    assert sources[0]["skipped"] == 5 and sources[0]["status"] == "ok"

    # Run 2: a published release's page answers 404, and a new listed page is 404 from the start.
    ministry.gone.add("/news/border.html")
    ministry.extra.append("/news/missing.html")
    code, output = cli(*args, "run")
    assert code == 3, output

    # Run 3: both still 404. The release is withdrawn (two runs), the other page retired (retire_after = 2):
    # nothing left that a later run may load, so the run exits 0.
    code, output = cli(*args, "run")
    assert code == 0, output
    withdrawn = rows(warehouse, "SELECT url, withdrawn_reason FROM releases WHERE withdrawn_at IS NOT NULL")
    assert withdrawn == [(f"{base}/news/border.html", "http-404 in 2 runs")]
    assert rows(warehouse, "SELECT count(*) FROM releases") == [(3,)]  # nothing deleted
    retired = rows(warehouse, "SELECT url, gone_runs FROM fetch_failures WHERE retired_at IS NOT NULL ORDER BY url")
    assert retired == [(f"{base}/news/border.html", 2), (f"{base}/news/missing.html", 2)]
    # The export marks the withdrawn release; the report shows it and the retired page.
    parquet = duckdb.connect().execute(
        f"SELECT url, withdrawn_at IS NOT NULL FROM read_parquet('{data}/published/source=*/date=*/part-0.parquet',"
        " union_by_name = true) ORDER BY url").fetchall()
    assert (f"{base}/news/border.html", True) in parquet
    assert (f"{base}/news/fisheries.html", False) in parquet
    newest = max((data / "reports" / "runs").glob("*.html"), key=lambda p: p.stat().st_mtime)
    report = newest.read_text(encoding="utf-8")
    assert "Withdrawn releases (1)" in report and "Retired failures (2)" in report

    # Run 4: retired pages are not asked for again.
    before = ministry.requested.count("/news/missing.html")
    code, output = cli(*args, "run")
    assert code == 0, output
    assert ministry.requested.count("/news/missing.html") == before + 1  # listed again, fetched, still 404
