"""The ``pressroom`` command line.

Exit codes: 0 — everything listed was fetched and processed (data-quality findings do not change it);
1 — ``pressroom check`` found an error-level defect; 2 — usage or configuration error, nothing written;
3 — some page or source failed and the rest was loaded; 4 — the warehouse stayed locked by another
process for longer than the lock timeout (nothing more was written); 130 / 143 — stopped by SIGINT /
SIGTERM between two transactions, the run recorded as ``interrupted`` (:mod:`flows.interrupts`).
`pressroom repair` also uses 1 — the release is still held after the repair (a finding needs a person's
edit) — and 5 — the release changed while it was being repaired (another review or a run saved a newer
version first): nothing was saved.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from pressroom.flows.settings import (
    Settings,
    configure_prefect,
    remember_sources,
    sources_notes,
    unwritable,
    unwritable_file,
)

if TYPE_CHECKING:
    from pressroom.connectors.config import Config
    from pressroom.flows.nightly import RunSummary


class _Commands(TyperGroup):
    """Every command runs inside one mapping from what bad input raises to the documented one-line
    error: an unusable warehouse, sources file or data directory is exit 2, a warehouse locked too long
    exit 4 — never a traceback. Anything else is a bug and keeps its traceback."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta["pressroom.help"] = "--help" in rest  # no checks before a command's help
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _bad_input_types() as error:
            code = _exit_code(error)
            if code is None:
                raise
            raise fail(_one_line(error), code) from None


_UNWRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.ENOTDIR, errno.EDQUOT}


def _bad_input_types() -> tuple[type[BaseException], ...]:
    """The exception types bad input raises, among the modules already imported: a command that never
    imported one cannot have raised it, and importing them here would slow `pressroom check`'s start."""
    found: list[type[BaseException]] = [OSError]
    for module, name in (("pressroom.warehouse.db", "WarehouseError"), ("pressroom.connectors.config", "ConfigError"),
                         ("duckdb", "IOException")):
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


def _exit_code(error: BaseException) -> int | None:
    """EXIT_BUSY for a warehouse locked too long, EXIT_USAGE for other bad input, None for a bug."""
    db = sys.modules.get("pressroom.warehouse.db")
    if db is not None and isinstance(error, db.WarehouseBusy):
        return EXIT_BUSY
    if isinstance(error, OSError) and not type(error).__module__.startswith("duckdb"):
        return EXIT_USAGE if error.errno in _UNWRITABLE else None
    return EXIT_USAGE


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno in _UNWRITABLE:
        return f"cannot write {error.filename or 'a file'}: {error.strerror}"
    if type(error).__module__.startswith("duckdb"):  # a damaged warehouse found by a query, past the checks on open
        return f"warehouse {state.settings.warehouse}: {str(error).splitlines()[0]}"
    return str(error)


app = typer.Typer(
    cls=_Commands,
    name="pressroom",
    help="Load ministries' press releases into DuckDB and publish only what passes data-quality checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Off a terminal (cron mail, CI logs) rich would squeeze tables into 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
EXIT_OK, EXIT_DEFECTS, EXIT_USAGE, EXIT_PARTIAL, EXIT_BUSY = 0, 1, 2, 3, 4
EXIT_CONFLICT = 5


class State:
    settings: Settings
    verbose: bool = False
    data_dir_given: bool = False
    #: the sources file read by this invocation (read once: the pre-flight's reading serves the command)
    config: Config | None = None


state = State()


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="PRESSROOM_DATA_DIR",
                                                  help="Data directory [default: ./data]")] = None,
    warehouse: Annotated[Path | None, typer.Option("--warehouse", envvar="PRESSROOM_WAREHOUSE",
                                                   help="DuckDB file [default: <data-dir>/pressroom.duckdb]")] = None,
    sources: Annotated[Path | None, typer.Option(
        "--sources", envvar="PRESSROOM_SOURCES", help="Sources file [default: bundled connectors/sources.toml]"
    )] = None,
    lock_timeout: Annotated[float | None, typer.Option(
        "--lock-timeout", envvar="PRESSROOM_LOCK_TIMEOUT",
        help="Seconds to wait for a warehouse held by another process [default: 120]",
    )] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own log lines")] = False,
) -> None:
    state.settings = Settings.resolve(data_dir=data_dir, warehouse=warehouse, sources=sources,
                                      lock_timeout=lock_timeout)
    state.verbose = verbose
    state.data_dir_given = data_dir is not None
    state.config = None
    # `sources` is a group: its callback runs the pre-flight for the listing (`sources add` may start
    # from a sources file with no source yet).
    if ctx.invoked_subcommand not in (None, "sources") and not ctx.resilient_parsing \
            and not ctx.meta.get("pressroom.help"):
        _preflight(ctx.invoked_subcommand, state.settings)


