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
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal

import pyarrow as pa

from cashapp.bounded_read import read_bounded
from cashapp.config import Config, IngestConfig
from cashapp.domain import AccountBalance, FileRefused, Issue, PaymentRecord, stable_key
from cashapp.masking import mask_text
from cashapp.money import NO_CURRENCY, MoneyError, check_currency, quantize
from cashapp.statements import StatementCheck, break_issues, check_statements
from cashapp.store import Store, utcnow
from cashapp.workers import available_cpus, worker_context
from connectors import load_builtin
from connectors.base import Connector, ExtractContext, ExtractResult

HEAD_BYTES = 8192
DECIMAL_TYPE = pa.decimal128(18, 4)

Status = Literal["new", "known", "refused"]
#: The ``[ingest]`` ceilings when no config says otherwise.
DEFAULT_LIMITS: Final = IngestConfig()


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one file; the CLI prints one line per outcome."""

    path: str
    status: Status
    connector: str = ""
    records: int = 0
    new: int = 0
    known: int = 0
    reason: str = ""
    warnings: tuple[Issue, ...] = ()

    def __post_init__(self) -> None:
        # Refusals and warnings quote the file (a statement id, a :25: line), and they
        # reach stderr, JSON, the daily job's log: IBANs and account numbers are masked
        # here, once, for every output.
        object.__setattr__(self, "reason", mask_text(self.reason))
        object.__setattr__(
            self,
            "warnings",
            tuple(
                replace(
                    w,
                    message=mask_text(w.message),
                    location=mask_text(w.location) if w.location else w.location,
                )
                for w in self.warnings
            ),
        )


class UnknownFormat(ValueError):
    """``--format`` named a connector that does not exist (a usage error)."""


def payment_id_for(source: str, dedupe_key: str) -> str:
    """The deterministic payment id: the same movement always gets the same id."""
    return "pay_" + stable_key(source, dedupe_key)[:20]


def context_for(config: Config) -> ExtractContext:
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


def read_content(path: Path, limits: IngestConfig = DEFAULT_LIMITS) -> bytes:
    """File bytes, transparently gunzipped (streamed, within ``limits``); raises
    FileRefused for unreadable files and for files past a ceiling (a gzip bomb)."""
    return read_bounded(path, limits.max_expanded_bytes, limits.max_expansion_ratio)


def too_large(stage: str) -> FileRefused:
    """A file that exhausted memory is refused by name, not reported as an internal error.

    Raise it *after* leaving the ``except MemoryError`` block: inside it, the traceback
    still holds the parser's frames and so all the memory the parse took, and building
    even this message can fail again.
    """
    return FileRefused(f"too large to parse: out of memory while {stage}")


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a MemoryError (a parser's own
    ``except Exception`` may have wrapped it, or failed in turn)."""
    seen: BaseException | None = exc
    for _ in range(50):  # a bounded walk: chains can be long, never cyclic in practice
        if seen is None:
            return False
        if isinstance(seen, MemoryError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def detect(
    data: bytes, name: str, connectors: dict[str, Connector], context: ExtractContext
) -> Connector:
    """Pick the connector that claims the file; the first in detection order wins."""
    head = data[:HEAD_BYTES]
    for connector in connectors.values():
        try:
            if connector.identify(head, name):
                return connector
        except Exception:  # noqa: S112 - a faulty identify() must not stop detection
            continue
    for connector in connectors.values():
        # Connectors driven by config (mapped CSV) claim a file only through a profile.
        profile_for = getattr(connector, "profile_for", None)
        if profile_for is not None and profile_for(head, context) is not None:
            return connector
    names = ", ".join(connectors)
    raise FileRefused(f"format not recognised (tried {names}); use --format to force one")


def extract_file(
    connector: Connector, data: bytes, name: str, context: ExtractContext
) -> ExtractResult:
    """Run the connector defensively and validate what it returns."""
    result: ExtractResult | None = None
    try:
        result = connector.extract(data, name, context)
    except FileRefused as exc:
        if not _out_of_memory(exc):
            raise
    except MemoryError:
        pass  # refused below, once the handler has let go of the parser's frames
    except Exception as exc:  # a connector bug must still refuse cleanly
        if not _out_of_memory(exc):
            reason = f"{connector.name} parser failed: {type(exc).__name__}: {exc}"
            raise FileRefused(reason) from exc
    if result is None:
        raise too_large(f"the {connector.name} parser read it")
    errors = [i for i in result.issues if i.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        raise FileRefused(first.message + more, first.location)
    ceiling = context.max_payment_amount
    no_currency = ""
    for record in result.records:
        _validate_record(record, ceiling)
        if record.currency == NO_CURRENCY and not no_currency:
            no_currency = record.location
    if no_currency:
        warning = Issue(
            "warning",
            f"amounts in {NO_CURRENCY} (ISO 4217 'no currency', as anonymised and test"
            " statements write them): kept with two decimals; no invoice is in XXX",
            no_currency or None,
        )
        result = replace(result, issues=(*result.issues, warning))
    return result


def _validate_record(record: PaymentRecord, ceiling: Decimal | None = None) -> None:
    where = record.location or None
    try:
        currency = check_currency(record.currency, allow_no_currency=True)
        if currency != record.currency:
            raise FileRefused(f"currency {record.currency!r} is not upper-case ISO 4217", where)
        quantize(record.amount, record.currency)
    except MoneyError as exc:
        raise FileRefused(str(exc), where) from exc
    if ceiling is not None and abs(record.amount) > ceiling:
        raise FileRefused(
            f"amount {record.amount} {record.currency} is above the per-payment ceiling"
            f" ({ceiling}, ingest.max_payment_amount)",
            where,
        )
    if not record.dedupe_key:
        raise FileRefused("record has no identity (empty dedupe key)", where)


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
    :func:`worker_count`), ``1`` always parses in this process. Whatever the number, the
    files are written one after another in input order with the same outcomes.
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
        return _ingest_parallel(store, files, connectors, context, fmt, actor, count, limits)
    return [
        ingest_file(store, path, connectors, context, fmt=fmt, actor=actor, limits=limits)
        for path in files
    ]


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
        data, digest = _read_file(path, limits)
    except FileRefused as exc:
        return FileOutcome(name, "refused", reason=str(exc))
    known = _known_connector(store, digest)
    if known is not None:
        return FileOutcome(name, "known", connector=known)
    try:
        prepared = _prepare(data, digest, path.name, connectors, context, fmt)
    except FileRefused as exc:
        return FileOutcome(name, "refused", reason=str(exc))
    finally:
        del data  # the parsed tables are what is stored; free the bytes before writing
    return _store_prepared(store, path, prepared, actor)


# --- the two halves of ingesting one file ---------------------------------------------
#
# *Prepare* is pure (bytes in, Arrow tables out) and may run in a worker process; *store*
# needs the database and always runs in the calling process, one file at a time.


@dataclass(frozen=True, slots=True)
class PreparedFile:
    """One file parsed and checked, with its rows as Arrow tables: ready to be written.

    Small and picklable (no :class:`PaymentRecord` objects), so a worker process can hand
    it back cheaply; Arrow tables pickle as their buffers.
    """

    digest: str
    connector: str
    payments: pa.Table
    lines: pa.Table  # remittance lines
    records: int
    warnings: tuple[Issue, ...] = ()
    balances: tuple[AccountBalance, ...] = ()
    checks: tuple[StatementCheck, ...] = ()
    control_total: Decimal | None = None
    record_count: int | None = None

    @property
    def file_id(self) -> str:
        return file_id_for(self.digest)


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


def file_id_for(digest: str) -> str:
    return "file_" + digest[:20]


def _read_file(path: Path, limits: IngestConfig) -> tuple[bytes, str]:
    """The file's content and its sha256; raises FileRefused for unreadable/empty files."""
    data = read_content(path, limits)
    if data.isspace() or not data:  # not data.strip(): that copies the whole file
        raise FileRefused("file is empty")
    return data, hashlib.sha256(data).hexdigest()


def _known_connector(store: Store, digest: str) -> str | None:
    known = store.scalar("SELECT connector FROM source_files WHERE sha256 = ?", [digest])
    return None if known is None else str(known)


def _prepare(
    data: bytes,
    digest: str,
    name: str,
    connectors: dict[str, Connector],
    context: ExtractContext,
    fmt: str | None,
) -> PreparedFile:
    """Detect, extract, tie out and tabulate one file; raises FileRefused, nothing else."""
    connector = connectors[fmt] if fmt else detect(data, name, connectors, context)
    result = extract_file(connector, data, name, context)
    try:
        checks = check_statements(result.records, result.balances)
        result = replace(result, issues=(*result.issues, *break_issues(checks)))
        return prepare_result(digest, connector.name, result, checks)
    except MemoryError:
        pass  # refused below, outside the handler (see too_large)
    except Exception as exc:  # a bug past the parser must still refuse the file cleanly
        if not _out_of_memory(exc):
            reason = f"could not prepare the file: {type(exc).__name__}: {exc}"
            raise FileRefused(reason) from exc
    del result
    raise too_large("tabulating its records")


def prepare_result(
    digest: str, connector: str, result: ExtractResult, checks: Sequence[StatementCheck] = ()
) -> PreparedFile:
    """Turn an extract result into the tables :func:`_write_prepared` stores."""
    return PreparedFile(
        digest=digest,
        connector=connector,
        payments=_payments_table(result.records, file_id_for(digest)),
        lines=_remittance_lines_table(result.records),
        records=len(result.records),
        warnings=tuple(i for i in result.issues if i.severity == "warning"),
        balances=tuple(result.balances),
        checks=tuple(checks),
        control_total=result.control_total,
        record_count=result.record_count,
    )


def _store_prepared(store: Store, path: Path, prepared: PreparedFile, actor: str) -> FileOutcome:
    try:
        new, already = _write_prepared(store, path.name, prepared, actor)
    except FileRefused as exc:
        return FileOutcome(str(path), "refused", reason=str(exc))
    return FileOutcome(
        str(path),
        "new",
        connector=prepared.connector,
        records=prepared.records,
        new=new,
        known=already,
        warnings=prepared.warnings,
    )


# --- parsing in worker processes ------------------------------------------------------

#: Parsing costs ~25 us per payment record while writing is cheap, so big batches are
#: parsed in worker processes while this process writes. Below this total size (bytes on
#: disk) the process start-up (~0.3 s each) costs more than it saves.
PARALLEL_MIN_BYTES: Final = 8 * 1024 * 1024
#: Most worker processes used automatically: the single writer becomes the bottleneck.
MAX_WORKERS: Final = 4
#: Up to this many known file hashes are handed to the workers, so re-ingesting a folder
#: of known files does not parse them again (the database check stays authoritative).
KNOWN_HASHES_LIMIT: Final = 200_000


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


def _picklable_context(context: ExtractContext) -> ExtractContext:
    sources = _plain(context.sources)
    assert isinstance(sources, dict)
    return replace(context, ach_company_ids=frozenset(context.ach_company_ids), sources=sources)


#: Set in each worker process by :func:`_init_worker`.
_worker_state: tuple[dict[str, Connector], ExtractContext, frozenset[str], IngestConfig] | None = (
    None
)


def _init_worker(
    connectors_blob: bytes,
    context: ExtractContext,
    known: frozenset[str],
    limits: IngestConfig,
) -> None:
    global _worker_state  # per-process state of a pool worker
    load_builtin()  # registers the built-ins in detection order before any plugin
    connectors: dict[str, Connector] = pickle.loads(connectors_blob)  # noqa: S301 - our own bytes
    _worker_state = (connectors, context, known, limits)


def _prepare_in_worker(path: Path, fmt: str | None) -> _Prepared:
    """The worker half of :func:`ingest_file`: everything but the database."""
    assert _worker_state is not None, "worker not initialised"
    connectors, context, known, limits = _worker_state
    digest: str | None = None
    try:
        data, digest = _read_file(path, limits)
        if digest in known:
            return _Known(digest)
        return _prepare(data, digest, path.name, connectors, context, fmt)
    except FileRefused as exc:
        return _Refused(str(exc), digest)
    except MemoryError:
        pass  # answered below, once the handler has let go of the parse (see too_large)
    except Exception as exc:  # never let one file's failure reach the pool machinery
        if not _out_of_memory(exc):
            return _Refused(f"could not prepare the file: {type(exc).__name__}: {exc}", digest)
    return _Refused(str(too_large("parsing it in a worker")), digest)


def _ingest_parallel(
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
        plain_context = _picklable_context(context)
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
        initializer=_init_worker,
        initargs=init_args,
    )
    try:
        submitted = 0
        for index, path in enumerate(files):
            try:
                while submitted < len(files) and submitted <= index + workers:
                    pending.append(pool.submit(_prepare_in_worker, files[submitted], fmt))
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
    known = _known_connector(store, prepared.digest)
    if known is not None:  # already stored, possibly by an earlier file of this batch
        return FileOutcome(name, "known", connector=known)
    if isinstance(prepared, _Refused):
        return FileOutcome(name, "refused", reason=prepared.reason)
    if isinstance(prepared, _Known):  # known when the batch started, gone since: redo
        return ingest_file(store, path, connectors, context, fmt=fmt, actor=actor, limits=limits)
    return _store_prepared(store, path, prepared, actor)


def _first_occurrences(records: Sequence[PaymentRecord]) -> tuple[list[str], list[PaymentRecord]]:
    """Payment ids and records with a record the file lists twice kept once (the first).

    Done here, in the worker that parsed the file, so the writer can insert the Arrow table
    as it is instead of sorting each file to deduplicate it.
    """
    ids = [payment_id_for(r.source, r.dedupe_key) for r in records]
    if len(set(ids)) == len(ids):
        return ids, list(records)
    seen: set[str] = set()
    kept_ids: list[str] = []
    kept: list[PaymentRecord] = []
    for pid, record in zip(ids, records, strict=True):
        if pid not in seen:
            seen.add(pid)
            kept_ids.append(pid)
            kept.append(record)
    return kept_ids, kept


def _payments_table(records: Sequence[PaymentRecord], file_id: str) -> pa.Table:
    """One row per distinct payment of the file, in file order."""
    now = utcnow()
    ids, records = _first_occurrences(records)
    return pa.table(
        {
            "payment_id": pa.array(ids, pa.string()),
            "source": pa.array([r.source for r in records], pa.string()),
            "source_ref": pa.array([r.source_ref for r in records], pa.string()),
            "dedupe_key": pa.array([r.dedupe_key for r in records], pa.string()),
            "kind": pa.array([r.kind for r in records], pa.string()),
            "amount": pa.array([r.amount for r in records], DECIMAL_TYPE),
            "currency": pa.array([r.currency for r in records], pa.string()),
            "value_date": pa.array([r.value_date for r in records], pa.date32()),
            "payer_name": pa.array([r.payer_name for r in records], pa.string()),
            "payer_account": pa.array([r.payer_account for r in records], pa.string()),
            "remittance": pa.array([r.remittance for r in records], pa.string()),
            "refs": pa.array([list(r.references) for r in records], pa.list_(pa.string())),
            "related_ref": pa.array([r.related_ref for r in records], pa.string()),
            "reason_code": pa.array([r.reason_code for r in records], pa.string()),
            "account": pa.array([r.account for r in records], pa.string()),
            "type_code": pa.array([r.type_code for r in records], pa.string()),
            "file_id": pa.array([file_id] * len(records), pa.string()),
            "location": pa.array([r.location for r in records], pa.string()),
            "raw": pa.array([r.raw for r in records], pa.string()),
            "ingested_at": pa.array([now] * len(records), pa.timestamp("us", tz="UTC")),
        }
    )


def _remittance_lines_table(records: Sequence[PaymentRecord]) -> pa.Table:
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "payment_id",
            "line_no",
            "qualifier",
            "reference",
            "paid",
            "invoice_total",
            "discount",
            "currency",
        )
    }
    for r in records:
        if not r.remittance_lines:
            continue
        pid = payment_id_for(r.source, r.dedupe_key)
        for n, line in enumerate(r.remittance_lines, start=1):
            cols["payment_id"].append(pid)
            cols["line_no"].append(n)
            cols["qualifier"].append(line.qualifier)
            cols["reference"].append(line.reference)
            cols["paid"].append(line.paid)
            cols["invoice_total"].append(line.invoice_total)
            cols["discount"].append(line.discount)
            cols["currency"].append(r.currency)
    types = {"line_no": pa.int32(), "paid": DECIMAL_TYPE, "invoice_total": DECIMAL_TYPE}
    types["discount"] = DECIMAL_TYPE
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in cols.items()})


