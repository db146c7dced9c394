"""Plastiq payments received: the receiver's CSV export.

Plastiq publishes no export format, so this reads the columns its receiver reports show by
default -- ``Payment ID, Payment Date, Payer Business Name, Payer Email, Amount, Currency,
Invoice Number, Memo, Status, Payout ID, Payout Date`` -- matched case- and
space-insensitively; extra columns are fine, a missing required one refuses the file.

Why it matters how: the money reaches the bank from Plastiq, bundled in a payout, so the
bank line says nothing about who paid. Each row here is one customer's card-funded payment
and is what gets applied to the invoice; the customer is found from the payer business
name, the email (kept as the payer account ``plastiq:<email>``, a fingerprint the matcher
can learn) and the invoice number / memo -- never from the bank line's originator.

Rows become:

* a ``payment`` of ``Amount`` (ref = Payment ID) when the status says money moved
  (CHARGED, IN_TRANSIT, DEPOSITED, REFUNDED; blank counts as charged);
* plus a ``refund`` of the same amount related to it when the status is REFUNDED, so the
  matcher reverses whatever it applied;
* one ``settlement`` per Payout ID: minus the sum of its payments, dated the payout date,
  which the matcher ties to the bank deposit carrying it.

Payments not captured or under review are not money yet: skipped with a warning. A header
naming one column twice -- also two headers that ``[sources.plastiq] columns`` maps to the
same column -- is refused, as is a cut row (:mod:`connectors.csv_rows`).

Plastiq Connect API payment objects saved as JSON (a list, or ``{"data": [...]}``) are
read too, through the same rules: ``id`` is the Payment ID, ``targetAmount`` (what the
recipient -- we -- receive, not ``sourceAmount``, what the payer's card was charged incl.
fees) the amount, ``status`` the status, ``payer.businessName``/``payer.email`` the payer,
and the invoice number and memo from ``details``/``metadata``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from cashapp.domain import (
    FileRefused,
    Issue,
    PaymentRecord,
    SettingsError,
    check_settings_keys,
    settings_str,
)
from cashapp.money import MoneyError, check_currency, parse_amount
from connectors.base import ExtractContext, ExtractResult, decode_text, register
from connectors.csv_rows import check_header, check_row_width

SOURCE: Final = "plastiq"
#: The keys of ``[sources.plastiq]``: ``columns``, a table keyed by :data:`COLUMNS`.
SETTINGS_KEYS: Final = frozenset({"columns"})
REQUIRED: Final = ("payment id", "payment date", "payer business name", "amount")
#: The receiver export's columns (normalized); ``[sources.plastiq] columns`` maps any of
#: them to another header, e.g. ``payment_id = "Transaction Reference"``.
COLUMNS: Final = (
    *REQUIRED,
    "payer email",
    "currency",
    "invoice number",
    "memo",
    "status",
    "payout id",
    "payout date",
)
MOVED: Final = frozenset({"", "CHARGED", "IN_TRANSIT", "DEPOSITED", "REFUNDED", "COMPLETED"})
NOT_YET: Final = frozenset({"NOT_CAPTURED", "UNDER_REVIEW", "CANCELLED", "CANCELED", "FAILED"})


def _norm(name: str) -> str:
    return " ".join(name.replace("_", " ").lower().split())


def _day(text: str, where: str) -> date:
    value = text.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        raise FileRefused(
            f"date {text!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)", where
        ) from None


class PlastiqConnector:
    """Plastiq receiver CSV exports."""

    name = SOURCE

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """``[sources.plastiq] columns``: our column name = the header in your export."""
        check_settings_keys(prefix, table, SETTINGS_KEYS)
        columns = table.get("columns", {})
        if not isinstance(columns, Mapping):
            raise SettingsError(
                f"{prefix}.columns: expected a table of column = header in your file"
            )
        for name, header in columns.items():
            if " ".join(str(name).replace("_", " ").lower().split()) not in COLUMNS:
                known = ", ".join(COLUMNS)
                raise SettingsError(f"{prefix}.columns.{name}: unknown column (known: {known})")
            settings_str(f"{prefix}.columns.{name}", header)

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        text = head.decode("utf-8", "replace").lstrip("\ufeff")
        if text.lstrip()[:1] in ("{", "["):
            return '"targetAmount"' in text or '"sourceAmount"' in text
        first = text.splitlines()[:1]
        if not first:
            return False
        names = {_norm(n.strip().strip('"')) for n in first[0].split(",")}
        return all(column in names for column in REQUIRED)

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        text = decode_text(data).lstrip("\ufeff")
        if text.lstrip()[:1] in ("{", "["):
            return read_rows(_api_rows(text), context)
        return read_rows(_csv_rows(text, _mapping(context)), context)


def _mapping(context: ExtractContext) -> dict[str, str]:
    """Header in the file (normalized) -> our column, from ``[sources.plastiq] columns``."""
    columns = context.sources.get("plastiq", {}).get("columns", {})
    if not isinstance(columns, dict):
        return {}
    return {_norm(str(header)): _norm(str(ours)) for ours, header in columns.items()}


def _csv_rows(text: str, mapping: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    # newline="": the reader itself ends a line at CR, LF or CRLF, and keeps quoted ones
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [mapping.get(_norm(n), _norm(n)) for n in reader.fieldnames or []]
        check_header(reader.fieldnames or [], header, "line 1")  # incl. two mapped to one
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise FileRefused(f"missing column(s) {', '.join(missing)}", "line 1")
        rows = []
        width = len(reader.fieldnames or [])
        for line, raw in enumerate(reader, start=2):
            check_row_width(raw, width, f"line {line}")  # short rows and surplus cells
            row = {
                mapping.get(_norm(k), _norm(k)): (v or "").strip()
                for k, v in raw.items()
                if k is not None  # blank cells past the header (check_row_width refused others)
            }
            if any(row.values()):
                rows.append((f"line {line}", row))
    except csv.Error as exc:  # e.g. a cell past the csv module's field size limit
        raise FileRefused(f"not readable as CSV: {exc}", f"line {reader.line_num + 1}") from None
    return rows


def _api_rows(text: str) -> list[tuple[str, dict[str, str]]]:
    """Plastiq Connect payment objects as the rows of the receiver export."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise FileRefused(f"not JSON: {exc}") from None
    items = document.get("data") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise FileRefused("expected a list of Plastiq payment objects")
    rows = []
    for n, item in enumerate(items):
        where = f"[{n}]"
        if not isinstance(item, dict):
            raise FileRefused("not a payment object", where)
        payer = item.get("payer") if isinstance(item.get("payer"), dict) else {}
        details = item.get("details") if isinstance(item.get("details"), dict) else {}
        metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        amount = item.get("targetAmount")
        currency = ""
        if isinstance(amount, dict):  # {"value": 100.00, "currency": "USD"}
            currency = str(amount.get("currency") or "")
            amount = amount.get("value")
        if amount is None:
            raise FileRefused("payment has no targetAmount", where)
        payout = item.get("payout") if isinstance(item.get("payout"), dict) else {}
        rows.append(
            (
                where,
                {
                    "payment id": str(item.get("id") or ""),
                    "payment date": str(item.get("createdAt") or item.get("created") or ""),
                    "payer business name": str(
                        (payer or {}).get("businessName") or (payer or {}).get("name") or ""
                    ),
                    "payer email": str((payer or {}).get("email") or ""),
                    "amount": str(amount),
                    "currency": currency or str(item.get("currency") or ""),
                    "invoice number": str(
                        (details or {}).get("invoiceNumber")
                        or (metadata or {}).get("invoiceNumber")
                        or (metadata or {}).get("invoice_number")
                        or ""
                    ),
                    "memo": str((details or {}).get("memo") or item.get("memo") or ""),
                    "status": str(item.get("status") or ""),
                    "payout id": str((payout or {}).get("id") or item.get("payoutId") or ""),
                    "payout date": str((payout or {}).get("date") or ""),
                },
            )
        )
    return rows