#: Commands that write under the data directory, and those that write the warehouse file.
WRITES_DATA_DIR = frozenset({"run", "backfill", "demo", "reparse", "recheck", "publish", "report", "serve",
                             "repair", "review"})
WRITES_WAREHOUSE = frozenset({"run", "backfill", "demo", "reparse", "recheck", "publish", "waive", "unwaive",
                              "vacuum", "serve", "repair", "review"})
#: Commands that work on the configured sources: they warn when the warehouse holds others.
USES_SOURCES = frozenset({"run", "backfill", "reparse", "recheck", "publish", "held", "report", "sources", "serve",
                          "repair", "review"})


def _preflight(command: str, settings: Settings) -> None:
    """Before any command does anything: the sources file is valid (``doctor`` reports rather than
    stops), the data directory and warehouse can be written by a command that writes them, and the
    warehouse, when it exists, is a pressroom warehouse. Exit 2 with one line otherwise."""
    if command == "check":
        return
    config: Config | None = None
    if command == "demo":
        demo_dir = _demo_data_dir()
        settings = Settings.resolve(data_dir=demo_dir, warehouse=demo_dir / "pressroom.duckdb",
                                    sources=settings.sources)
    elif command != "doctor":
        config = _config(settings)
        for note in sources_notes(settings):
            err.print(f"pressroom: {note}", markup=False, highlight=False, soft_wrap=True)
    reason = unwritable(settings.data_dir) if command in WRITES_DATA_DIR else None
    if reason:
        raise fail(f"`{command}` writes to data directory {settings.data_dir}, which cannot be written: {reason}")
    reason = unwritable_file(settings.warehouse) if command in WRITES_WAREHOUSE and not settings.lake else None
    if reason:
        raise fail(f"`{command}` writes warehouse {settings.warehouse}, which cannot be written: {reason}")
    if not settings.warehouse_exists():
        return
    if config is not None and command in USES_SOURCES:
        from pressroom.flows.housekeeping import unconfigured_sources

        absent = unconfigured_sources(settings, config)
        if absent:
            err.print(f"pressroom: warning: {absent}", markup=False, highlight=False, soft_wrap=True)
    elif command == "demo":  # before the mirror starts and the demo's sources file is written
        settings.open_warehouse().ensure_schema()


def _remember(settings: Settings, command: str) -> None:
    """A command that writes makes its data directory remember the sources file it used."""
    if remember_sources(settings, command=command) and settings.remembered_sources is not None:
        err.print(f"pressroom: data directory {settings.data_dir} now remembers sources file {settings.sources}",
                  markup=False, highlight=False, soft_wrap=True)


def _demo_data_dir() -> Path:
    return state.settings.data_dir if state.data_dir_given else Path("data") / "demo"


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"pressroom: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _config(settings: Settings) -> Config:
    """The sources file of ``settings``, with its ``[alerts]`` table, validated (else exit 2); read once
    per invocation."""
    from pressroom.connectors.config import ConfigError, load_config  # on use: pydantic, requests and bs4 slow start-up
    from pressroom.flows.alerts import alert_settings

    if state.config is not None and Path(state.config.path) == settings.sources:
        return state.config
    try:
        config = load_config(settings.sources)
        alert_settings(config)
    except ConfigError as error:
        if settings.sources_origin == "data-dir":
            raise fail(f"{error} (the sources file data directory {settings.data_dir} remembers; "
                       "pass --sources to use another)") from None
        raise fail(str(error)) from None
    state.config = config
    return config


def _select(settings: Settings, source_ids: list[str] | None) -> Config:
    """The configuration, with every named source known (else exit 2 naming it)."""
    from pressroom.connectors.config import ConfigError

    config = _config(settings)
    try:
        config.select(source_ids)
    except ConfigError as error:
        raise fail(str(error)) from None
    return config


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def _prepare(settings: Settings) -> None:
    """Everything validated: set up logging and Prefect's embedded defaults, then import flows."""
    configure_prefect(settings)
    if not state.verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for noisy in ("httpx", "prefect", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.INFO if state.verbose else logging.WARNING)
    from pressroom.flows import progress
    from pressroom.flows.console import RichReporter

    if sys.stderr.isatty():
        logging.getLogger("pressroom.progress").setLevel(logging.WARNING)
        progress.install(RichReporter(err))


