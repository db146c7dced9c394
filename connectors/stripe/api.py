"""Stripe balance transactions as the API returns them, saved by ``cashapp pull stripe``.

The pull writes the API's own JSON (a ``list`` object of ``balance_transaction`` objects,
``source`` expanded) to a landing file first and ingests that file, so a re-run or a test
replays it without the network. Each object is turned into the row the itemized balance
report would have for it and read by :func:`connectors.stripe_report.records_for_row`:
the same payment ids, kinds and amounts whichever way the data came in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from cashapp.domain import FileRefused, PaymentRecord
from cashapp.money import MoneyError, check_currency, from_minor_units
from connectors.base import ExtractContext, ExtractResult, register
from connectors.stripe.report import SOURCE, records_for_row

NAME: Final = "stripe_api"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _id(value: object) -> str:
    """An id, whether the field holds the id or the expanded object."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def row_for(txn: Mapping[str, Any], where: str) -> dict[str, str]:
    """The itemized-report row of one API balance transaction."""
    try:
        currency = check_currency(_text(txn.get("currency")).upper())
        # from_minor_units refuses anything but whole minor units: no float slips through
        gross = from_minor_units(txn["amount"], currency)
        fee = from_minor_units(txn.get("fee") or 0, currency)
    except (KeyError, TypeError, ValueError, MoneyError) as exc:
        raise FileRefused(f"balance transaction amounts unreadable: {exc}", where) from None
    source = txn.get("source")
    obj: Mapping[str, Any] = source if isinstance(source, Mapping) else {}
    category = _text(txn.get("reporting_category") or txn.get("type"))
    kind_of_source = _text(obj.get("object"))
    charge = ""
    if kind_of_source == "charge":
        charge = _text(obj.get("id"))
    elif kind_of_source in ("refund", "dispute"):
        charge = _id(obj.get("charge"))
    elif _id(source).startswith(("ch_", "py_")):
        charge = _id(source)
    # a refund's or dispute's own object says little about the customer: the report takes
    # the payment's customer and metadata, so read them from the charge (pulled expanded)
    expanded = obj.get("charge")
    payment: Mapping[str, Any] = expanded if isinstance(expanded, Mapping) else obj
    billing = (
        payment.get("billing_details")
        if isinstance(payment.get("billing_details"), Mapping)
        else {}
    )
    row = {
        "balance_transaction_id": _text(txn.get("id")),
        "created": _text(txn.get("created")),
        "currency": currency.lower(),
        "gross": str(gross),
        "fee": str(fee),
        "reporting_category": category,
        "source_id": _id(source),
        "charge_id": charge,
        "description": _text(txn.get("description") or obj.get("description")),
        "customer_id": _id(payment.get("customer")),
        "customer_name": _text(billing.get("name") if billing else ""),
        "customer_email": _text(
            (billing.get("email") if billing else "") or payment.get("receipt_email")
        ),
        "automatic_payout_id": _id(source) if kind_of_source == "payout" else "",
        "dispute_reason": _text(obj.get("reason")) if kind_of_source == "dispute" else "",
    }
    metadata = payment.get("metadata")
    if isinstance(metadata, Mapping):
        for key, value in metadata.items():
            row[f"payment_metadata[{str(key).lower()}]"] = _text(value)
    return row


class StripeApiConnector:
    """Landing files of ``cashapp pull stripe`` (API JSON lists of balance transactions)."""

    name = NAME

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        text = head.decode("utf-8", "replace")
        opens_json = text.lstrip()[:1] in ("{", "[")
        return opens_json and '"object"' in text and '"balance_transaction"' in text

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FileRefused(f"not JSON: {exc}") from None
        items = document.get("data") if isinstance(document, Mapping) else document
        if not isinstance(items, list):
            raise FileRefused("expected a Stripe list object with a data array")
        records: list[PaymentRecord] = []
        for n, txn in enumerate(items, start=1):
            where = f"data[{n - 1}]"
            if not isinstance(txn, Mapping) or txn.get("object") != "balance_transaction":
                raise FileRefused("not a balance_transaction object", where)
            for record in records_for_row(row_for(txn, where), where):
                records.append(record)
        return ExtractResult(records=tuple(records), record_count=len(items))


STRIPE_API = register(StripeApiConnector())

__all__ = ["NAME", "SOURCE", "STRIPE_API", "row_for"]
