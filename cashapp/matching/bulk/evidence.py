"""The evidence tables handed to the engine, and dropped after the run.

Why a module of its own: the set-based stages leave their evidence in per-connection
temporary tables -- ``m_ref_hits(payment_id, invoice_number, kind, text, paid, rank)`` and
``m_cust_hits(payment_id, customer_id, method, score, detail)`` -- and the payments still
undecided after the bulk stages are decided by the engine from exactly these rows.
"""

from __future__ import annotations

from typing import Any

from cashapp.store import Store


def hits_for_engine(
    store: Store,
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    """Reference and customer evidence of the payments the engine decides: undecided, and
    not set aside as strangers or crowds (a crowd's dozens of candidate customers would
    only be loaded to be ignored)."""
    engine_decides = (
        " JOIN payments p USING (payment_id) WHERE p.matched_at IS NULL"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_strangers)"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_crowds)"
    )
    refs: dict[str, list[tuple[Any, ...]]] = {}
    for pid, *rest in store.fetchall(
        "SELECT h.payment_id, h.invoice_number, h.kind, h.text, h.paid FROM m_ref_hits h"
        f"{engine_decides} ORDER BY h.payment_id, h.rank"
    ):
        refs.setdefault(pid, []).append(tuple(rest))
    customers: dict[str, list[tuple[Any, ...]]] = {}
    for pid, *rest in store.fetchall(
        "SELECT c.payment_id, c.customer_id, c.method, c.score, c.detail FROM m_cust_hits c"
        f"{engine_decides} ORDER BY c.payment_id, c.score DESC, c.customer_id, c.method"
    ):
        customers.setdefault(pid, []).append(tuple(rest))
    return refs, customers


def drop_evidence(store: Store) -> None:
    for table in ("m_ref_hits", "m_cust_hits", "m_certain", "m_strangers", "m_crowds"):
        store.execute(f"DROP TABLE IF EXISTS {table}")
