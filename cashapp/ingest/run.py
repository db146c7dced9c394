"""Ingest a batch: the files under the given paths, in one process or with a worker pool.

Why a module of its own: this is the service the CLI, ``cashapp pull``, the demo and the
benchmarks call (:func:`ingest_paths`). It only chooses: which connectors, which files, and
whether the batch is big enough to parse in workers (:mod:`cashapp.ingest.parallel`) or is
ingested file by file here (:mod:`cashapp.ingest.file`); the outcomes are the same either
way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from cashapp.config import Config
from cashapp.ingest.file import ingest_file
from cashapp.ingest.outcome import FileOutcome, UnknownFormat
from cashapp.ingest.parallel import ingest_parallel, worker_count
from cashapp.store import Store
from connectors import load_builtin
from connectors.base import ExtractContext


def context_for(config: Config) -> ExtractContext:
    """What the connectors may know of the configuration."""
    return ExtractContext(
        ach_company_ids=config.ach_company_ids,
        default_currency=config.default_currency,
        sources=config.sources,
        max_payment_amount=config.ingest.max_payment_amount,
    )


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders recursively (sorted, hidden files skipped)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.parts[-1:])
            )
        else:
            out.append(path)
    return out


def ingest_paths(
    store: Store,
    paths: Sequence[str | Path],
    config: Config,
    *,
    fmt: str | None = None,
    actor: str = "cli",
    workers: int | None = None,
) -> list[FileOutcome]:
    """Ingest every file under ``paths``; one outcome per file, in order.

    ``workers`` is the number of parsing processes: ``None`` chooses automatically (see
    :func:`~cashapp.ingest.parallel.worker_count`), ``1`` always parses in this process.
    Whatever the number, the files are written one after another in input order with the
    same outcomes.
    """
    connectors = load_builtin()
    if fmt is not None and fmt not in connectors:
        raise UnknownFormat(f"unknown format {fmt!r}; known formats: {', '.join(connectors)}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    context = context_for(config)
    limits = config.ingest
    files = expand_paths(paths)
    count = worker_count(files) if workers is None else min(workers, len(files))
    if count >= 2:
        return ingest_parallel(store, files, connectors, context, fmt, actor, count, limits)
    return [
        ingest_file(store, path, connectors, context, fmt=fmt, actor=actor, limits=limits)
        for path in files
    ]
