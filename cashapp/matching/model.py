"""Value types the matcher reads and writes; no I/O here.

The store builds these from set-based queries; the engine turns them into
:class:`Decision` values; the store writes the decisions back in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

#: Exception types (DESIGN §5, ``v_exceptions.type``).
EXCEPTION_TYPES: Final = (
    "unmatched",
    "unidentified",
    "ambiguous",
    "short_payment",
    "over_payment",
    "duplicate_payment",
    "ach_return",
    "failed_payment",
    "chargeback",
    "settlement_mismatch",
    "currency_mismatch",
)

#: Exception statuses (DESIGN §5, ``v_exceptions.status``).
EXCEPTION_STATUSES: Final = ("open", "in_review", "resolved", "dismissed")

#: Application kinds (DESIGN §5, ``v_applications.kind``); ``refund``: cash a person
#: decided to pay back to the payer (owed in refunds payable until AP pays it).
APPLICATION_KINDS: Final = ("payment", "discount", "writeoff", "unapplied", "fee", "refund")


@dataclass(slots=True)
class OpenInvoice:
    """An invoice as the matcher sees it; ``open_amount`` changes during a run."""

    invoice_number: str
    customer_id: str
    currency: str
    amount: Decimal
    open_amount: Decimal
    invoice_date: date
    due_date: date
    terms: str = ""
    po_number: str = ""


@dataclass(frozen=True, slots=True)
class CustomerHit:
    """One way the payer was identified as a customer."""

    customer_id: str
    method: str  # account, customer_id, exact_name, alias, reference, fuzzy_name
    score: Decimal
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReferenceHit:
    """An invoice the remittance names, and how."""

    invoice_number: str
    kind: str  # invoice, po, bare, structured
    text: str
    paid: Decimal | None = None  # the amount the remittance says was paid on it


@dataclass(frozen=True, slots=True)
class PaymentToMatch:
    payment_id: str
    amount: Decimal  # positive: money received
    currency: str
    value_date: date
    payer_name: str
    customers: tuple[CustomerHit, ...] = ()
    references: tuple[ReferenceHit, ...] = ()


@dataclass(frozen=True, slots=True)
class Allocation:
    """One application the engine decided on."""

    invoice_number: str | None
    customer_id: str | None
    amount: Decimal
    kind: str
    rule: str
    confidence: Decimal
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A ranked candidate for a person: one invoice or a set, with why."""

    invoices: tuple[str, ...]
    amount: Decimal
    score: Decimal
    evidence: str

    def as_json(self) -> dict[str, Any]:
        return {
            "invoices": list(self.invoices),
            "amount": str(self.amount),
            "score": str(self.score),
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class RaisedException:
    type: str
    amount: Decimal
    detail: str
    invoice_number: str | None = None
    customer_id: str | None = None
    reason_code: str = ""
    suggestions: tuple[Suggestion, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the engine concluded about one payment."""

    payment_id: str
    status: str  # unapplied, partially_applied, applied
    customer_id: str | None
    allocations: tuple[Allocation, ...] = ()
    exceptions: tuple[RaisedException, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
