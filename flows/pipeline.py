"""The pipeline as plain functions (no Prefect here): windows, one source's batches, publishing.

A run covers each source in batches: discover → fetch → parse → load → check; then publish and report.
Per-record problems are data: a page that fails to fetch or parse becomes a ``fetch_failures`` row and
the run goes on. A source that fails as a whole is recorded and the other sources carry on.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pressroom.connectors.config import Config, SourceConfig
from pressroom.connectors.failures import Permanent, Retryable, Skip, reason_of
from pressroom.connectors.http import FetchError, PoliteSession
from pressroom.connectors.model import Listing, ParseFailure, RawPage, Release, Window
from pressroom.connectors.normalise import clean_url, day_bounds, release_id
from pressroom.connectors.registry import Connector, connector_for, parse_safely, unreadable
from pressroom.expectations import Check
from pressroom.expectations import engine as check_engine
from pressroom.expectations import workers as check_workers
from pressroom.expectations.checks.boilerplate import Boilerplate, recurring_lines
from pressroom.expectations.checks.near_duplicates import NearDuplicateFound, NearDuplicateRelease
from pressroom.expectations.records import record_failures
from pressroom.flows import interrupts
from pressroom.flows.progress import reporter
from pressroom.warehouse import Warehouse, gate, lifecycle, store
from pressroom.warehouse.exports import export_published
from pressroom.warehouse.lifecycle import Settled, SkipRecord
from pressroom.warehouse.releases import (
    PublishResult,
    UpsertResult,
    publish,
    recent_texts,
    save_checks,
    upsert_releases,
)
from pressroom.warehouse.store import CheckResult, FailureRecord

log = logging.getLogger("pressroom.pipeline")


def new_run_id(now: datetime) -> str:
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class RunContext:
    """What every stage of a run uses: the run, the configuration and the warehouse. No network: the
    HTTP session is given only to what fetches (:func:`run_source`, :class:`Discovery`), so a command
    that works on what is stored never opens one."""

    run_id: str
    flow: str
    started_at: datetime
    config: Config
    warehouse: Warehouse
    #: Per source, the near-duplicate signatures of the texts its last batch was compared with: the next
    #: batch's neighbours are mostly the same releases, so their signatures are not computed again.
    signatures: dict[str, Mapping[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    #: Pages that failed in an earlier run and were tried again by this one (see `Discovery`): a backfill's
    #: chunks of one source each end with the source's earlier failures, which one run tries once.
    retried: set[str] = field(default_factory=set, repr=False, compare=False)
    _retried_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def first_retry(self, urls: Iterable[str]) -> list[str]:
        """Those of ``urls`` (pages that failed in an earlier run) this run has not tried again yet, now
        marked tried."""
        with self._retried_lock:
            fresh = [url for url in urls if url not in self.retried]
            self.retried.update(fresh)
        return fresh


#: Per-source counts beyond the ``runs`` columns, kept in ``runs.sources``: pages skipped (with a reason,
#: never failures), failures retired this run (gone for ``retire_after`` runs) and releases withdrawn.
EXTRA_COUNTS = ("parse_failed", "skipped", "retired", "withdrawn")


@dataclass
class SourceOutcome:
    source_id: str
    status: str = "ok"  # ok | partial | failed
    window: Window | None = None
    counts: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    total: int = 0  # releases of the source in the warehouse after the run


    def as_dict(self) -> dict[str, object]:
        return {
            "source_id": self.source_id,
            "status": self.status,
            "since": self.window.since.isoformat() if self.window and self.window.since else None,
            "until": self.window.until.isoformat() if self.window else None,
            "error": self.error,
            "total": self.total,
            **{name: int(self.counts.get(name, 0)) for name in (*store.RUN_COUNTS, *EXTRA_COUNTS)},
        }


# --- windows ----------------------------------------------------------------------------------------

def nightly_window(state: store.SourceState | None, *, until: datetime, lag: timedelta) -> Window:
    """``[watermark - lag, until)``; a source never run before starts from the beginning."""
    if state is None or state.watermark is None:
        return Window(since=None, until=until)
    since = min(state.watermark - lag, until - timedelta(microseconds=1))
    return Window(since=since, until=until)


def backfill_window(source: SourceConfig, start: date, end: date) -> Window:
    """Inclusive dates read in the source's own timezone."""
    since, _ = day_bounds(start, source.zone)
    _, until = day_bounds(end, source.zone)
    return Window(since=since, until=until)


