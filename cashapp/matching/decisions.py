"""The one writer of a match run's decisions: applications, exceptions and their audit rows.

Why a module of its own: a decision used to be spelled out wherever it was made -- the
engine's write stage, the set-based certain applications, the queued strangers and
crowds, the events, the settlements -- each re-deriving ids, evidence text and audit rows
(issue 12). Every path now hands its decisions here as a DuckDB table of a declared shape
(:class:`ApplicationRows`, :class:`ExceptionRows`: the table's name and the columns it
must have), and this module derives the rest in one place: the ids (:func:`application_id`,
:func:`exception_id` and their SQL twins), the audit rows, the fixed columns. Where a
value is computed both in Python and in SQL, the SQL is generated from the same
definition here (:func:`sql_stable_key`, :func:`sql_json_text`, :data:`EVIDENCE_MACRO`)
and property-tested equal to the Python (``tests/test_matching_decisions.py``).

A person's decisions go through here too (issue 13): the queue's actions
(:mod:`cashapp.queue`) write their applications with :func:`write_manual_applications`,
undo one with :func:`write_manual_reversal`, and change an exception only with
:func:`update_exception` (optimistic locking on its ``version``) or raise one with
:func:`raise_manual_exception`. These writers guard the invariants they can see in one
statement -- an invoice is never relieved below zero, an application is reversed once,
an exception changes only at the version its changer read -- so a refused or lost race
writes nothing the caller's transaction would have to undo.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Final

from cashapp.domain import ActionRefused, stable_key
from cashapp.store import Store

# --- ids: one definition, Python and SQL ------------------------------------------------


def application_id(payment_id: str, n: int, invoice: str | None, kind: str, earlier: int) -> str:
    """The id of a payment's ``n``-th application; ``earlier`` rows (a won dispute) renew it."""
    key = (payment_id, n, invoice, kind, *((earlier,) if earlier else ()))
    return "app_" + stable_key(*key)[:20]


def exception_id(payment_id: str, type_: str, invoice: str | None, earlier: int = 0) -> str:
    """The id of a payment's exception; ``earlier`` exception rows of the payment (one a
    re-match closed, say) renew it, so a payment queued again never reuses a closed id."""
    key = (payment_id, type_, invoice, *((earlier,) if earlier else ()))
    return "exc_" + stable_key(*key)[:20]


def event_exception_id(payment_id: str, type_: str) -> str:
    """An event's exception (return, chargeback): keyed by payment and type only."""
    return "exc_" + stable_key(payment_id, type_)[:20]


def reversal_id(application: str) -> str:
    return "app_" + stable_key("reversal", application)[:20]


def manual_application_id(payment_id: str, n: int, invoice: str | None, kind: str) -> str:
    """The id of a person's application: ``n`` is how many rows the payment already has,
    so a payment applied, reversed and applied again by hand never repeats an id."""
    return "app_" + stable_key("manual", payment_id, n, invoice, kind)[:20]


def sql_stable_key(*parts: str) -> str:
    """A DuckDB expression equal to :func:`cashapp.domain.stable_key` of the column
    expressions ``parts`` (NULL is the empty text, as ``None`` is in Python)."""
    joined = ", ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in parts)
    return f"substr(sha256(concat_ws(chr(31), {joined})), 1, 24)"


def sql_application_id(payment: str, n: str, invoice: str, kind: str, earlier: str) -> str:
    plain = sql_stable_key(payment, n, invoice, kind)
    renewed = sql_stable_key(payment, n, invoice, kind, earlier)
    return (
        f"'app_' || substr(CASE WHEN coalesce({earlier}, 0) = 0 THEN {plain}"
        f" ELSE {renewed} END, 1, 20)"
    )


def sql_exception_id(payment: str, type_: str, invoice: str, earlier: str) -> str:
    plain = sql_stable_key(payment, type_, invoice)
    renewed = sql_stable_key(payment, type_, invoice, earlier)
    return (
        f"'exc_' || substr(CASE WHEN coalesce({earlier}, 0) = 0 THEN {plain}"
        f" ELSE {renewed} END, 1, 20)"
    )


# --- JSON text as Python's json.dumps writes it -----------------------------------------


def json_text(value: object) -> str:
    """Evidence and suggestions as stored: ``json.dumps`` with its default separators."""
    return json.dumps(value, default=str)