def _execute(kind: str, settings: Settings, **params: Any) -> RunSummary:
    from pressroom.warehouse import WarehouseBusy, WarehouseError

    _prepare(settings)
    try:  # create or migrate the warehouse first: a lock held elsewhere is reported before any fetching
        settings.open_warehouse().ensure_schema()
    except WarehouseBusy as error:
        raise fail(str(error), EXIT_BUSY) from None
    except WarehouseError as error:
        raise fail(str(error), EXIT_USAGE) from None
    _remember(settings, kind)
    from pressroom.flows import console, ephemeral, interrupts
    from pressroom.flows.nightly import backfill, nightly

    paths = {"data_dir": str(settings.data_dir), "warehouse": str(settings.warehouse),
             "sources_file": str(settings.sources), "lock_timeout": settings.lock_timeout}
    flow: Any = nightly if kind == "nightly" else backfill

    def run_flow() -> RunSummary:
        server = ephemeral.start()  # from the main thread: its child dies with this process
        if server is not None:
            interrupts.on_second_signal(server.kill_now)
        interrupts.check()
        try:
            with console.progress_context():
                return interrupts.run_in_thread(lambda: flow(**params, **paths))
        except WarehouseBusy as error:
            raise fail(str(error), EXIT_BUSY) from None
        except WarehouseError as error:
            raise fail(str(error), EXIT_PARTIAL) from None

    summary = _stoppable(settings, run_flow)
    console.print_summary(out, summary)
    return summary


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable)")] = None,
) -> None:
    """The nightly job, now: every enabled source (or those named) since its watermark."""
    settings = state.settings
    _select(settings, source)
    summary = _execute("nightly", settings, sources=source or None)
    raise typer.Exit(summary.exit_code)


@app.command()
def backfill(
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source id (repeatable)")],
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD, in the source's timezone")],
    to: Annotated[str, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD")],
    force: Annotated[bool, typer.Option("--force", help="Redo chunks an earlier backfill completed")] = False,
) -> None:
    """Fetch the releases of the sources named between two dates; the nightly watermark is left alone."""
    settings = state.settings
    start, end = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if start > end:
        raise fail(f"--from {start} is after --to {end}")
    _select(settings, source)
    summary = _execute("backfill", settings, sources=source, start=start, end=end, force=force)
    raise typer.Exit(summary.exit_code)


@app.command()
def demo() -> None:
    """Serve the bundled demo mirror on loopback and run the nightly pipeline against it."""
    from pressroom.infra.demo.server import DemoMirror

    data_dir = _demo_data_dir()
    with DemoMirror() as mirror:
        data_dir.mkdir(parents=True, exist_ok=True)
        sources_file = data_dir / "demo-sources.toml"
        mirror.write_sources(sources_file)
        settings = Settings.resolve(data_dir=data_dir, warehouse=data_dir / "pressroom.duckdb",
                                    sources=sources_file, lock_timeout=state.settings.lock_timeout)
        _config(settings)
        err.print(f"demo mirror serving {', '.join(mirror.base_urls.values())}", highlight=False)
        summary = _execute("nightly", settings, sources=None)
    out.print(f"warehouse: {settings.warehouse}", highlight=False)
    raise typer.Exit(summary.exit_code)


sources_app = typer.Typer(help="The configured sources; `sources add URL` proposes a new one.")
app.add_typer(sources_app, name="sources")


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context) -> None:
    """The configured sources with their state: last run, status, watermark and counts."""
    from pressroom.flows import console

    if ctx.invoked_subcommand is not None or ctx.resilient_parsing:
        return
    settings = state.settings
    _preflight("sources", settings)
    config = _config(settings)
    console.print_sources(out, config, settings)


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="A page of the ministry's press releases (or its site)")],
    source_id: Annotated[str | None, typer.Option("--id", help="Source id [default: from the host]")] = None,
    write: Annotated[bool, typer.Option("--write", help="Append the proposed table to the sources file")] = False,
    country: Annotated[str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 [default: from the TLD]")] = None,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone of undated times")] = "UTC",
    min_interval: Annotated[float, typer.Option("--min-interval", help="Seconds between requests")] = 1.0,
) -> None:
    """Probe URL politely, print a proposed [[sources]] table and a preview of its first releases."""
    from pressroom.connectors.config import ConfigError, load_config
    from pressroom.connectors.http import HttpSettings
    from pressroom.flows.sources_add import append, propose, render_table

    settings = state.settings
    try:
        http = load_config(settings.sources, allow_empty=True).http.settings() if settings.sources.exists() else None
        entry, proposal, rows = propose(url, source_id=source_id, country=country, timezone=timezone,
                                        min_interval=min_interval, http=http or HttpSettings(), into=None)
    except (ValueError, ConfigError) as error:
        raise fail(str(error)) from None
    out.print(f"# found: {proposal.found}", markup=False, highlight=False)
    out.print(render_table(entry), markup=False, highlight=False, soft_wrap=True)
    for row in rows:
        date = row.published_at.isoformat() if row.published_at else "no date"
        text = f"FAILED {row.problem}: {row.url}" if row.problem else row.first_line[:100]
        out.print(f"- {row.title[:80]} | {date} | {text}", markup=False, highlight=False, soft_wrap=True)
    if write:
        try:
            append(entry, settings.sources)
        except (ValueError, ConfigError) as error:
            raise fail(str(error)) from None
        out.print(f"appended to {settings.sources}", markup=False, highlight=False)


