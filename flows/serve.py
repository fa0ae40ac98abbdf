"""Serve the ``nightly`` and ``backfill`` deployments from one long-running process (no work pool).

For users without a Prefect work pool: :func:`serve_deployments` registers both deployments with the
Prefect API the process is configured for (``PREFECT_API_URL``; start one with ``prefect server
start``) and polls it for scheduled or manually triggered runs, executing each in a subprocess.

- ``nightly`` runs on ``cron`` in ``timezone`` (an IANA name; a cron time is wall-clock time there, so
  ``0 2 * * *`` stays 02:00 across daylight-saving changes) and needs no parameters.
- ``backfill`` has no schedule; ``sources``, ``start`` and ``end`` are required for each run, e.g.
  ``prefect deployment run 'backfill/backfill' --param sources='["xa-mfa"]' --param start=2026-08-01
  --param end=2026-08-31``.
- ``limit`` caps the runs executing at once in this process. The default 1 matches the warehouse: a
  DuckDB file has one writer, so a second run would only wait for the lock.
- ``defaults`` become both deployments' default parameters (``data_dir``, ``warehouse``,
  ``sources_file``, ``lock_timeout``): the values the serving process was started with, so a
  triggered run writes where the operator expects without repeating them.

The same deployments, declared for a work pool, are in ``infra/prefect.yaml`` (see infra/README.md).
``python -m pressroom.flows.serve`` is a small entry point used by the tests and usable without the CLI.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import serve
from prefect.deployments.runner import EntrypointType
from prefect.schedules import Cron

from pressroom.flows.nightly import backfill, nightly

log = logging.getLogger("pressroom.serve")

#: Parameters a deployment may carry as defaults; anything else is a programming error.
DEFAULT_KEYS = frozenset({"data_dir", "warehouse", "sources_file", "lock_timeout"})
NIGHTLY_CRON = "0 2 * * *"


def check_schedule(cron: str, timezone: str) -> None:
    """Raise ``ValueError`` naming the bad value when ``cron`` is not a 5-field cron expression that
    Prefect accepts or ``timezone`` is not an IANA zone name."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone {timezone!r} is not an IANA zone name (e.g. UTC, Europe/Berlin)") from None
    if len(cron.split()) != 5:
        raise ValueError(f"cron {cron!r} must have 5 fields (minute hour day month weekday)")
    try:
        Cron(cron, timezone=timezone)
    except ValueError as error:
        raise ValueError(f"cron {cron!r} is not valid: {error}") from None


def build_deployments(
    *,
    cron: str = NIGHTLY_CRON,
    timezone: str = "UTC",
    defaults: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The ``nightly`` (on ``cron`` in ``timezone``) and ``backfill`` (unscheduled) runner deployments.
    Raises ``ValueError`` for a bad schedule or an unknown default parameter."""
    check_schedule(cron, timezone)
    extra = dict(defaults or {})
    unknown = sorted(set(extra) - DEFAULT_KEYS)
    if unknown:
        raise ValueError(f"unknown default parameter(s) {unknown}; allowed: {sorted(DEFAULT_KEYS)}")
    given = {key: value for key, value in extra.items() if value is not None}
    return [
        nightly.to_deployment(
            name="nightly",
            schedules=[Cron(cron, timezone=timezone)],
            parameters=given,
            description=f"Every enabled source since its watermark; {cron} ({timezone}).",
            tags=["pressroom"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
        backfill.to_deployment(
            name="backfill",
            parameters=given,
            description="The sources named over the inclusive dates start..end (required parameters).",
            tags=["pressroom"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        ),
    ]


def serve_deployments(
    *,
    cron: str = NIGHTLY_CRON,
    timezone: str = "UTC",
    limit: int = 1,
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Register both deployments and execute their runs until interrupted (Ctrl-C / SIGTERM).

    Blocks. Schedules are paused when the process stops (Prefect's ``pause_on_shutdown``), so runs do
    not pile up while nothing serves them; they resume when it serves again. Raises ``ValueError``
    before contacting Prefect when ``cron``, ``timezone``, ``limit`` or ``defaults`` is invalid.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    deployments = build_deployments(cron=cron, timezone=timezone, defaults=defaults)
    log.info("serving nightly (%s, %s) and backfill; at most %d run(s) at once", cron, timezone, limit)
    serve(*deployments, limit=limit, print_starting_message=False)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pressroom.flows.serve [--cron CRON] [--timezone ZONE] [--limit N] [--data-dir DIR] …``."""
    parser = argparse.ArgumentParser(prog="python -m pressroom.flows.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--cron", default=NIGHTLY_CRON, help="nightly schedule [default: %(default)s]")
    parser.add_argument("--timezone", default="UTC", help="IANA zone of the schedule [default: %(default)s]")
    parser.add_argument("--limit", type=int, default=1, help="runs executing at once [default: %(default)s]")
    parser.add_argument("--data-dir", dest="data_dir")
    parser.add_argument("--warehouse")
    parser.add_argument("--sources", dest="sources_file")
    parser.add_argument("--lock-timeout", dest="lock_timeout", type=float)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    defaults = {key: getattr(args, key) for key in sorted(DEFAULT_KEYS)}
    try:
        serve_deployments(cron=args.cron, timezone=args.timezone, limit=args.limit, defaults=defaults)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
