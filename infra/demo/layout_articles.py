"""The ``articles`` layout (Valdoria): a WordPress-style site with ``<article>`` listings.

Listing ``/press-releases/`` then ``/press-releases/page/N/``; detail ``/press-releases/<slug>/`` with
``h1.pr-title``, ``time.pr-published[datetime]`` and ``div.pr-body``, which itself holds a share bar
and a "Related releases" box that a scraper must drop.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pressroom.infra.demo.content import Block, BulletList, Heading, LineGroup, Paragraph, Release, Site
from pressroom.infra.demo.pages import (
    SitePages,
    day_month_year,
    related,
    site_pages,
    split_speaker,
    wp_esc,
)

LISTING = "/press-releases/"

_STYLE = """body{font-family:Georgia,serif;margin:0;color:#222}
.site-header{background:#0b3d2e;color:#fff;padding:1rem}.main-nav ul{list-style:none;display:flex;gap:1rem}
.cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#333;color:#fff;padding:.5rem}
.pr-item{border-bottom:1px solid #ddd;padding:.5rem 0}.share-bar{float:right}.related{background:#f4f4f4}"""

_HEAD_SCRIPT = """window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);}
gtag('js', new Date()); gtag('config', 'G-DEMO000000');"""

_TAIL_SCRIPT = """document.querySelector('#cookie-banner .accept').addEventListener('click', function () {
  document.cookie = 'cookies_ok=1; path=/'; document.getElementById('cookie-banner').remove();
});"""


def release_path(release: Release) -> str:
    return f"{LISTING}{release.slug}/"


def listing_path(page: int) -> str:
    return LISTING if page == 1 else f"{LISTING}page/{page}/"


def build(site: Site) -> SitePages:
    return site_pages(
        site,
        listing=LISTING,
        listing_path=listing_path,
        release_path=release_path,
        home=_frame(site, "Home", [], _home(site)),
        listing_page=lambda items, number, total: _listing(site, items, number, total),
        detail=lambda release: _detail(site, release),
        not_found=_frame(site, "Page not found", [], '<h1 class="page-title">Page not found</h1>\n'
                         '<p>Sorry, the page you are looking for does not exist or has been moved.</p>'),
        redirects={f"{LISTING}page/1/": LISTING},
    )


def _home(site: Site) -> str:
    latest = "".join(
        f'<li><a href="{release_path(r)}">{wp_esc(r.title)}</a></li>' for r in site.newest_first()[:5]
    )
    return (f'<h1 class="page-title">{wp_esc(site.name)}</h1>\n<section class="latest"><h2>Latest</h2>'
            f'<ul>{latest}</ul><a href="{LISTING}">All press releases</a></section>')


def _listing(site: Site, items: list[Release], number: int, total: int) -> str:
    entries = "\n".join(
        f'<article class="pr-item"><h3><a href="{release_path(r)}">{wp_esc(r.title)}</a></h3>'
        f'<span class="pr-date">{day_month_year(r.date)}</span></article>'
        for r in items
    )
    links = []
    if number > 1:
        links.append(f'<a class="prev" rel="prev" href="{listing_path(number - 1)}">« Previous</a>')
    for other in range(1, total + 1):
        if other == number:
            links.append(f'<span class="page-numbers current">{other}</span>')
        else:
            links.append(f'<a class="page-numbers" href="{listing_path(other)}">{other}</a>')
    if number < total:
        links.append(f'<a class="next" rel="next" href="{listing_path(number + 1)}">Next »</a>')
    heading = "Press Releases" if number == 1 else f"Press Releases – Page {number}"
    main = (f'<h1 class="page-title">{heading}</h1>\n<div class="pr-list">\n{entries}\n</div>\n'
            f'<nav class="pagination">{" ".join(links)}</nav>')
    return _frame(site, heading, [("Press Releases", LISTING)], main)


def _detail(site: Site, release: Release) -> str:
    published: datetime = site.published_at(release)
    number = 200 + len(site.releases) - site.newest_first().index(release)
    share_url = quote(release_path(release), safe="")
    share = (
        '<div class="share-bar"><span class="share-label">Share:</span> '
        f'<a class="share-x" href="https://x.com/intent/tweet?url={share_url}">X</a> '
        f'<a class="share-fb" href="https://www.facebook.com/sharer/sharer.php?u={share_url}">Facebook</a> '
        f'<a class="share-wa" href="https://wa.me/?text={share_url}">WhatsApp</a> '
        '<button type="button" class="print" onclick="window.print()">Print</button></div>'
    )
    boxes = "".join(
        f'<li><a href="{release_path(r)}">{wp_esc(r.title)}</a> <span class="related-date">'
        f"{day_month_year(r.date)}</span></li>"
        for r in related(site, release)
    )
    body = "\n".join(_block(block) for block in release.body)
    main = (
        f'<article class="pr-detail">\n<h1 class="pr-title">{wp_esc(release.title)}</h1>\n'
        f'<div class="pr-meta"><time class="pr-published" datetime="{published.isoformat()}">'
        f"{day_month_year(release.date)}</time> "
        f'<span class="pr-ref">Press Release No. {number}/{release.date.year}</span></div>\n'
        f'<div class="pr-body">\n{share}\n<input type="hidden" data-filter="press-release" value="{number}">\n'
        f'{body}\n<aside class="related"><h2>Related releases</h2><ul>{boxes}</ul></aside>\n</div>\n</article>'
    )
    return _frame(site, release.title, [("Press Releases", LISTING)], main)


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        speaker = split_speaker(block.text)
        if speaker:
            return f"<p><strong>{wp_esc(speaker[0])}</strong> {wp_esc(speaker[1])}</p>"
        return f"<p>{wp_esc(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h4>{wp_esc(block.text)}</h4>"
    if isinstance(block, BulletList):
        return "<ul>\n" + "\n".join(f"<li>{wp_esc(item)}</li>" for item in block.items) + "\n</ul>"
    if isinstance(block, LineGroup):
        return "<p>" + "<br>\n".join(wp_esc(line) for line in block.lines) + "</p>"
    raise TypeError(f"unknown block {block!r}")


def _frame(site: Site, title: str, trail: list[tuple[str, str]], main: str) -> str:
    crumbs = " » ".join(
        ['<a href="/">Home</a>', *(f'<a href="{href}">{wp_esc(text)}</a>' for text, href in trail),
         f"<span>{wp_esc(title)}</span>"]
    )
    nav = "".join(
        f'<li><a href="{href}">{text}</a></li>'
        for text, href in (("Home", "/"), ("The Ministry", "/about/"), ("Press Releases", LISTING),
                           ("Consular Services", "/consular-services/"), ("Missions Abroad", "/missions/"),
                           ("Contact", "/contact/"))
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{wp_esc(title)} – {wp_esc(site.name)}</title>
<style>{_STYLE}</style>
<script>{_HEAD_SCRIPT}</script>
</head>
<body class="wp-site">
<div id="cookie-banner" class="cookie-banner" role="dialog"><p>This website uses cookies to improve your \
experience. By continuing to browse the site you agree to our use of cookies.</p>\
<button type="button" class="accept">Accept</button></div>
<header class="site-header">
<a class="logo" href="/">{wp_esc(site.short_name)}</a>
<ul class="lang-switcher"><li class="active"><a href="/" hreflang="en">English</a></li>\
<li><a href="/vl/" hreflang="vl">Valdorski</a></li></ul>
<form class="search" action="/" method="get"><input type="hidden" name="lang" value="en">\
<input type="search" name="s" placeholder="Search"></form>
<nav class="main-nav"><ul>{nav}</ul></nav>
</header>
<nav class="breadcrumbs" aria-label="Breadcrumb">{crumbs}</nav>
<main id="main">
{main}
</main>
<footer class="site-footer">
<address>{wp_esc(site.name)}<br>{wp_esc(site.address)}<br>Tel: {wp_esc(site.phone)}</address>
<p class="copyright">{wp_esc(site.copyright)}</p>
<input type="hidden" id="wp-nonce" value="5f2c9a1b7e">
</footer>
<script>{_TAIL_SCRIPT}</script>
</body>
</html>
"""
