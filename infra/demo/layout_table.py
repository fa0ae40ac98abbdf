"""The ``table`` layout (Norland): an older ASP.NET-style site with a table listing and ``.htm`` URLs.

Listing ``/media/press-releases.htm`` then ``/media/press-releases-N.htm``, rows in
``table.listing tbody`` (the ``thead`` row is a trap for a loose ``tr`` selector); detail
``/media/press-release/<id>/<slug>.htm`` with ``h2.title``, a naive date line ``p.date`` and
``div.text``, which holds a print button and a "Back to list" link that a scraper must drop.
"""

from __future__ import annotations

from pressroom.infra.demo.content import Block, BulletList, Heading, LineGroup, Paragraph, Release, Site
from pressroom.infra.demo.pages import (
    SitePages,
    esc,
    month_day_year,
    related,
    site_pages,
    split_speaker,
)

LISTING = "/media/press-releases.htm"
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")

_STYLE = """body{font:13px Verdana,Arial,sans-serif;margin:0}#header{background:#1c2f5a;color:#fff}
#topnav li{display:inline;margin-right:12px}#wrapper{width:960px;margin:0 auto}
#sidebar{float:left;width:220px}#content{margin-left:240px}table.listing td{padding:4px;border-bottom:1px dotted #999}
.cookie-notice{background:#ffe;border:1px solid #cc9;padding:6px}"""

_HEAD_SCRIPT = """var _paq = window._paq || [];
_paq.push(['trackPageView']); _paq.push(['enableLinkTracking']);"""

_TAIL_SCRIPT = """function hideCookieNotice(){ document.getElementById('cookieConsent').style.display = 'none';
  document.cookie = 'cc=1;path=/'; return false; }"""

_VIEWSTATE = "/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAgIDD2QWAgIBD2QWAgIBDxYCHgRUZXh0BQdFbmdsaXNoZGQ="


def release_path(release: Release) -> str:
    return f"/media/press-release/{release.number}/{release.slug}.htm"


def listing_path(page: int) -> str:
    return LISTING if page == 1 else f"/media/press-releases-{page}.htm"


def build(site: Site) -> SitePages:
    return site_pages(
        site,
        listing=LISTING,
        listing_path=listing_path,
        release_path=release_path,
        home=_frame(site, "Home", _home(site), ""),
        listing_page=lambda items, number, total: _listing(site, items, number, total),
        detail=lambda release: _detail(site, release),
        not_found=_frame(site, "Page not found", '<h1>Error 404 – Page not found</h1>\n<p>The requested page '
                         'could not be found. Please return to the <a href="/">home page</a>.</p>', ""),
        redirects={"/media/press-releases-1.htm": LISTING, "/index.htm": "/"},
    )


def _home(site: Site) -> str:
    rows = "".join(
        f'<li><a href="{release_path(r)}">{esc(r.title)}</a></li>' for r in site.newest_first()[:5]
    )
    return (f"<h1>{esc(site.name)}</h1>\n<div class=\"box whatsnew\"><h3>What’s New</h3><ul>{rows}</ul>"
            f'<a href="{LISTING}">More press releases</a></div>')


def _listing(site: Site, items: list[Release], number: int, total: int) -> str:
    rows = "\n".join(
        f'<tr><td class="date">{month_day_year(r.date)}</td>'
        f'<td><a href="{release_path(r)}">{esc(r.title)}</a></td></tr>'
        for r in items
    )
    pager = [f'<span class="pager-info">Page {number} of {total}</span>']
    if number > 1:
        pager.append(f'<a class="pager-prev" href="{listing_path(number - 1)}">« Previous</a>')
    if number < total:
        pager.append(f'<a class="pager-next" href="{listing_path(number + 1)}">Next »</a>')
    main = (
        '<h1>Press Releases</h1>\n<table class="listing" summary="Press releases" cellspacing="0">\n'
        f"<thead><tr><th>Date</th><th>Title</th></tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n"
        f'<div class="pager">{" ".join(pager)}</div>'
    )
    return _frame(site, "Press Releases", main, "")


