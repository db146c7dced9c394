"""Parsing a batch in worker processes while this process, the only writer, stores it.

Why: parsing costs ~25 us per payment record while writing is cheap, so a big batch is
parsed by a pool (started by :mod:`cashapp.workers`' one start-up policy: spawn, never
fork, no worker outlives its parent) and written here one file at a time, in input order.
The outcomes, and the rows written, are the same as ingesting the files one after another
with :func:`~cashapp.ingest.file.ingest_file`: a worker only prepares
(:mod:`cashapp.ingest.prepare`); every decision that needs the database is taken again
here, and whatever cannot go through the pool (a connector that does not pickle, a pool
that breaks) goes through the in-process path instead.
"""

from __future__ import annotations

import pickle
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from cashapp.config import IngestConfig
from cashapp.domain import FileRefused
from cashapp.ingest.file import ingest_file
from cashapp.ingest.outcome import FileOutcome
from cashapp.ingest.prepare import PreparedFile, prepare_file, read_file
from cashapp.ingest.validate import out_of_memory, too_large
from cashapp.ingest.write import known_connector, store_prepared
from cashapp.store import Store
from cashapp.workers import available_cpus, worker_context
from connectors import load_builtin
from connectors.base import Connector, ExtractContext

#: Parsing costs ~25 us per payment record while writing is cheap, so big batches are
#: parsed in worker processes while this process writes. Below this total size (bytes on
#: disk) the process start-up (~0.3 s each) costs more than it saves.
PARALLEL_MIN_BYTES: Final = 8 * 1024 * 1024
#: Most worker processes used automatically: the single writer becomes the bottleneck.
MAX_WORKERS: Final = 4
#: Up to this many known file hashes are handed to the workers, so re-ingesting a folder
#: of known files does not parse them again (the database check stays authoritative).
KNOWN_HASHES_LIMIT: Final = 200_000


@dataclass(frozen=True, slots=True)
class _Refused:
    """A worker's refusal; ``digest`` is set when the file was read and hashed first."""

    reason: str
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class _Known:
    """A worker found the file's hash among the database's known files and stopped."""

    digest: str


_Prepared = PreparedFile | _Refused | _Known


def worker_count(files: Sequence[Path]) -> int:
    """Parsing processes for ``files``: 1 (in-process) unless there are 2+ files and
    at least :data:`PARALLEL_MIN_BYTES` in total; then one per CPU, file, up to 4."""
    if len(files) < 2 or sum(_size(p) for p in files) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(available_cpus(), len(files), MAX_WORKERS))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # refused later, with the reason, by the file's own ingest


