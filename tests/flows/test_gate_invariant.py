"""The gate's invariant under any order of commands (a Hypothesis state machine over the real CLI).

The rules are what a user does — `run`, `backfill`, `reparse`, `recheck`, `recheck --all`, `waive`,
`unwaive`, `publish`, `repair --all`, a reviewer's edit saved as a new version (issue 13), upgrading to an
engine with a new check — plus what the site does (a release edited, a new one, an item linking to a page
of hostile bytes, one of which breaks the parser: an ``unreadable`` failure) and a kill of the next command
between two of its warehouse transactions. After every step the
warehouse's own invariant query (:mod:`warehouse.gate`, also run by `pressroom doctor`) must find nothing,
and after every command that finished, nothing may be left in the check queue.

The site is an RSS feed in Asia/Karachi (UTC+5) whose items carry their full text, so every rule is a real
CLI invocation against a real socket, and dates are read in a zone other than UTC.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pressroom import expectations
from pressroom.connectors.feed import FeedConnector
from pressroom.connectors.model import ParseFailure, RawPage, Release
from pressroom.expectations import engine
from pressroom.expectations.checks.base import Check
from pressroom.expectations.findings import Finding
from pressroom.flows import maintenance, pipeline
from pressroom.warehouse import db as warehouse_db
from pressroom.warehouse.gate import violations
from tests.flows.helpers import LoopbackFeed, cli

pytestmark = [pytest.mark.slow]

#: Examples and steps per example in `make test`; raise them for a longer search, e.g.
#: `PRESSROOM_GATE_EXAMPLES=60 PRESSROOM_GATE_STEPS=14 make test PYTEST_ARGS=tests/flows/test_gate_invariant.py`.
EXAMPLES = int(os.environ.get("PRESSROOM_GATE_EXAMPLES", "8"))
STEPS = int(os.environ.get("PRESSROOM_GATE_STEPS", "9"))

CLEAN = [
    "The Ministry of Foreign Affairs welcomed the agreement signed today between the two governments. "
    "Both sides agreed to expand cooperation in trade, energy and education over the next five years.\n\n"
    "The Foreign Minister said the agreement reflects a shared commitment to peace and prosperity in the region.",
    "The Foreign Secretary met the visiting delegation from Zanzibar to discuss maritime cooperation. "
    "The two sides reviewed progress on the fisheries programme launched last year.\n\n"
    "They agreed to hold the next round of consultations in the spring.",
    "The Ministry announces that consular services will be available on Saturday at all missions abroad. "
    "Applicants are advised to book an appointment through the online portal.\n\n"
    "The Ministry thanks citizens for their patience during the upgrade of the passport system.",
]
DEFECTIVE = [
    "The Ministry calls for a comprehensive, broad-based and comprehensive political solution to the crisis. "
    "It urges all parties to return to the negotiating table without delay.\n\n"
    "The Ministry will continue to support the efforts of the United Nations envoy.",
    "The Minister said the talks were constructive and forward looking. the Ministry of Foreign Affairs said. "
    "Foreign Affairs) said.\n\nBoth sides agreed to meet again in the coming months to review progress.",
]
TEXTS = CLEAN + DEFECTIVE
KARACHI = ZoneInfo("Asia/Karachi")
#: Marks the bytes of a page that breaks the feed's parser. A parser bug that hostile bytes reach is what the
#: ``unreadable`` path exists for; since every one found is fixed (the last: markup nested 3,000 deep gave
#: RecursionError), the machine stands one in, raised by the real parser's entry point on these bytes.
PARSER_BREAKER = b"\x00<div>\xff\xfe pressroom-parser-breaker"
#: Pages an item without text links to: bytes that break the parser, random bytes declared as UTF-8,
#: markup nested 3,000 deep (loaded: its text is a release) and a page whose body has no text.
HOSTILE_PAGES: tuple[tuple[bytes, str], ...] = (
    (b"<html><body><article>" + PARSER_BREAKER + b"</article></body></html>", "text/html; charset=utf-8"),
    (bytes(range(256)) * 4, "text/html; charset=utf-8"),
    (b"<html><body><article>" + b"<div>" * 3_000 + b"The Ministry welcomed the talks." + b"</div>" * 3_000
     + b"</article></body></html>", "text/html; charset=utf-8"),
    (b"<html><body><article><script>x</script></article></body></html>", "text/html"),
)


class NewCheck(Check):
    """The check an engine upgrade adds: a word the new engine treats as an error (any text naming Zanzibar)."""

    id = "new-engine-check"
    default_severity = "error"

    def find(self, text: str) -> list[Finding]:
        at = text.find("Zanzibar")
        return [] if at < 0 else [self.finding(text, at, at + len("Zanzibar"), "the new engine flags this")]


@dataclass
class Item:
    slug: str
    title: str
    text: int  # index into TEXTS
    day: int  # days before now


class FeedSite(LoopbackFeed):
    """The feed the test edits between commands."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.now = datetime.now(UTC).replace(microsecond=0)
        super().__init__()

    def entries(self) -> list[tuple[str, str, str, datetime]]:
        # A date given at +05:00, the source's own zone: the warehouse keeps it in UTC.
        return [(item.slug, item.title, TEXTS[item.text], (self.now - timedelta(days=item.day)).astimezone(KARACHI))
                for item in self.items]


