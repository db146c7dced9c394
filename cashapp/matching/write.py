"""Stage 7 of a match run: the engine's decisions written back, set-based.

Why a module of its own: the engine decides one payment at a time in Python, but its
decisions are written together, as Arrow tables inserted in a few statements
(applications, exceptions, invoice open amounts, payment status, audit rows) inside the
run's one transaction, so ``--dry-run`` can roll all of it back. The rows themselves --
ids, audit -- are written by :mod:`cashapp.matching.decisions`, the one writer every
decider hands its decisions to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from cashapp.matching.decisions import (
    ApplicationRows,
    ExceptionRows,
    json_text,
    write_applications,
    write_exceptions,
)
from cashapp.matching.model import Decision
from cashapp.store import Store, utcnow

#: The store's money type, ``DECIMAL(18,4)``, as Arrow.
DEC = pa.decimal128(18, 4)


def write_decisions(
    store: Store, decisions: Sequence[Decision], currency_of: dict[str, str], run_id: str
) -> None:
    """Write ``decisions`` in a few set-based statements; the caller holds the transaction."""
    now = utcnow()
    apps: dict[str, list[Any]] = defaultdict(list)
    excs: dict[str, list[Any]] = defaultdict(list)
    for d in decisions:
        currency = currency_of[d.payment_id]
        for n, a in enumerate(d.allocations):
            apps["payment_id"].append(d.payment_id)
            apps["seq"].append(n)
            apps["invoice_number"].append(a.invoice_number)
            apps["customer_id"].append(a.customer_id)
            apps["amount"].append(a.amount)
            apps["currency"].append(currency)
            apps["kind"].append(a.kind)
            apps["rule"].append(a.rule)
            apps["confidence"].append(a.confidence)
            apps["evidence"].append(json_text(a.evidence))
        for e in d.exceptions:
            excs["payment_id"].append(d.payment_id)
            excs["invoice_number"].append(e.invoice_number)
            excs["customer_id"].append(e.customer_id or d.customer_id)
            excs["type"].append(e.type)
            excs["amount"].append(e.amount)
            excs["currency"].append(currency)
            excs["reason_code"].append(e.reason_code)
            excs["detail"].append(e.detail)
            excs["suggestions"].append(json_text([s.as_json() for s in e.suggestions]))
    app_table = pa.table(
        {
            "payment_id": pa.array(apps["payment_id"], pa.string()),
            "seq": pa.array(apps["seq"], pa.int64()),
            "invoice_number": pa.array(apps["invoice_number"], pa.string()),
            "customer_id": pa.array(apps["customer_id"], pa.string()),
            "amount": pa.array(apps["amount"], DEC),
            "currency": pa.array(apps["currency"], pa.string()),
            "kind": pa.array(apps["kind"], pa.string()),
            "rule": pa.array(apps["rule"], pa.string()),
            "confidence": pa.array(apps["confidence"], pa.decimal128(5, 4)),
            "evidence": pa.array(apps["evidence"], pa.string()),
        }
    )
    exc_table = pa.table(
        {
            "payment_id": pa.array(excs["payment_id"], pa.string()),
            "invoice_number": pa.array(excs["invoice_number"], pa.string()),
            "customer_id": pa.array(excs["customer_id"], pa.string()),
            "type": pa.array(excs["type"], pa.string()),
            "amount": pa.array(excs["amount"], DEC),
            "currency": pa.array(excs["currency"], pa.string()),
            "reason_code": pa.array(excs["reason_code"], pa.string()),
            "detail": pa.array(excs["detail"], pa.string()),
            "suggestions": pa.array(excs["suggestions"], pa.string()),
        }
    )
    status_table = pa.table(
        {
            "payment_id": pa.array([d.payment_id for d in decisions], pa.string()),
            "status": pa.array([d.status for d in decisions], pa.string()),
            "customer_id": pa.array([d.customer_id for d in decisions], pa.string()),
        }
    )
    con = store.con
    con.register("new_apps", app_table)
    con.register("new_excs", exc_table)
    con.register("new_status", status_table)
    try:
        write_applications(store, ApplicationRows("new_apps"), run_id, now)
        write_exceptions(store, ExceptionRows("new_excs"), run_id, now)
        store.execute(
            "UPDATE invoices SET open_amount = invoices.open_amount - d.total, updated_at = ?"
            " FROM (SELECT invoice_number, sum(amount) AS total FROM new_apps"
            "       WHERE invoice_number IS NOT NULL GROUP BY invoice_number) d"
            " WHERE invoices.invoice_number = d.invoice_number",
            [now],
        )
        store.execute(
            "UPDATE payments SET status = s.status, customer_id = s.customer_id,"
            " matched_at = ?, match_run_id = ? FROM new_status s"
            " WHERE payments.payment_id = s.payment_id",
            [now, run_id],
        )
    finally:
        store.release("new_apps", "new_excs", "new_status")