# --- one source -------------------------------------------------------------------------------------

class Discovery:
    """A cursor over a source's listings in the window, then over pages that failed in earlier runs.

    Listings are pulled a batch at a time, so a long backfill never holds every entry in memory. A
    listing page that fails ends discovery but keeps everything listed before it (``failure``). Listed
    URLs are cleaned of tracking parameters and fragments first, so two links to one page are one.
    For a connector whose listing is complete for the window (``complete_listing``: the WordPress API),
    a release of the window it no longer lists is fetched again on its own, so a withdrawn post ends
    as a 404 and, two runs running, is marked withdrawn.
    """

    def __init__(self, ctx: RunContext, source: SourceConfig, window: Window, session: PoliteSession, *,
                 skip_loaded: bool = False) -> None:
        self.ctx = ctx
        self.source = source
        self.window = window
        self.connector: Connector = connector_for(source, session)
        self._complete = bool(getattr(self.connector, "complete_listing", False))
        self._listings: Iterator[Listing] | None = self.connector.discover(window)
        self._retries: Iterator[Listing] | None = None
        self.seen: set[str] = set()
        self.failure: FailureRecord | None = None
        self.listed = 0
        #: With ``skip_loaded``: URLs of the window in the warehouse and not failing since, listed but not
        #: fetched again.
        #: Pages that failed in an earlier run and not since: they had their retries then, and are tried
        #: once by this run, listed again or not.
        with ctx.warehouse.transaction() as con:
            self._failed_before = frozenset(store.open_failures(con, source.id))
        self.loaded: frozenset[str] = self._loaded() if skip_loaded else frozenset()
        self.already_loaded = 0
        #: The next batch, being fetched while the caller loads and checks the one before (see `fetched`).
        self._ahead: Future[FetchedBatch | None] | None = None
        self._fetcher: ThreadPoolExecutor | None = None
        #: Threads fetching the pages of a batch (see `fetch_and_parse`).
        self._pages: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

    def _loaded(self) -> frozenset[str]:
        if self.window.since is None:
            return frozenset()
        margin = timedelta(days=1)  # a listing's day and the page's own date may differ
        with self.ctx.warehouse.transaction() as con:
            loaded = lifecycle.releases_in_window(con, source_id=self.source.id, since=self.window.since - margin,
                                                  until=self.window.until + margin)
        # a page that failed since is fetched
        return frozenset(url for url in loaded if url not in self._failed_before)

    def take(self, limit: int) -> list[Listing]:
        batch: list[Listing] = []
        while len(batch) < limit:
            listing = self._next()
            if listing is None:
                break
            listing = _cleaned(listing)
            if listing.url in self._failed_before and listing.max_attempts is None:
                listing = replace(listing, max_attempts=1)
            if listing.url in self.seen:
                continue
            self.seen.add(listing.url)
            if listing.url in self.loaded and self._retries is None:
                self.already_loaded += 1
                self.listed += 1
                continue
            batch.append(listing)
        self.listed += len(batch)
        return batch

    def fetched(self, limit: int) -> FetchedBatch | None:
        """The next batch of up to ``limit`` listings, fetched and parsed; ``None`` when none is left.

        While the caller loads and checks it, the batch after it is fetched on a thread of this cursor:
        the network waits of one batch (slow pages, retries) overlap the work on the one before, and one
        source never has more than two batches of pages in memory. Pages are recorded in the order listed,
        whichever was answered first, and nothing is written until the caller loads a batch."""
        if self._fetcher is None:
            self._fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"fetch-{self.source.id}")
            self._pages = ThreadPoolExecutor(max_workers=fetch_threads(self.source),
                                             thread_name_prefix=f"page-{self.source.id}")
        ahead = self._ahead or self._fetcher.submit(self._fetch_next, limit)
        self._ahead = None
        batch = ahead.result()
        if batch is not None and not self._stop.is_set():
            self._ahead = self._fetcher.submit(self._fetch_next, limit)
        return batch

    def _fetch_next(self, limit: int) -> FetchedBatch | None:
        listings = discover(self.ctx, self, limit)
        if not listings:
            return None
        return fetch_and_parse(self.connector, self.source, listings, stop=self._stop, pool=self._pages)

    def close(self) -> None:
        """Stop fetching ahead: a batch being fetched stops after its current page and is dropped (none of
        it was written; the next run lists it again)."""
        self._stop.set()
        if self._fetcher is not None:
            self._fetcher.shutdown(wait=True, cancel_futures=True)
            self._fetcher = None
        if self._pages is not None:
            self._pages.shutdown(wait=True, cancel_futures=True)
            self._pages = None
        self._ahead = None

    def _next(self) -> Listing | None:
        if self._listings is not None:
            try:
                return next(self._listings)
            except StopIteration:
                self._listings = None
            except FetchError as error:
                self._listings = None
                self.failure = FailureRecord(
                    self.source.id, error.url, error.reason, error.attempts, "listing", str(error)
                )
            except Exception as error:  # a listing the connector cannot read ends discovery only
                log.exception("%s: reading the listing failed", self.source.id)
                self._listings = None
                self.failure = FailureRecord(self.source.id, self.source.url, Permanent.UNREADABLE, 1, "listing",
                                             unreadable(error))
        if self._retries is None:
            since = self.window.since
            with self.ctx.warehouse.transaction() as con:
                failed = store.open_failures(con, self.source.id)
                urls = self.ctx.first_retry(failed)  # once per run, whichever of a backfill's chunks comes first
                if self._complete and self.failure is None and since is not None:
                    listed = lifecycle.releases_in_window(con, source_id=self.source.id, since=since,
                                                          until=self.window.until)
                    known = {*failed, *self.seen}
                    urls = [*urls, *(url for url in listed if url not in known)]
            self._retries = (Listing(source_id=self.source.id, url=url) for url in urls)
        return next(self._retries, None)


