"""Per-host politeness across processes and machines: a Prefect global concurrency limit per host.

Within one process :class:`connectors.http.PoliteSession` spaces the requests to a host by its
interval. Flow runs executed by workers (a run of a deployment) may fetch the same host from several
processes at once, so there each source job first takes a slot of ``pressroom-host:<netloc>`` (limit 1,
created on first use) for every host it fetches, holds it while it runs, and before giving it back
waits until the interval after its last request to the host has passed
(:meth:`~connectors.http.PoliteSession.settle`). The next holder, in whatever process, can then start
at once and the interval holds across the hand-over, whatever the network delays.

Why a held slot and not Prefect's ``rate_limit`` per request: a rate limit's slot decays in whole slots
from the limit row's last update, which every denied attempt moves too, and costs two calls to the
Prefect server per page; a job-long slot costs two per job and is exact. Jobs on one host are then
served one at a time, which is all a host's interval allows anyway. A worker that dies keeps its slot
until the lease runs out (:data:`LEASE_SECONDS`, renewed while the job lives). A server in trouble (a
5xx, no connection) is asked again for up to :data:`ACQUIRE_PATIENCE` before the source fails.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress

from pressroom.connectors.http import PoliteSession

__all__ = ["HOST_LIMIT_PREFIX", "LEASE_SECONDS", "host_slots", "limit_name", "shared_hosts"]

log = logging.getLogger("pressroom.flows")

HOST_LIMIT_PREFIX = "pressroom-host:"
LEASE_SECONDS = 60.0
#: How long a source waits, in all, for a Prefect server that answers errors while it asks for its hosts'
#: slots, and the longest pause between two askings.
ACQUIRE_PATIENCE = 300.0
ACQUIRE_BACKOFF_MAX = 30.0
_ensured: set[str] = set()
_ensured_lock = threading.Lock()


def limit_name(netloc: str) -> str:
    """The global concurrency limit of one host (``netloc`` as in a URL, lower-cased)."""
    return HOST_LIMIT_PREFIX + netloc.lower()


def shared_hosts() -> bool:
    """Whether other processes may be fetching the same hosts: this flow run belongs to a deployment,
    so a worker (or ``pressroom serve``) runs it against a Prefect server others can use too."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    flow_run = context.flow_run if context is not None else None
    return flow_run is not None and flow_run.deployment_id is not None


def _ensure_limits(names: list[str]) -> None:
    """Create the limits named (1 slot each) unless this process made them already; a limit another
    process created first is fine."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists

    with _ensured_lock:
        missing = [name for name in names if name not in _ensured]
    if not missing:
        return
    with get_client(sync_client=True) as client:
        for name in missing:
            with suppress(ObjectAlreadyExists):  # another process made it first
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
    with _ensured_lock:
        _ensured.update(missing)


@contextmanager
def host_slots(session: PoliteSession, hosts: Iterable[str], *, shared: bool) -> Iterator[None]:
    """Hold every host of ``hosts`` for the block when ``shared`` (see the module docstring); otherwise
    do nothing, the session's own spacing being enough in one process."""
    netlocs = sorted({host.lower() for host in hosts})
    if not shared or not netlocs:
        yield
        return

    names = [limit_name(netloc) for netloc in netlocs]
    _ensure_limits(names)
    with ExitStack() as held:
        _acquire(held, names)
        try:
            yield
        finally:
            session.settle(netlocs)


def _acquire(stack: ExitStack, names: list[str], *, patience: float | None = None,
             sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """Take a slot of every limit of ``names`` into ``stack``, waiting as long as another holder keeps it.

    A Prefect server that answers an error (a 5xx: a server on SQLite answers 503 when 100 sources ask at
    once) or cannot be reached is asked again, a second, then twice as long each time up to
    :data:`ACQUIRE_BACKOFF_MAX`, for ``patience`` seconds (:data:`ACQUIRE_PATIENCE`) in all: the source
    waits for the server rather than failing as a whole. Any other refusal is raised at once."""
    from prefect.concurrency.sync import concurrency

    patience = ACQUIRE_PATIENCE if patience is None else patience
    deadline = clock() + patience
    delay = 1.0
    while True:
        try:
            stack.enter_context(concurrency(names, occupy=1, lease_duration=LEASE_SECONDS, strict=True,
                                            raise_on_lease_renewal_failure=False))
            return
        except Exception as error:
            if not _transient(error) or clock() + delay > deadline:
                raise
            log.warning("Prefect server did not give the slots of %s (%s); asking again in %.0f s",
                        ", ".join(names), error, delay)
            sleep(delay)
            delay = min(delay * 2, ACQUIRE_BACKOFF_MAX)


def _transient(error: BaseException) -> bool:
    """Whether a failed acquisition is the server's trouble (5xx, no connection), not a refusal."""
    import httpx
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

    if not isinstance(error, ConcurrencySlotAcquisitionError):
        return False
    cause = error.__cause__
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code >= 500
    return isinstance(cause, httpx.TransportError)
