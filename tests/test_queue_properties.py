"""Property: any sequence of queue actions, valid or not, keeps DESIGN §7 (issue 13).

Hypothesis plays a team working the demo day: random users (a specialist, another, a
lead, an accountant), random actions on random exceptions, with amounts that fit, do not
fit, have too many decimals or are negative, invoices that exist or not, versions that
are current or stale, reversals of anything, approvals by anyone (their makers included).
After every action:

- a refused action changed nothing (every row of applications, exceptions, invoices,
  payments, audit, approvals, aliases and journal is as before);
- an accepted one leaves every payment with ``|amount| >= active applications`` and no
  cash outside an open exception, every invoice with ``0 <= open <= amount`` and ``open =
  amount - settled outside - active applications``, and the day's report adding up;

and at the end the journal, posted, balances per entry and currency and ties to the book.
``CASHAPP_QUEUE_EXAMPLES`` sets the number of sequences (default 30); run with
``--hypothesis-show-statistics`` to see which actions were done and which refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cashapp.config import Config
from cashapp.domain import ActionRefused
from cashapp.journal import post_journal
from cashapp.queue import actions, approvals, checks, reversal, workflow
from cashapp.queue.approvals import list_approvals
from cashapp.queue.framework import ActionResult
from cashapp.store import Store, open_store
from tests.queue_books import copy_book, snapshot

EXAMPLES = int(os.environ.get("CASHAPP_QUEUE_EXAMPLES", "30"))
USERS = ("spec1", "spec2", "lead1", "acct1")
REASONS = ("pricing", "freight", "damaged_goods", "other", "weather")
RESTS = (None, "on-account", "short:pricing", "write-off:other", "short", "later")


def _amount(data: st.DataObject, fits: Decimal | None) -> str | None:
    """An amount as a person might type it: often one that fits, sometimes not."""
    choices: list[st.SearchStrategy[str | None]] = [
        st.none(),
        st.sampled_from(["0", "-5.00", "1.005", "99999999.99", "abc", "0.01"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("25000"), places=2).map(str),
    ]
    if fits is not None and fits > 0:
        choices.append(st.decimals(min_value=Decimal("0.01"), max_value=fits, places=2).map(str))
        choices.append(st.just(str(fits)))
    drawn: str | None = data.draw(st.one_of(*choices))
    return drawn


def _pick(data: st.DataObject, store: Store, sql: str, extra: tuple[str, ...] = ()) -> str:
    found = [str(r[0]) for r in store.fetchall(sql)]
    return data.draw(st.sampled_from([*found, *extra] or ["none"]))


def _step(data: st.DataObject, store: Store) -> Callable[[], ActionResult]:  # noqa: C901 - one branch per action
    """One random action, bound to its arguments (not yet run): mostly what a person would
    plausibly do next (an open exception, the current version, an amount that fits), often
    not."""
    user = data.draw(st.sampled_from((*USERS[:3], *USERS[:3], *USERS)))
    exc = _pick(
        data, store,
        "SELECT exception_id FROM exceptions ORDER BY status IN ('open', 'in_review') DESC, 1"
        " LIMIT 8",
        ("exc_ffffff",),
    )  # fmt: skip
    current = store.scalar("SELECT version FROM exceptions WHERE exception_id = ?", [exc])
    version = data.draw(st.sampled_from([None, None, None, current, current, (current or 1) - 1]))
    free = _free(store, exc)
    invoice = _pick(
        data, store,
        "SELECT i.invoice_number FROM invoices i WHERE i.currency = 'USD' ORDER BY"
        " i.customer_id = (SELECT coalesce(e.customer_id, p.customer_id) FROM exceptions e"
        f"  LEFT JOIN payments p USING (payment_id) WHERE e.exception_id = '{exc}') DESC,"
        " i.open_amount > 0 DESC, i.invoice_number LIMIT 6",
        ("INV-NOPE",),
    )  # fmt: skip
    open_ = store.scalar("SELECT open_amount FROM invoices WHERE invoice_number = ?", [invoice])
    fits = min(open_, free) if open_ is not None and free > 0 else open_
    kind = data.draw(
        st.sampled_from(
            ["accept", "apply", "apply", "on_account", "write_off", "refund", "duplicate",
             "link", "ack", "re_present", "dismiss", "assign", "note", "reverse", "approve",
             "reject"]
        )
    )  # fmt: skip
    note = data.draw(st.sampled_from(["", "checked with AP", "checked with AP"]))
    rest = data.draw(st.sampled_from((*RESTS, "on-account", "on-account")))
    if kind == "accept":
        n = data.draw(st.sampled_from([1, 1, 2, 3, 0, 4]))
        return lambda: actions.accept(store, user, exc, suggestion=n, rest=rest, version=version)
    if kind == "apply":
        amount = _amount(data, fits)
        lines = [invoice if amount is None else f"{invoice}={amount}"]
        if data.draw(st.integers(0, 3)) == 0:
            lines.append(
                _pick(data, store, "SELECT invoice_number FROM invoices ORDER BY 1 LIMIT 40")
            )
        return lambda: actions.apply(store, user, exc, lines, rest=rest, version=version)
    if kind == "on_account":
        return lambda: actions.on_account(store, user, exc, version=version)
    if kind == "write_off":
        written = _amount(data, min(open_, Decimal("80")) if open_ else None) or "1.00"
        reason = data.draw(st.sampled_from((None, *REASONS, "other")))
        target = data.draw(st.sampled_from((None, None, invoice)))
        return lambda: actions.write_off(
            store, user, exc, amount=written, reason=reason, invoice=target, version=version
        )
    if kind == "refund":
        amount = data.draw(st.sampled_from([None, None, _amount(data, free)]))
        return lambda: actions.refund(store, user, exc, amount=amount, version=version)
    if kind == "duplicate":
        return lambda: workflow.duplicate(store, user, exc, of=invoice, version=version)
    if kind == "link":
        customer = data.draw(st.sampled_from(["C1005", "C1039", "C9999"]))
        return lambda: workflow.link(store, user, exc, customer=customer, version=version)
    if kind in ("ack", "re_present"):
        verb = workflow.ack if kind == "ack" else workflow.re_present
        return lambda: verb(store, user, exc, version=version, note=note)
    if kind == "dismiss":
        return lambda: workflow.dismiss(store, user, exc, note=note, version=version)
    if kind == "assign":
        to = data.draw(st.sampled_from((None, *USERS)))
        return lambda: workflow.assign(store, user, exc, to=to, version=version)
    if kind == "note":
        return lambda: workflow.note(store, user, exc, note, version=version)
    if kind == "reverse":
        app = _pick(
            data, store,
            "SELECT application_id FROM applications"
            " ORDER BY status = 'active' DESC, created_at DESC, 1 LIMIT 8",
            ("app_ffffffff",),
        )  # fmt: skip
        return lambda: reversal.reverse(store, user, app, note=note or "wrong invoice")
    decided = [a.approval_id for a in list_approvals(store, state="all")]
    pending = [a.approval_id for a in list_approvals(store)]
    approval = data.draw(st.sampled_from([*pending, *pending, *decided, "apr_ffffffff"]))
    checker = data.draw(st.sampled_from(["lead1", "lead1", "spec1"]))
    if kind == "approve":
        return lambda: approvals.approve(store, checker, approval, note=note)
    return lambda: approvals.reject(store, checker, approval, note=note)


def _attempt(action: Callable[[], ActionResult]) -> tuple[ActionResult | None, str]:
    """The action's result, or None and its refusal."""
    try:
        return action(), ""
    except ActionRefused as refused:
        return None, str(refused)