def _cleaned(listing: Listing) -> Listing:
    """``listing`` under its clean URL; a link that is not a valid URL (``http://[::1``, a port out of
    range: hostile or broken listings carry them) is kept as it is, as a ``bad-url`` skip."""
    try:
        url = clean_url(listing.url)
        release_id(listing.source_id, url)  # the page's identity must be computable before it is loaded
    except ValueError:
        return replace(listing, skip=Skip.BAD_URL, payload=None)
    return replace(listing, url=url)


def discover(ctx: RunContext, cursor: Discovery, limit: int) -> list[Listing]:
    """The next ``limit`` listings of ``cursor`` (fewer at the end)."""
    return cursor.take(limit)


@dataclass
class FetchedBatch:
    pages: list[RawPage]
    releases: list[Release]
    failures: list[FailureRecord]
    skips: list[SkipRecord] = field(default_factory=list)
    settled: Settled = field(default_factory=Settled)


def fetch_threads(source: SourceConfig) -> int:
    """Pages of one source fetched at once. The throttle still spaces the requests to the host and keeps
    at most ``connections`` in flight; what the other threads add is that one page's waits that hold no
    connection (a retry's backoff, a slow answer while the source allows more connections) overlap the
    fetching of the next pages."""
    return max(4, 2 * source.connections)


def _fetch_one(connector: Connector, listing: Listing) -> RawPage | Exception:
    try:
        return connector.fetch(listing)
    except Exception as error:  # noqa: BLE001 - per-page isolation: the caller records it in the page's place
        return error


