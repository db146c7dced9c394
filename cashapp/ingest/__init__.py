"""Ingest: bank and platform files into ``payments``, one transaction per file.

The guarantees, in the order they are enforced:

1. *Whole file or nothing.* The connector parses the entire file before anything is
   written; a refusal (bad record, broken control total, unknown format) leaves the
   database exactly as it was. Even an unexpected exception inside a third-party parser
   becomes a refusal naming the file, never a traceback.
2. *Idempotent.* A file whose content hash is already in ``source_files`` is "already
   known" and skipped. Each record also has a deterministic ``payment_id`` derived from
   ``(source, dedupe_key)``, so the same record arriving inside a different file (a bank
   re-sending yesterday's transactions in today's statement) is recognised and not
   doubled.
3. *Traceable.* Every payment row points at its ``source_files`` row and keeps its raw
   record and location; the ingest is in the audit log.

Parsing is the expensive part (~25 us per payment record) and pure, so a big batch is
parsed in worker processes (:func:`ingest_paths`, ``workers``) while this process, the
database's only writer, stores the prepared files one by one in input order: the
outcomes, and the rows written, are the same as parsing them here one after another.

The modules, in the order a file passes through them:

* :mod:`~cashapp.ingest.run` -- the batch: which files, in-process or with workers;
* :mod:`~cashapp.ingest.file` -- one file in this process (the reference path);
* :mod:`~cashapp.ingest.parallel` -- the worker pool, and the writer's side of its results;
* :mod:`~cashapp.ingest.prepare` -- read, hash, detect, extract, tie out, tabulate (pure);
* :mod:`~cashapp.ingest.detect` -- which connector claims the file;
* :mod:`~cashapp.ingest.validate` -- what a connector returns, checked (or refused);
* :mod:`~cashapp.ingest.write` -- the one transaction that stores a prepared file;
* :mod:`~cashapp.ingest.outcome` -- what happened to each file.

This package re-exports the service API the CLI, pulls, the demo and the benchmarks use.
"""

from __future__ import annotations

from cashapp.ingest.file import ingest_file
from cashapp.ingest.outcome import FileOutcome, Status, UnknownFormat
from cashapp.ingest.prepare import DEFAULT_LIMITS, payment_id_for, read_content
from cashapp.ingest.run import context_for, expand_paths, ingest_paths
from cashapp.ingest.validate import validate_record

__all__ = [
    "DEFAULT_LIMITS",
    "FileOutcome",
    "Status",
    "UnknownFormat",
    "context_for",
    "expand_paths",
    "ingest_file",
    "ingest_paths",
    "payment_id_for",
    "read_content",
    "validate_record",
]
