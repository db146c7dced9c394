"""What the book writes for each case: bank payments and the platforms' own records.

A :class:`Payment` is one line of a bank file, in the shape (``fmt``) it will be written
in (:mod:`.formats`); a :class:`PlatformRecord` stands for one of a platform's own records
(a charge, a refund, a dispute, a payout) that the platform cases write to Stripe's or
Plastiq's files. Both carry what a label needs: the shape, the reference the store will
know it by, the amount, and the remittance text whose invoice numbers the book checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cashapp.domain import RemittanceLine


@dataclass(frozen=True, slots=True)
class Payment:
    """One bank payment of the book, as its file shape will carry it."""

    fmt: str
    day: int
    ref: str  # becomes payments.source_ref
    payer: str  # as the bank shows it
    amount: Decimal  # magnitude; the format's direction gives the sign
    currency: str = "USD"
    text: str = ""
    lines: tuple[RemittanceLine, ...] = ()
    originator: str = ""  # ACH company id of an incoming credit
    individual_id: str = ""
    routing: str = ""  # customer's bank, for our own debits and their returns
    account: str = ""
    related: str = ""  # original trace / end-to-end id of a return
    reason: str = ""  # return reason code
    description: str = "PAYMENT"  # ACH company entry description (TRANSFER, PAYOUT)


@dataclass(frozen=True, slots=True)
class PlatformRecord:
    """One of a platform's own records (a charge, a refund, a dispute, a payout): written
    to the platform's files by the platform cases, labelled here like a bank payment."""

    fmt: str
    ref: str
    amount: Decimal
    text: str = ""  # the remittance cashapp reads from it
    currency: str = "USD"
