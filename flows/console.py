"""What the CLI shows on a terminal: progress bars, the run summary and the sources table."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pressroom.connectors.config import Config
from pressroom.flows import progress
from pressroom.flows.settings import Settings
from pressroom.warehouse import WarehouseError
from pressroom.warehouse.store import SourceOverview, source_overview

if TYPE_CHECKING:
    from pressroom.flows.nightly import RunSummary

SUMMARY_COUNTS = ("listed", "fetched", "new", "changed", "unchanged", "failed", "published", "held")


class RichReporter:
    """One progress bar per source, on standard error."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def begin(self, source_id: str, *, total: int | None) -> None:
        with self._lock:
            self._tasks[source_id] = self.progress.add_task(source_id, total=total)

    def advance(self, source_id: str, *, done: int) -> None:
        with self._lock:
            if source_id in self._tasks:
                self.progress.advance(self._tasks[source_id], done)

    def end(self, source_id: str, *, status: str) -> None:
        with self._lock:
            task = self._tasks.get(source_id)
            if task is not None:
                done = self.progress.tasks[task].completed
                self.progress.update(task, description=f"{source_id} [{status}]", total=done or 1,
                                     completed=done or 1)

    def note(self, message: str) -> None:
        self.progress.console.print(message, markup=False, highlight=False)


@contextmanager
def progress_context() -> Iterator[None]:
    current = progress.reporter()
    with current.progress if isinstance(current, RichReporter) else nullcontext():
        yield


def print_summary(console: Console, summary: RunSummary) -> None:
    table = Table(title=f"{summary.flow} run {summary.run_id}: {summary.status}")
    table.add_column("source")
    table.add_column("status")
    for name in SUMMARY_COUNTS:
        table.add_column(name, justify="right")
    for source in summary.sources:
        table.add_row(str(source["source_id"]), str(source["status"]),
                      *(str(source.get(name, 0)) for name in SUMMARY_COUNTS))
    table.add_row("total", summary.status, *(str(summary.totals.get(name, 0)) for name in SUMMARY_COUNTS),
                  style="bold")
    console.print(table)
    for source in summary.sources:
        if source.get("error"):
            console.print(f"{source['source_id']}: {source['error']}", markup=False, highlight=False)
    # A plain line per fact, easy to grep in cron mail and CI logs.
    console.print(" ".join(f"{name}={summary.totals.get(name, 0)}" for name in SUMMARY_COUNTS),
                  markup=False, highlight=False)
    if summary.report_path:
        console.print(f"report: {summary.report_path}", markup=False, highlight=False, soft_wrap=True)


def print_sources(console: Console, config: Config, settings: Settings) -> None:
    state: dict[str, SourceOverview] = {}
    if settings.warehouse_exists():
        try:
            with settings.open_warehouse().reader() as con:
                state = source_overview(con)
        except WarehouseError as error:
            console.print(f"(warehouse not read: {error})", markup=False, highlight=False)
    table = Table(title=f"sources from {config.path}")
    for column in ("id", "kind", "enabled", "name", "last run (UTC)", "status", "watermark", "releases",
                   "published", "open failures"):
        table.add_column(column)
    for source in config.sources:
        known = state.get(source.id)
        shown = ("",) * 6 if known is None else (
            _when(known.last_run_at), known.last_status or "", _when(known.watermark), str(known.releases),
            str(known.published), str(known.open_failures))
        table.add_row(source.id, source.kind, "yes" if source.enabled else "no", source.name, *shown)
    console.print(table)


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")
