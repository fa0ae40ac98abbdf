"""A ministry's RSS feed on loopback for the review tests: the seed press release (read from
/work/shared/examples, never copied in), a clean release, and a release whose title carries a `<script>`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from pressroom.flows.settings import Settings
from tests.flows.helpers import LoopbackFeed, cli

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


class ReviewSite(LoopbackFeed):
    def __init__(self, items: list[Item] | None = None) -> None:
        self.items = items if items is not None else default_items()
        self.now = datetime.now(UTC).replace(microsecond=0)
        super().__init__()

    def entries(self) -> list[tuple[str, str, str, datetime]]:
        return [(item.slug, item.title, item.body, self.now - timedelta(days=item.day)) for item in self.items]

    def write_sources(self, path: Path) -> Path:
        path.write_text(
            '[[sources]]\nid = "xk-mfa"\nname = "MFA"\ncountry = "PK"\nlanguage = "en"\n'
            f'timezone = "Asia/Karachi"\nkind = "feed"\nurl = "{self.url}/feed.xml"\nmin_interval = 0\n'
            "\n[http]\nmax_attempts = 1\nbackoff = 0.01\n",
            encoding="utf-8",
        )
        return path


@contextmanager
def reviewed_run(tmp_path: Path) -> Iterator[Settings]:
    """A nightly run of the review site into ``tmp_path/data``; the settings that name it."""
    site = ReviewSite()
    try:
        sources = site.write_sources(tmp_path / "s.toml")
        code, output = cli("--data-dir", str(tmp_path / "data"), "--sources", str(sources), "run")
        assert code == 0, output
        yield Settings.resolve(data_dir=tmp_path / "data", warehouse=None, sources=sources, lock_timeout=None)
    finally:
        site.close()