def read_rows(rows: list[tuple[str, dict[str, str]]], context: ExtractContext) -> ExtractResult:
    """The records of receiver-export rows (lower-case column names), whatever their file."""
    records: list[PaymentRecord] = []
    issues: list[Issue] = []
    payouts: dict[tuple[str, str], list[tuple[Decimal, date, str]]] = defaultdict(list)
    for where, row in rows:
        payment_id = row["payment id"]
        if not payment_id:
            raise FileRefused("Payment ID is empty", where)
        status = row.get("status", "").upper().replace(" ", "_")
        if status in NOT_YET:
            issues.append(Issue("warning", f"{payment_id} is {status}: not money yet", where))
            continue
        if status not in MOVED:
            raise FileRefused(f"unknown status {row.get('status')!r}", where)
        try:
            currency = check_currency((row.get("currency") or context.default_currency).upper())
            amount = parse_amount(row["amount"], currency, decimal=".")
        except MoneyError as exc:
            raise FileRefused(str(exc), where) from None
        if amount <= 0:
            raise FileRefused(f"amount {row['amount']!r} is not a payment received", where)
        day = _day(row["payment date"], where)
        invoice = row.get("invoice number", "")
        memo = row.get("memo", "")
        email = row.get("payer email", "").lower()
        raw_text = ",".join(f"{k}={v}" for k, v in row.items() if v)
        common = {
            "source": SOURCE,
            "currency": currency,
            "value_date": day,
            "payer_name": row["payer business name"],
            "payer_account": f"plastiq:{email}" if email else "",
            "remittance": " | ".join(t for t in (invoice, memo) if t),
            "location": where,
            "raw": raw_text,
            "type_code": status or "CHARGED",
        }
        records.append(
            PaymentRecord(
                source_ref=payment_id,
                dedupe_key=payment_id,
                kind="payment",
                amount=amount,
                references=(invoice,) if invoice else (),
                **common,  # type: ignore[arg-type]
            )
        )
        if status == "REFUNDED":
            records.append(
                PaymentRecord(
                    source_ref=f"{payment_id}:refund",
                    dedupe_key=f"{payment_id}:refund",
                    kind="refund",
                    amount=-amount,
                    related_ref=payment_id,
                    **common,  # type: ignore[arg-type]
                )
            )
        payout = row.get("payout id", "")
        if payout and status != "REFUNDED":
            paid_out = _day(row["payout date"], where) if row.get("payout date") else day
            payouts[(payout, currency)].append((amount, paid_out, where))
    for (payout, currency), parts in sorted(payouts.items()):
        records.append(
            PaymentRecord(
                source=SOURCE,
                source_ref=payout,
                dedupe_key=f"payout:{payout}",
                kind="settlement",
                amount=-sum((a for a, _, _ in parts), Decimal(0)),
                currency=currency,
                value_date=max(d for _, d, _ in parts),
                payer_name="PLASTIQ",
                remittance=f"payout of {len(parts)} payments",
                location=", ".join(w for _, _, w in parts),
            )
        )
    return ExtractResult(records=tuple(records), issues=tuple(issues))


PLASTIQ = register(PlastiqConnector())
