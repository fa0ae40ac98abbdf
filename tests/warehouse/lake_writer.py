"""A process that loads one source's releases into a warehouse, batch by batch, each batch one
``Warehouse.write`` (as a run's load does): the writer of tests/warehouse/test_lake_concurrency.py.

    python -m tests.warehouse.lake_writer LOCATION DATA_PATH SOURCE COUNT BATCH EDITION GATE

It attaches (and migrates) first, creates ``GATE.ready-<pid>``, waits for ``GATE`` to exist so that
the writers start together, then loads. It prints ``{"conflicts": n}``: commits DuckLake refused and
that ran again."""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from pressroom.connectors.model import Release
from pressroom.warehouse import Warehouse, store
from pressroom.warehouse.releases import upsert_releases


class _Conflicts(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "conflicted" in record.getMessage():
            self.count += 1


def releases(source: str, count: int, edition: str) -> list[Release]:
    return [Release(release_id=f"{source}-{n}", source_id=source, url=f"https://{source}.example/pr/{n}",
                    title=f"Release {n}", published_at=datetime(2026, 3, 1, 12, tzinfo=UTC),
                    body_text=f"Release {n} of {source}, edition {edition}. " * 4, language="en",
                    extractor="test/1") for n in range(count)]


def main(argv: list[str]) -> int:
    location, data_path, source, count, batch, edition, gate = argv
    conflicts = _Conflicts()
    logger = logging.getLogger("pressroom.warehouse")
    logger.addHandler(conflicts)
    logger.setLevel(logging.INFO)
    warehouse = Warehouse(location, lake_data_path=data_path)
    warehouse.ensure_schema()
    Path(f"{gate}.ready-{source}-{edition}").touch()
    deadline = time.monotonic() + 60
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    items = releases(source, int(count), edition)
    run_id = f"run-{source}-{edition}"
    now = datetime.now(UTC)
    for start in range(0, len(items), int(batch)):
        chunk = items[start:start + int(batch)]

        warehouse.write(lambda con, chunk=chunk: upsert_releases(con, chunk, run_id=run_id, now=now))
    warehouse.write(lambda con: store.save_state(con, source_id=source, run_id=run_id, run_at=now, status="ok",
                                                 watermark=now))
    sys.stdout.write(json.dumps({"conflicts": conflicts.count}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
