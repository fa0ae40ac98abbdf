"""flows/allocator.py: the CLI's allocator settings take effect, and the environment's win."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")

# Six threads allocate at once; glibc's malloc_stats() then lists one "Arena n:" per heap in use.
PROBE = """
import ctypes, json, sys, threading
from pressroom.flows import allocator
applied = allocator.tune() if sys.argv[1] == "tune" else []
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = (ctypes.c_void_p,)
start = threading.Barrier(6)
def allocate():
    start.wait()
    blocks = [libc.malloc(4096) for _ in range(2000)]
    for block in blocks:
        libc.free(block)
threads = [threading.Thread(target=allocate) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
sys.stdout.write(json.dumps({"applied": applied}) + "\\n")
sys.stdout.flush()
libc.malloc_stats()
"""


def probe(mode: str, **env: str) -> tuple[list[str], int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", PROBE, mode], env={**clean, **env}, capture_output=True,
                          text=True, check=True)
    applied = list(json.loads(done.stdout.splitlines()[0])["applied"])
    return applied, sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


def test_tune_caps_the_heaps_threads_allocate_from() -> None:
    _, untuned = probe("plain")
    applied, tuned = probe("tune")
    assert applied == ["MALLOC_ARENA_MAX"]
    assert 1 <= tuned <= 2 < untuned


def test_an_arena_limit_in_the_environment_is_left_alone() -> None:
    applied, arenas = probe("tune", MALLOC_ARENA_MAX="4")
    assert applied == []
    assert 2 < arenas <= 4
