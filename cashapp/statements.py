"""Bank statement tie-out: opening balance + the movements listed = closing balance.

A bank statement is internally consistent or something was lost on the way: a skipped
line, a record a connector could not read, a truncated file. Checking it is the treasury
habit that catches those before anyone trusts the day's cash figures.

The check runs per statement as delivered (one BAI2 03 account section, one camt
``Stmt``/``Rpt``, one MT940 ``:20:`` block, one OFX ``STMTRS``), on the records of that
file, before deduplication: a statement re-sent in a later file still has to add up on its
own, and a record already known from an earlier file still belongs to this statement.
Connectors tag records and balances with the same ``statement`` key; formats without
balances (NACHA, mapped CSV) have nothing to check.

A break is a warning, not a refusal: banks do send statements whose trailers disagree, and
refusing the file would lose the payments in it. The break is stored and shown in
``cashapp report daily`` until someone looks at it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from cashapp.domain import AccountBalance, Issue, PaymentRecord

Status = Literal["tied", "break", "no_opening", "no_closing"]


@dataclass(frozen=True, slots=True)
class StatementCheck:
    """The tie-out of one statement of one account in one currency."""

    account: str
    currency: str
    statement: str
    opening_date: date | None
    opening: Decimal | None
    movements: Decimal
    movement_count: int
    closing_date: date | None
    closing: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        """opening + movements - closing: zero when the statement ties out."""
        if self.opening is None or self.closing is None:
            return None
        return self.opening + self.movements - self.closing

    @property
    def status(self) -> Status:
        if self.opening is None:
            return "no_opening"
        if self.closing is None:
            return "no_closing"
        return "tied" if self.difference == 0 else "break"

    @property
    def day(self) -> date | None:
        """The business day the statement closes (or opens, when it has no closing)."""
        return self.closing_date or self.opening_date


def check_statements(
    records: Iterable[PaymentRecord], balances: Iterable[AccountBalance]
) -> list[StatementCheck]:
    """One check per (account, currency, statement) that reported a ledger balance.

    The opening is the statement's earliest opening balance, the closing its latest
    closing balance (the first / last in file order when dates are equal), so an MT940
    statement split into pages or a camt statement with both OPBD and PRCD is read as
    the bank meant it.
    """
    openings: dict[tuple[str, str, str], AccountBalance] = {}
    closings: dict[tuple[str, str, str], AccountBalance] = {}
    for balance in balances:
        key = (balance.account, balance.currency, balance.statement)
        if balance.kind == "opening":
            known = openings.get(key)
            if known is None or balance.as_of < known.as_of:
                openings[key] = balance
        elif balance.kind == "closing":
            known = closings.get(key)
            if known is None or balance.as_of >= known.as_of:
                closings[key] = balance
    statements = sorted(openings.keys() | closings.keys())
    if not statements:
        return []
    wanted = set(statements)
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for record in records:
        key = (record.account, record.currency, record.statement)
        if key in wanted:
            totals[key] += record.amount
            counts[key] += 1
    checks = []
    for key in statements:
        opening, closing = openings.get(key), closings.get(key)
        checks.append(
            StatementCheck(
                account=key[0],
                currency=key[1],
                statement=key[2],
                opening_date=opening.as_of if opening else None,
                opening=opening.amount if opening else None,
                movements=totals.get(key, Decimal(0)),
                movement_count=counts.get(key, 0),
                closing_date=closing.as_of if closing else None,
                closing=closing.amount if closing else None,
            )
        )
    return checks


def break_issues(checks: Iterable[StatementCheck]) -> list[Issue]:
    """A warning for every statement that does not add up, worded for the AR lead."""
    issues = []
    for check in checks:
        if check.status != "break" or check.opening is None or check.closing is None:
            continue
        issues.append(
            Issue(
                "warning",
                f"account {check.account} does not tie out: opening {check.opening} + "
                f"{check.movement_count} movements {check.movements} = "
                f"{check.opening + check.movements}, but the closing balance is "
                f"{check.closing} {check.currency} (difference {check.difference})",
                check.statement or None,
            )
        )
    return issues
