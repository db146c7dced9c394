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
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pyarrow as pa

from cashapp.config import Config
from cashapp.money import MoneyError, check_currency, quantize
from cashapp.statements import StatementCheck, break_issues, check_statements
from cashapp.store import Store, utcnow
from connectors import load_builtin
from connectors.base import (
    Connector,
    ExtractContext,
    ExtractResult,
    FileRefused,
    Issue,
    PaymentRecord,
    stable_key,
)

HEAD_BYTES = 8192
DECIMAL_TYPE = pa.decimal128(18, 4)

Status = Literal["new", "known", "refused"]


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


def read_content(path: Path) -> bytes:
    """File bytes, transparently gunzipped; raises FileRefused for unreadable files."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise FileRefused("file not found") from exc
    except OSError as exc:
        raise FileRefused(f"cannot read file: {exc.strerror}") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FileRefused(f"not a valid gzip file: {exc}") from exc
    return data


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
    try:
        result = connector.extract(data, name, context)
    except FileRefused:
        raise
    except Exception as exc:  # a connector bug must still refuse cleanly
        raise FileRefused(f"{connector.name} parser failed: {type(exc).__name__}: {exc}") from exc
    errors = [i for i in result.issues if i.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        raise FileRefused(first.message + more, first.location)
    for record in result.records:
        _validate_record(record)
    return result


def _validate_record(record: PaymentRecord) -> None:
    where = record.location or None
    try:
        if check_currency(record.currency) != record.currency:
            raise FileRefused(f"currency {record.currency!r} is not upper-case ISO 4217", where)
        quantize(record.amount, record.currency)
    except MoneyError as exc:
        raise FileRefused(str(exc), where) from exc
    if not record.dedupe_key:
        raise FileRefused("record has no identity (empty dedupe key)", where)


def ingest_paths(
    store: Store,
    paths: Sequence[str | Path],
    config: Config,
    *,
    fmt: str | None = None,
    actor: str = "cli",
) -> list[FileOutcome]:
    """Ingest every file under ``paths``; one outcome per file, in order."""
    connectors = load_builtin()
    if fmt is not None and fmt not in connectors:
        raise UnknownFormat(f"unknown format {fmt!r}; known formats: {', '.join(connectors)}")
    context = context_for(config)
    return [
        ingest_file(store, path, connectors, context, fmt=fmt, actor=actor)
        for path in expand_paths(paths)
    ]


def ingest_file(
    store: Store,
    path: Path,
    connectors: dict[str, Connector],
    context: ExtractContext,
    *,
    fmt: str | None = None,
    actor: str = "cli",
) -> FileOutcome:
    """Ingest one file atomically; never raises for bad input."""
    name = str(path)
    try:
        data = read_content(path)
        if not data.strip():
            raise FileRefused("file is empty")
        digest = hashlib.sha256(data).hexdigest()
        known = store.scalar("SELECT connector FROM source_files WHERE sha256 = ?", [digest])
        if known is not None:
            return FileOutcome(name, "known", connector=str(known))
        connector = connectors[fmt] if fmt else detect(data, path.name, connectors, context)
        result = extract_file(connector, data, path.name, context)
        checks = check_statements(result.records, result.balances)
        result = replace(result, issues=(*result.issues, *break_issues(checks)))
        new, already = _write(store, digest, path.name, connector.name, result, actor, checks)
    except FileRefused as exc:
        return FileOutcome(name, "refused", reason=str(exc))
    warnings = tuple(i for i in result.issues if i.severity == "warning")
    return FileOutcome(
        name,
        "new",
        connector=connector.name,
        records=len(result.records),
        new=new,
        known=already,
        warnings=warnings,
    )


def _payments_table(records: Sequence[PaymentRecord], file_id: str) -> pa.Table:
    now = utcnow()
    ids = [payment_id_for(r.source, r.dedupe_key) for r in records]
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
    file_id = "file_" + digest[:20]
    records = result.records
    con = store.con
    con.register("incoming_arrow", _payments_table(records, file_id))
    con.register("lines_arrow", _remittance_lines_table(records))
    warnings = [
        {"location": i.location, "message": i.message}
        for i in result.issues
        if i.severity == "warning"
    ]
    try:
        with store.transaction():
            con.execute(
                "CREATE OR REPLACE TEMP TABLE incoming AS"
                " SELECT DISTINCT ON (payment_id) * FROM incoming_arrow ORDER BY payment_id"
            )
            already = int(
                store.scalar("SELECT count(*) FROM incoming JOIN payments USING (payment_id)")
            )
            duplicates_in_file = len(records) - int(store.scalar("SELECT count(*) FROM incoming"))
            con.execute(
                "INSERT INTO payments BY NAME"
                " SELECT * FROM incoming WHERE payment_id NOT IN (SELECT payment_id FROM payments)"
            )
            new = len(records) - already - duplicates_in_file
            con.execute(
                "INSERT INTO remittance_lines BY NAME SELECT l.* FROM lines_arrow l"
                " JOIN incoming USING (payment_id)"
                " WHERE NOT EXISTS (SELECT 1 FROM remittance_lines r"
                "   WHERE r.payment_id = l.payment_id AND r.line_no = l.line_no)"
            )
            for balance in result.balances:
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
            for check in checks:
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
                    result.record_count,
                    len(records),
                    new,
                    result.control_total,
                    json.dumps(warnings),
                ],
            )
            store.audit(
                f"system:{actor}",
                "ingest",
                "source_file",
                file_id,
                {"name": name, "connector": connector, "records": len(records), "new": new},
            )
            con.execute("DROP TABLE incoming")
    except Exception as exc:
        raise FileRefused(f"could not store the file: {exc}") from exc
    finally:
        store.release("incoming_arrow", "lines_arrow")
    return new, already + duplicates_in_file
