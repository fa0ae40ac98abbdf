"""The ``pressroom`` command line.

Exit codes: 0 — everything listed was fetched and processed (data-quality findings do not change it);
1 — ``pressroom check`` found an error-level defect; 2 — usage or configuration error, nothing written;
3 — some page or source failed and the rest was loaded; 4 — the warehouse stayed locked by another
process for longer than the lock timeout (nothing more was written).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from connectors.config import Config, ConfigError, load_config
from flows.settings import Settings, configure_prefect

if TYPE_CHECKING:
    from flows.nightly import RunSummary

app = typer.Typer(
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


class State:
    settings: Settings
    verbose: bool = False
    data_dir_given: bool = False


state = State()


@app.callback()
def main_options(
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


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"pressroom: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _config(settings: Settings) -> Config:
    try:
        return load_config(settings.sources)
    except ConfigError as error:
        raise fail(str(error)) from None


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
    from flows import progress
    from flows.console import RichReporter

    if sys.stderr.isatty():
        logging.getLogger("pressroom.progress").setLevel(logging.WARNING)
        progress.install(RichReporter(err))


def _execute(kind: str, settings: Settings, **params: Any) -> RunSummary:
    from warehouse import Warehouse, WarehouseBusy, WarehouseError

    _prepare(settings)
    try:  # create or migrate the warehouse first: a lock held elsewhere is reported before any fetching
        Warehouse(settings.warehouse, lock_timeout=settings.lock_timeout).ensure_schema()
    except WarehouseBusy as error:
        raise fail(str(error), EXIT_BUSY) from None
    except WarehouseError as error:
        raise fail(str(error), EXIT_USAGE) from None
    from flows import console
    from flows.nightly import backfill, nightly

    paths = {"data_dir": str(settings.data_dir), "warehouse": str(settings.warehouse),
             "sources_file": str(settings.sources), "lock_timeout": settings.lock_timeout}
    flow: Any = nightly if kind == "nightly" else backfill
    try:
        with console.progress_context():
            summary: RunSummary = flow(**params, **paths)
    except WarehouseBusy as error:
        raise fail(str(error), EXIT_BUSY) from None
    except WarehouseError as error:
        raise fail(str(error), EXIT_PARTIAL) from None
    console.print_summary(out, summary)
    return summary


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable)")] = None,
) -> None:
    """The nightly job, now: every enabled source (or those named) since its watermark."""
    settings = state.settings
    config = _config(settings)
    try:
        config.select(source)
    except ConfigError as error:
        raise fail(str(error)) from None
    summary = _execute("nightly", settings, sources=source or None)
    raise typer.Exit(summary.exit_code)


@app.command()
def backfill(
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source id (repeatable)")],
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD, in the source's timezone")],
    to: Annotated[str, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD")],
) -> None:
    """Fetch the releases of the sources named between two dates; the nightly watermark is left alone."""
    settings = state.settings
    start, end = _parse_day(from_, "--from"), _parse_day(to, "--to")
    if start > end:
        raise fail(f"--from {start} is after --to {end}")
    config = _config(settings)
    try:
        config.select(source)
    except ConfigError as error:
        raise fail(str(error)) from None
    summary = _execute("backfill", settings, sources=source, start=start, end=end)
    raise typer.Exit(summary.exit_code)


@app.command()
def demo() -> None:
    """Serve the bundled demo mirror on loopback and run the nightly pipeline against it."""
    from infra.demo.server import DemoMirror

    data_dir = state.settings.data_dir if state.data_dir_given else Path("data") / "demo"
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


@app.command()
def sources() -> None:
    """The configured sources with their state: last run, status, watermark and counts."""
    from flows import console

    settings = state.settings
    config = _config(settings)
    console.print_sources(out, config, settings)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
