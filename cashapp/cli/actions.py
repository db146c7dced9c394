"""``cashapp exceptions accept|apply|...``, ``applications reverse``, ``approvals ...``.

Why a module of its own: these are the verbs that change the queue, so each one needs
``--user`` (:func:`~cashapp.cli.state.acting_user`) and does nothing but parse its
arguments, call one service of :mod:`cashapp.queue` and render the
:class:`~cashapp.queue.framework.ActionResult` (a line, or ``--format json``). Who may do
it, whether the amounts are valid and whether it needs approval are the service's
decisions; a refusal is its one line on stderr, exit 2, with the database unchanged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from cashapp.cli.output import OutputFormat, out, print_rows
from cashapp.cli.state import acting_user, reader, state, writer
from cashapp.queue import actions, approvals, reversal, workflow
from cashapp.queue.framework import ActionResult
from cashapp.queue.ids import short_id
from cashapp.queue.policy import Policy
from cashapp.queue.splits import parse_split

Exc = Annotated[str, typer.Argument(help="The exception: its id, or 6+ characters of it.")]
Fmt = Annotated[OutputFormat, typer.Option("--format", help="table, csv or json")]
Version = Annotated[
    int | None,
    typer.Option("--version", help="The version you read (exceptions show); refused if it moved."),
]
Note = Annotated[str, typer.Option("--note", help="Why: kept in the audit log and the notes.")]
Rest = Annotated[
    str | None,
    typer.Option(
        "--rest",
        help="What the split leaves: on-account (the payment's rest), short:REASON (the"
        " invoice keeps it open) or write-off:REASON.",
    ),
]

_RESULT_COLUMNS = (
    "action", "exception_id", "status", "version", "message", "applications", "reversals",
    "approval_id",
)  # fmt: skip


def _policy() -> Policy:
    return Policy.from_config(state.config())


def _act(
    fmt: OutputFormat,
    service: Callable[..., ActionResult],
    *args: Any,
    policy: bool = False,
    **kw: Any,
) -> None:
    """Run one queue service as the acting user on the book and render its result: how
    every changing verb runs (the user is asked for first, then the book is opened, then
    the approval policy read when the service takes one)."""
    user = acting_user()
    with writer() as store:
        if policy:
            kw["policy"] = _policy()
        result = service(store, user, *args, **kw)
    render(result, fmt)


def render(result: ActionResult, fmt: OutputFormat) -> None:
    """One line for a person; the result as JSON (or one CSV row) for a machine."""
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(result.as_json(), indent=2) + "\n")
    elif fmt is OutputFormat.csv:
        data = result.as_json()
        print_rows(_RESULT_COLUMNS, [[data[c] for c in _RESULT_COLUMNS]], fmt)
    else:
        out.print(result.message, highlight=False, markup=False)


# --- exceptions ...: the resolutions -------------------------------------------------------


def accept_cmd(
    exception: Exc,
    suggestion: Annotated[int, typer.Option("--suggestion", help="Rank, 1 = the top one.")] = 1,
    rest: Rest = None,
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Accept a ranked suggestion: its invoices take their open amounts, in rank order."""
    _act(
        format,
        actions.accept,
        exception,
        suggestion=suggestion,
        rest=rest,
        version=version,
        note=note,
        policy=True,
    )


