"""Plaid bank-feed transactions, as ``cashapp pull plaid`` saves them from /transactions/sync.

A landing file holds one sync run for one Item: the ``added``, ``modified`` and
``removed`` lists and the accounts. Plaid's conventions, converted here:

* **Sign**: Plaid's ``amount`` is positive for money *out* of the account; ours is
  positive for money in, so it is negated.
* **Floats**: amounts arrive as JSON numbers. They are read from the JSON text as
  ``Decimal`` (never through a binary float) and must fit the currency's minor unit.
* **Pending**: a pending transaction is not booked money and is skipped; when it posts,
  Plaid sends a new transaction (``pending_transaction_id`` pointing back), which is the
  one stored. ``transaction_id`` is the dedupe key.
* ``modified`` posted transactions keep their first version (a payment's facts are not
  rewritten after the fact); ``removed`` ones are reported as warnings -- payments are
  never deleted, a person decides.

Money in is a ``payment`` (remittance from the name, ``payment_meta`` reference number,
payer and ``by_order_of``); money out is ``other``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

from cashapp.domain import FileRefused, Issue, PaymentRecord
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency, quantize
from connectors.base import ExtractContext, ExtractResult, register

SOURCE: Final = "plaid"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _list(parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """An optional list of the sync response; anything but a list or null breaks the file."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FileRefused(f"{key!r} is not a list but {type(value).__name__}", where)
    return value


def _record(txn: Mapping[str, Any], masks: Mapping[str, str], where: str) -> PaymentRecord:
    try:
        currency = check_currency(_text(txn.get("iso_currency_code")) or "USD")
        plaid_amount = txn["amount"]
        if isinstance(plaid_amount, str):  # the pull writes amounts as their JSON text
            plaid_amount = Decimal(plaid_amount)
        elif isinstance(plaid_amount, int) and not isinstance(plaid_amount, bool):
            plaid_amount = Decimal(plaid_amount)  # a whole amount is a JSON integer
        if not isinstance(plaid_amount, Decimal):
            raise MoneyError(f"amount {plaid_amount!r} is not a number")
        amount = quantize(-plaid_amount, currency)
        day = date.fromisoformat(_text(txn.get("date")))
    except (KeyError, ValueError, ArithmeticError, MoneyError) as exc:
        raise FileRefused(f"transaction unreadable: {exc}", where) from None
    if not _text(txn.get("transaction_id")):
        raise FileRefused("transaction without a transaction_id", where)
    meta = txn.get("payment_meta") if isinstance(txn.get("payment_meta"), Mapping) else {}
    meta = meta or {}
    reference = _text(meta.get("reference_number"))
    payer = _text(meta.get("payer")) or _text(meta.get("by_order_of"))
    counterparties = _list(txn, "counterparties", where)
    if not payer and counterparties and isinstance(counterparties[0], Mapping):
        payer = _text(counterparties[0].get("name"))
    name = _text(txn.get("name"))
    return PaymentRecord(
        source=SOURCE,
        source_ref=_text(txn.get("transaction_id")),
        dedupe_key=_text(txn.get("transaction_id")),
        kind="payment" if amount > 0 else "other",
        amount=amount,
        currency=currency,
        value_date=day,
        payer_name=payer or _text(txn.get("merchant_name")) or name,
        remittance=" | ".join(t for t in (name, reference, _text(meta.get("reason"))) if t),
        references=(reference,) if reference else (),
        account=masks.get(_text(txn.get("account_id")), ""),
        type_code=_text(txn.get("payment_channel")),
        location=where,
        raw=json.dumps(txn, default=str, sort_keys=True),
    )


class PlaidConnector:
    """Landing files of ``cashapp pull plaid`` (one /transactions/sync run per file)."""

    name = SOURCE

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        text = head.decode("utf-8", "replace")
        return text.lstrip()[:1] == "{" and '"plaid_sync"' in text

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        try:
            document = json.loads(data, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FileRefused(f"not JSON: {exc}") from None
        if not isinstance(document, Mapping) or not isinstance(document.get("added"), list):
            raise FileRefused("expected a Plaid sync landing file with an 'added' list")
        masks = {
            _text(a.get("account_id")): mask_account(_text(a.get("mask")) or "")
            for a in _list(document, "accounts", "the landing file")
            if isinstance(a, Mapping)
        }
        records: list[PaymentRecord] = []
        issues: list[Issue] = []
        for n, txn in enumerate(document["added"]):
            if not isinstance(txn, Mapping):
                raise FileRefused("not a transaction object", f"added[{n}]")
            if txn.get("pending"):
                continue
            records.append(_record(txn, masks, f"added[{n}]"))
        for n, txn in enumerate(_list(document, "removed", "the landing file")):
            if isinstance(txn, Mapping):
                issues.append(
                    Issue(
                        "warning",
                        f"Plaid removed transaction {_text(txn.get('transaction_id'))};"
                        " if it was stored, a person should reverse it",
                        f"removed[{n}]",
                    )
                )
        return ExtractResult(records=tuple(records), issues=tuple(issues))


PLAID = register(PlaidConnector())
