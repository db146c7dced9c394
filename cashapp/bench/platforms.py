"""Platform money for the quality bench: Stripe and Plastiq files, written as they arrive.

Why a module of its own. Card money does not reach the bank the way a customer's wire does:
the platform collects each customer's payment, keeps its fee, bundles what is left into a
payout, and the bank shows one credit from the platform. Cash application therefore works
from the platform's own records (what is applied to the invoices) and ties the bank credit
to the payout (what is reconciled, never applied). The bench must write both sides the
way the platforms deliver them, so these writers produce the carriers cashapp ingests:

* Stripe's itemized balance-change report (CSV, one balance transaction per row, major
  units, ``payment_metadata[...]`` columns) -- :func:`stripe_report_csv`;
* the landing file of ``cashapp pull stripe`` (the API's ``list`` of
  ``balance_transaction`` objects in minor units, ``source`` and ``source.charge``
  expanded) -- :func:`stripe_landing_json`;
* Plastiq's receiver export (CSV, the default columns) -- :func:`plastiq_csv`;
* Plastiq Connect payment objects saved as JSON -- :func:`plastiq_json`.

Worked example: a 1,000.00 card charge costs a fee of 2.9 % + 0.30 = 29.30, so it adds
970.70 to the Stripe balance; a payout of that balance moves -970.70 and the bank shows a
credit of 970.70 from STRIPE. A lost dispute moves -(amount + 15.00), a won dispute gives
both back. The payout is the sum of the nets of the transactions it carries.

Everything here is a pure function of its arguments: same values, same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from cashapp.money import to_minor_units

CURRENCY: Final = "USD"
STRIPE_CARRIERS: Final = ("stripe-report", "stripe-api")
PLASTIQ_CARRIERS: Final = ("plastiq-csv", "plastiq-json")
#: Stripe's fee for a card charge: 2.9 % of the amount plus 30 cents (US standard).
CARD_FEE_PERMILLE: Final = 29
CARD_FEE_FIXED_CENTS: Final = 30
#: What Stripe charges for a dispute, and gives back when the dispute is won.
DISPUTE_FEE: Final = Decimal("15.00")
#: Plastiq's fee, paid by the payer's card on top of what we receive (``sourceAmount``).
PLASTIQ_FEE_PERMILLE: Final = 29

#: The columns of the itemized balance-change report the bench writes (Stripe adds more;
#: the connector reads these).
STRIPE_REPORT_COLUMNS: Final = (
    "balance_transaction_id",
    "created_utc",
    "available_on_utc",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "customer_id",
    "customer_email",
    "customer_name",
    "charge_id",
    "payment_intent_id",
    "automatic_payout_id",
    "dispute_reason",
    "payment_metadata[invoice_number]",
)
#: Plastiq's receiver export, default columns (connectors/plastiq/connector.py).
PLASTIQ_COLUMNS: Final = (
    "Payment ID",
    "Payment Date",
    "Payer Business Name",
    "Payer Email",
    "Amount",
    "Currency",
    "Invoice Number",
    "Memo",
    "Status",
    "Payout ID",
    "Payout Date",
)
_API_TYPES: Final = {
    "charge": "charge",
    "refund": "refund",
    "dispute": "adjustment",
    "dispute_reversal": "adjustment",
    "payout": "payout",
}
_ROW_DESCRIPTIONS: Final = {
    "refund": "REFUND FOR CHARGE",
    "dispute": "Chargeback withdrawal",
    "dispute_reversal": "Chargeback reversal",
    "payout": "STRIPE PAYOUT",
}
_JSON_NUMBER: Final = re.compile(r'"#number:(-?\d+\.\d+)"')


@dataclass(frozen=True, slots=True)
class CardHolder:
    """The payer as the platform knows them: its customer id, name and email."""

    platform_id: str  # Stripe ``cus_...``; "" for Plastiq (it has none we see)
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class StripeCharge:
    """A customer's card payment; refunds and disputes point back at it."""

    charge_id: str
    amount: Decimal
    holder: CardHolder
    description: str
    invoice_number: str  # ``metadata[invoice_number]``; "" when only the description says

    @property
    def payment_intent_id(self) -> str:
        return "pi_" + self.charge_id.removeprefix("ch_")

    def metadata(self) -> dict[str, str]:
        return {"invoice_number": self.invoice_number} if self.invoice_number else {}


