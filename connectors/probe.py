"""Proposing a source from a URL alone (``pressroom sources add URL``).

The site is asked politely (the one :class:`PoliteSession`, robots.txt obeyed, ``min_interval`` between
requests) in this order, and the first that answers wins:

1. a GOV.UK organisation page (``/government/organisations/<slug>``) — ``govuk``;
2. the WordPress REST API (announced by ``<link rel="https://api.w.org/">`` or at ``/wp-json/``), its
   post type for press releases when it has one (a type whose slug or name says press, release,
   statement or news), else ``posts`` — ``wordpress``;
3. the URL itself is a feed or a sitemap — ``feed`` / ``sitemap``;
4. a feed the page announces with ``<link rel="alternate" type="application/rss+xml|atom+xml">`` — ``feed``;
5. a sitemap named in robots.txt (``Sitemap:``), releases kept to the URL's path when it has one — ``sitemap``;
6. else the page as an HTML listing: the repeated element that holds a link on the site and a date is the
   ``item``; the link with the longest text in it the ``link``; the smallest element whose text is a date
   the ``date``; a ``rel="next"`` link, or a link whose class or text says next/older, the ``next``.
   Detail pages get no ``body`` selector: the general extractor reads them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from lxml import etree

from pressroom.connectors.http import FetchError, PoliteSession, Response, SitePolicy
from pressroom.connectors.normalise import clean_inline, parse_date

GOVUK_ORG = re.compile(r"^/government/organisations/([a-z0-9-]+)/?$")
PRESS_WORDS = re.compile(r"press|release|statement|news|communiqu", re.I)
WP_BUILTIN = frozenset({"post", "page", "attachment", "nav_menu_item", "wp_block", "wp_template", "wp_template_part",
                        "wp_navigation", "wp_global_styles", "wp_font_family", "wp_font_face"})
FEED_TYPES = ("application/rss+xml", "application/atom+xml")
NEXT_WORDS = re.compile(r"^\s*(next|older|more|suivant|siguiente|weiter|»|›|>|→)", re.I)
ITEM_TAGS = ("li", "article", "tr", "div", "section", "dd", "p")
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)


@dataclass
class Proposal:
    """A proposed ``[[sources]]`` table: kind-specific ``keys`` and how the site was read (``found``)."""

    kind: str
    url: str
    keys: dict[str, object] = field(default_factory=dict)
    found: str = ""
    name: str = ""
    language: str = "en"


class Prober:
    def __init__(self, session: PoliteSession, url: str, *, min_interval: float = 1.0) -> None:
        self.session = session
        self.url = url
        parts = urlsplit(url)
        self.root = f"{parts.scheme}://{parts.netloc}"
        self.policy = SitePolicy(hosts=frozenset({parts.netloc.lower()}), min_interval=min_interval)

    def _get(self, url: str) -> Response | None:
        try:
            return self.session.get(url, policy=self.policy)
        except FetchError:
            return None

    def propose(self) -> Proposal:
        path = urlsplit(self.url).path
        org = GOVUK_ORG.match(path)
        if org and (urlsplit(self.url).hostname or "").endswith("gov.uk"):
            return Proposal("govuk", self.root, {"organisation": org.group(1)}, "a GOV.UK organisation page")
        page = self._get(self.url)
        soup = BeautifulSoup(page.content, "lxml", from_encoding=page.encoding) if page is not None else None
        name, language = _site_name(soup), _language(soup)
        proposal = (self._wordpress(soup) or self._xml(page) or self._announced_feed(soup)
                    or self._robots_sitemap() or self._listing(soup, page))
        if proposal is None:
            raise ValueError(f"{self.url}: no WordPress API, feed, sitemap or listing with dated links found")
        proposal.name, proposal.language = name, language
        return proposal

    def _wordpress(self, soup: BeautifulSoup | None) -> Proposal | None:
        api = None
        if soup is not None:
            link = soup.find("link", rel="https://api.w.org/")
            href = link.get("href") if isinstance(link, Tag) else None
            api = urljoin(self.url, href) if isinstance(href, str) else None
        api = (api or f"{self.root}/wp-json/").rstrip("/")
        types = self._json(f"{api}/wp/v2/types")
        rest_base = "posts"
        if isinstance(types, dict):
            custom = [(slug, value) for slug, value in types.items()
                      if slug not in WP_BUILTIN and isinstance(value, dict) and value.get("rest_base")]
            press = [value for slug, value in custom if PRESS_WORDS.search(f"{slug} {value.get('name', '')}")]
            if press:
                rest_base = str(press[0]["rest_base"])
        posts = self._json(f"{api}/wp/v2/{rest_base}?per_page=1")
        if not isinstance(posts, list):
            return None
        root = api.removesuffix("/wp-json")
        return Proposal("wordpress", root, {"post_type": rest_base}, f"the WordPress REST API at {api}")

    def _json(self, url: str) -> object:
        response = self._get(url)
        if response is None:
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            return None

    def _xml(self, page: Response | None) -> Proposal | None:
        if page is None or page.content.lstrip()[:1] != b"<" or b"<html" in page.content[:2000].lower():
            return None
        root = etree.fromstring(page.content, _XML)
        tag = etree.QName(root).localname if root is not None else ""
        if tag in ("rss", "feed", "RDF"):
            return Proposal("feed", self.url, {}, "the URL is a feed")
        if tag in ("urlset", "sitemapindex"):
            return Proposal("sitemap", self.url, {}, "the URL is a sitemap")
        return None

    def _announced_feed(self, soup: BeautifulSoup | None) -> Proposal | None:
        if soup is None:
            return None
        feeds = [link for link in soup.find_all("link", href=True)
                 if "alternate" in (link.get("rel") or []) and link.get("type") in FEED_TYPES]
        feeds.sort(key=lambda link: "comment" in f"{link.get('href')} {link.get('title', '')}".lower())
        for link in feeds:
            url = urljoin(self.url, str(link["href"]))
            if urlsplit(url).netloc.lower() in self.policy.hosts and self._get(url) is not None:
                return Proposal("feed", url, {}, f"a feed the page announces ({link.get('title') or url})")
        return None

    def _robots_sitemap(self) -> Proposal | None:
        robots = self._get(f"{self.root}/robots.txt")
        if robots is None:
            return None
        for line in robots.text.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "sitemap" and value.strip():
                url = value.strip()
                if urlsplit(url).netloc.lower() not in self.policy.hosts or self._get(url) is None:
                    continue
                path = urlsplit(self.url).path
                keys: dict[str, object] = {}
                if path.strip("/"):
                    keys["include"] = re.escape("/" + path.strip("/").split("/")[0] + "/")
                return Proposal("sitemap", url, keys, "a sitemap named in robots.txt")
        return None

    def _listing(self, soup: BeautifulSoup | None, page: Response | None) -> Proposal | None:
        if soup is None or page is None:
            return None
        keys = infer_listing(soup, base=page.final_url, hosts=self.policy.hosts)
        return Proposal("html", self.url, keys, "an HTML listing (selectors inferred)") if keys else None


def _site_name(soup: BeautifulSoup | None) -> str:
    if soup is None:
        return ""
    meta = soup.find("meta", property="og:site_name")
    if isinstance(meta, Tag) and meta.get("content"):
        return clean_inline(str(meta["content"]))
    title = soup.title.get_text(" ") if soup.title else ""
    return clean_inline(re.split(r"\s[|–—-]\s", title)[-1]) if title else ""


def _language(soup: BeautifulSoup | None) -> str:
    html = soup.find("html") if soup is not None else None
    lang = html.get("lang") if isinstance(html, Tag) else None
    code = str(lang).split("-")[0].lower() if lang else ""
    return code if re.fullmatch(r"[a-z]{2,3}", code) else "en"


# --- HTML listing inference ------------------------------------------------------------------------

UTC = ZoneInfo("UTC")


def _signature(element: Tag) -> str:
    classes = [c for c in (element.get("class") or []) if re.fullmatch(r"[A-Za-z_][\w-]*", c)]
    return element.name + "".join(f".{c}" for c in sorted(classes))


def _is_date(text: str) -> bool:
    text = clean_inline(text)
    return 6 <= len(text) <= 40 and parse_date(text, zone=UTC) is not None and bool(re.search(r"\d{4}", text))


def _date_element(item: Tag) -> Tag | None:
    """The smallest element of ``item`` whose own text (or datetime attribute) is a date."""
    best: Tag | None = None
    for element in item.find_all(name=True):
        if element.name == "a":
            continue
        value = element.get("datetime")
        text = value if isinstance(value, str) else element.get_text(" ")
        if _is_date(text) and (best is None or len(element.get_text()) <= len(best.get_text())):
            best = element
    return best


def _same_host_links(item: Tag, *, base: str, hosts: frozenset[str]) -> list[Tag]:
    links = []
    for anchor in item.find_all("a", href=True):
        url = urljoin(base, str(anchor["href"]))
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc.lower() in hosts \
                and url.split("#")[0] != base.split("#")[0] and clean_inline(anchor.get_text(" ")):
            links.append(anchor)
    return links


def infer_listing(soup: BeautifulSoup, *, base: str, hosts: frozenset[str]) -> dict[str, object]:
    """``item``/``link``/``date``/``next`` selectors of a listing page, or ``{}`` when none is found."""
    groups: Counter[tuple[int, str]] = Counter()
    parents: dict[tuple[int, str], Tag] = {}
    for element in soup.find_all(ITEM_TAGS):
        parent = element.parent
        if not isinstance(parent, Tag):
            continue
        if not _same_host_links(element, base=base, hosts=hosts) or _date_element(element) is None:
            continue
        key = (id(parent), _signature(element))
        groups[key] += 1
        parents[key] = parent
    candidates = [(count, key) for key, count in groups.items() if count >= 3]
    if not candidates:
        return {}
    # Most dated entries wins; among equals, the innermost (the item itself, not a wrapper of one).
    count, key = max(candidates, key=lambda pair: (pair[0], -len(pair[1][1])))
    parent, signature = parents[key], key[1]
    item = signature if "." in signature else f"{_signature(parent)} > {signature}"
    if len(soup.select(item)) > count * 2:
        item = f"{_signature(parent)} > {signature}"
    members = [m for m in soup.select(item) if isinstance(m, Tag)]
    keys: dict[str, object] = {"item": item}
    first = members[0]
    links = _same_host_links(first, base=base, hosts=hosts)
    main_link = max(links, key=lambda a: len(clean_inline(a.get_text(" "))))
    if main_link is not links[0] or first.name == "a":
        holder = main_link.parent if isinstance(main_link.parent, Tag) else first
        keys["link"] = f"{_signature(holder)} a" if holder is not first else _signature(main_link)
    dated = _date_element(first)
    if dated is not None:
        keys["date"] = _signature(dated)
    following = _next_link(soup, base=base, hosts=hosts)
    if following:
        keys["next"] = following
    return keys


def _next_link(soup: BeautifulSoup, *, base: str, hosts: frozenset[str]) -> str | None:
    def usable(anchor: Tag) -> bool:
        url = urljoin(base, str(anchor.get("href", "")))
        return urlsplit(url).netloc.lower() in hosts and url != base

    for anchor in soup.select('a[rel~="next"][href], link[rel~="next"][href]'):
        if isinstance(anchor, Tag) and usable(anchor):
            return f'{anchor.name}[rel~="next"]'
    for anchor in soup.find_all("a", href=True):
        classes = [c for c in (anchor.get("class") or []) if "next" in c.lower() or "older" in c.lower()]
        if classes and usable(anchor):
            return f"a.{classes[0]}"
    for anchor in soup.find_all("a", href=True):
        text = clean_inline(anchor.get_text(" "))
        if NEXT_WORDS.match(text) and len(text) <= 20 and usable(anchor):
            word = text.split()[0]
            return f'a:-soup-contains("{word}")'
    return None
