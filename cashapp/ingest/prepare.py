"""The pure half of ingesting one file: bytes in, checked Arrow tables out, no database.

Why a module of its own: this half is the expensive one (parsing costs ~25 us per payment
record) and needs nothing but the file, so a batch runs it in worker processes
(:mod:`cashapp.ingest.parallel`) while the writer stores what is ready. What it returns, a
:class:`PreparedFile`, is therefore small and picklable: the rows are already the Arrow
tables :mod:`cashapp.ingest.write` inserts as they are, built here rather than in the
writer so the single writing process does no per-record work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Final

import pyarrow as pa

from cashapp.bounded_read import read_bounded
from cashapp.config import IngestConfig
from cashapp.domain import AccountBalance, FileRefused, Issue, PaymentRecord, stable_key
from cashapp.ingest.detect import detect
from cashapp.ingest.validate import extract_file, out_of_memory, too_large
from cashapp.statements import StatementCheck, break_issues, check_statements
from cashapp.store import utcnow
from connectors.base import Connector, ExtractContext, ExtractResult

DECIMAL_TYPE = pa.decimal128(18, 4)
#: The ``[ingest]`` ceilings when no config says otherwise.
DEFAULT_LIMITS: Final = IngestConfig()


def payment_id_for(source: str, dedupe_key: str) -> str:
    """The deterministic payment id: the same movement always gets the same id."""
    return "pay_" + stable_key(source, dedupe_key)[:20]


def file_id_for(digest: str) -> str:
    return "file_" + digest[:20]


def read_content(path: Path, limits: IngestConfig = DEFAULT_LIMITS) -> bytes:
    """File bytes, transparently gunzipped (streamed, within ``limits``); raises
    FileRefused for unreadable files and for files past a ceiling (a gzip bomb)."""
    return read_bounded(path, limits.max_expanded_bytes, limits.max_expansion_ratio)


def read_file(path: Path, limits: IngestConfig) -> tuple[bytes, str]:
    """The file's content and its sha256; raises FileRefused for unreadable/empty files."""
    data = read_content(path, limits)
    if data.isspace() or not data:  # not data.strip(): that copies the whole file
        raise FileRefused("file is empty")
    return data, hashlib.sha256(data).hexdigest()


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


def prepare_file(
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
        if not out_of_memory(exc):
            reason = f"could not prepare the file: {type(exc).__name__}: {exc}"
            raise FileRefused(reason) from exc
    del result
    raise too_large("tabulating its records")


def prepare_result(
    digest: str, connector: str, result: ExtractResult, checks: Sequence[StatementCheck] = ()
) -> PreparedFile:
    """Turn an extract result into the tables the writer (:mod:`cashapp.ingest.write`) stores."""
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