def _detail(site: Site, release: Release) -> str:
    body = "\n".join(_block(block) for block in release.body)
    main = (
        f'<h2 class="title">{esc(release.title)}</h2>\n<p class="date">{month_day_year(release.date)}</p>\n'
        '<div class="text">\n<div class="print"><a href="javascript:window.print();">'
        '<img src="/images/print.gif" alt="Print this page" width="16" height="16" /> Print</a></div>\n'
        f'{body}\n<p class="back"><a href="{LISTING}">« Back to list</a></p>\n</div>'
    )
    box = "".join(
        f'<li><a href="{release_path(r)}">{esc(r.title)}</a><br /><span class="date">'
        f"{month_day_year(r.date)}</span></li>"
        for r in related(site, release)
    )
    return _frame(site, release.title, main, f'<div class="box related"><h3>Related releases</h3><ul>{box}</ul></div>')


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        speaker = split_speaker(block.text)
        if speaker:
            return f"<p><b>{esc(speaker[0])}</b> {esc(speaker[1])}</p>"
        return f"<p>{esc(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<p><b>{esc(block.text)}</b></p>"
    if isinstance(block, BulletList):
        return "\n".join(f"<p>({_ROMAN[i]}) {esc(item)}</p>" for i, item in enumerate(block.items))
    if isinstance(block, LineGroup):
        return "<p>" + "<br />\n".join(esc(line) for line in block.lines) + "</p>"
    raise TypeError(f"unknown block {block!r}")


def _frame(site: Site, title: str, main: str, sidebar_extra: str) -> str:
    nav = "".join(
        f'<li><a href="{href}">{text}</a></li>'
        for text, href in (("Home", "/"), ("About the Ministry", "/about.htm"), ("Media Centre", LISTING),
                           ("Consular, Passport &amp; Visa", "/consular.htm"), ("Missions", "/missions.htm"))
    )
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{esc(title)} | {esc(site.name)}</title>
<style type="text/css">{_STYLE}</style>
<script type="text/javascript">{_HEAD_SCRIPT}</script>
</head>
<body>
<form name="aspnetForm" method="post" action="" id="aspnetForm">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{_VIEWSTATE}" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="/wEdAAKq5Yk9zL0cW2pM" />
<div id="cookieConsent" class="cookie-notice">This site uses cookies for statistics. \
<a href="/privacy.htm">Privacy policy</a> <a href="#" class="btn-ok" onclick="return hideCookieNotice();">OK</a></div>
<div id="header">
<div class="logo"><a href="/"><img src="/images/emblem.png" alt="{esc(site.name)}" width="64" height="64" /></a> \
{esc(site.name)}</div>
<div class="lang"><a href="/" class="sel">English</a> | <a href="/nl/">Norlandsk</a></div>
<ul id="topnav">{nav}</ul>
</div>
<div id="breadcrumb">You are here: <a href="/">Home</a> &gt; <a href="{LISTING}">Media Centre</a> &gt; \
{esc(title)}</div>
<div id="wrapper">
<div id="sidebar">
<div class="box"><h3>Media Centre</h3><ul><li><a href="{LISTING}">Press Releases</a></li>\
<li><a href="/media/speeches.htm">Speeches &amp; Statements</a></li><li><a href="/media/briefings.htm">Media \
Briefings</a></li></ul></div>
{sidebar_extra}
</div>
<div id="content">
{main}
</div>
</div>
<div id="footer">
<p>{esc(site.name)}, {esc(site.address)} · Tel. {esc(site.phone)}</p>
<p>{esc(site.copyright)} | <a href="/sitemap.htm">Sitemap</a> | <a href="/privacy.htm">Privacy</a></p>
</div>
</form>
<script type="text/javascript">{_TAIL_SCRIPT}</script>
</body>
</html>
"""
