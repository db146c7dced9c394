"""The writing half of ingesting one file: a prepared file into DuckDB, in one transaction.

Why a module of its own: DuckDB takes one writer per file, and this process is it. Every
file, however it was parsed (here or in a worker), is stored by :func:`write_prepared`:
its payments not yet known, its remittance lines, balances and statement checks, its
``source_files`` row and the audit entry commit together or not at all, so a failure leaves
the database as it was and the file refused by name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from cashapp.domain import FileRefused
from cashapp.ingest.outcome import FileOutcome
from cashapp.ingest.prepare import PreparedFile, prepare_result
from cashapp.money import quantize
from cashapp.statements import StatementCheck
from cashapp.store import Store, utcnow
from connectors.base import ExtractResult


def known_connector(store: Store, digest: str) -> str | None:
    """The connector that stored a file of this content hash, if one was stored."""
    known = store.scalar("SELECT connector FROM source_files WHERE sha256 = ?", [digest])
    return None if known is None else str(known)


def store_prepared(store: Store, path: Path, prepared: PreparedFile, actor: str) -> FileOutcome:
    """Write one prepared file; its outcome, ``refused`` if the write failed."""
    try:
        new, already = write_prepared(store, path.name, prepared, actor)
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


def _stored(amount: Decimal | None, currency: str) -> Decimal | None:
    return None if amount is None else quantize(amount, currency, exact=False)


def write_result(
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
    return write_prepared(store, name, prepared, actor)


def write_prepared(store: Store, name: str, prepared: PreparedFile, actor: str) -> tuple[int, int]:
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
            # the table holds each payment once already (see prepare._payments_table)
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
