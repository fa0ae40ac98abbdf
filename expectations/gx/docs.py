"""Make GX Data Docs pages readable offline: vendored copies of their CDN assets, local logo.

GX 1.24's page templates load Bootstrap, jQuery, popper.js, bootstrap-table, bootstrap-datepicker,
Font Awesome and Vega/Vega-Lite/Vega-Embed from CDNs, and show the GX logo from a web server with the
context id and page build time in the query string. `localise` copies `vendor/` (see its README for
versions and licences) to `<docs>/static/vendor/` and rewrites a page's asset URLs to relative paths
into it, and the logo to the copy GX itself ships in `static/images/`; it also repairs GX's own
relative links to `static/`, which on validation pages climb one folder too few. Links a person clicks (`<a href>`)
are left alone: they make no request while the page is read.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
VENDOR_TARGET = Path("static") / "vendor"
LOGO = Path("static") / "images" / "logo-long.png"

CDN_ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/popper.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
}
"""CDN URL named by the GX templates -> path of the vendored copy under `vendor/`."""

_LOGO_RE = re.compile(r"https://great-expectations-web-assets\.s3\.[\w.-]+\.amazonaws\.com/[\w.-]+\.png(?:\?[^\"')\s]*)?")
_STATIC_RE = re.compile(r"(?P<attr>\b(?:src|href)=[\"'])(?:\./|(?:\.\./)+)?static/")
"""GX's own relative links to `static/`; on validation pages they climb one folder too few (GX 1.24)."""
_ASSET_RE = re.compile(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*[\"'](https?://[^\"']+)[\"']", re.IGNORECASE)

log = logging.getLogger(__name__)


def install_vendor(docs_dir: Path) -> None:
    """Copy the vendored assets into the site unless this exact set is there already."""
    target = docs_dir / VENDOR_TARGET
    stamp = target / ".pressroom-vendor"
    fingerprint = _fingerprint()
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == fingerprint:
        return
    shutil.copytree(VENDOR, target, dirs_exist_ok=True)
    stamp.write_text(fingerprint, encoding="utf-8")


def _fingerprint() -> str:
    return "\n".join(
        f"{path.relative_to(VENDOR).as_posix()} {path.stat().st_size}"
        for path in sorted(VENDOR.rglob("*"))
        if path.is_file()
    )


def localise(docs_dir: Path, pages: Iterable[Path]) -> None:
    """Rewrite `pages` (HTML files inside `docs_dir`) to load nothing from the network.

    Asset URLs with no vendored copy are left as they are and logged: a newer GX may add one, and
    `remote_assets` (used by the tests) names them.
    """
    for page in pages:
        html = page.read_text(encoding="utf-8")
        up = Path(os.path.relpath(docs_dir, page.parent))
        rewritten = _LOGO_RE.sub((up / LOGO).as_posix(), html)
        static = (up / "static").as_posix()
        rewritten = _STATIC_RE.sub(rf"\g<attr>{static}/", rewritten)
        for url, local in CDN_ASSETS.items():
            rewritten = rewritten.replace(f'"{url}"', f'"{(up / VENDOR_TARGET / local).as_posix()}"')
        if rewritten != html:
            page.write_text(rewritten, encoding="utf-8")
        for url in remote_assets(rewritten):
            log.warning("Data Docs page %s still loads %s (no vendored copy)", page, url)


def remote_assets(html: str) -> list[str]:
    """URLs a page would fetch by itself: scripts, stylesheets, images and CSS `url(...)` over http(s)."""
    css_urls = re.findall(r"url\(\s*['\"]?(https?://[^'\")\s]+)", html)
    return [*_ASSET_RE.findall(html), *css_urls]
