"""`boilerplate`: page furniture that the extractor kept in the release text.

Reason shapes, each reported on the line (trimmed) that carries it:

* Furniture line — a short line (at most `max_furniture_words` words) that is nothing but site
  furniture: sharing ("Share this page", "Share on Facebook", "Tweet", "Facebook Twitter LinkedIn
  Email", "Share this page: Facebook | X | Email"), printing and downloading ("Print", "Print this page",
  "Download PDF"), page dates ("Date modified: 2021-05-05", "Last updated 3 June 2021", "Published on
  …"), navigation ("Read more", "Back to top", "Skip to main content", "Home > Media > Press releases",
  "Previous article"; a lone "Next —" is a speaker breaking off
  in a transcript, so it does not count), feedback and
  subscription prompts ("Was this page helpful?", "Subscribe to our newsletter", "Follow us on
  Twitter"), tag lists ("Tags: …") and copyright lines ("© 2021 Ministry of …", "All rights
  reserved"): `error` — no desk editor publishes a "Print this page" button.
* Share bar — the general form of the sharing furniture above, whatever its order and separators: a
  short line of at least two words made only of share-bar words (`SHARE_BAR_WORDS`: network names,
  "share"/"tweet"/"email"/"print"/"copy link" and the little words around them) and counts ("Share 12",
  "Tweet 0"), with at least one network name or "share"/"tweet": "Share on Facebook Share on Twitter",
  "Facebook Twitter WhatsApp Email Print", "Share: Facebook, X, Email", "Tweet Share Email". A line
  with any other word ("Share your views on Facebook by Friday") is prose. Boundary: no line of the 587
  State Department releases or the GOV.UK items is made only of these words: `error`.
* Cookie notice — a line about the site's use of cookies ("We use cookies to…", "Accept all
  cookies", "Cookie settings"): `error`.
* Teaser tail — a line ending in a "Read more" / "Continue reading" link ("…the talks. Read more »"):
  `error`, on the link text only.
* Known boilerplate line — a line whose normalised form (case-folded, whitespace collapsed, trailing
  punctuation dropped) is in `known_lines`, the lines that recur across many releases of the same
  source. The pipeline computes that set per source with `recurring_lines`; it is a `warning`, since a
  recurring line may be a legitimate standard sentence (a byline, a standard closing paragraph).

The furniture list is ours, written from the page furniture of the sites in sources.toml and of GOV.UK.
Linear: one pass over the lines with compiled regexes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding, Severity
from pressroom.expectations.text import word_set

_SOCIAL = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|e-?mail|email|reddit|pinterest|vk|weibo|wechat"
    r"|instagram|youtube|copy link)"
)
_FURNITURE_RE = re.compile(
    r"(?:share(?: this)?(?: (?:page|article|story|post|release|news))?(?: (?:on|via) \w+)?"
    rf"|(?:share(?: this)?(?: (?:page|article|story|post|release|news))?|follow us|find us)(?: on| via)?:?"
    rf"(?: {_SOCIAL})*"
    rf"|{_SOCIAL}(?: {_SOCIAL})+"
    r"|tweet(?: this)?|print(?: this)?(?: (?:page|article|release))?|print friendly(?:, pdf (?:&|and) email)?"
    r"|download(?: as)? pdf|download (?:this )?(?:page|release)(?: as pdf)?|email this (?:page|article)"
    r"|(?:date|page) (?:modified|updated|published)(?::| on)?.*|last (?:modified|updated|reviewed)(?::| on)?.*"
    r"|page last (?:modified|updated|reviewed)(?::| on)?.*|(?:published|posted|updated) on:? \d.*"
    r"|read more|read the (?:full )?(?:story|article|statement)|continue reading|click here to read more"
    r"|back to top|top of page|skip to (?:main )?content|jump to (?:main )?content|main navigation|breadcrumbs?"
    r"|home(?: ?[>›»/|] ?[^>›»/|]{1,40}){1,6}"
    r"|(?:previous|next) (?:article|post|story|release|news|page|item)|[<>«»‹›] ?(?:previous|next)\b.*"
    r"|related (?:articles|news|posts|stories|content|links)|see also|more (?:news|stories|press releases)"
    r"|was this (?:page|information|article) (?:helpful|useful)\??(?: yes no)?|yes no"
    r"|(?:is there anything wrong with|report a problem (?:with|on)) this page\??"
    r"|subscribe(?: to)?(?: our)?(?: newsletter| updates| e-?mail alerts)?"
    r"|sign up for (?:our )?(?:newsletter|updates|email alerts)"
    r"|follow us(?: on)? (?:facebook|twitter|x|instagram|linkedin|youtube|social media).*"
    r"|tags?: .*|categor(?:y|ies): .*|filed under:? .*|keywords?: .*"
    r"|(?:©|\(c\)|copyright) ?(?:\d{4}|©).*|all rights reserved.*"
    r"|the following links? opens? in a new (?:tab|window)"
    r")(?: \(?opens? in (?:a )?new (?:tab|window)\)?)?"
)
SHARE_BAR_WORDS: frozenset[str] = word_set(
    """
    facebook twitter x linkedin whatsapp telegram email e-mail mail reddit pinterest vk weibo wechat instagram
    youtube messenger tumblr flipboard threads bluesky mastodon line viber sms share shares shared tweet tweets
    print pin copy link url email on via this page article story post release news to with by friends a the
    it and or
    """
)
"""Words a share bar is made of (lower case); see the module docstring."""
_SHARE_BAR_ANCHORS = word_set(
    """
    facebook twitter linkedin whatsapp telegram reddit pinterest weibo wechat instagram messenger tumblr
    flipboard bluesky mastodon viber share tweet
    """
)
_SHARE_BAR_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")
_SITE_LINK_RE = re.compile(
    r"privacy(?: policy| notice| statement)?|terms(?: of (?:use|service)| and conditions)?|accessibility"
    r"|sitemap|site map|contact us|disclaimer|cookies?(?: policy)?|faqs?|help|feedback|rss|about us"
)
"""Footer links that count as furniture when a line holds nothing else, separated by "|"."""
_COOKIE_RE = re.compile(
    r"\b(?:(?:we|this (?:web)?site|our (?:web)?site) uses? cookies|accept (?:all )?cookies"
    r"|cookie (?:settings|policy|preferences|notice|consent)"
    r"|(?:reject|decline|manage) (?:all |optional )?cookies|use of cookies)\b"
)
_TEASER_RE = re.compile(
    r"(?:read more|continue reading|read the full (?:story|article|statement))\s*(?:»|›|>>?|→|…|\.\.\.)?\s*$",
    re.IGNORECASE,
)
_TEASER_HINT_RE = re.compile(r"(?i:more|reading|full story|full article|full statement)\W*$")
_LINE_RE = re.compile(r"[^\r\n]+")
_TRAILING = " .:;!?»›>|-–—…"


def normalise_line(line: str) -> str:
    """The form lines are compared in: case-folded, whitespace collapsed, trailing punctuation dropped."""
    return " ".join(line.casefold().split()).rstrip(_TRAILING).lstrip(" •*-–—")


def recurring_lines(texts: Iterable[str], *, min_share: float = 0.3, min_releases: int = 5) -> frozenset[str]:
    """Normalised lines that occur in at least `min_share` of `texts` and in at least `min_releases` of them.

    Meant for the pipeline: computed per source over its recent releases, then given to `Boilerplate`
    as `known_lines`. Lines of fewer than two words are ignored (a lone "Statement" is not furniture).
    """
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        counts.update({normalise_line(match.group()) for match in _LINE_RE.finditer(text)})
    floor = max(min_releases, min_share * total)
    return frozenset(line for line, count in counts.items() if count >= floor and len(line.split()) >= 2)


class Boilerplate(Check):
    """Report page furniture, cookie notices and known per-source boilerplate lines."""

    id = "boilerplate"
    default_severity = "error"
    applies_to_title = False

    def __init__(
        self,
        *,
        severity: Severity | None = None,
        known_lines: Iterable[str] = (),
        known_severity: Severity = "warning",
        max_furniture_words: int = 12,
    ) -> None:
        super().__init__(severity=severity)
        self.known_lines = frozenset(normalise_line(line) for line in known_lines)
        self.known_severity = known_severity
        self.max_furniture_words = max_furniture_words

    def find(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        for line_start, line in _lines(text):
            stripped = line.strip()
            if not stripped:
                continue
            start = line_start + (len(line) - len(line.lstrip()))
            end = start + len(stripped)
            short = stripped.count(" ") < self.max_furniture_words
            normal = normalise_line(stripped) if short or self.known_lines else ""
            if (
                short
                and (_FURNITURE_RE.fullmatch(" ".join(normal.replace("|", " ").split())) or _is_share_bar(normal))
            ) or _is_link_bar(stripped):
                findings.append(self.finding(text, start, end, f"page furniture {_show(stripped)}"))
            elif ("ookie" in stripped or "OOKIE" in stripped) and _COOKIE_RE.search(stripped.casefold()):
                findings.append(self.finding(text, start, end, f"cookie notice {_show(stripped)}"))
            elif normal in self.known_lines:
                message = f"line {_show(stripped)} recurs across many releases of this source"
                findings.append(self.finding(text, start, end, message, severity=self.known_severity))
            elif _TEASER_HINT_RE.search(stripped, max(len(stripped) - 40, 0)):
                teaser = _TEASER_RE.search(stripped)
                if teaser is not None and teaser.start() > 0:
                    findings.append(
                        self.finding(text, start + teaser.start(), end, f"teaser link {_show(teaser.group())}")
                    )
        return findings


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """The non-empty lines of `text` (`_LINE_RE` matches) with their offsets; `str.split` when there is
    no "\r", which is several times faster than the regex."""
    if "\r" in text:
        for match in _LINE_RE.finditer(text):
            yield match.start(), match.group()
        return
    position = 0
    for line in text.split("\n"):
        if line:
            yield position, line
        position += len(line) + 1


def _is_share_bar(normal: str) -> bool:
    """Whether a normalised line is nothing but a share bar (module docstring, "Share bar")."""
    words = _SHARE_BAR_WORD_RE.findall(normal)
    if len(words) < 2 or not any(word in _SHARE_BAR_ANCHORS for word in words):
        return False
    return all(word in SHARE_BAR_WORDS or word.isdigit() for word in words)


def _is_link_bar(line: str) -> bool:
    """A footer bar of at least two "|"-separated parts, each furniture or a site link ("© 2024 Ministry
    of Foreign Affairs. All rights reserved. | Privacy policy | Terms of use")."""
    if "|" not in line:
        return False
    parts = [normalise_line(part) for part in line.split("|")]
    return len(parts) > 1 and all(
        part and (_FURNITURE_RE.fullmatch(part) or _SITE_LINK_RE.fullmatch(part)) for part in parts
    )


def _show(excerpt: str, limit: int = 60) -> str:
    return '"' + (excerpt if len(excerpt) <= limit else excerpt[: limit - 1] + "…") + '"'