def _fetched(connector: Connector, listings: Sequence[Listing], stop: threading.Event | None,
             pool: ThreadPoolExecutor | None, width: int) -> Iterator[tuple[Listing, RawPage | Exception | Skip]]:
    """Each listing with its page, what fetching it raised, or the skip it was listed with, in the order
    listed: one at a time in this thread without ``pool``, else with up to ``width`` fetches running
    ahead on it. None is started once ``stop`` is set."""
    def stopped() -> bool:
        return stop is not None and stop.is_set()

    if pool is None:
        for listing in listings:
            if stopped():
                return
            yield listing, listing.skip if listing.skip is not None else _fetch_one(connector, listing)
        return
    pending: deque[tuple[Listing, Future[RawPage | Exception] | Skip]] = deque()
    ahead = iter(listings)
    while True:
        while len(pending) < width and not stopped() and (following := next(ahead, None)) is not None:
            pending.append((following, following.skip if following.skip is not None
                            else pool.submit(_fetch_one, connector, following)))
        if not pending or stopped():
            return
        listed, started = pending.popleft()
        yield listed, started if isinstance(started, Skip) else started.result()


def fetch_and_parse(connector: Connector, source: SourceConfig, listings: Sequence[Listing], *,
                    stop: threading.Event | None = None, pool: ThreadPoolExecutor | None = None) -> FetchedBatch:
    """Fetch and parse ``listings``, recorded in the order listed, the pages fetched ``fetch_threads``
    at a time on ``pool`` (one at a time without it) and parsed in this thread; with ``stop`` set, the
    pages not yet fetched are left out (the batch is being dropped)."""
    pages: list[RawPage] = []
    releases: list[Release] = []
    failures: list[FailureRecord] = []
    skips: list[SkipRecord] = []
    for listing, page in _fetched(connector, listings, stop, pool, fetch_threads(source)):
        if isinstance(page, Skip):
            skips.append(SkipRecord(source.id, listing.url, page, "seen on the listing, not followed"))
            continue
        if isinstance(page, FetchError):
            if isinstance(page.reason, Skip):
                skips.append(SkipRecord(source.id, listing.url, page.reason, str(page)))
            else:
                failures.append(FailureRecord(
                    source.id, listing.url, page.reason, page.attempts, "page", str(page), listing.listed_at
                ))
            continue
        if isinstance(page, Exception):  # per-page isolation: this page fails, the batch goes on
            log.error("%s: fetching %s failed", source.id, listing.url, exc_info=page)
            failures.append(FailureRecord(source.id, listing.url, Permanent.UNREADABLE, 1, "page",
                                          unreadable(page), listing.listed_at))
            continue
        pages.append(page)
        parsed = parse_safely(connector.parse, page)
        if isinstance(parsed, ParseFailure) and isinstance(parsed.reason, Skip):
            skips.append(SkipRecord(source.id, listing.url, parsed.reason, parsed.detail))
        elif isinstance(parsed, ParseFailure):
            failures.append(FailureRecord(
                source.id, listing.url, parsed.reason, 1, "parse", parsed.detail, listing.listed_at
            ))
        else:
            releases.append(parsed)
    reporter().advance(source.id, done=len(listings))
    return FetchedBatch(pages=pages, releases=releases, failures=failures, skips=skips)


def load(ctx: RunContext, batch: FetchedBatch, *, source_id: str) -> UpsertResult:
    """Raw pages, releases, failures and skips of one batch in one transaction; then failures gone for
    long enough are retired and releases gone twice withdrawn (``batch.settled``). On DuckLake, the
    transaction runs again when a concurrent writer's commit conflicted with it."""
    now = datetime.now(UTC)

    def work(con: duckdb.DuckDBPyConnection) -> UpsertResult:
        store.save_raw_pages(con, batch.pages, run_id=ctx.run_id)
        result = upsert_releases(con, batch.releases, run_id=ctx.run_id, now=now)
        lifecycle.save_release_details(con, batch.releases)
        failed = {failure.url for failure in batch.failures}
        resolved = [p.url for p in batch.pages if p.url not in failed] + [s.url for s in batch.skips]
        lifecycle.count_gone(con, source_id=source_id, failures=[(f.url, f.reason) for f in batch.failures],
                             resolved=resolved, run_id=ctx.run_id)
        store.record_failures(con, batch.failures, run_id=ctx.run_id, now=now)
        lifecycle.count_new_gone(con, source_id=source_id, urls=failed, run_id=ctx.run_id)
        lifecycle.record_skips(con, batch.skips, run_id=ctx.run_id, now=now)
        store.resolve_failures(con, source_id=source_id, urls=resolved, now=now)
        batch.settled = lifecycle.settle(
            con, source_id=source_id, release_ids={url: release_id(source_id, url) for url in failed},
            retire_after=ctx.config.pipeline.retire_after, now=now,
        )
        return result

    return ctx.warehouse.write(work)  # run again when a concurrent writer conflicted (DuckLake)