def _stored(amount: Decimal | None, currency: str) -> Decimal | None:
    return None if amount is None else quantize(amount, currency, exact=False)


def _write(
    store: Store,
    digest: str,
    name: str,
    connector: str,
    result: ExtractResult,
    actor: str,
    checks: Sequence[StatementCheck] = (),
) -> tuple[int, int]:
    """Write one extracted file in one transaction; returns (new, already known) counts."""
    prepared = prepare_result(digest, connector, result, checks)
    return _write_prepared(store, name, prepared, actor)


def _write_prepared(store: Store, name: str, prepared: PreparedFile, actor: str) -> tuple[int, int]:
    """Write one prepared file in one transaction; returns (new, already known) counts."""
    file_id = prepared.file_id
    digest = prepared.digest
    connector = prepared.connector
    records = prepared.records
    con = store.con
    con.register("incoming_arrow", prepared.payments)
    con.register("lines_arrow", prepared.lines)
    warnings = [{"location": i.location, "message": i.message} for i in prepared.warnings]
    try:
        with store.transaction():
            # the table holds each payment once already (see _payments_table)
            already = int(
                store.scalar("SELECT count(*) FROM incoming_arrow JOIN payments USING (payment_id)")
            )
            duplicates_in_file = records - prepared.payments.num_rows
            con.execute(
                "INSERT INTO payments BY NAME SELECT * FROM incoming_arrow"
                if not already  # the usual case: no anti-join against every stored payment
                else "INSERT INTO payments BY NAME SELECT * FROM incoming_arrow"
                " WHERE payment_id NOT IN (SELECT payment_id FROM payments)"
            )
            new = records - already - duplicates_in_file
            con.execute(
                # a record listed twice in the file carries its lines twice: keep one set
                "INSERT INTO remittance_lines BY NAME"
                " SELECT DISTINCT ON (l.payment_id, l.line_no) l.* FROM lines_arrow l"
                " JOIN incoming_arrow USING (payment_id)"
                " WHERE NOT EXISTS (SELECT 1 FROM remittance_lines r"
                "   WHERE r.payment_id = l.payment_id AND r.line_no = l.line_no)"
                " ORDER BY l.payment_id, l.line_no"
            )
            for balance in prepared.balances:
                store.execute(
                    "INSERT INTO account_balances VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [
                        balance.account,
                        balance.currency,
                        balance.as_of,
                        balance.kind,
                        balance.type_code,
                        quantize(balance.amount, balance.currency, exact=False),
                        file_id,
                    ],
                )
            for check in prepared.checks:
                store.execute(
                    "INSERT INTO statement_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        file_id,
                        check.account,
                        check.currency,
                        check.statement,
                        check.opening_date,
                        _stored(check.opening, check.currency),
                        _stored(check.movements, check.currency),
                        check.movement_count,
                        check.closing_date,
                        _stored(check.closing, check.currency),
                        _stored(check.difference, check.currency),
                        check.status,
                        check.day,
                    ],
                )
            store.execute(
                "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?)",
                [
                    file_id,
                    digest,
                    connector,
                    name,
                    utcnow(),
                    prepared.record_count,
                    records,
                    new,
                    prepared.control_total,
                    json.dumps(warnings),
                ],
            )
            store.audit(
                f"system:{actor}",
                "ingest",
                "source_file",
                file_id,
                {"name": name, "connector": connector, "records": records, "new": new},
            )
    except Exception as exc:
        raise FileRefused(f"could not store the file: {exc}") from exc
    finally:
        store.release("incoming_arrow", "lines_arrow")
    return new, already + duplicates_in_file
