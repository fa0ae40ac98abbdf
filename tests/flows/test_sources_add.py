"""``pressroom sources add URL`` against four local sites of different kinds that no test configured
(WordPress, a feed, a sitemap, an HTML listing): each proposal, written to a sources file and read back,
must load at least 90 % of the site's releases with the right dates (issue 15)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pressroom.connectors.config import load_config
from pressroom.connectors.http import HttpSettings, PoliteSession
from pressroom.connectors.model import Release, Window
from pressroom.connectors.registry import connector_for
from tests.connectors.wpserver import WordpressMirror
from tests.flows.helpers import cli

COUNT = 24
FIRST = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
TOPICS = ("fisheries", "trade", "climate", "border", "culture", "health", "energy", "water")
EVERYTHING = Window(since=None, until=datetime(2030, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class Item:
    slug: str
    title: str
    published: datetime
    body: tuple[str, ...]


def items() -> list[Item]:
    out = []
    for n in range(COUNT):
        topic = TOPICS[n % len(TOPICS)]
        day = FIRST + timedelta(days=n)
        out.append(Item(
            slug=f"statement-{n}-{topic}",
            title=f"Statement {n} on {topic} cooperation",
            published=day,
            body=(f"The Ministry of Foreign Affairs welcomes the progress made on {topic} in talks number {n}.",
                  f"The Minister said that cooperation on {topic} serves both peoples and will be deepened.",
                  "Both delegations agreed to meet again before the end of the year to review the progress."),
        ))
    return list(reversed(out))  # newest first, as sites list them


def detail(item: Item, *, meta: bool = False) -> str:
    head = f'<meta property="article:published_time" content="{item.published.isoformat()}">' if meta else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in item.body)
    return (f"<html lang=\"en\"><head><title>{item.title} | Ministry</title>{head}</head><body>"
            "<header><nav><a href=\"/\">Home</a> <a href=\"/about\">About</a></nav></header>"
            f"<main><article><h1>{item.title}</h1><div class=\"text\">{paragraphs}</div></article>"
            "<aside><h2>Related</h2><a href=\"/about\">About the Ministry</a></aside></main>"
            "<footer>© Ministry of Foreign Affairs · <a href=\"/contact\">Contact</a></footer></body></html>")


class Site:
    """One pytest-httpserver on its own port, answering through ``handle``."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.server.no_handler_status_code = 404
        self.items = items()
        self.by_slug = {item.slug: item for item in self.items}

    @property
    def base(self) -> str:
        return self.server.url_for("").rstrip("/")

    def start(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)
        self.server.start()

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def html(self, text: str) -> Response:
        return Response(text, content_type="text/html; charset=utf-8")


class FeedSite(Site):
    def handle(self, request: Request) -> Response:
        if request.path == "/":
            return self.html('<html lang="en"><head><title>Ministry of Foreign Affairs of Feedland</title>'
                             '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">'
                             '<link rel="alternate" type="application/rss+xml" title="Press" href="/press/feed.xml">'
                             "</head><body><h1>Welcome</h1></body></html>")
        if request.path == "/press/feed.xml":
            entries = "".join(
                f"<item><title>{i.title}</title><link>{self.base}/press/{i.slug}.html</link>"
                f"<pubDate>{format_datetime(i.published)}</pubDate></item>" for i in self.items)
            return Response(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Press</title>{entries}'
                            "</channel></rss>", content_type="application/rss+xml")
        match = re.fullmatch(r"/press/(.+)\.html", request.path)
        if match and match.group(1) in self.by_slug:
            return self.html(detail(self.by_slug[match.group(1)]))
        return Response("not found", status=404)