def _shape(message: str) -> str:
    """A refusal without its ids and amounts, for ``--hypothesis-show-statistics``."""
    return re.sub(r"(exc|app|apr|pay)_[0-9a-f]+|[0-9.]+", "#", message)[:70]


def _free(store: Store, exc: str) -> Decimal:
    """The exception's payment's cash not yet allocated (0 for anything else)."""
    value = store.scalar(
        "SELECT p.amount - coalesce((SELECT sum(a.amount) FROM applications a"
        "  WHERE a.payment_id = p.payment_id AND a.status = 'active'"
        "  AND a.kind IN ('payment', 'unapplied', 'refund')), 0)"
        " FROM exceptions e JOIN payments p USING (payment_id)"
        " WHERE e.exception_id = ? AND p.kind = 'payment' AND p.amount > 0",
        [exc],
    )
    return Decimal(0) if value is None else Decimal(value).quantize(Decimal("0.01"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_sequence_of_actions_keeps_the_invariants(
    demo_day: Path, tmp_path: Path, data: st.DataObject
) -> None:
    target = tmp_path / "day.duckdb"
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    with open_store(str(copy_book(demo_day, target))) as store:
        for _ in range(data.draw(st.integers(4, 12), label="steps")):
            action = _step(data, store)
            before = snapshot(store)
            result, refusal = _attempt(action)
            if result is None:
                event(f"refused: {_shape(refusal)}")
                assert "\n" not in refusal
                assert snapshot(store) == before, f"refused but changed: {refusal}"
                continue
            event(f"done: {result.action} -> {result.status}")
            assert checks.book_breaks(store) == []
            assert checks.daily_breaks(store) == []
        config = Config()
        post_journal(store, config.accounts, deductions=config.deductions)
        assert checks.journal_breaks(store) == []
        assert checks.ledger_breaks(store, config.accounts, config.deductions) == []