#: Near-duplicate candidates are the same source's releases published this many days around a release.
NEAR_DUPLICATE_DAYS = 14


def check(
    ctx: RunContext,
    releases: Sequence[Release],
    *,
    ids: Iterable[str],
    hashes: Mapping[str, str] | None = None,
) -> list[CheckResult]:
    """Run the text checks and record-level expectations on the releases named by ``ids``, and save the
    verdicts (retracting, in the same transaction, any published version that no longer passes).

    Each verdict is stored under the version's content hash: ``hashes[release_id]`` when given (the hash
    stored in the warehouse, for versions read back from it), else ``release.content_hash``.

    Besides the default checks, each source's batch gets two checks that need its neighbours: lines that
    recur across its recent releases (boilerplate) and near-duplicates of its releases published within
    ``NEAR_DUPLICATE_DAYS`` days (a re-issued release), both read from the warehouse."""
    wanted_ids = set(ids)
    wanted = {r.release_id: r for r in releases if r.release_id in wanted_ids}
    hashes = hashes or {}
    now = datetime.now(UTC)
    work: list[tuple[Release, check_engine.ReleaseText]] = []
    for source_id in sorted({r.source_id for r in wanted.values()}):
        group = [r for r in wanted.values() if r.source_id == source_id]
        context = _source_checks(ctx, source_id, group)
        for release in group:
            # The near-duplicate lookup is done here, against the index, and travels as its findings.
            near = NearDuplicateFound(context.near.excluding(release.release_id), release.body_text)
            body_checks = [*context.base(release.language), near]
            work.append((release, check_engine.ReleaseText(release.title, release.body_text, release.language,
                                                           body_checks)))
    # The warehouse does not store repair suggestions yet: skip the work of proving them. All cores, on
    # workers that live for the run (a fork per batch cost more than the checks).
    found = check_engine.check_releases([text for _, text in work], suggest=False,
                                        workers=check_workers.shared())
    results = [
        CheckResult(
            release_id=release.release_id,
            content_hash=hashes.get(release.release_id, release.content_hash),
            engine_version=check_engine.ENGINE_VERSION,
            findings=tuple(findings),
            record_failures=record_failures(release, now=now),
        )
        for (release, _), findings in zip(work, found, strict=True)
    ]
    ctx.warehouse.write(lambda con: save_checks(con, results, run_id=ctx.run_id, now=now))
    return results


#: Queued versions checked per transaction when the queue is drained.
QUEUE_CHUNK = 200


def drain_queue(ctx: RunContext, *, every: bool = False, source_ids: Sequence[str] | None = None) -> int:
    """Check every version in the check queue, across all sources, before anything is published: the
    current version of each release and each published version, when the current engine has not
    checked it (loaded by a run killed before its check, or checked by an older engine). With ``every``,
    also all of those of ``source_ids`` (all sources when ``None``), checked or not (``recheck --all``).
    Return how many versions were checked.

    Each chunk is one transaction, so a run killed half-way leaves the rest queued for the next run."""
    with ctx.warehouse.transaction() as con:
        queue = gate.queued(con, engine_version=check_engine.ENGINE_VERSION)
        if every:
            queue = sorted({*queue, *gate.versions_of(con, source_ids)})
    for start in range(0, len(queue), QUEUE_CHUNK):
        interrupts.check()  # between chunks: what is not checked yet stays queued for the next run
        with ctx.warehouse.transaction() as con:
            versions = gate.load_versions(con, queue[start:start + QUEUE_CHUNK])
        # A release's current and published versions are two rows with one id: checked in separate calls.
        passes: list[list[gate.StoredVersion]] = [[], []]
        seen: set[str] = set()
        for version in versions:
            passes[version.release.release_id in seen].append(version)
            seen.add(version.release.release_id)
        for group in passes:
            if group:
                check(ctx, [v.release for v in group], ids=[v.release.release_id for v in group],
                      hashes={v.release.release_id: v.content_hash for v in group})
    return len(queue)