def write_sources(path: Path, site: FeedSite) -> None:
    """One feed source on ``site``, dates read in Asia/Karachi, failing fast."""
    path.write_text(
        '[[sources]]\nid = "xk-mfa"\nname = "MFA"\ncountry = "PK"\nlanguage = "en"\n'
        f'timezone = "Asia/Karachi"\nkind = "feed"\nurl = "{site.url}/feed.xml"\nmin_interval = 0\n'
        "\n[http]\nmax_attempts = 1\nbackoff = 0.01\n",
        encoding="utf-8",
    )


class Killed(BaseException):
    """A stand-in for SIGKILL: raised instead of the next transaction, so nothing more is committed."""


@contextmanager
def killed_after(commits: int) -> Iterator[None]:
    """Let ``commits`` more warehouse transactions commit, then fail every later one (and every read)."""
    original = warehouse_db.Warehouse.transaction
    original_reader = warehouse_db.Warehouse.reader
    left = [commits]
    lock = threading.Lock()

    @contextmanager
    def transaction(self: warehouse_db.Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
        with lock:
            if left[0] <= 0:
                raise Killed
            left[0] -= 1
        with original(self) as con:
            yield con

    @contextmanager
    def reader(self: warehouse_db.Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
        if left[0] <= 0:
            raise Killed
        with original_reader(self) as con:
            yield con

    warehouse_db.Warehouse.transaction = transaction  # type: ignore[method-assign]
    warehouse_db.Warehouse.reader = reader  # type: ignore[method-assign]
    try:
        yield
    finally:
        warehouse_db.Warehouse.transaction = original  # type: ignore[method-assign]
        warehouse_db.Warehouse.reader = original_reader  # type: ignore[method-assign]


class GateMachine(RuleBasedStateMachine):
    site: FeedSite
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.index = getattr(GateMachine, "_runs", 0)
        GateMachine._runs = self.index + 1  # type: ignore[attr-defined]
        self.data = self.root / f"case-{self.index}"
        self.sources = self.data / "sources.toml"
        self.data.mkdir(parents=True)
        write_sources(self.sources, self.site)
        self.site.items = [Item("first", "Agreement welcomed", 0, 1), Item("second", "Call for a solution", 3, 1),
                           Item("third", "Delegation visit", 1, 1)]
        self.site.pages.clear()
        # Per example: each example's teardown undoes every patch of the machine.
        self.patch.setattr(FeedConnector, "parse", breaking_parser(FEED_PARSE))
        #: Pages that break the parser which a finished run or backfill has fetched.
        self.broken_fetched: list[str] = []
        self.kill_after: int | None = None
        self.finished = False
        self.slugs = 3
        self.new_engine = False
        self.ran = False
        #: slug → (the site's text index when a review was saved, the reviewed version's content hash)
        self.reviews: dict[str, tuple[int, str]] = {}
        #: slug → the content hash of a review whose ministry text the site changed since
        self.superseded: dict[str, str] = {}

    # --- what the site does ---------------------------------------------------------------------------

    @rule(which=st.integers(0, 20), text=st.integers(0, len(TEXTS) - 1))
    def site_edits_a_release(self, which: int, text: int) -> None:
        item = self.site.items[which % len(self.site.items)]
        if item.slug in self.reviews and text != item.text:
            self.superseded[item.slug] = self.reviews.pop(item.slug)[1]
        item.text = text
        self.finished = False

    @rule(text=st.integers(0, len(TEXTS) - 1))
    def site_adds_a_release(self, text: int) -> None:
        self.slugs += 1
        self.site.items.append(Item(f"item-{self.slugs}", f"Statement {self.slugs}", text, 0))
        self.finished = False

    @rule(page=st.integers(0, len(HOSTILE_PAGES) - 1))
    def site_links_a_hostile_page(self, page: int) -> None:
        """An item without text links to a page of hostile bytes: a typed failure (``unreadable`` when
        it breaks the parser) that leaves no release behind, or a release when it still has text."""
        self.slugs += 1
        slug = f"hostile-{self.slugs}"
        self.site.pages[f"/press/{slug}"] = HOSTILE_PAGES[page]
        self.site.items.append(Item(slug, f"Statement {self.slugs}", 0, 0))
        self.finished = False

    # --- what a user does -------------------------------------------------------------------------------

    @rule(commits=st.integers(0, 12))
    def kill_the_next_command(self, commits: int) -> None:
        self.kill_after = commits

    @rule()
    def upgrade_to_an_engine_with_a_new_check(self) -> None:
        if self.new_engine:
            return
        self.new_engine = True
        self.finished = False
        version = engine.ENGINE_VERSION + "+new"
        checks = engine.default_checks

        def upgraded(language: str = "en") -> list[Check]:
            return [*checks(language), NewCheck()]

        for module in (engine, pipeline, maintenance, expectations):
            if hasattr(module, "ENGINE_VERSION"):
                self.patch.setattr(module, "ENGINE_VERSION", version)
            if hasattr(module, "default_checks"):
                self.patch.setattr(module, "default_checks", upgraded)

    def command(self, *args: str, kind: str = "run") -> tuple[int, str]:
        kill, self.kill_after = self.kill_after, None
        base = ("--data-dir", str(self.data), "--sources", str(self.sources), "--lock-timeout", "5")
        if kill is None:
            code, output = cli(*base, *args)
            self.finished = kind == "run" and code in (0, 3)
            return code, output
        self.finished = False
        with killed_after(kill):
            try:
                code, output = cli(*base, *args)
            except BaseException:  # noqa: BLE001 — whatever the kill left: the warehouse is what is judged
                return -9, "killed"
        return code, output

    @rule()
    def run(self) -> None:
        code, output = self.command("run")
        assert code in (0, 3, -9), output
        self.ran = self.ran or code in (0, 3)
        self.fetched_every_page(code)
        if code in (0, 3):
            self.reviews_survive_the_same_ministry_text()

    def reviews_survive_the_same_ministry_text(self) -> None:
        """After a run fetched every item: a review stays current while the ministry's text under it is
        unchanged, and a changed ministry text is current (judged afresh), the review kept as history."""
        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            def now(slug: str) -> tuple[str, bool]:
                row = con.execute(
                    "SELECT r.content_hash, v.release_id IS NOT NULL FROM releases r LEFT JOIN release_reviews v"
                    " ON v.release_id = r.release_id AND v.version = r.version WHERE r.url LIKE ?", [f"%/press/{slug}"]
                ).fetchone()
                assert row is not None
                return row[0], row[1]

            for slug, (_, reviewed_hash) in self.reviews.items():
                assert now(slug)[0] == reviewed_hash, f"{slug}: the review was lost to the same ministry text"
            for slug, reviewed_hash in self.superseded.items():
                assert not now(slug)[1], f"{slug}: a changed ministry text did not supersede the review"
                kept = con.execute("SELECT count(*) FROM release_versions WHERE content_hash = ?",
                                   [reviewed_hash]).fetchone()[0]
                assert kept >= 1, f"{slug}: the superseded review was not kept"
            self.superseded.clear()

    def slug_of(self, release_id: str) -> str:
        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            url = con.execute("SELECT url FROM releases WHERE release_id = ?", [release_id]).fetchone()[0]
        return str(url).rstrip("/").rsplit("/", 1)[-1]

    def current_hash(self, release_id: str) -> str:
        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            return str(con.execute("SELECT content_hash FROM releases WHERE release_id = ?", [release_id]
                                   ).fetchone()[0])

    def remember_review(self, release_id: str, before: str) -> None:
        after = self.current_hash(release_id)
        if after != before:
            slug = self.slug_of(release_id)
            item = next(i for i in self.site.items if i.slug == slug)
            self.reviews[slug] = (item.text, after)
            self.superseded.pop(slug, None)

    @precondition(lambda self: self.ran)
    @rule(pick=st.integers(0, 20))
    def repair(self, pick: int) -> None:
        blocking = self.held()
        if not blocking:
            return
        release_id = blocking[pick % len(blocking)][0]
        before = self.current_hash(release_id)
        code, output = self.command("repair", release_id, "--all", "--reason", "mechanical", "--by", "t",
                                    kind="repair")
        assert code in (0, 1, -9), output
        self.remember_review(release_id, before)

    @precondition(lambda self: self.ran)
    @rule(pick=st.integers(0, 20), text=st.integers(0, len(TEXTS) - 1))
    def edit(self, pick: int, text: int) -> None:
        """A reviewer replaces the body by hand (what `pressroom review` saves), possibly killed half-way."""
        from pressroom.flows import review
        from pressroom.warehouse import Warehouse
        from pressroom.warehouse.review import ReviewError

        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            ids = [row[0] for row in con.execute("SELECT release_id FROM releases ORDER BY 1").fetchall()]
        if not ids:
            return
        release_id = ids[pick % len(ids)]
        warehouse = Warehouse(self.data / "pressroom.duckdb", lock_timeout=5)
        before = self.current_hash(release_id)
        kill, self.kill_after = self.kill_after, None
        self.finished = False
        try:
            with killed_after(10_000 if kill is None else kill):
                seen = review.look(warehouse, release_id)
                review.save(warehouse, seen.current, title=seen.current.release.title, body=TEXTS[text],
                            applied=(), by="t", reason="by hand")
        except (Killed, ReviewError):
            pass
        self.remember_review(release_id, before)

    @rule(force=st.booleans())
    def backfill(self, force: bool) -> None:
        day = self.site.now.date()
        args = ["backfill", "--source", "xk-mfa", "--from", str(day - timedelta(days=3)), "--to", str(day)]
        code, output = self.command(*args, *(["--force"] if force else []))
        assert code in (0, 3, -9), output
        self.ran = self.ran or code in (0, 3)
        self.fetched_every_page(code)

    def fetched_every_page(self, code: int) -> None:
        if code in (0, 3):
            self.broken_fetched = [page for page, (body, _) in self.site.pages.items() if PARSER_BREAKER in body]

    @precondition(lambda self: self.ran)
    @rule()
    def reparse(self) -> None:
        code, output = self.command("reparse")
        assert code in (0, -9), output

    @precondition(lambda self: self.ran)
    @rule(every=st.booleans())
    def recheck(self, every: bool) -> None:
        code, output = self.command("recheck", *(["--all"] if every else []))
        assert code in (0, -9), output

    @precondition(lambda self: self.ran)
    @rule()
    def publish(self) -> None:
        code, output = self.command("publish")
        assert code in (0, -9), output

    def held(self) -> list[tuple[str, str]]:
        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            return con.execute(
                "SELECT f.release_id, f.check_id FROM dq_findings f JOIN releases r USING (release_id, content_hash)"
                " WHERE f.severity = 'error' ORDER BY 1, 2"
            ).fetchall()

    @precondition(lambda self: self.ran)
    @rule(pick=st.integers(0, 20))
    def waive(self, pick: int) -> None:
        blocking = self.held()
        if not blocking:
            return
        release_id, check_id = blocking[pick % len(blocking)]
        code, output = self.command("waive", release_id, "--check", check_id, "--reason", "seen", "--by", "t",
                                    kind="waive")
        assert code in (0, 2, -9), output

    @precondition(lambda self: self.ran)
    @rule(pick=st.integers(0, 20))
    def unwaive(self, pick: int) -> None:
        with duckdb.connect(str(self.data / "pressroom.duckdb"), read_only=True) as con:
            waived = con.execute("SELECT DISTINCT release_id, check_id FROM waivers ORDER BY 1, 2").fetchall()
        if not waived:
            return
        release_id, check_id = waived[pick % len(waived)]
        code, output = self.command("unwaive", release_id, "--check", check_id, "--reason", "second look",
                                    "--by", "t", kind="unwaive")
        assert code in (0, 2, -9), output

    # --- the invariant ----------------------------------------------------------------------------------

    @invariant()
    def the_gate_holds(self) -> None:
        path = self.data / "pressroom.duckdb"
        if not path.exists():
            return
        with duckdb.connect(str(path), read_only=True) as con:
            if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dq_runs'").fetchone()[0]:
                return
            engine_version = engine.ENGINE_VERSION if self.finished else None
            found = violations(con, engine_version=engine_version)
        assert not found, "\n".join(map(str, found))

    @invariant()
    def a_page_that_breaks_the_parser_is_one_unreadable_failure_and_nothing_else(self) -> None:
        """After a run or backfill that finished, each page that breaks the parser is one open ``unreadable``
        failure with its detail, and no release: the page costs itself, nothing of it is loaded."""
        path = self.data / "pressroom.duckdb"
        if not self.broken_fetched or not path.exists():
            return
        with duckdb.connect(str(path), read_only=True) as con:
            for page in self.broken_fetched:
                url = f"{self.site.url}{page}"
                failures = con.execute("SELECT reason, detail FROM fetch_failures"
                                       " WHERE url = ? AND resolved_at IS NULL", [url]).fetchall()
                assert len(failures) == 1 and failures[0][0] == "unreadable" and failures[0][1], (url, failures)
                assert con.execute("SELECT count(*) FROM releases WHERE url = ?", [url]).fetchone() == (0,)


def breaking_parser(parse: Callable[[FeedConnector, RawPage], Release | ParseFailure]
                    ) -> Callable[[FeedConnector, RawPage], Release | ParseFailure]:
    """The feed's real ``parse``, raising (as a parser bug would) on :data:`PARSER_BREAKER`."""
    def parse_or_break(self: FeedConnector, raw: RawPage) -> Release | ParseFailure:
        if PARSER_BREAKER in raw.content:
            raise RecursionError("maximum recursion depth exceeded (a parser broken by hostile bytes)")
        return parse(self, raw)

    return parse_or_break


FEED_PARSE = FeedConnector.parse


@pytest.fixture()
def machine_env(tmp_path: Path, prefect_server: None) -> Iterator[type[GateMachine]]:
    site = FeedSite()
    mp = pytest.MonkeyPatch()
    GateMachine.site = site
    GateMachine.root = tmp_path
    GateMachine.patch = mp  # type: ignore[attr-defined]
    try:
        yield GateMachine
    finally:
        mp.undo()
        site.close()


def test_the_gate_holds_under_any_order_of_commands(machine_env: type[GateMachine]) -> None:
    class Machine(machine_env):  # type: ignore[valid-type, misc]
        def teardown(self) -> None:
            self.patch.undo()

    Machine.TestCase.settings = settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    Machine.TestCase().runTest()


def test_releases_loaded_by_a_killed_run_are_checked_and_gated_by_the_next_command(
    tmp_path: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's report: a backfill killed between its load and its check left those releases unchecked
    and unpublished for good. Any next command — here `publish`, which fetches nothing — checks them."""
    site = FeedSite()
    try:
        site.items = [Item("clean", "Agreement welcomed", 0, 1), Item("defect", "Call for a solution", 3, 1)]
        data, sources = tmp_path / "data", tmp_path / "sources.toml"
        write_sources(sources, site)
        base = ("--data-dir", str(data), "--sources", str(sources))

        def die(*args: object, **kwargs: object) -> None:
            raise Killed

        with monkeypatch.context() as patch, killed_after(10_000):
            patch.setattr(pipeline, "check", die)
            with pytest.raises(BaseException):  # noqa: B017 — whatever the kill raised through Prefect
                cli(*base, "run")
        warehouse = data / "pressroom.duckdb"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM releases").fetchone() == (2,)
            assert con.execute("SELECT count(*) FROM dq_runs").fetchone() == (0,)
            assert violations(con) == []
            assert len(violations(con, engine_version=engine.ENGINE_VERSION)) == 2  # both queued
        code, output = cli(*base, "publish")
        assert code == 0 and "published 1 release(s); 1 held" in output, output
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert violations(con, engine_version=engine.ENGINE_VERSION) == []
    finally:
        site.close()
