"""The set-based half of a match run: evidence for every payment at once, and the certain
applications written in bulk.

Why this exists: a large AR team receives hundreds of thousands of payments a day, and most
of them are easy -- one invoice named, or a known payer paying exactly one open invoice.
Deciding those one by one in Python costs minutes; as joins in DuckDB it costs seconds.
The pure engine (:mod:`cashapp.matching.engine`) stays the reference for every decision;
this module only takes the payments whose decision the engine would make the same way and
that no other payment in the run competes for:

* **certain by reference** -- for the first ``reference_exact`` rule: of the invoices the
  remittance names (kinds that rule accepts) exactly one is open, in the payment's currency,
  for exactly the amount paid;
* **certain by customer** -- for the first ``customer_single_invoice`` rule: the remittance
  names no invoice at all, that rule's methods identify one customer (or a few that share
  the payer's name), and exactly one open invoice of the amount belongs to them.

Either only when no rule ordered before it could decide such a payment first, as the
primitive registry declares (:func:`cashapp.matching.registry.bulk_rule`): a team's
reordering keeps the fast path when the rules it puts first are harmless there.

An invoice two payments of the run could claim is never taken here: both go to the engine,
which decides them in canonical order (so a second payment of the same invoice becomes a
``duplicate_payment``). Everything else -- short, over, discounts, combinations, strangers,
ambiguity -- is the engine's.

Evidence tables the stages leave behind for the engine (temporary, per connection):
``m_ref_hits(payment_id, invoice_number, kind, text, paid, rank)`` and
``m_cust_hits(payment_id, customer_id, method, score, detail)``.

The stages, in the order a run calls them:

* :mod:`~cashapp.matching.bulk.reference_hits` -- ``m_ref_hits``, the invoices named;
* :mod:`~cashapp.matching.bulk.customer_hits` -- ``m_cust_hits``, the payers identified;
* :mod:`~cashapp.matching.bulk.certain` -- the certain applications;
* :mod:`~cashapp.matching.bulk.queueing` -- strangers and crowds queued;
* :mod:`~cashapp.matching.bulk.evidence` -- what is left, handed to the engine.
"""

from __future__ import annotations

from cashapp.matching.bulk.certain import BulkResult, select_certain, write_certain
from cashapp.matching.bulk.customer_hits import NameSettings, build_customer_hits
from cashapp.matching.bulk.evidence import drop_evidence, hits_for_engine
from cashapp.matching.bulk.queueing import (
    queue_crowds,
    queue_strangers,
    select_crowds,
    select_strangers,
)
from cashapp.matching.bulk.reference_hits import (
    PendingReferences,
    build_reference_hits,
    start_reference_hits,
)

__all__ = [
    "BulkResult",
    "NameSettings",
    "PendingReferences",
    "build_customer_hits",
    "build_reference_hits",
    "drop_evidence",
    "hits_for_engine",
    "queue_crowds",
    "queue_strangers",
    "select_certain",
    "select_crowds",
    "select_strangers",
    "start_reference_hits",
    "write_certain",
]