#: ``json.dumps`` of one character outside printable ASCII, ``"`` and ``\\`` (ensure_ascii).
_SQL_JSON_CHAR = (
    "CASE WHEN c = '\"' THEN '\\\"' WHEN c = '\\' THEN '\\\\'"
    " WHEN c = chr(10) THEN '\\n' WHEN c = chr(13) THEN '\\r' WHEN c = chr(9) THEN '\\t'"
    " WHEN c = chr(8) THEN '\\b' WHEN c = chr(12) THEN '\\f'"
    " WHEN unicode(c) BETWEEN 32 AND 126 THEN c"
    " WHEN unicode(c) < 65536 THEN '\\u' || lpad(lower(hex(unicode(c))), 4, '0')"
    " ELSE '\\u' || lower(hex(55296 + ((unicode(c) - 65536) >> 10)))"
    "  || '\\u' || lower(hex(56320 + ((unicode(c) - 65536) & 1023))) END"
)

#: DuckDB macros of this module, created once per connection by :func:`install_macros`.
_MACROS = (
    # a JSON string literal as json.dumps writes it: the common plain text as it is, the
    # rest character by character
    "CREATE OR REPLACE TEMP MACRO cashapp_json_str(s) AS '\"' || CASE"
    " WHEN regexp_full_match(s, '[ !#-\\[\\]-~]*') THEN s"
    " ELSE array_to_string(list_transform(string_split(s, ''),"
    f"  lambda c: {_SQL_JSON_CHAR}), '')"
    " END || '\"'",
    # a JSON list of strings
    "CREATE OR REPLACE TEMP MACRO cashapp_json_strs(xs) AS"
    " '[' || array_to_string(list_transform(xs, lambda x: cashapp_json_str(x)), ', ') || ']'",
    # the engine's evidence of an application (primitives._evidence and the notes a
    # customer rule adds): refs STRUCT(invoice, kind, text)[], customers
    # STRUCT(customer_id, method, detail)[], an optional amount note and candidates
    "CREATE OR REPLACE TEMP MACRO cashapp_evidence(refs, customers, note, candidates) AS"
    " '{\"references\": [' || array_to_string(list_transform(refs, lambda r:"
    "   '{\"invoice\": ' || cashapp_json_str(r.invoice) || ', \"kind\": '"
    "   || cashapp_json_str(r.kind) || ', \"text\": ' || cashapp_json_str(r.text) || '}'),"
    "   ', ')"
    " || '], \"customer\": [' || array_to_string(list_transform(customers, lambda c:"
    "   '{\"customer_id\": ' || cashapp_json_str(c.customer_id) || ', \"method\": '"
    "   || cashapp_json_str(c.method) || ', \"detail\": ' || cashapp_json_str(c.detail)"
    "   || '}'), ', ') || ']'"
    " || CASE WHEN note IS NULL THEN '' ELSE ', \"amount\": ' || cashapp_json_str(note) END"
    " || CASE WHEN candidates IS NULL THEN ''"
    "    ELSE ', \"candidates\": ' || cashapp_json_strs(candidates) END || '}'",
    # a list of suggestions: STRUCT(invoices VARCHAR[], amount VARCHAR, score VARCHAR,
    # evidence VARCHAR)[] as Suggestion.as_json of each, json.dumps'd
    "CREATE OR REPLACE TEMP MACRO cashapp_suggestions(xs) AS"
    " '[' || array_to_string(list_transform(xs, lambda x:"
    "   '{\"invoices\": ' || cashapp_json_strs(x.invoices) || ', \"amount\": '"
    "   || cashapp_json_str(x.amount) || ', \"score\": ' || cashapp_json_str(x.score)"
    "   || ', \"evidence\": ' || cashapp_json_str(x.evidence) || '}'), ', ') || ']'",
)


def install_macros(store: Store) -> None:
    """Create this module's SQL macros on the store's connection (idempotent)."""
    for macro in _MACROS:
        store.execute(macro)


def sql_json_text(expr: str) -> str:
    """A DuckDB expression: the JSON string literal of ``expr`` as :func:`json_text`."""
    return f"cashapp_json_str({expr})"


# --- the declared shapes the deciders hand over -----------------------------------------


