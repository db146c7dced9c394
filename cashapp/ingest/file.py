"""Ingest one file in this process: read, skip if known, prepare, write.

Why a module of its own: this is the reference path. A batch too small for workers takes
it file by file, the worker pool (:mod:`cashapp.ingest.parallel`) falls back to it when it
cannot start or breaks, and every parallel outcome is defined as what this path would
have decided. It never raises for bad input: each file ends in one
:class:`~cashapp.ingest.outcome.FileOutcome`.
"""

from __future__ import annotations

from pathlib import Path

from cashapp.config import IngestConfig
from cashapp.domain import FileRefused
from cashapp.ingest.outcome import FileOutcome
from cashapp.ingest.prepare import DEFAULT_LIMITS, prepare_file, read_file
from cashapp.ingest.write import known_connector, store_prepared
from cashapp.store import Store
from connectors.base import Connector, ExtractContext


def ingest_file(
    store: Store,
    path: Path,
    connectors: dict[str, Connector],
    context: ExtractContext,
    *,
    fmt: str | None = None,
    actor: str = "cli",
    limits: IngestConfig = DEFAULT_LIMITS,
) -> FileOutcome:
    """Ingest one file atomically, parsing it in this process; never raises for bad input.

    Running out of memory on one file refuses that file, by name: the next file may be
    small, and the person must learn which one to look at.
    """
    name = str(path)
    try:
        data, digest = read_file(path, limits)
    except FileRefused as exc:
        return FileOutcome(name, "refused", reason=str(exc))
    known = known_connector(store, digest)
    if known is not None:
        return FileOutcome(name, "known", connector=known)
    try:
        prepared = prepare_file(data, digest, path.name, connectors, context, fmt)
    except FileRefused as exc:
        return FileOutcome(name, "refused", reason=str(exc))
    finally:
        del data  # the parsed tables are what is stored; free the bytes before writing
    return store_prepared(store, path, prepared, actor)