def _maintenance(command: str, source: list[str] | None, run: Callable[[Settings, Config], T]) -> T:
    """A run over what the warehouse holds (:mod:`flows.maintenance`): the named sources known, the
    warehouse there, the data directory remembering the sources file; stoppable by a signal."""
    settings = state.settings
    config = _select(settings, source)
    _existing_warehouse(settings)
    _remember(settings, command)
    return _stoppable(settings, lambda: run(settings, config))


def _maintenance_summary(result: Any) -> None:
    counts = " ".join(f"{name}={value}" for name, value in result.counts.items())
    out.print(f"{result.flow} run {result.run_id}: {counts}", markup=False, highlight=False)


def _existing_warehouse(settings: Settings) -> None:
    if not settings.warehouse_exists():
        raise fail(f"no warehouse at {settings.warehouse}: run `pressroom run` first (or pass --warehouse)")


@app.command()
def reparse(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable)")] = None,
) -> None:
    """Rebuild releases from the stored raw pages with the current extractors; no network."""
    from pressroom.flows.maintenance import reparse as run_reparse

    _maintenance_summary(_maintenance("reparse", source, lambda settings, config: run_reparse(
        settings, config, source)))


@app.command()
def recheck(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable)")] = None,
    every: Annotated[bool, typer.Option(
        "--all", help="Check every release, not only those checked by an older engine")] = False,
) -> None:
    """Run the current checks again on releases checked by an older engine version, then publish."""
    from pressroom.flows.maintenance import recheck as run_recheck

    _maintenance_summary(_maintenance("recheck", source, lambda settings, config: run_recheck(
        settings, config, source, every=every)))


@app.command()
def publish(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable)")] = None,
) -> None:
    """Re-evaluate held releases (after a waiver) and publish those that now pass; update the exports."""
    from pressroom.flows.maintenance import publish_now

    result = _maintenance("publish", source, lambda settings, config: publish_now(settings, config, source))
    out.print(f"published {len(result.published.published)} release(s); {len(result.published.held)} held",
              markup=False, highlight=False)


@app.command()
def waive(
    release_id: Annotated[str, typer.Argument(help="The release to publish despite its finding")],
    check: Annotated[str, typer.Option("--check", help="The check id (or record expectation) to waive")],
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with the waiver")],
    by: Annotated[str | None, typer.Option("--by", help="Who decides [default: $USER]")] = None,
) -> None:
    """Record a person's decision to publish a held release despite one check; `pressroom publish` then
    publishes it. A waiver covers the release's current version only."""
    from pressroom.warehouse.releases import waive as record_waiver

    version, who, note = _decision(by, lambda con, who, now: record_waiver(
        con, release_id=release_id, check_id=check, reason=reason, by=who, now=now))
    out.print(f"waived {check} on {release_id} (version {version[:12]}) by {who}{note}; run `pressroom publish`",
              markup=False, highlight=False)