@dataclass(frozen=True, slots=True)
class _Rows:
    """A DuckDB table (or registered Arrow table) holding decided rows of one shape."""

    table: str
    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def check(self, store: Store) -> None:
        """Refuse a table that lacks a declared column (a programming error, not data)."""
        have = {str(r[0]) for r in store.fetchall(f"DESCRIBE {self.table}")}
        missing = [c for c in self.COLUMNS if c not in have]
        if missing:
            raise TypeError(f"{self.table} lacks the columns {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class ApplicationRows(_Rows):
    """Applications decided: ``seq`` is the row's number within its payment's decision,
    ``evidence`` the JSON text (:func:`json_text` or ``cashapp_evidence``)."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "payment_id", "seq", "invoice_number", "customer_id", "amount", "currency", "kind",
        "rule", "confidence", "evidence",
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RematchRows(_Rows):
    """Open exceptions a re-match closes: ``version`` as read (the close is refused for a
    row changed since), ``reason`` the change that may explain the payment now."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("exception_id", "payment_id", "version", "reason")


@dataclass(frozen=True, slots=True)
class ExceptionRows(_Rows):
    """Exceptions raised: ``suggestions`` the JSON text (:func:`json_text` or
    ``cashapp_suggestions``)."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "payment_id", "invoice_number", "customer_id", "type", "amount", "currency",
        "reason_code", "detail", "suggestions",
    )  # fmt: skip


# --- the writes --------------------------------------------------------------------------


def write_applications(store: Store, rows: ApplicationRows, run_id: str, now: Any) -> None:
    """Insert ``rows`` as active automatic applications, with their ids and audit rows.

    A payment applied again (after a won dispute) gets new ids and keeps its earlier rows:
    the id adds how many application rows the payment already has.
    """
    rows.check(store)
    app_id = sql_application_id("m.payment_id", "m.seq", "m.invoice_number", "m.kind", "g.n")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_written_apps AS"
        f" SELECT {app_id} AS application_id, m.payment_id, m.invoice_number, m.customer_id,"
        "  m.amount, m.currency, m.kind, m.rule, m.confidence, m.evidence"
        f" FROM {rows.table} m"
        " LEFT JOIN (SELECT payment_id, count(*) AS n FROM applications"
        f"   WHERE payment_id IN (SELECT payment_id FROM {rows.table}) GROUP BY payment_id) g"
        "  USING (payment_id)"
    )
    try:
        store.execute(
            "INSERT INTO applications BY NAME SELECT *, 'auto' AS method,"
            " 'active' AS status, ?::TIMESTAMPTZ AS created_at,"
            " 'system:matcher' AS created_by, ? AS run_id FROM m_written_apps",
            [now, run_id],
        )
        # to_json of a struct is vectorized (json_object per row is not); the text is the same
        store.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " SELECT ?, 'rule:' || rule, 'apply', 'application', application_id,"
            "  to_json({'payment': payment_id, 'invoice': invoice_number,"
            "           'amount': amount::VARCHAR, 'kind': kind})::VARCHAR"
            " FROM m_written_apps",
            [now],
        )
    finally:
        store.execute("DROP TABLE m_written_apps")


def write_exceptions(
    store: Store, rows: ExceptionRows, run_id: str, now: Any, *, audit: bool = True
) -> None:
    """Insert ``rows`` as open exceptions, with their ids and (unless ``audit`` is off: a
    settlement's tie is audited as a reconciliation) their audit rows.

    A payment queued again (its earlier exception closed by a re-match) gets a new id:
    the id adds how many exception rows the payment already has, as an application's does.
    """
    rows.check(store)
    exc_id = sql_exception_id("m.payment_id", "m.type", "m.invoice_number", "g.n")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_written_excs AS"
        f" SELECT {exc_id} AS exception_id, m.payment_id, m.invoice_number, m.customer_id,"
        "  m.type, m.amount, m.currency, m.reason_code, m.detail, m.suggestions"
        f" FROM {rows.table} m"
        " LEFT JOIN (SELECT payment_id, count(*) AS n FROM exceptions"
        f"   WHERE payment_id IN (SELECT payment_id FROM {rows.table}) GROUP BY payment_id) g"
        "  USING (payment_id)"
    )
    try:
        store.execute(
            "INSERT INTO exceptions BY NAME SELECT *, 'open' AS status,"
            " ?::TIMESTAMPTZ AS opened_at, ? AS run_id FROM m_written_excs",
            [now, run_id],
        )
        if audit:
            store.execute(
                "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
                " SELECT ?, 'system:matcher', 'raise', 'exception', exception_id,"
                "  to_json({'payment': payment_id, 'type': type,"
                "           'amount': amount::VARCHAR})::VARCHAR"
                " FROM m_written_excs",
                [now],
            )
    finally:
        store.execute("DROP TABLE m_written_excs")


def write_reversal(store: Store, row: Sequence[Any], now: Any, actor: str, run_id: str) -> str:
    """Reverse one active application ``row`` (id, invoice, customer, amount, currency,
    kind, payment): a reversal row, the original marked, its audit row. Returns the id."""
    app_id = row[0]
    reversal = _insert_reversal(
        store, row, now, actor, run_id, method="auto", rule="event-reversal",
        evidence={"reverses": app_id},
    )  # fmt: skip
    store.execute(
        "UPDATE applications SET status = 'reversed', reversed_by = ? WHERE application_id = ?",
        [reversal, app_id],
    )
    store.audit(actor, "reverse", "application", app_id, {"reversal": reversal})
    return reversal


def _insert_reversal(
    store: Store,
    row: Sequence[Any],
    now: Any,
    actor: str,
    run_id: str | None,
    *,
    method: str,
    rule: str,
    evidence: Mapping[str, Any],
    reason_code: str = "",
) -> str:
    app_id, invoice, customer, amount, currency, kind, payment_id = row
    reversal = reversal_id(app_id)
    store.execute(
        "INSERT INTO applications (application_id, payment_id, invoice_number, customer_id,"
        " amount, currency, kind, method, rule, confidence, evidence, status, reverses,"
        " created_at, created_by, run_id, reason_code)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 'reversed', ?, ?, ?, ?, ?)",
        [
            reversal, payment_id, invoice, customer, -amount, currency, kind, method, rule,
            json_text(dict(evidence)), app_id, now, actor, run_id, reason_code,
        ],
    )  # fmt: skip
    return reversal


# --- a person's decisions (the queue's actions) ------------------------------------------

#: Application kinds that relieve an invoice's receivable (the rest hold or return cash).
RELIEVING_KINDS: Final = frozenset({"payment", "discount", "writeoff", "fee"})

#: Exception columns a person's action may change (identifiers from this allow-list only).
_EXCEPTION_COLUMNS: Final = frozenset(
    {
        "status", "type", "assignee", "notes", "reason_code", "resolution", "resolved_at",
        "customer_id", "invoice_number", "amount", "detail",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ManualApplication:
    """One application a person decided: cash to an invoice (``payment``), a written-off
    difference (``writeoff``), cash left on account (``unapplied``) or owed back to the
    payer (``refund``)."""

    payment_id: str
    invoice_number: str | None
    customer_id: str | None
    amount: Decimal
    currency: str
    kind: str
    reason_code: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    approval_id: str | None = None


def _count(store: Store, sql: str, params: Sequence[object]) -> int:
    """The number of rows an UPDATE changed (DuckDB returns it as the statement's row)."""
    row = store.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def write_manual_applications(
    store: Store, rows: Sequence[ManualApplication], *, actor: str, now: Any
) -> list[str]:
    """Insert ``rows`` as active ``manual`` applications created by ``actor``; relieve each
    invoice and audit each row. Returns the ids, in order.

    The invoice is relieved only while it still has that much open (one guarded UPDATE):
    a row that would take an invoice below zero is refused, and the caller's transaction
    rolls back whatever it wrote before.
    """
    ids: list[str] = []
    for row in rows:
        if row.amount <= 0:
            raise ActionRefused(f"an application must be positive, not {row.amount}")
        n = int(
            store.scalar("SELECT count(*) FROM applications WHERE payment_id = ?", [row.payment_id])
        )
        app_id = manual_application_id(row.payment_id, n, row.invoice_number, row.kind)
        if row.invoice_number is not None and row.kind in RELIEVING_KINDS:
            relieved = _count(
                store,
                "UPDATE invoices SET open_amount = open_amount - ?, updated_at = ?"
                " WHERE invoice_number = ? AND currency = ? AND open_amount >= ?",
                [row.amount, now, row.invoice_number, row.currency, row.amount],
            )
            if relieved != 1:
                raise ActionRefused(
                    f"{row.invoice_number} has less than {row.amount} {row.currency} open"
                )
        store.execute(
            "INSERT INTO applications (application_id, payment_id, invoice_number, customer_id,"
            " amount, currency, kind, method, rule, confidence, evidence, status, created_at,"
            " created_by, run_id, reason_code, approval_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', 'manual', 1, ?, 'active', ?, ?, NULL, ?, ?)",
            [
                app_id, row.payment_id, row.invoice_number, row.customer_id, row.amount,
                row.currency, row.kind, json_text(dict(row.evidence)), now, actor,
                row.reason_code, row.approval_id,
            ],
        )  # fmt: skip
        store.audit(
            actor,
            "apply",
            "application",
            app_id,
            {
                "payment": row.payment_id,
                "invoice": row.invoice_number,
                "amount": str(row.amount),
                "kind": row.kind,
                **({"reason_code": row.reason_code} if row.reason_code else {}),
                **({"approval": row.approval_id} if row.approval_id else {}),
            },
        )
        ids.append(app_id)
    return ids


def write_manual_reversal(
    store: Store, application: str, *, actor: str, now: Any, note: str
) -> str | None:
    """Reverse the active application ``application`` by hand: its reversal row (created by
    ``actor``), the original marked, the invoice reopened, the audit row.

    Returns the reversal's id, or None when the application is no longer active (someone
    reversed it first): the guarded UPDATE comes first, so a lost race writes nothing.
    """
    rows = store.fetchall(
        "SELECT application_id, invoice_number, customer_id, amount, currency, kind,"
        " payment_id, reason_code FROM applications"
        " WHERE application_id = ? AND status = 'active' AND reverses IS NULL",
        [application],
    )
    if not rows:
        return None
    row = rows[0]
    reversal = reversal_id(application)
    marked = _count(
        store,
        "UPDATE applications SET status = 'reversed', reversed_by = ?"
        " WHERE application_id = ? AND status = 'active'",
        [reversal, application],
    )
    if marked != 1:
        return None
    _insert_reversal(
        store, row[:7], now, actor, None, method="manual", rule="manual-reversal",
        evidence={"reverses": application, "note": note}, reason_code=str(row[7]),
    )  # fmt: skip
    invoice, amount, kind = row[1], row[3], row[5]
    if invoice is not None and kind in RELIEVING_KINDS:
        store.execute(
            "UPDATE invoices SET open_amount = open_amount + ?, updated_at = ?"
            " WHERE invoice_number = ?",
            [amount, now, invoice],
        )
    store.audit(actor, "reverse", "application", application, {"reversal": reversal, "note": note})
    return reversal


def update_exception(
    store: Store,
    exception: str,
    *,
    version: int,
    changes: Mapping[str, object],
    actor: str,
    action: str,
    detail: Mapping[str, Any],
) -> int | None:
    """Change ``exception`` if it is still at ``version``: the columns in ``changes``, the
    version bumped, one audit row (``action`` by ``actor`` with ``detail``: before, after,
    note). Returns the new version, or None when someone changed it since it was read.
    """
    unknown = set(changes) - _EXCEPTION_COLUMNS
    if unknown:
        raise TypeError(f"not an exception column a person may change: {sorted(unknown)}")
    columns = sorted(changes)
    sets = "".join(f"{c} = ?, " for c in columns)
    changed = _count(
        store,
        f"UPDATE exceptions SET {sets}version = version + 1 WHERE exception_id = ? AND version = ?",
        [*(changes[c] for c in columns), exception, version],
    )
    if changed != 1:
        return None
    store.audit(actor, action, "exception", exception, {"version": version + 1, **detail})
    return version + 1


def raise_manual_exception(
    store: Store,
    *,
    payment_id: str,
    type_: str,
    amount: Decimal,
    currency: str,
    customer_id: str | None,
    detail: str,
    actor: str,
    now: Any,
) -> str:
    """Queue a new open exception for ``payment_id`` raised by a person's action (the cash
    a reversal left unapplied), with its audit row. Returns its id."""
    exc = exception_id(payment_id, type_, None)
    store.execute(
        "INSERT INTO exceptions (exception_id, payment_id, invoice_number, customer_id, type,"
        " status, amount, currency, reason_code, detail, suggestions, opened_at, run_id)"
        " VALUES (?, ?, NULL, ?, ?, 'open', ?, ?, '', ?, '[]', ?, NULL)",
        [exc, payment_id, customer_id, type_, amount, currency, detail, now],
    )
    store.audit(
        actor, "raise", "exception", exc,
        {"type": type_, "payment": payment_id, "amount": str(amount), "version": 1},
    )  # fmt: skip
    return exc


def write_event_exception(
    store: Store, row: Sequence[Any], now: Any, actor: str, run_id: str
) -> None:
    """Queue an event's exception ``row`` (payment, invoice, customer, type, amount,
    currency, reason code, detail) once, with its audit row."""
    payment_id, invoice, customer, type_, amount, currency, reason, detail = row
    exc = event_exception_id(payment_id, type_)
    store.execute(
        "INSERT INTO exceptions (exception_id, payment_id, invoice_number, customer_id, type,"
        " status, amount, currency, reason_code, detail, suggestions, opened_at, run_id)"
        " VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, '[]', ?, ?) ON CONFLICT DO NOTHING",
        [exc, payment_id, invoice, customer, type_, amount, currency, reason, detail, now, run_id],
    )
    store.audit(actor, "raise", "exception", exc, {"type": type_, "payment": payment_id})


def resolve_won_chargebacks(store: Store, original: str, now: Any, actor: str) -> int:
    """Resolve the open chargeback exceptions of charge ``original``, whose dispute was
    won (the charge is applied again); one audit row each. Returns how many."""
    resolved = store.fetchall(
        "UPDATE exceptions SET status = 'resolved', resolved_at = ?, version = version + 1,"
        " resolution = 'dispute won: the charge is applied again'"
        " WHERE status IN ('open', 'in_review') AND type = 'chargeback' AND payment_id IN"
        " (SELECT d.payment_id FROM payments d JOIN payments o"
        "   ON o.source = d.source AND o.source_ref = d.related_ref"
        "  WHERE o.payment_id = ? AND d.kind = 'chargeback')"
        " RETURNING exception_id",
        [now, original],
    )
    for (exception,) in resolved:
        store.audit(actor, "resolve", "exception", exception, {"dispute_won": original})
    return len(resolved)


def close_rematched(store: Store, rows: RematchRows, now: Any, actor: str) -> int:
    """Close the open exceptions in ``rows`` for a re-match: status ``resolved``,
    resolution ``rematched``, the version moved on (a person acting on the old version
    gets a conflict), one audit row each with the reason. Their payments go back through
    the matcher in the same run. Returns how many were closed; a row whose exception is
    no longer open at the version read is left as it is.
    """
    rows.check(store)
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_closed_excs AS"
        " SELECT r.exception_id, r.payment_id, r.reason FROM exceptions e"
        f" JOIN {rows.table} r USING (exception_id)"
        " WHERE e.status = 'open' AND e.version = r.version"
    )
    try:
        store.execute(
            "UPDATE exceptions SET status = 'resolved', resolution = 'rematched',"
            " resolved_at = ?, version = version + 1"
            " WHERE exception_id IN (SELECT exception_id FROM m_closed_excs)",
            [now],
        )
        store.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " SELECT ?, ?, 'rematch', 'exception', exception_id,"
            "  to_json({'payment': payment_id, 'reason': reason})::VARCHAR"
            " FROM m_closed_excs ORDER BY exception_id",
            [now, actor],
        )
        return int(store.scalar("SELECT count(*) FROM m_closed_excs"))
    finally:
        store.execute("DROP TABLE m_closed_excs")


def audit_settlement_ties(store: Store, ties: str, now: Any) -> None:
    """The audit rows of the settlement ties in table ``ties`` (deposit, payout, diff, how)."""
    store.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
        " SELECT ?, 'system:matcher', 'reconcile', 'payment', deposit,"
        f"  json_object('payout', payout, 'how', how, 'difference', diff::VARCHAR) FROM {ties}",
        [now],
    )


def audit_learned_aliases(store: Store, now: Any) -> None:
    """The audit rows of the payer accounts the run learned (created at ``now``)."""
    store.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
        " SELECT ?, 'rule:learned', 'learn', 'customer_alias', value,"
        "  json_object('customer', customer_id, 'kind', kind, 'from', learned_from)"
        " FROM customer_aliases WHERE created_at = ? AND created_by = 'rule:learned'",
        [now, now],
    )