@dataclass
class _SourceChecks:
    known_lines: frozenset[str]
    near: NearDuplicateRelease

    def base(self, language: str) -> list[Check]:
        checks = [c for c in check_engine.default_checks(language) if not isinstance(c, Boilerplate)]
        return [*checks, Boilerplate(known_lines=self.known_lines)]


def _source_checks(ctx: RunContext, source_id: str, group: Sequence[Release]) -> _SourceChecks:
    dates = [r.published_at for r in group if r.published_at is not None]
    window = timedelta(days=NEAR_DUPLICATE_DAYS)
    since = min(dates) - window if dates else ctx.started_at - window
    until = max(dates) + window if dates else ctx.started_at + window
    with ctx.warehouse.transaction() as con:
        corpus = recent_texts(con, source_id=source_id, since=since, until=until)
    near = NearDuplicateRelease(corpus, known=ctx.signatures.get(source_id))
    ctx.signatures[source_id] = near.signatures  # only this corpus's: memory stays one window per source
    return _SourceChecks(known_lines=recurring_lines(text for _, text in corpus), near=near)


def next_watermark(window: Window, failures: Sequence[FailureRecord]) -> datetime | None:
    """Where the nightly watermark may move: the window's end, but never past a page that failed
    for a :class:`~connectors.failures.Retryable` reason. ``None`` leaves it where it is (a failed
    listing whatever its reason, or an undated page)."""
    mark = window.until
    for failure in failures:
        if failure.kind != "listing" and not isinstance(reason_of(failure.reason), Retryable):
            continue
        if failure.kind == "listing" or failure.listed_at is None:
            return None
        mark = min(mark, failure.listed_at)
    return mark


def record_source(
    ctx: RunContext, outcome: SourceOutcome, *, watermark: datetime | None, move_watermark: bool
) -> None:
    with ctx.warehouse.transaction() as con:
        _save_state(con, ctx, outcome, watermark=watermark, move_watermark=move_watermark)


def _save_state(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, outcome: SourceOutcome, *, watermark: datetime | None,
    move_watermark: bool,
) -> None:
    store.save_state(
        con,
        source_id=outcome.source_id,
        run_id=ctx.run_id,
        run_at=ctx.started_at,
        status=outcome.status,
        watermark=watermark if move_watermark else None,
        error=outcome.error,
    )


def publish_run(ctx: RunContext, source_ids: Sequence[str], *, export_root: Path) -> PublishResult:
    """Publish in one transaction (all or nothing), then bring the exports in line with it."""
    with ctx.warehouse.transaction() as con:
        result = publish(con, run_id=ctx.run_id, now=datetime.now(UTC), source_ids=source_ids,
                         engine_version=check_engine.ENGINE_VERSION)
    with ctx.warehouse.transaction() as con:
        export_published(con, export_root, run_id=ctx.run_id)
    return result




@dataclass
class BatchResult:
    """What one batch did: counts and the failures (small; the pages themselves stay in the task)."""

    counts: Counter[str]
    failures: list[FailureRecord]


def process_batch(ctx: RunContext, source: SourceConfig, cursor: Discovery) -> BatchResult | None:
    """The next batch of ``cursor``: fetch → parse → load → check. ``None`` when nothing is left.

    One task run per batch: the fetched bodies never leave it, so a long backfill holds one batch of
    pages at a time whatever orchestrates it."""
    batch = cursor.fetched(ctx.config.pipeline.batch_size)
    if batch is None:
        return None
    result = load(ctx, batch, source_id=source.id)
    check(ctx, batch.releases, ids=(*result.new, *result.changed))
    retired = set(batch.settled.retired)
    failures = [failure for failure in batch.failures if failure.url not in retired]
    counts: Counter[str] = Counter(
        fetched=len(batch.pages), new=len(result.new), changed=len(result.changed),
        unchanged=len(result.unchanged), failed=len(failures),
        parse_failed=sum(1 for failure in batch.failures if failure.kind == "parse"),
        skipped=len(batch.skips), retired=len(retired), withdrawn=len(batch.settled.withdrawn),
    )
    return BatchResult(counts=counts, failures=failures)