def _decision(by: str | None, write: Callable[[Any, str, datetime], T]) -> tuple[T, str, str]:
    """Record a person's decision (``waive``, ``unwaive``): ``write(connection, who, now)`` in one
    transaction; a refused one (:class:`warehouse.releases.WaiverError`) is exit 2. Return what ``write``
    returned, who decided and the note on how that was found."""
    from pressroom.warehouse.releases import WaiverError

    settings = state.settings
    _existing_warehouse(settings)
    who, note = _decider(by)
    now = datetime.now(UTC)

    def record() -> T:
        with settings.open_warehouse().transaction() as con:
            return write(con, who, now)

    try:
        return _guarded(record), who, note
    except WaiverError as error:
        raise fail(str(error)) from None


def _decider(by: str | None) -> tuple[str, str]:
    """Who decides, and a note for the output when that is not what the user typed."""
    if by and by.strip():
        return by.strip(), ""
    for variable in ("USER", "USERNAME", "LOGNAME"):
        if os.environ.get(variable):
            return os.environ[variable], f" (from ${variable}; pass --by to name who decides)"
    return "unknown", " (recorded as 'unknown': no --by and no $USER; pass --by to name who decides)"


@app.command()
def unwaive(
    release_id: Annotated[str, typer.Argument(help="The release whose waiver is withdrawn")],
    check: Annotated[str, typer.Option("--check", help="The waived check id (or record expectation)")],
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with the withdrawal")],
    by: Annotated[str | None, typer.Option("--by", help="Who decides [default: $USER]")] = None,
) -> None:
    """Withdraw a waiver (it stays in the history, with who, when and why it was withdrawn). A published
    version that relied on it is retracted at once; the exports follow at the next `pressroom publish`."""
    from pressroom.flows.pipeline import new_run_id
    from pressroom.warehouse.releases import unwaive as withdraw

    result, who, note = _decision(by, lambda con, who, now: withdraw(
        con, release_id=release_id, check_id=check, reason=reason, by=who, now=now,
        run_id=f"unwaive-{new_run_id(now)}"))
    retracted = ("; its published version relied on it and was retracted (run `pressroom publish` to update"
                 " the exports)") if result.retracted else ""
    out.print(f"withdrew {result.withdrawn} waiver(s) of {check} on {release_id} by {who}{note}{retracted}",
              markup=False, highlight=False)


