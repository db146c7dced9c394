"""camt balances (``Bal``, ISO 20022 ``CashBalance``) as account balances for the tie-out.

A block's balances are read apart from its entries: they are not payments, only what
opening + entries = closing is checked against (:mod:`cashapp.statements`), and they
have their own leniency.

Design note. OPBD/PRCD opening, CLBD closing, CLAV/ITAV/FWAV/OPAV available, other
codes ``other``; signed by their indicator; dated ``Dt/Dt`` or ``Dt/DtTm``. Named
leniency *camt balances without CdtDbtInd* (a Lithuanian settlement account's camt.053,
peer file subite_CAMT_053-2024-03-07): the indicator is mandatory in the schema, but a
balance without the element is read as a credit balance, with one warning per statement.
Why credit: such accounts do not go overdrawn, the peer projects default to CRDT, and
the reading is checked, not trusted -- opening + entries = closing is computed for every
statement, and a wrong sign shows as a tie-out break. An indicator that is present but
neither CRDT nor DBIT still refuses the file, and so does an *entry* without one: its
direction is the money itself.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Final, Literal

from cashapp.domain import AccountBalance, FileRefused, Issue
from connectors.camt.entries import Block
from connectors.camt.fields import FieldError, read_date, read_indicator, read_money, with_sign
from connectors.camt.xml_tree import text

_BALANCE_KINDS: Final[dict[str, Literal["opening", "closing", "available"]]] = {
    "OPBD": "opening",
    "PRCD": "opening",
    "CLBD": "closing",
    "CLAV": "available",
    "ITAV": "available",
    "FWAV": "available",
    "OPAV": "available",
}


def read_balances(element: ET.Element, block: Block, issues: list[Issue]) -> list[AccountBalance]:
    balances = []
    without_indicator: list[str] = []
    for n, balance in enumerate(element.findall("Bal"), 1):
        where = f"{block.label} / Bal {n}"
        try:
            amount_element = balance.find("Amt")
            if amount_element is None:
                raise FieldError("the balance has no amount (Amt)")
            amount, currency = read_money(amount_element, where, issues)
            if balance.find("CdtDbtInd") is None:
                # Named leniency (see the module note): read as a credit balance.
                without_indicator.append(where)
                credit = True
            else:
                credit = read_indicator(balance, "the balance's")
            as_of = read_date(balance, "Dt")
            if as_of is None:
                raise FieldError("the balance has no date (Dt)")
        except FieldError as exc:
            raise FileRefused(str(exc), where) from exc
        code = text(balance, "Tp/CdOrPrtry/Cd") or text(balance, "Tp/CdOrPrtry/Prtry")
        balances.append(
            AccountBalance(
                account=block.account,
                currency=currency,
                as_of=as_of,
                kind=_BALANCE_KINDS.get(code, "other"),
                amount=with_sign(amount, credit),
                type_code=code,
                statement=block.label,
            )
        )
    if without_indicator:
        issues.append(
            Issue(
                "warning",
                f"leniency 'camt balances without CdtDbtInd': {len(without_indicator)} "
                f"balance(s) of {block.label} have no credit/debit indicator and are read as "
                "credit (zero or positive) balances; the statement tie-out checks that reading",
                without_indicator[0],
            )
        )
    return balances
