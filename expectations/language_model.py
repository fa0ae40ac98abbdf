"""The py3langid model for `wrong-language`, loaded from an uncompressed copy kept on disk.

py3langid ships its model as an LZMA-compressed npz (4.5 MB); reading it costs about 0.5 CPU-s, most of
it decompression, in every process that meets a text needing the model (each `pressroom check`, each
`--jobs` worker that was not forked after the model was loaded). The arrays are written once, as plain
`.npy` files, to `PRESSROOM_CACHE_DIR` (default `$XDG_CACHE_HOME/pressroom`, else `~/.cache/pressroom`;
about 66 MB), under a name made of py3langid's version and the model file's size and modification time,
so another model never reads a stale copy. Later processes map them (≈0.06 CPU-s). The arrays are the
same, so the probabilities, and the findings, are the same as from the compressed file.

An empty `PRESSROOM_CACHE_DIR` turns the copy off. A cache that cannot be written or read (read-only
home, full disk, a damaged file) is not an error: the model is then read from py3langid's own file, as
without a cache. A copy is written to a temporary directory and renamed into place, so processes
starting together never read a half-written one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from array import array
from importlib.metadata import version
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def cache_folder() -> Path | None:
    """Where the model's copy lives (see the module docstring), or None when the copy is turned off."""
    configured = os.environ.get("PRESSROOM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pressroom"


def load_identifier() -> Any:
    """py3langid's `LanguageIdentifier` with normalised probabilities, from the copy when there is one."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model_file = MODEL_DIR / MODEL_FILE
    folder = cache_folder()
    if folder is not None:
        stat = model_file.stat()
        copy = folder / f"langid-{version('py3langid')}-{stat.st_size}-{stat.st_mtime_ns}"
        try:
            if not copy.is_dir():
                _write_copy(model_file, copy)
            return _read_copy(copy, LanguageIdentifier)
        except (OSError, ValueError, KeyError) as error:
            logger.warning("language model copy in %s not usable (%s); reading %s", copy, error, model_file)
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _write_copy(model_file: Path, copy: Path) -> None:
    import numpy as np
    from py3langid.langid import _load_model_file

    ptc, pc, classes, nextmove, row, output = _load_model_file(model_file)
    copy.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=copy.name + ".", dir=copy.parent))
    try:
        np.save(staging / "ptc.npy", ptc)
        np.save(staging / "pc.npy", pc)
        np.save(staging / "nextmove.npy", np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"))
        np.save(staging / "row.npy", np.frombuffer(row, dtype=f"u{row.itemsize}"))
        np.save(staging / "output.npy", np.array(output, dtype=np.int64))
        (staging / "classes.json").write_text(json.dumps(classes), encoding="utf-8")
        os.replace(staging, copy)  # fails if another process put its copy there first: that one is used
    except OSError:
        if not copy.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_copy(copy: Path, identifier_class: Any) -> Any:
    """The identifier from the `.npy` files of `copy`; the feature table stays mapped, not read."""
    import numpy as np

    ptc = np.load(copy / "ptc.npy", mmap_mode="r", allow_pickle=False)
    pc = np.load(copy / "pc.npy", allow_pickle=False)
    classes = json.loads((copy / "classes.json").read_text(encoding="utf-8"))
    if ptc.ndim != 2 or ptc.shape[1] != len(classes) or pc.shape != (len(classes),):
        raise ValueError(f"feature table of shape {ptc.shape} for {len(classes)} languages")
    output = np.load(copy / "output.npy", allow_pickle=False).tolist()
    return identifier_class(
        ptc, pc, classes, _transitions(copy / "nextmove.npy"), output, norm_probs=True,
        tk_row=_transitions(copy / "row.npy"),
    )


def _transitions(path: Path) -> array[int]:
    """The one-dimensional unsigned `.npy` file at `path` as the `array` py3langid's tokeniser indexes,
    read straight into it (a NumPy array in between would double the 39 MB of the transition table)."""
    import numpy as np

    typecodes = {2: "H", 4: "I", 8: "L"}
    with path.open("rb") as handle:
        if np.lib.format.read_magic(handle) != (1, 0):
            raise ValueError(f"{path}: not a version 1.0 .npy file")
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        if len(shape) != 1 or dtype.kind != "u" or not dtype.isnative or dtype.itemsize not in typecodes:
            raise ValueError(f"{path}: {dtype} array of shape {shape}")
        values = array(typecodes[dtype.itemsize])
        values.fromfile(handle, shape[0])
    return values