@app.command()
def held(
    source: Annotated[str | None, typer.Option("--source", "-s", help="Only this source")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table")] = False,
) -> None:
    """What is held back and why."""
    import json

    from pressroom.warehouse.releases import held_releases

    settings = state.settings
    _existing_warehouse(settings)

    def read() -> list[Any]:
        with settings.open_warehouse().reader() as con:
            return held_releases(con, source_id=source)

    items = _guarded(read)
    if as_json:
        for item in items:
            out.print(json.dumps({"release_id": item.release_id, "source_id": item.source_id, "title": item.title,
                                  "url": item.url, "published_at": str(item.published_at),
                                  "checks": list(item.open_checks)}, ensure_ascii=False),
                      markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=f"{len(items)} held release(s)")
    for column in ("release_id", "source", "published", "blocking checks", "title"):
        table.add_column(column)
    for item in items:
        table.add_row(item.release_id, item.source_id, str(item.published_at or "")[:10],
                      ", ".join(item.open_checks), item.title)
    out.print(table)


@app.command()
def show(
    release_id: Annotated[str, typer.Argument(help="The release to show")],
) -> None:
    """One release in the terminal: its findings, each suggested repair as a one-line diff (or "edit
    needed"), and its history of versions and decisions. Exit 0, or 2 for an unknown release."""
    from pressroom.expectations.fixes import diff_line
    from pressroom.flows import review
    from pressroom.warehouse.review import ReviewError

    settings = state.settings
    _existing_warehouse(settings)
    try:
        seen = _guarded(lambda: review.look(review.warehouse_of(settings), release_id))
    except ReviewError as error:
        raise fail(str(error)) from None
    current = seen.current
    release = current.release

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    verdict = ("not checked yet" if not current.checked else "publishable" if current.publishable
               else f"held by {', '.join(current.open_checks)}")
    published = ("not published" if current.published_hash is None else "published" if
                 current.published_hash == current.content_hash else "an earlier version is published")
    say(f"{release.release_id}  {release.source_id}  {str(release.published_at or '')[:10]}  {release.url}")
    say(f"title: {release.title}")
    say(f"version {current.version} ({'made by a review' if current.origin == 'review' else 'the ministry text'},"
        f" {current.content_hash[:12]}): {verdict}; {published}")
    if current.stale_review is not None:
        stale = current.stale_review
        say(f"stale review: version {stale.version} by {stale.reviewed_by} ({stale.reason}) was superseded by"
            f" the ministry's version {stale.superseded_by}, which is judged afresh")
    shown = [f for f in seen.findings if f.severity != "info"]
    say(f"findings ({len(shown)}):")
    for finding in shown:
        say(f"  {finding.severity} {finding.check} [{finding.field} {finding.start}:{finding.end}]: {finding.message}")
        if finding.suggestion is not None:
            say(f"    fix: {diff_line(review.text_of(release, finding.field), finding.suggestion)}")
        elif finding.severity == "error":
            say(f"    edit needed: {finding.excerpt!r} has no mechanical repair")
    say("history:")
    for event in seen.history:
        say(f"  {str(event.at or '')[:19]}  {event.kind:<9} {('v' + str(event.version)) if event.version else '':<4}"
            f" {event.who}: {event.detail}")


@app.command()
def repair(
    release_id: Annotated[str, typer.Argument(help="The held release to repair")],
    check: Annotated[list[str] | None, typer.Option(
        "--check", help="Apply the suggestions of this check (repeatable)")] = None,
    every: Annotated[bool, typer.Option("--all", help="Apply every suggested repair")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with the new version")] = "",
    by: Annotated[str | None, typer.Option("--by", help="Who repairs [default: $USER]")] = None,
) -> None:
    """Apply the engine's suggested repairs to a release's current version as a new version (the ministry's
    text is kept), then check and publish as `pressroom publish` does. Exit 0: the repaired version passed
    and is published; 1: still held (a finding needs a person's edit; nothing is saved when no suggestion
    applied); 2: usage error; 4: warehouse busy; 5: the release changed meanwhile, nothing saved."""
    from pressroom.expectations.fixes import diff_line
    from pressroom.flows import review
    from pressroom.warehouse.review import ReviewConflict, ReviewError

    settings = state.settings
    _existing_warehouse(settings)
    if not check and not every:
        raise fail("say which repairs to apply: --check ID (repeatable) or --all")
    if not reason.strip():
        raise fail("a repair needs a reason (--reason)")
    who, note = _decider(by)
    warehouse = review.warehouse_of(settings)

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    try:
        seen = _guarded(lambda: review.look(warehouse, release_id))
        chosen = review.select(seen.findings, checks=check or (), every=every)
    except ReviewError as error:
        raise fail(str(error)) from None
    planned = review.plan(seen.current.release, chosen)
    for finding in planned.needs_edit:
        say(f"edit needed: {finding.check} [{finding.field} {finding.start}:{finding.end}] {finding.excerpt!r}:"
            " no mechanical repair; edit the text (`pressroom review`)")
    for finding in planned.overlapping:
        say(f"later: {finding.check} [{finding.field} {finding.start}:{finding.end}] overlaps another repair;"
            " run `pressroom repair` again")
    if not planned.applied:
        say(f"nothing repaired: {release_id} is unchanged")
        raise typer.Exit(EXIT_DEFECTS)
    for finding in planned.applied:
        assert finding.suggestion is not None
        shown = diff_line(review.text_of(seen.current.release, finding.field), finding.suggestion)
        say(f"repair: {finding.check}: {shown}")
    _remember(settings, "repair")
    try:
        saved = _guarded(lambda: review.save(warehouse, seen.current, title=planned.title, body=planned.body,
                                             applied=planned.applied, by=who, reason=reason))
    except ReviewConflict as error:
        raise fail(str(error), EXIT_CONFLICT) from None
    except ReviewError as error:
        raise fail(str(error)) from None
    say(f"saved version {saved.version} ({saved.content_hash[:12]}) of {release_id}, made from version"
        f" {saved.parent_version}, by {who}{note}")
    config = _config(settings)
    _stoppable(settings, lambda: review.check_and_publish(settings, config))
    after = _guarded(lambda: review.look(warehouse, release_id)).current
    if after.publishable and after.published_hash == after.content_hash:
        say(f"checked and published: version {after.version}")
        return
    say(f"checked: still held by {', '.join(after.open_checks) or 'its record checks'}")
    raise typer.Exit(EXIT_DEFECTS)


@app.command("review")
def review_app(
    host: Annotated[str, typer.Option("--host", help="Address to bind; not loopback needs a token")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: a free one)")] = 8766,
    token: Annotated[str | None, typer.Option(
        "--token", help="Require this token ('generate': make one and print it) [default: $PRESSROOM_REVIEW_TOKEN]",
    )] = None,
) -> None:
    """Serve the review app: the queue of held releases, each with its findings highlighted, suggested
    repairs to accept, an edit mode, waive and publish. Binds 127.0.0.1 by default; on any other address
    it refuses to start (exit 2) without a token. Ctrl-C stops it."""
    from pressroom.flows import review_app as web

    settings = state.settings
    _existing_warehouse(settings)
    required, generated = web.resolve_token(token, dict(os.environ))
    try:
        web.check_binding(host, required)
    except web.UnsafeBinding as error:
        raise fail(str(error)) from None
    _remember(settings, "review")
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{shown}:{port}/" + (f"?token={required}" if generated else "")
    err.print(f"serving the review app on {where} (Ctrl-C to stop)", markup=False, highlight=False, soft_wrap=True)
    if generated:
        out.print(f"token: {required}", markup=False, highlight=False)
    web.serve(settings, host=host, port=port, token=required)


@app.command()
def report(
    run_id: Annotated[str | None, typer.Option("--run", help="The run to report [default: the latest]")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open it in a browser")] = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the reports on loopback until Ctrl-C")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0: a free one)")] = 8765,
) -> None:
    """Write the HTML data-quality report under <data-dir>/reports/ and print its path."""
    from pressroom.flows.report import write_report

    settings = state.settings
    _existing_warehouse(settings)
    try:
        path = _guarded(lambda: write_report(settings.open_warehouse(),
                                             settings.reports_dir, run_id=run_id))
    except ValueError as error:
        raise fail(str(error)) from None
    out.print(f"report: {path.resolve()}", markup=False, highlight=False, soft_wrap=True)
    if open_browser and not serve:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
    if serve:
        from pressroom.flows.report import serve_reports

        serve_reports(settings.reports_dir, port=port, page=path, announce=lambda url: out.print(
            f"serving {url} (Ctrl-C to stop)", markup=False, highlight=False), open_browser=open_browser)


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(help="Text files to check; - reads standard input")],
    output_format: Annotated[str, typer.Option("--format", help="text or json (JSON Lines)")] = "text",
    show_all: Annotated[bool, typer.Option("--all", help="Text format: show info findings too")] = False,
    language: Annotated[str, typer.Option("--language", help="Declared language of the texts")] = "en",
    jobs: Annotated[int | None, typer.Option("--jobs", help="Files checked at once [default: number of cores]")] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply suggested repairs; repaired text to stdout")] = False,
    in_place: Annotated[bool, typer.Option("--in-place", help="With --fix: rewrite each file instead")] = False,
) -> None:
    """Check plain-text files for the defects pressroom holds releases back for.
    Exit 0: no error-level finding (with --fix: none left); 1: some; 2: usage or I/O error."""
    from pressroom.expectations.cli import run_check

    if output_format not in ("text", "json"):
        raise fail(f"--format: {output_format!r} is not one of text, json")
    raise typer.Exit(run_check(paths, fmt=output_format, stdout=sys.stdout, stderr=sys.stderr, stdin=sys.stdin,
                               include_info=show_all, language=language, jobs=jobs, fix=fix,
                               in_place=in_place))