def _plain(value: object) -> object:
    """Mappings as plain dicts (a read-only mapping proxy does not pickle)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def picklable_context(context: ExtractContext) -> ExtractContext:
    """``context`` as it can travel to a worker (plain dicts and frozensets)."""
    sources = _plain(context.sources)
    assert isinstance(sources, dict)
    return replace(context, ach_company_ids=frozenset(context.ach_company_ids), sources=sources)


#: Set in each worker process by :func:`init_worker`.
_worker_state: tuple[dict[str, Connector], ExtractContext, frozenset[str], IngestConfig] | None = (
    None
)


def init_worker(
    connectors_blob: bytes,
    context: ExtractContext,
    known: frozenset[str],
    limits: IngestConfig,
) -> None:
    """The pool's initializer: each worker's connectors, context, known hashes, limits."""
    global _worker_state  # per-process state of a pool worker
    load_builtin()  # registers the built-ins in detection order before any plugin
    connectors: dict[str, Connector] = pickle.loads(connectors_blob)  # noqa: S301 - our own bytes
    _worker_state = (connectors, context, known, limits)


def prepare_in_worker(path: Path, fmt: str | None) -> _Prepared:
    """The worker half of :func:`~cashapp.ingest.file.ingest_file`: all but the database."""
    assert _worker_state is not None, "worker not initialised"
    connectors, context, known, limits = _worker_state
    digest: str | None = None
    try:
        data, digest = read_file(path, limits)
        if digest in known:
            return _Known(digest)
        return prepare_file(data, digest, path.name, connectors, context, fmt)
    except FileRefused as exc:
        return _Refused(str(exc), digest)
    except MemoryError:
        pass  # answered below, once the handler has let go of the parse (see too_large)
    except Exception as exc:  # never let one file's failure reach the pool machinery
        if not out_of_memory(exc):
            return _Refused(f"could not prepare the file: {type(exc).__name__}: {exc}", digest)
    return _Refused(str(too_large("parsing it in a worker")), digest)


def ingest_parallel(
    store: Store,
    files: Sequence[Path],
    connectors: dict[str, Connector],
    context: ExtractContext,
    fmt: str | None,
    actor: str,
    workers: int,
    limits: IngestConfig,
) -> list[FileOutcome]:
    """Parse in ``workers`` processes, write here in input order.

    At most ``workers + 1`` files are in flight (submitted, not yet written), so memory
    stays bounded however many big files there are. If the pool breaks (a worker died),
    the remaining files are ingested in this process.
    """
    try:
        if any(type(c).__module__ == "__main__" for c in connectors.values()):
            raise TypeError("a connector defined in __main__ cannot be used in a worker")
        blob = pickle.dumps(connectors)
        plain_context = picklable_context(context)
        pickle.dumps(plain_context)  # fail here, not inside the pool, if it cannot travel
        init_args = (blob, plain_context, _known_hashes(store), limits)
    except Exception:  # a connector or setting that cannot reach a worker: stay in-process
        return [
            ingest_file(store, p, connectors, context, fmt=fmt, actor=actor, limits=limits)
            for p in files
        ]
    outcomes: list[FileOutcome] = []
    pending: deque[Future[_Prepared]] = deque()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=worker_context(),
        initializer=init_worker,
        initargs=init_args,
    )
    try:
        submitted = 0
        for index, path in enumerate(files):
            try:
                while submitted < len(files) and submitted <= index + workers:
                    pending.append(pool.submit(prepare_in_worker, files[submitted], fmt))
                    submitted += 1
            except Exception:  # no worker could be started (process limit, ...)
                break
            try:
                prepared = pending.popleft().result()
            except BrokenProcessPool:  # a worker died (or could not start)
                break
            except Exception as exc:  # the result could not come back (pickling, ...)
                reason = f"ingest worker failed: {type(exc).__name__}: {exc}"
                prepared = _Refused(reason)
            outcomes.append(
                _store_from_worker(store, path, prepared, connectors, context, fmt, actor, limits)
            )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for path in files[len(outcomes) :]:  # the pool broke: finish in this process
        outcomes.append(
            ingest_file(store, path, connectors, context, fmt=fmt, actor=actor, limits=limits)
        )
    return outcomes


def _known_hashes(store: Store) -> frozenset[str]:
    count = int(store.scalar("SELECT count(*) FROM source_files"))
    if count > KNOWN_HASHES_LIMIT:
        return frozenset()
    return frozenset(str(row[0]) for row in store.fetchall("SELECT sha256 FROM source_files"))


def _store_from_worker(
    store: Store,
    path: Path,
    prepared: _Prepared,
    connectors: dict[str, Connector],
    context: ExtractContext,
    fmt: str | None,
    actor: str,
    limits: IngestConfig,
) -> FileOutcome:
    """Finish one file a worker prepared, deciding exactly as :func:`ingest_file` does."""
    name = str(path)
    if prepared.digest is None:  # refused before it could be hashed (unreadable, empty)
        assert isinstance(prepared, _Refused)
        return FileOutcome(name, "refused", reason=prepared.reason)
    known = known_connector(store, prepared.digest)
    if known is not None:  # already stored, possibly by an earlier file of this batch
        return FileOutcome(name, "known", connector=known)
    if isinstance(prepared, _Refused):
        return FileOutcome(name, "refused", reason=prepared.reason)
    if isinstance(prepared, _Known):  # known when the batch started, gone since: redo
        return ingest_file(store, path, connectors, context, fmt=fmt, actor=actor, limits=limits)
    return store_prepared(store, path, prepared, actor)
