"""Stage 8 of a match run: learning which payer account pays for which customer.

Why a module of its own: it is the one stage whose output feeds later runs rather than
this one. A payment applied because its remittance named the invoices proves who its payer
account pays for; the alias learned here identifies the next payment from that account
that carries no reference. See :func:`learn_fingerprints` for what is never learned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from cashapp.matching.decisions import audit_learned_aliases
from cashapp.store import Store


def learn_fingerprints(store: Store, reference_rules: Sequence[str], run_id: str, now: Any) -> None:
    """Remember which customer pays from which originator, as proven by references.

    A payment applied because its remittance named the invoices shows that its payer
    account belongs to (or pays for) that customer; the next payment from the same
    account without a reference is then identified by it. Only unmasked identifiers are
    learned (a NACHA originator ``ach:<company id>``): a masked ``****6789`` is shared by
    too many payers to identify anyone. Nothing is learned when the payer's name points
    at another customer (a parent paying for a subsidiary); an account that still turns
    out to pay for several customers maps to all of them and so identifies none.
    """
    if not reference_rules:
        return
    store.con.register(
        "reference_rules", pa.table({"rule": pa.array(list(reference_rules), pa.string())})
    )
    try:
        store.execute(
            "INSERT INTO customer_aliases"
            " (customer_id, kind, value, learned_from, created_at, created_by)"
            " SELECT a.customer_id, 'account', payer_account, min(payment_id), ?, 'rule:learned'"
            " FROM applications a JOIN payments p USING (payment_id)"
            " WHERE a.run_id = ? AND a.status = 'active'"
            "   AND a.kind = 'payment' AND a.customer_id IS NOT NULL"
            "   AND a.rule IN (SELECT rule FROM reference_rules)"
            "   AND p.payer_account <> '' AND NOT contains(p.payer_account, '*')"
            # a parent paying its subsidiary's invoice is not the subsidiary's account
            "   AND NOT EXISTS (SELECT 1 FROM m_cust_hits h WHERE h.payment_id = a.payment_id"
            "     AND h.method <> 'account' AND h.customer_id <> a.customer_id)"
            " GROUP BY a.customer_id, payer_account"
            " ON CONFLICT DO NOTHING",
            [now, run_id],
        )
        audit_learned_aliases(store, now)
    finally:
        store.release("reference_rules")