@app.command()
def serve(
    cron: Annotated[str, typer.Option("--cron", help="When the nightly run starts (cron, 5 fields)")] = "0 2 * * *",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone the cron is read in")] = "UTC",
    limit: Annotated[int, typer.Option("--limit", help="Runs executing at once")] = 1,
) -> None:
    """Serve the nightly (on a schedule) and backfill deployments from this process until Ctrl-C. Needs
    PREFECT_API_URL pointing at a Prefect server; see infra/README.md."""
    from pressroom.flows.serve import check_schedule, serve_deployments

    settings = state.settings
    _config(settings)
    try:
        check_schedule(cron, timezone)
    except ValueError as error:
        raise fail(f"--cron/--timezone: {error}") from None
    if limit < 1:
        raise fail(f"--limit: must be at least 1, not {limit}")
    _prepare(settings)
    warehouse = settings.warehouse if settings.lake else settings.warehouse.resolve()
    defaults = {"data_dir": str(settings.data_dir.resolve()), "warehouse": str(warehouse),
                "sources_file": str(settings.sources.resolve()), "lock_timeout": settings.lock_timeout}
    err.print(f"serving nightly ({cron}, {timezone}) and backfill; Ctrl-C to stop", highlight=False)
    serve_deployments(cron=cron, timezone=timezone, limit=limit, defaults=defaults)


