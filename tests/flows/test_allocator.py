"""flows/allocator.py: the CLI's allocator settings take effect, and the environment's win."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings")

# After a 1 MiB block is freed, glibc (left to itself) raises its mmap threshold, and a 200 KiB block
# then comes from a heap; with the threshold fixed it is mapped on its own and given back when freed.
PROBE = """
import ctypes, json, sys
from pressroom.flows import allocator
applied = allocator.tune() if sys.argv[1] == "tune" else []
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
if not hasattr(libc, "mallinfo2"):
    print(json.dumps({"applied": applied, "mapped": None})); raise SystemExit
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = (ctypes.c_void_p,)
libc.free(libc.malloc(1 << 20))
before = libc.mallinfo2().hblkhd
block = libc.malloc(200 * 1024)
mapped = libc.mallinfo2().hblkhd - before
libc.free(block)
print(json.dumps({"applied": applied, "mapped": mapped}))
"""


def probe(mode: str, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", PROBE, mode], env={**clean, **env}, capture_output=True,
                          text=True, check=True)
    return dict(json.loads(done.stdout))


def test_tune_keeps_large_blocks_out_of_the_heaps() -> None:
    untuned, tuned = probe("plain"), probe("tune")
    if tuned["mapped"] is None:
        pytest.skip("no mallinfo2 (not glibc ≥ 2.33)")
    assert tuned["applied"] == ["MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]
    assert untuned["mapped"] == 0  # glibc's dynamic threshold: the block came from a heap
    assert int(str(tuned["mapped"])) >= 200 * 1024


def test_settings_in_the_environment_are_left_alone() -> None:
    tuned = probe("tune", MALLOC_ARENA_MAX="4", MALLOC_MMAP_THRESHOLD_="4194304")
    assert tuned["applied"] == ["MALLOC_TRIM_THRESHOLD_"]
    if tuned["mapped"] is not None:
        assert tuned["mapped"] == 0  # the user's 4 MiB threshold holds
