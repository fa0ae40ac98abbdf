"""How this process's C allocator holds on to freed memory (glibc on Linux; elsewhere nothing is changed).

A run allocates from many threads at once: a thread per source, its page fetchers, Prefect's threads and
DuckDB's. glibc gives threads their own heaps ("arenas", up to 8 per core) and keeps what is freed in each
for reuse, and after a large block is freed it raises its mmap threshold, so later blocks of that size
(a batch's pickle, a page body, DuckDB's 256 KiB blocks) land in a heap too. The freed space then stays
in the process, spread over the arenas: on the 2,000-release ``bench-e2e`` backfill, glibc's heaps
grew to about 200 MiB of which half was free.

:func:`tune` (called once by the CLI, before it starts a thread) caps the arenas at :data:`ARENA_MAX`.
Measured on that backfill (``bench-e2e`` at 2,000 releases, back to back, an idle machine), this with
the DuckDB settings of ``warehouse/db.py``: peak RSS 536 → 472 MiB at the same throughput (53.1 → 53.2
releases/s). Fixing glibc's mmap and trim thresholds
as well (tried: 128 KiB) took no more memory off but cost 13 % of the throughput (46.3 releases/s): every
block above the threshold, DuckDB's 256 KiB ones included, was then mapped, faulted in and unmapped anew.
An arena limit given in the environment (``MALLOC_ARENA_MAX``) is left as the user set it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger("pressroom.allocator")

#: ``mallopt`` parameters, from glibc's ``<malloc.h>``.
M_ARENA_MAX = -8

#: Heaps shared by all threads: the run is bound by one core (the GIL), so threads rarely allocate at once.
ARENA_MAX = 2
#: Each setting with the environment variable that overrides it.
SETTINGS = (
    (M_ARENA_MAX, ARENA_MAX, "MALLOC_ARENA_MAX"),
)


def tune() -> list[str]:
    """Apply :data:`SETTINGS` not overridden by the environment; return the names of those applied
    (empty off glibc)."""
    if not sys.platform.startswith("linux"):
        return []
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return []
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    applied = []
    for parameter, value, variable in SETTINGS:
        if os.environ.get(variable):
            continue
        if mallopt(parameter, value) == 1:
            applied.append(variable)
        else:
            log.debug("mallopt(%d, %d) was refused", parameter, value)
    return applied