def apply_cmd(
    exception: Exc,
    split: Annotated[
        list[str] | None,
        typer.Argument(help="INVOICE=AMOUNT ... (an INVOICE alone: all it has open)."),
    ] = None,
    rest: Rest = None,
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Apply the payment to one or several invoices; the split must add up exactly."""
    user = acting_user()
    lines = parse_split(split or [])
    with writer() as store:
        result = actions.apply(
            store, user, exception, lines, rest=rest, version=version, note=note,
            policy=_policy(),
        )  # fmt: skip
    render(result, format)


def on_account_cmd(
    exception: Exc, version: Version = None, note: Note = "", format: Fmt = OutputFormat.table
) -> None:
    """Put the payment's unapplied cash on the customer's account."""
    _act(format, actions.on_account, exception, version=version, note=note, policy=True)


def write_off_cmd(
    exception: Exc,
    amount: Annotated[str, typer.Option("--amount", help="How much to write off.")],
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Deduction code (default: what the remittance says)."),
    ] = None,
    invoice: Annotated[
        str | None, typer.Option("--invoice", help="Default: the exception's invoice.")
    ] = None,
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Write off the difference a payment left on its invoice, under a reason code."""
    _act(
        format,
        actions.write_off,
        exception,
        amount=amount,
        reason=reason,
        invoice=invoice,
        version=version,
        note=note,
        policy=True,
    )


def refund_cmd(
    exception: Exc,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Default: all that is unapplied or on account.")
    ] = None,
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Request a refund of an over- or duplicate payment (over the limit: needs a lead)."""
    _act(
        format,
        actions.refund,
        exception,
        amount=amount,
        version=version,
        note=note,
        policy=True,
    )


def duplicate_cmd(
    exception: Exc,
    of: Annotated[
        str | None, typer.Option("--of", help="The invoice or payment it duplicates.")
    ] = None,
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Mark the payment a duplicate; then refund it or keep it on account."""
    _act(format, workflow.duplicate, exception, of=of, version=version, note=note)


def link_cmd(
    exception: Exc,
    customer: Annotated[str, typer.Option("--customer", help="The customer id the payer is.")],
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Link the payer to a customer (learned for the payer's next payment)."""
    _act(format, workflow.link, exception, customer=customer, version=version, note=note)


def ack_cmd(
    exception: Exc, version: Version = None, note: Note = "", format: Fmt = OutputFormat.table
) -> None:
    """Acknowledge a return or chargeback (its invoice stays reopened)."""
    _act(format, workflow.ack, exception, version=version, note=note)


def re_present_cmd(
    exception: Exc, version: Version = None, note: Note = "", format: Fmt = OutputFormat.table
) -> None:
    """Re-present a returned debit, or dispute a chargeback."""
    _act(format, workflow.re_present, exception, version=version, note=note)


def dismiss_cmd(
    exception: Exc,
    note: Annotated[str, typer.Option("--note", help="Why it needs nothing in cashapp.")],
    version: Version = None,
    format: Fmt = OutputFormat.table,
) -> None:
    """Close the exception with a note (refused while it holds a payment's cash)."""
    _act(format, workflow.dismiss, exception, note=note, version=version)


def assign_cmd(
    exception: Exc,
    to: Annotated[str, typer.Option("--to", help="The user to give it to.")],
    version: Version = None,
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Assign the exception to a person (it is then in review)."""
    _act(format, workflow.assign, exception, to=to, version=version, note=note)


def note_cmd(
    exception: Exc,
    text: Annotated[str, typer.Argument(help="The note.")],
    version: Version = None,
    format: Fmt = OutputFormat.table,
) -> None:
    """Add a note to the exception."""
    _act(format, workflow.note, exception, text, version=version)


# --- applications reverse -------------------------------------------------------------------


def reverse_cmd(
    application: Annotated[str, typer.Argument(help="The application: its id or 6+ of it.")],
    note: Annotated[str, typer.Option("--note", help="Why it is reversed.")],
    format: Fmt = OutputFormat.table,
) -> None:
    """Reverse an application (automatic or manual): the invoice reopens, the cash
    goes back to the queue."""
    _act(format, reversal.reverse, application, note=note)


# --- approvals -------------------------------------------------------------------------------


def approvals_list_cmd(
    state_: Annotated[
        str, typer.Option("--state", help="pending, approved, rejected or all")
    ] = "pending",
    format: Fmt = OutputFormat.table,
) -> None:
    """Write-offs and refunds over the limit, waiting for (or decided by) a lead."""
    with reader() as con:
        rows = approvals.list_approvals(con, state=state_)
    if format is not OutputFormat.table:
        print_rows(approvals.Approval.COLUMNS, [r.row() for r in rows], format)
        return
    print_rows(
        ("approval", "exception", "action", "amount", "maker", "made_at", "state", "checker",
         "note"),
        [
            (
                r.approval_id, short_id(r.exception_id), r.action, f"{r.amount} {r.currency}",
                r.maker, r.made_at.strftime("%Y-%m-%d %H:%M"), r.state, r.checker or "",
                r.decision_note or r.note,
            )
            for r in rows
        ],
        format,
        title=f"approvals ({state_})",
    )  # fmt: skip


def approve_cmd(
    approval: Annotated[str, typer.Argument(help="The approval: its id or 6+ of it.")],
    note: Note = "",
    format: Fmt = OutputFormat.table,
) -> None:
    """Approve (lead, not the maker): the write-off or refund is posted now."""
    _act(format, approvals.approve, approval, note=note, policy=True)


def reject_cmd(
    approval: Annotated[str, typer.Argument(help="The approval: its id or 6+ of it.")],
    note: Annotated[str, typer.Option("--note", help="Why it is rejected.")],
    format: Fmt = OutputFormat.table,
) -> None:
    """Reject (lead, not the maker): nothing is posted, the exception is open again."""
    _act(format, approvals.reject, approval, note=note)
