"""The payer aliases a team manages: list them, remove a wrong one.

Why a service of its own: an alias decides who a payer is on every later run, so a wrong
one (a link to the wrong customer, an account that turned out to be a payment service
many customers use) must be easy to find and to take back, by a person, with an audit
row. It lives above matching (the services layer) because removing is a person's action,
checked for their role; learning is :func:`cashapp.matching.learning.learn_alias`, which
the queue's actions call in their own transactions.

Removing an alias changes what later runs identify, never what was decided: past
applications keep their evidence, which names where the alias came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from cashapp.domain import ActionRefused
from cashapp.keys import name_key
from cashapp.matching.learning import ALIAS_KINDS
from cashapp.store import Store
from cashapp.users import require

__all__ = ["AliasRow", "list_aliases", "remove_alias"]


@dataclass(frozen=True, slots=True)
class AliasRow:
    """One alias as a team reads it."""

    customer_id: str
    customer_name: str
    kind: str  # name | account
    value: str  # the name key, or the account fingerprint
    learned_from: str  # exc_… (a person), a payment id (a run, from a reference), or import
    created_by: str  # the person, rule:learned, or who imported it
    created_at: datetime

    @property
    def source(self) -> str:
        """How it was learned, in words: ``person``, ``matcher`` or ``import``."""
        if self.learned_from.startswith("exc_"):
            return "person"
        if self.created_by.startswith("rule:"):
            return "matcher"
        return "import"


#: Aliases a person or a run learned (an imported alias is master data, from the ERP).
_LEARNED = "(starts_with(a.learned_from, 'exc_') OR starts_with(a.created_by, 'rule:'))"


def list_aliases(
    con: duckdb.DuckDBPyConnection | Store,
    *,
    customer: str | None = None,
    learned_only: bool = True,
) -> list[AliasRow]:
    """The aliases, by customer, kind and value; ``learned_only`` leaves out imported ones."""
    connection = con.con if isinstance(con, Store) else con
    rows: list[tuple[Any, ...]] = connection.execute(
        "SELECT a.customer_id, coalesce(c.name, ''), a.kind, a.value, a.learned_from,"
        " a.created_by, a.created_at FROM customer_aliases a"
        " LEFT JOIN customers c USING (customer_id)"
        f" WHERE (? IS NULL OR a.customer_id = ?) AND (NOT ? OR {_LEARNED})"
        " ORDER BY a.customer_id, a.kind, a.value",
        [customer, customer, learned_only],
    ).fetchall()
    return [AliasRow(*row) for row in rows]


def remove_alias(store: Store, actor_id: str, kind: str, value: str, customer_id: str) -> AliasRow:
    """Remove customer ``customer_id``'s alias ``kind`` ``value``, audited as ``actor_id``.

    ``value`` for a name may be the stored key or the name as the bank writes it (its key
    is looked up). Refused (:class:`~cashapp.domain.ActionRefused`, nothing changed): an
    unknown kind, or no such alias of that customer; :class:`~cashapp.domain.NotPermitted`
    for a user who may not manage aliases (``aliases.manage``: specialist, lead, admin).
    Returns what was removed.
    """
    if kind not in ALIAS_KINDS:
        raise ActionRefused(f"unknown alias kind {kind!r}; valid: {', '.join(ALIAS_KINDS)}")
    if not actor_id.strip():
        raise ActionRefused("removing an alias needs the person doing it (--user NAME)")
    with store.transaction():
        require(store, actor_id, "aliases.manage")
        found = _find(store, kind, value, customer_id)
        store.execute(
            "DELETE FROM customer_aliases WHERE kind = ? AND value = ? AND customer_id = ?",
            [found.kind, found.value, found.customer_id],
        )
        store.audit(
            actor_id, "remove", "customer_alias", found.value,
            {"customer": found.customer_id, "kind": found.kind,
             "learned_from": found.learned_from, "created_by": found.created_by},
        )  # fmt: skip
    return found


def _find(store: Store, kind: str, value: str, customer_id: str) -> AliasRow:
    candidates = [value.strip()]
    if kind == "name" and name_key(value) not in candidates:
        candidates.append(name_key(value))
    for candidate in candidates:
        rows = store.fetchall(
            "SELECT a.customer_id, coalesce(c.name, ''), a.kind, a.value, a.learned_from,"
            " a.created_by, a.created_at FROM customer_aliases a"
            " LEFT JOIN customers c USING (customer_id)"
            " WHERE a.kind = ? AND a.value = ? AND a.customer_id = ?",
            [kind, candidate, customer_id],
        )
        if rows:
            return AliasRow(*rows[0])
    held = store.fetchall(
        "SELECT DISTINCT customer_id FROM customer_aliases"
        " WHERE kind = ? AND value IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1",
        [kind, candidates],
    )
    elsewhere = f" (it is an alias of {', '.join(r[0] for r in held)})" if held else ""
    raise ActionRefused(
        f"customer {customer_id} has no {kind} alias {value!r}{elsewhere};"
        f" `cashapp aliases list --customer {customer_id}` shows its aliases"
    )
