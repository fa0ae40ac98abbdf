"""Open the committed GX file context with every store pointed at the caller's directories.

`great_expectations.yml` beside this module is the context. Its stores and its Data Docs site name their
directories as `${pressroom_gx_store}` and `${pressroom_gx_docs}`, filled in through GX's
`runtime_environment` when the context is opened; so opening it, adding suites and validating write
only there, never into the repository (GX leaves a context alone once `great_expectations.yml` exists,
and the file fixes `data_context_id` so GX has nothing to add to it). Progress bars are off in the file.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations import get_context
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import FileDataContext

CONTEXT_ROOT = Path(__file__).resolve().parent
DATASOURCE = "pressroom"
ASSET = "releases"
HEALTH_ASSET = "source_health"
BATCHES_ASSET = "source_batches"
BATCH_DEFINITION = "run"
DOCS_SITE = "pressroom"


def open_context(store_dir: Path, docs_dir: Path) -> FileDataContext:
    """The pressroom context, storing suites and results under `store_dir` and Data Docs in `docs_dir`."""
    context = get_context(
        context_root_dir=CONTEXT_ROOT,
        runtime_environment={
            "pressroom_gx_store": str(store_dir.resolve()),
            "pressroom_gx_docs": str(docs_dir.resolve()),
        },
    )
    if not isinstance(context, FileDataContext):
        raise TypeError(f"expected a file context at {CONTEXT_ROOT}, got {type(context).__name__}")
    return context


def batch_definition(context: FileDataContext, asset: str = ASSET) -> BatchDefinition:
    """The whole-dataframe batch definition of `asset` committed in `great_expectations.yml`."""
    return context.data_sources.get(DATASOURCE).get_asset(asset).get_batch_definition(BATCH_DEFINITION)