@dataclass(frozen=True, slots=True)
class StripeTransaction:
    """One Stripe balance transaction: a row of the report, an object of the API."""

    txn_id: str
    created: datetime  # UTC
    category: str  # charge, refund, dispute, dispute_reversal, payout
    gross: Decimal  # signed balance movement before fees, major units
    fee: Decimal  # what Stripe kept (negative when it gives a fee back)
    source_id: str  # the object behind it: ch_, re_, du_ or po_ id
    charge: StripeCharge | None  # the payment behind it; None for a payout
    payout_id: str  # the payout carrying it (a payout's own id for the payout)
    carrier: str  # which of STRIPE_CARRIERS delivers it
    dispute_reason: str = ""

    @property
    def net(self) -> Decimal:
        """What the transaction adds to the balance, hence to its payout."""
        return self.gross - self.fee


@dataclass(frozen=True, slots=True)
class PlastiqPayment:
    """One customer's card-funded payment through Plastiq, as the receiver sees it."""

    payment_id: str
    created: datetime  # UTC
    holder: CardHolder
    amount: Decimal  # what we receive (``targetAmount``)
    invoice_number: str
    memo: str
    payout_id: str
    payout_date: date
    carrier: str  # which of PLASTIQ_CARRIERS delivers it
    status: str = "DEPOSITED"

    @property
    def card_amount(self) -> Decimal:
        """What the payer's card was charged (``sourceAmount``): our amount plus the fee."""
        cents = to_minor_units(self.amount, CURRENCY)
        return Decimal(cents + (cents * PLASTIQ_FEE_PERMILLE + 500) // 1000).scaleb(-2)


def card_fee(amount: Decimal) -> Decimal:
    """Stripe's processing fee on a charge, rounded half up to the cent like Stripe does."""
    cents = to_minor_units(amount, CURRENCY)
    fee = (cents * CARD_FEE_PERMILLE + 500) // 1000 + CARD_FEE_FIXED_CENTS
    return Decimal(fee).scaleb(-2)


def payout_net(transactions: Iterable[StripeTransaction]) -> Decimal:
    """What a payout of these transactions sends to the bank."""
    return sum((t.net for t in transactions), Decimal("0.00"))


# --------------------------------------------------------------------------- Stripe


def _report_row(t: StripeTransaction) -> list[str]:
    charge = t.charge
    holder = charge.holder if charge else CardHolder("", "", "")
    available = t.created if t.category == "payout" else t.created + timedelta(days=2)
    description = charge.description if t.category == "charge" and charge else ""
    return [
        t.txn_id,
        f"{t.created:%Y-%m-%d %H:%M:%S}",
        f"{available:%Y-%m-%d} 00:00:00",
        CURRENCY.lower(),
        f"{t.gross:.2f}",
        f"{t.fee:.2f}",
        f"{t.net:.2f}",
        t.category,
        t.source_id,
        description or _ROW_DESCRIPTIONS.get(t.category, ""),
        holder.platform_id,
        holder.email,
        holder.name,
        charge.charge_id if charge else "",
        charge.payment_intent_id if charge else "",
        t.payout_id,
        t.dispute_reason,
        charge.invoice_number if charge else "",
    ]


def stripe_report_csv(transactions: Sequence[StripeTransaction]) -> bytes:
    """The itemized balance-change report of these transactions, oldest first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STRIPE_REPORT_COLUMNS)
    for t in sorted(transactions, key=lambda t: (t.created, t.txn_id)):
        writer.writerow(_report_row(t))
    return out.getvalue().encode("utf-8")


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _cents(amount: Decimal) -> int:
    return to_minor_units(amount, CURRENCY)


def _charge_object(charge: StripeCharge, created: datetime) -> dict[str, Any]:
    return {
        "id": charge.charge_id,
        "object": "charge",
        "amount": _cents(charge.amount),
        "currency": CURRENCY.lower(),
        "created": _unix(created),
        "customer": charge.holder.platform_id,
        "description": charge.description or None,
        "billing_details": {"name": charge.holder.name, "email": charge.holder.email},
        "receipt_email": charge.holder.email,
        "metadata": charge.metadata(),
        "payment_intent": charge.payment_intent_id,
        "paid": True,
        "status": "succeeded",
    }


def _source_object(t: StripeTransaction) -> dict[str, Any]:
    """The expanded ``source`` of a balance transaction (``source.charge`` expanded too)."""
    if t.category == "payout":
        return {
            "id": t.source_id,
            "object": "payout",
            "amount": -_cents(t.gross),
            "currency": CURRENCY.lower(),
            "automatic": True,
            "status": "paid",
        }
    if t.charge is None:
        raise ValueError(f"{t.txn_id}: a {t.category} needs the charge behind it")
    charge = _charge_object(t.charge, t.created)
    if t.category == "charge":
        return charge
    obj = "refund" if t.category == "refund" else "dispute"
    source: dict[str, Any] = {
        "id": t.source_id,
        "object": obj,
        "amount": _cents(t.charge.amount),
        "currency": CURRENCY.lower(),
        "charge": charge,
    }
    if obj == "dispute":
        source["reason"] = t.dispute_reason or "general"
        source["status"] = "won" if t.category == "dispute_reversal" else "needs_response"
    return source


def _api_object(t: StripeTransaction) -> dict[str, Any]:
    description = t.charge.description if t.category == "charge" and t.charge else ""
    return {
        "id": t.txn_id,
        "object": "balance_transaction",
        "amount": _cents(t.gross),
        "fee": _cents(t.fee),
        "net": _cents(t.net),
        "currency": CURRENCY.lower(),
        "created": _unix(t.created),
        "available_on": _unix(t.created + timedelta(days=2)),
        "description": description or _ROW_DESCRIPTIONS.get(t.category),
        "reporting_category": t.category,
        "type": _API_TYPES[t.category],
        "status": "available",
        "source": _source_object(t),
    }


def stripe_landing_json(transactions: Sequence[StripeTransaction]) -> bytes:
    """The landing file ``cashapp pull stripe`` saves: newest first, as the API lists."""
    newest_first = sorted(transactions, key=lambda t: (t.created, t.txn_id), reverse=True)
    document = {"object": "list", "data": [_api_object(t) for t in newest_first]}
    return json.dumps(document, indent=1, sort_keys=True).encode("utf-8")


def stripe_landing_name(transactions: Sequence[StripeTransaction], since: datetime) -> str:
    """The landing file's name as the pull writes it: cursor, newest object, a stamp."""
    newest = max(_unix(t.created) for t in transactions)
    stamp = max(t.created for t in transactions).strftime("%Y%m%dT%H%M%S000000")
    return f"stripe-balance-{_unix(since)}-{newest}-{stamp}.json"


# --------------------------------------------------------------------------- Plastiq


def plastiq_csv(payments: Sequence[PlastiqPayment]) -> bytes:
    """The receiver export of these payments, US dates, in the default columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PLASTIQ_COLUMNS)
    for p in sorted(payments, key=lambda p: (p.created, p.payment_id)):
        writer.writerow(
            [
                p.payment_id,
                f"{p.created:%m/%d/%Y}",
                p.holder.name,
                p.holder.email,
                f"{p.amount:.2f}",
                CURRENCY,
                p.invoice_number,
                p.memo,
                p.status,
                p.payout_id,
                f"{p.payout_date:%m/%d/%Y}",
            ]
        )
    return out.getvalue().encode("utf-8")


def _number(amount: Decimal) -> str:
    """A placeholder :func:`plastiq_json` turns into a JSON number with the exact digits.

    Plastiq Connect sends amounts as JSON numbers; ``json`` can only write a number from a
    float, which would put binary rounding into the bench's money.
    """
    return f"#number:{amount:.2f}"


def _plastiq_object(p: PlastiqPayment) -> dict[str, Any]:
    details: dict[str, str] = {}
    if p.invoice_number:
        details["invoiceNumber"] = p.invoice_number
    if p.memo:
        details["memo"] = p.memo
    return {
        "id": p.payment_id,
        "createdAt": p.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "status": p.status,
        "sourceAmount": {"value": _number(p.card_amount), "currency": CURRENCY},
        "targetAmount": {"value": _number(p.amount), "currency": CURRENCY},
        "payer": {"businessName": p.holder.name, "email": p.holder.email},
        "details": details,
        "payout": {"id": p.payout_id, "date": p.payout_date.isoformat()},
    }


def plastiq_json(payments: Sequence[PlastiqPayment]) -> bytes:
    """Plastiq Connect payment objects saved as ``{"data": [...]}``, amounts as numbers."""
    ordered = sorted(payments, key=lambda p: (p.created, p.payment_id))
    text = json.dumps({"data": [_plastiq_object(p) for p in ordered]}, indent=1, sort_keys=True)
    return _JSON_NUMBER.sub(r"\1", text).encode("utf-8")