@dataclass(frozen=True)
class Stages:
    """The stage a source run calls per batch; flows pass a Prefect-task version of the same function."""

    batch: Callable[[RunContext, SourceConfig, Discovery], BatchResult | None] = process_batch


def run_source(
    ctx: RunContext,
    source: SourceConfig,
    window: Window,
    *,
    session: PoliteSession,
    move_watermark: bool,
    stages: Stages = Stages(),
    skip_loaded: bool = False,
) -> SourceOutcome:
    """One source, batch by batch, streaming: discover → fetch → parse → load → check, fetching over
    ``session``. Fetch and parse problems are counted and recorded, never raised.

    With ``skip_loaded`` (a backfill chunk run again after some of its pages failed) a listed page already
    in the warehouse is not fetched again, and counts as unchanged: the rerun fetches its listing, the
    pages that failed and the pages never loaded."""
    outcome = SourceOutcome(source_id=source.id, window=window)
    counts = outcome.counts
    cursor = Discovery(ctx, source, window, session, skip_loaded=skip_loaded)
    failures: list[FailureRecord] = []
    reporter().begin(source.id, total=None)
    try:
        while True:
            interrupts.check()  # between batches: a batch's load and check transactions land together
            if (result := stages.batch(ctx, source, cursor)) is None:
                break
            counts.update(result.counts)
            failures.extend(result.failures)
    finally:
        cursor.close()
    counts["listed"] = cursor.listed
    counts["unchanged"] += cursor.already_loaded
    listing_failure = cursor.failure
    if listing_failure is not None:
        failures.insert(0, listing_failure)
        counts["failed"] += 1
        outcome.error = f"listing failed: {listing_failure.detail}"
    if failures:
        outcome.status = "failed" if listing_failure is not None and not counts["fetched"] else "partial"
        outcome.error = outcome.error or f"{len(failures)} page(s) failed, first: {failures[0].detail}"
    # An empty listing teaches nothing (a quiet week, or a redesign the selectors no longer match):
    # keep the watermark so the next run looks at this window again.
    watermark = next_watermark(window, failures) if counts["listed"] else None
    now = datetime.now(UTC)
    # One transaction for the listing's failure (or its old ones resolved) and the source's state: a run
    # of 200 sources queues 200 of them on the warehouse, and a kill between the two no longer splits them.
    with ctx.warehouse.transaction() as con:
        if listing_failure is not None:
            store.record_failures(con, [listing_failure], run_id=ctx.run_id, now=now)
        else:
            listing_failures = store.open_failures(con, source.id, kind="listing")
            store.resolve_failures(con, source_id=source.id, urls=listing_failures, now=now)
        _save_state(con, ctx, outcome, watermark=watermark, move_watermark=move_watermark)
    reporter().end(source.id, status=outcome.status)
    return outcome


def skipped_source(source: SourceConfig) -> SourceOutcome:
    """A source with nothing left to do in this run (every backfill chunk done before)."""
    return SourceOutcome(source_id=source.id, status="ok", error=None)


def failed_source(
    ctx: RunContext, source: SourceConfig, window: Window | None, error: BaseException
) -> SourceOutcome:
    """Record a source that failed as a whole (a bug or an unexpected error); the run goes on."""
    outcome = SourceOutcome(source_id=source.id, status="failed", window=window,
                            error=f"{type(error).__name__}: {error}")
    outcome.counts["failed"] += 1
    record_source(ctx, outcome, watermark=None, move_watermark=False)
    reporter().end(source.id, status="failed")
    return outcome