@app.command()
def vacuum(
    keep_versions: Annotated[int, typer.Option("--keep-versions", help="Bodies kept per page at least")] = 3,
    older_than_days: Annotated[float, typer.Option(
        "--older-than-days", help="Only bodies older than this are removed")] = 90.0,
) -> None:
    """Trim old raw pages (the newest body of each page is always kept) and checkpoint the warehouse."""
    from pressroom.flows.housekeeping import vacuum as run_vacuum

    settings = state.settings
    _existing_warehouse(settings)
    try:
        result = _guarded(lambda: run_vacuum(settings, keep_versions=keep_versions, older_than_days=older_than_days))
    except ValueError as error:
        raise fail(str(error)) from None
    out.print(f"deleted {result.deleted_pages} old page bodies, kept {result.kept_pages}; "
              f"warehouse {result.bytes_before / 1e6:.1f} MB → {result.bytes_after / 1e6:.1f} MB",
              markup=False, highlight=False)


@app.command()
def doctor(
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each source's host")] = 5.0,
) -> None:
    """Check configuration, warehouse schema, Prefect settings, disk space and each source's reachability.
    Unreachable sites are reported, not failed (the machine may be offline). Exit 2 when something is broken."""
    from pressroom.flows.housekeeping import doctor as run_doctor

    settings = state.settings
    configure_prefect(settings)
    findings = run_doctor(settings, timeout=timeout)
    table = Table(title="pressroom doctor")
    for column in ("area", "status", "detail"):
        table.add_column(column)
    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    for item in findings:
        table.add_row(item.area, f"[{colours[item.status]}]{item.status}[/]", item.detail.replace("[", "\\["))
    out.print(table)
    if any(item.status == "fail" for item in findings):
        raise typer.Exit(EXIT_USAGE)


T = TypeVar("T")


def _guarded(action: Callable[[], T]) -> T:
    """Run a warehouse action; a lock held too long is exit 4, an unusable warehouse exit 2."""
    from pressroom.connectors.config import ConfigError
    from pressroom.warehouse import WarehouseBusy, WarehouseError

    try:
        return action()
    except WarehouseBusy as error:
        raise fail(str(error), EXIT_BUSY) from None
    except (WarehouseError, ConfigError) as error:
        raise fail(str(error)) from None


def _stoppable(settings: Settings, action: Callable[[], T]) -> T:
    """Run a command that records a run: the first SIGINT or SIGTERM stops it between two transactions,
    its run is recorded as ``interrupted`` and the exit code is 130 (SIGINT) or 143 (SIGTERM)."""
    from pressroom.flows import interrupts

    try:
        with interrupts.handling_signals():
            return _guarded(action)
    except interrupts.Interrupted as stop:
        raise fail(_record_interrupted(settings, stop), stop.exit_code) from None


def _record_interrupted(settings: Settings, stop: Any) -> str:
    from pressroom.warehouse import WarehouseError
    from pressroom.warehouse.runs import interrupt_mine

    told = f"stopped by {stop.signal_name} between two transactions"
    if not settings.warehouse_exists():
        return told
    try:
        with settings.open_warehouse().transaction() as con:
            run_ids = interrupt_mine(con, now=datetime.now(UTC))
    except WarehouseError as error:
        return f"{told}; could not record it ({error}): the next run records it as interrupted"
    if not run_ids:
        return f"{told}; no run had started"
    return (f"{told}; run {', '.join(run_ids)} recorded as interrupted: what it loaded is kept, and the next run "
            "carries on from there")


def main() -> None:
    """Console-script entry point."""
    from pressroom.flows import allocator

    allocator.tune()  # before any thread: see flows/allocator.py
    app()


if __name__ == "__main__":
    main()
