"""Stripe's itemized balance reports (CSV downloaded from the Dashboard or the Reports API).

The "Balance change from activity" and "Payout reconciliation" itemized reports list one
balance transaction per row: ``balance_transaction_id``, ``created_utc`` (or ``created``),
``currency`` (lower case), ``gross``, ``fee``, ``net`` in major units, the
``reporting_category`` that says what moved the balance, and the objects behind it
(``charge_id``, ``source_id``, ``automatic_payout_id``), the customer
(``customer_name``/``customer_email``/``customer_id``) and ``payment_metadata[<key>]``
columns for the metadata the merchant attached (where invoice numbers usually travel).
Unknown extra columns are fine; a file without the required ones is refused, and so is a
header naming a column twice or a row with fewer cells than the header
(:mod:`connectors.csv_rows`).

What each row becomes (DESIGN §5 kinds; ``source_ref`` is the Stripe object id):

====================  ==================================================================
reporting_category    record(s)
====================  ==================================================================
charge, payment       ``payment`` of ``gross`` (ref = charge id)
refund                ``refund`` of ``gross`` (negative), related to the charge
dispute               ``chargeback`` of ``gross``, related to the charge, reason code
dispute_reversal      ``dispute_reversal`` of ``gross``, related to the charge
payout                ``settlement`` (ref = payout id): the money leaving for the bank
fee categories        ``fee``
anything else         ``other``
====================  ==================================================================

A row's own fee (processing fee of a charge, dispute fee) becomes a second record, a
``fee`` of -fee related to the charge, so fees reach the journal and never hide inside a
payment amount.

The dedupe key is the balance transaction id (``:fee`` for the fee part), so the same
row in the balance report and in the payout-reconciliation report is one payment.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from cashapp.domain import FileRefused, PaymentRecord
from cashapp.money import MoneyError, check_currency, parse_amount
from connectors.base import ExtractContext, ExtractResult, decode_text, register
from connectors.csv_rows import check_header, check_row_width

SOURCE: Final = "stripe"
REQUIRED: Final = ("balance_transaction_id", "currency", "gross", "fee", "reporting_category")
_METADATA_PREFIX: Final = "payment_metadata["
_FEE_CATEGORIES: Final = frozenset(
    {"fee", "stripe_fee", "network_cost", "tax", "other_adjustment_fee", "platform_earning"}
)
_PAYMENT_CATEGORIES: Final = frozenset({"charge", "payment"})


def _header_fits(line: str) -> bool:
    names = {n.strip().strip('"').lower() for n in line.split(",")}
    return all(column in names for column in REQUIRED)


def _day(text: str, where: str) -> date:
    value = text.strip()
    try:
        if value.isdigit():  # the API's unix seconds
            return datetime.fromtimestamp(int(value), tz=UTC).date()
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except (ValueError, OverflowError, OSError):  # seconds past what the calendar holds
        raise FileRefused(f"created date {text!r} is not a date", where) from None


def _money(text: str, currency: str, column: str, where: str) -> Decimal:
    try:
        return parse_amount(text or "0", currency, decimal=".")  # Stripe writes points
    except MoneyError as exc:
        raise FileRefused(f"{column}: {exc}", where) from None


class StripeReportConnector:
    """Stripe itemized balance-change / payout-reconciliation report CSVs."""

    name = SOURCE

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        first = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()[:1]
        return bool(first) and _header_fits(first[0])

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        text = decode_text(data).lstrip("\ufeff")
        # newline="": the reader itself ends a line at CR, LF or CRLF, and keeps quoted ones
        reader = csv.DictReader(io.StringIO(text, newline=""))
        records: list[PaymentRecord] = []
        try:
            header = [n.strip().lower() for n in reader.fieldnames or []]
            check_header(reader.fieldnames or [], header, "line 1")  # the dict keeps one
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise FileRefused(
                    f"not a Stripe balance report: missing column(s) {', '.join(missing)}",
                    "line 1",
                )
            if "created_utc" not in header and "created" not in header:
                raise FileRefused("missing column created_utc (or created)", "line 1")
            width = len(reader.fieldnames or [])
            for line, raw in enumerate(reader, start=2):
                check_row_width(raw, width, f"line {line}")  # short rows and surplus cells
                row = {
                    k.strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None
                }
                if not any(row.values()):
                    continue
                records += records_for_row(row, f"line {line}")
        except csv.Error as exc:  # e.g. a cell past the csv module's field size limit
            raise FileRefused(
                f"not readable as CSV: {exc}", f"line {reader.line_num + 1}"
            ) from None
        return ExtractResult(records=tuple(records), record_count=len(records))


def records_for_row(row: dict[str, str], where: str) -> list[PaymentRecord]:
    """The records of one balance transaction, given as a report row (lower-case column
    names; the Stripe API connector builds the same row from an API object)."""
    txn = row["balance_transaction_id"]
    if not txn:
        raise FileRefused("balance_transaction_id is empty", where)
    try:
        currency = check_currency(row["currency"].upper())
    except MoneyError as exc:
        raise FileRefused(f"currency: {exc}", where) from None
    gross = _money(row["gross"], currency, "gross", where)
    fee = _money(row["fee"], currency, "fee", where)
    day = _day(row.get("created_utc") or row.get("created", ""), where)
    category = row["reporting_category"].lower()
    charge = row.get("charge_id", "")
    source_id = row.get("source_id", "")
    metadata = {
        key[len(_METADATA_PREFIX) : -1]: value
        for key, value in row.items()
        if key.startswith(_METADATA_PREFIX) and key.endswith("]") and value
    }
    remittance = " | ".join(
        [row.get("description", ""), *(f"{k}: {v}" for k, v in sorted(metadata.items()))]
    ).strip(" |")
    payer = row.get("customer_name") or row.get("customer_email", "")
    raw = ",".join(f"{k}={v}" for k, v in row.items() if v)
    common = {
        "source": SOURCE,
        "currency": currency,
        "value_date": day,
        "payer_name": payer,
        "payer_account": f"stripe:{row['customer_id']}" if row.get("customer_id") else "",
        "remittance": remittance,
        "references": tuple(metadata[k] for k in sorted(metadata)),
        "location": where,
        "raw": raw,
        "type_code": category,
    }
    fee_record = (
        [
            PaymentRecord(
                source_ref=f"{txn}:fee",
                dedupe_key=f"{txn}:fee",
                kind="fee",
                amount=-fee,
                related_ref=charge or source_id,
                **{**common, "references": ()},  # type: ignore[arg-type]
            )
        ]
        if fee and category not in _FEE_CATEGORIES
        else []
    )
    if category in _PAYMENT_CATEGORIES:
        payment = PaymentRecord(
            source_ref=charge or source_id,
            dedupe_key=txn,
            kind="payment",
            amount=gross,
            **common,  # type: ignore[arg-type]
        )
        return [payment, *fee_record]
    kind, ref, related, reason = "other", source_id or txn, "", ""
    if category == "refund":
        kind, related = "refund", charge
    elif category == "dispute":
        kind, related, reason = "chargeback", charge, row.get("dispute_reason", "")
    elif category == "dispute_reversal":
        kind, related = "dispute_reversal", charge
    elif category == "payout":
        kind, ref = "settlement", row.get("automatic_payout_id") or source_id or txn
    elif category in _FEE_CATEGORIES:
        kind = "fee"
    record = PaymentRecord(
        source_ref=ref,
        dedupe_key=txn,
        kind=kind,
        amount=gross if kind != "fee" else gross - fee,
        related_ref=related,
        reason_code=reason,
        **common,  # type: ignore[arg-type]
    )
    return [record, *fee_record]


STRIPE_REPORT = register(StripeReportConnector())
