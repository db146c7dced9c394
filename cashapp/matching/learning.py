"""Learning who pays for whom: payer aliases proven by references or taught by a person.

Why a module of its own: it is the one part of matching whose output feeds later runs
rather than this one. Two ways teach the matcher a payer:

* a match run (:func:`learn_fingerprints`): a payment applied because its remittance
  named the invoices proves which customer its payer account pays for;
* a person (:func:`learn_alias`): linking an exception's payer to a customer, or
  applying an ``unidentified`` payment by hand, records the payer's name key and account
  fingerprint as aliases of that customer.

An alias only *identifies* the payer (:mod:`cashapp.matching.bulk.customer_hits` reads
``customer_aliases`` on both paths); whether cash is applied is still the rules' decision
-- an exact open invoice of the amount at that customer, a unique combination, or a
reference. A payment identified by a person's alias carries that person in its evidence:
``"ACME TRADING; learned from exc_1a2b… by spec1 on 2026-11-20"``.

Worked example. Monday, ``ACME TRADING`` pays 1,200.00 with no remittance; nobody is
named that, so it is queued ``unidentified`` (``exc_1a2b…``). spec1 links it to customer
C00042 (Acme Holdings): the key ``ACME TRADING`` becomes a ``name`` alias of C00042,
learned from ``exc_1a2b…`` by spec1. Tuesday ACME TRADING pays 845.50, and C00042 has
exactly one invoice open for 845.50: ``cust-single`` applies it, and the application's
evidence names the exception and spec1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa

from cashapp.domain import ActionRefused
from cashapp.keys import name_key
from cashapp.matching.decisions import audit_learned_aliases
from cashapp.store import Store

#: The kinds of alias: a payer's name key, or its account fingerprint.
ALIAS_KINDS: Final = ("name", "account")

#: The character a masked account number is written with (``******6789``).
MASK_CHAR: Final = "*"

__all__ = [
    "ALIAS_KINDS",
    "LearnedAlias",
    "is_fingerprint",
    "learn_alias",
    "learn_fingerprints",
    "learned_note",
    "learned_note_sql",
]


def is_fingerprint(payer_account: str) -> bool:
    """Whether a stored payer account identifies one payer (and so may be learned).

    Unmasked identifiers do (a NACHA originator ``ach:<company id>``, ``stripe:cus_…``);
    a masked ``******6789`` is shared by too many payers to identify anyone. The SQL twin
    is in :func:`learn_fingerprints`: ``payer_account <> '' AND NOT contains(…, '*')``.
    """
    return bool(payer_account) and MASK_CHAR not in payer_account


def learned_note(learned_from: str, created_by: str, created_at: datetime) -> str:
    """How an alias a person taught is named in the evidence of what it identified."""
    day = created_at.astimezone(UTC).date().isoformat()
    return f"learned from {learned_from} by {created_by} on {day}"


def learned_note_sql(alias: str) -> str:
    """A DuckDB expression: ``'; ' || learned_note(...)`` for an alias a person taught
    (learned from an exception), else ``''``; ``alias`` is a ``customer_aliases`` row."""
    return (
        f"CASE WHEN starts_with({alias}.learned_from, 'exc_')"
        f" THEN '; learned from ' || {alias}.learned_from || ' by ' || {alias}.created_by"
        f" || ' on ' || strftime(timezone('UTC', {alias}.created_at), '%Y-%m-%d')"
        " ELSE '' END"
    )


@dataclass(frozen=True, slots=True)
class LearnedAlias:
    """One alias recorded (or found already recorded) for a customer."""

    customer_id: str
    kind: str  # name | account
    value: str  # the name key, or the account fingerprint
    learned_from: str
    created_by: str
    created_at: datetime
    new: bool  # False: the same alias of the same customer was there already

    @property
    def note(self) -> str:
        """What the evidence of a payment this alias identifies will say."""
        return learned_note(self.learned_from, self.created_by, self.created_at)


def learn_alias(
    store: Store,
    *,
    customer_id: str,
    payer_name: str,
    payer_account: str,
    exception_id: str,
    actor_id: str,
    now: datetime,
) -> list[LearnedAlias]:
    """Record the payer of exception ``exception_id`` as customer ``customer_id``.

    What is recorded: the payer name's key (:func:`cashapp.keys.name_key`, the key the
    matcher compares) as a ``name`` alias, and the payer account as an ``account`` alias
    when it is a fingerprint (:func:`is_fingerprint`), each with ``learned_from`` = the
    exception and ``created_by`` = the person, and one audit row each by that person.

    What is not: an empty name key or a masked account; a name key that is some
    customer's own name (the customer master already says who that name is: an alias
    would at most turn an answer into a tie). So the result may be empty -- the caller
    can tell the person nothing was learned.

    Idempotent: an alias the customer already has is returned with ``new = False`` and
    nothing is written. Refused (:class:`~cashapp.domain.ActionRefused`, nothing
    written): an unknown customer or exception, no acting person, or a name or account
    already an alias of another customer -- the message names that customer and the
    command that removes the alias. Runs in the caller's transaction (the queue's
    ``link`` action holds one): every check is made before the first write.
    """
    if not actor_id.strip():
        raise ActionRefused("learning a payer alias needs the person doing it (--user NAME)")
    if store.scalar("SELECT count(*) FROM exceptions WHERE exception_id = ?", [exception_id]) == 0:
        raise ActionRefused(f"no exception {exception_id!r} to learn the payer from")
    if store.scalar("SELECT count(*) FROM customers WHERE customer_id = ?", [customer_id]) == 0:
        raise ActionRefused(
            f"no customer {customer_id!r}; import it first (cashapp import customers FILE)"
        )
    wanted = _learnable(store, payer_name, payer_account)
    learned: list[LearnedAlias] = []
    to_write: list[tuple[str, str]] = []
    for kind, value in wanted:
        rows = store.fetchall(
            "SELECT customer_id, learned_from, created_by, created_at FROM customer_aliases"
            " WHERE kind = ? AND value = ? ORDER BY customer_id",
            [kind, value],
        )
        others = [r for r in rows if r[0] != customer_id]
        if others:
            raise ActionRefused(_conflict(kind, value, customer_id, others, actor_id))
        if rows:  # this customer's already
            _, source, by, at = rows[0]
            learned.append(LearnedAlias(customer_id, kind, value, source, by, at, new=False))
        else:
            to_write.append((kind, value))
    for kind, value in to_write:
        store.execute(
            "INSERT INTO customer_aliases"
            " (customer_id, kind, value, learned_from, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [customer_id, kind, value, exception_id, now, actor_id],
        )
        store.audit(
            actor_id, "learn", "customer_alias", value,
            {"customer": customer_id, "kind": kind, "from": exception_id},
        )  # fmt: skip
        learned.append(
            LearnedAlias(customer_id, kind, value, exception_id, actor_id, now, new=True)
        )
    return sorted(learned, key=lambda a: ALIAS_KINDS.index(a.kind))


def _learnable(store: Store, payer_name: str, payer_account: str) -> list[tuple[str, str]]:
    """The (kind, value) pairs of a payer that can identify it; see :func:`learn_alias`."""
    wanted: list[tuple[str, str]] = []
    key = name_key(payer_name)
    if key and store.scalar("SELECT count(*) FROM customers WHERE name_key = ?", [key]) == 0:
        wanted.append(("name", key))
    account = payer_account.strip()
    if is_fingerprint(account):
        wanted.append(("account", account))
    return wanted


def _conflict(
    kind: str, value: str, customer_id: str, others: Sequence[Sequence[Any]], actor_id: str
) -> str:
    """The refusal of an alias another customer has: who, how it was learned, the fix."""
    shown = ", ".join(
        f"{other} (learned from {source or 'import'} by {by})" for other, source, by, _ in others
    )
    first = others[0][0]
    return (
        f"payer {kind} {value!r} is already an alias of {shown}, not {customer_id};"
        f" if that is wrong, remove it first: cashapp --user {actor_id} aliases remove"
        f" {kind} {_shell_word(value)} --customer {first}"
    )


def _shell_word(text: str) -> str:
    """``text`` as one shell word (quoted when it holds anything but plain characters)."""
    plain = text.replace("-", "").replace("_", "").replace(":", "").replace(".", "")
    return text if plain.isalnum() else "'" + text.replace("'", "'\\''") + "'"


def learn_fingerprints(store: Store, reference_rules: Sequence[str], run_id: str, now: Any) -> None:
    """Remember which customer pays from which originator, as proven by references.

    A payment applied because its remittance named the invoices shows that its payer
    account belongs to (or pays for) that customer; the next payment from the same
    account without a reference is then identified by it. Only fingerprints are learned
    (:func:`is_fingerprint`). Nothing is learned when the payer's name points at another
    customer (a parent paying for a subsidiary); an account that still turns out to pay
    for several customers maps to all of them and so identifies none.
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
            f"   AND p.payer_account <> '' AND NOT contains(p.payer_account, '{MASK_CHAR}')"
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