class SitemapSite(Site):
    def handle(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response(f"User-agent: *\nDisallow: /search\nSitemap: {self.base}/sitemap_index.xml\n",
                            content_type="text/plain")
        if request.path == "/press/":
            return self.html("<html><head><title>Press | Ministry of Mapland</title></head><body>"
                             "<p>Our statements.</p></body></html>")
        if request.path == "/sitemap_index.xml":
            return Response('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            f"<sitemap><loc>{self.base}/sitemap-press.xml</loc></sitemap>"
                            f"<sitemap><loc>{self.base}/sitemap-pages.xml</loc></sitemap></sitemapindex>",
                            content_type="application/xml")
        if request.path == "/sitemap-press.xml":
            urls = "".join(f"<url><loc>{self.base}/press/{i.slug}</loc><lastmod>{i.published.date()}</lastmod></url>"
                           for i in self.items)
            return Response('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            f"{urls}</urlset>", content_type="application/xml")
        if request.path == "/sitemap-pages.xml":
            return Response('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            f"<url><loc>{self.base}/about</loc></url><url><loc>{self.base}/contact</loc></url>"
                            "</urlset>", content_type="application/xml")
        slug = request.path.removeprefix("/press/")
        if slug in self.by_slug:
            return self.html(detail(self.by_slug[slug], meta=True))
        return Response("not found", status=404)


class ListingSite(Site):
    PER_PAGE = 10

    def listing(self, page: int) -> str:
        chunk = self.items[(page - 1) * self.PER_PAGE: page * self.PER_PAGE]
        entries = "".join(
            f'<div class="news-item"><h3><a href="/news/{i.slug}">{i.title}</a></h3>'
            f'<span class="news-date">{i.published.day} {i.published:%B %Y}</span>'
            f'<p class="teaser">{i.body[0]}</p><a class="more" href="/news/{i.slug}">Read more</a></div>'
            for i in chunk)
        pager = f'<a class="pager-next" href="/news/?page={page + 1}">Next</a>' if page * self.PER_PAGE < COUNT else ""
        return ('<html lang="en"><head><title>News | Ministry of Foreign Affairs of Listonia</title></head><body>'
                '<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About</a></li>'
                '<li><a href="/contact">Contact</a></li></ul></nav>'
                f'<div class="news-list">{entries}</div><div class="pager">{pager}</div>'
                "<footer>© 2026</footer></body></html>")

    def handle(self, request: Request) -> Response:
        if request.path == "/news/":
            return self.html(self.listing(int(request.args.get("page", 1))))
        slug = request.path.removeprefix("/news/")
        if slug in self.by_slug:
            item = self.by_slug[slug]
            body = "".join(f"<p>{p}</p>" for p in item.body)
            return self.html(
                f"<html><head><title>{item.title}</title></head><body><nav><a href=\"/\">Home</a></nav>"
                f"<div class=\"page\"><h1>{item.title}</h1><div class=\"content\">{body}</div>"
                "<div class=\"share\">Share on social media</div></div><footer>© 2026</footer></body></html>")
        return Response("not found", status=404)


@pytest.fixture
def sites() -> Iterator[dict[str, Site]]:
    made = {"feed": FeedSite(), "sitemap": SitemapSite(), "html": ListingSite()}
    for site in made.values():
        site.start()
    yield made
    for site in made.values():
        site.stop()


def loaded_share(sources: Path, source_id: str, expected: dict[str, datetime]) -> tuple[float, list[str]]:
    """Share of ``expected`` (URL -> date) the configured source loads with the right date (same UTC day)."""
    source = next(s for s in load_config(sources).sources if s.id == source_id)
    right, wrong = 0, []
    with PoliteSession(HttpSettings(backoff=0.01, max_attempts=2)) as session:
        connector = connector_for(source, session)
        for listing in connector.discover(EVERYTHING):
            if listing.skip:
                continue
            release = connector.parse(connector.fetch(listing))
            if isinstance(release, Release) and release.url in expected and release.published_at is not None \
                    and release.published_at.astimezone(UTC).date() == expected[release.url].date() \
                    and len(release.body_text) > 100:
                right += 1
            else:
                wrong.append(f"{listing.url}: {release}")
    return right / len(expected), wrong


def add(sources: Path, url: str, source_id: str) -> str:
    code, output = cli("--sources", str(sources), "sources", "add", url, "--id", source_id, "--write",
                       "--country", "XA", "--min-interval", "0")
    assert code == 0, output
    print(output)  # the proposals, for the closing note
    return output


def test_sources_add_proposes_each_kind_and_the_proposal_loads_the_site(
    sites: dict[str, Site], tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text("[pipeline]\nlag_days = 2\n", encoding="utf-8")
    shares: dict[str, float] = {}

    with WordpressMirror(COUNT, step=timedelta(days=1), newest=datetime(2026, 2, 24, 10, 0)) as mirror:
        output = add(sources, mirror.base_url + "/", "xw-mfa")
        assert 'kind = "wordpress"' in output and 'post_type = "state_press_release"' in output
        expected = {mirror.link(post): post.date_gmt.replace(tzinfo=UTC) for post in mirror.posts()}
        shares["wordpress"], wrong = loaded_share(sources, "xw-mfa", expected)
        assert shares["wordpress"] >= 0.9, wrong

    for kind, path, source_id, url_of in (
        ("feed", "/", "xf-mfa", lambda s, i: f"{s.base}/press/{i.slug}.html"),
        ("sitemap", "/press/", "xs-mfa", lambda s, i: f"{s.base}/press/{i.slug}"),
        ("html", "/news/", "xl-mfa", lambda s, i: f"{s.base}/news/{i.slug}"),
    ):
        site = sites[kind]
        output = add(sources, site.base + path, source_id)
        assert f'kind = "{kind}"' in output, output
        assert output.count("\n- ") == 5 or output.count("- Statement") == 5, output  # the preview
        expected = {url_of(site, item): item.published for item in site.items}
        shares[kind], wrong = loaded_share(sources, source_id, expected)
        assert shares[kind] >= 0.9, (kind, wrong[:3])

    config = load_config(sources)
    assert [s.id for s in config.sources] == ["xw-mfa", "xf-mfa", "xs-mfa", "xl-mfa"]
    print("load shares:", shares)
