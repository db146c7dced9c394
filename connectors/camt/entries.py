"""One camt report block and its entries: the block, each ``Ntry``'s booking status and
shared facts, and the parts a batch entry splits into.

Design note (ISO 20022 camt.052/053/054 ``ReportEntry`` / ``EntryDetails`` /
``EntryTransaction``). :mod:`connectors.camt.parse` turns each :class:`Part` into a
payment; everything an entry says before that - whether it is booked, its amount, sign
and dates, and how its amount divides over its transactions - is read here:

* Only booked entries (``Sts`` ``BOOK``, written as text up to .001.06 and as ``Sts/Cd``
  from .001.07) are money that moved; pending, information and future entries are skipped
  and counted in one warning, so a camt.052 intraday report never books cash twice.
  Named leniency *camt.053 entries without Sts* (the Lithuanian settlement account's
  statement again): ``Sts`` is mandatory, but a camt.053 statement reports its account's
  bookings, so an entry there without the element is read as booked, with a warning, and
  the tie-out verifies it. In a camt.052 report or camt.054 notification, where pending
  and information entries are common, a missing status still refuses the file.
  ``INFO`` is not money either, also on instant-payment settlement accounts: the code
  means the entry "is only provided for information, and no booking on the account
  owner's account in the account servicer's ledger has been performed" (ISO 20022
  EntryStatus). The camt.054 of such an account (peer file subite_CAMT_054-2024-03-09, one
  INFO entry of 55 transactions) therefore gives 0 payments and the warning; the booked
  entries come in the account's camt.053, and booking both would count the cash twice.
* One payment per ``TxDtls``; an entry without details is one payment. An entry with one
  ``TxDtls`` books the entry amount (that is what hit the account; a differing transaction
  amount in the same currency is a warning). A batch entry with several ``TxDtls`` is split:
  each part takes its own amount (``TxDtls/Amt``, ``AmtDtls/TxAmt``, ``CntrValAmt``,
  ``InstdAmt``, preferring one in the entry currency) and the parts must add up to the entry
  amount, else a warning names the entry. When a part has no amount the split is unknown
  and the entry stays one payment carrying every part's references (warning).
* Sign: ``CdtDbtInd`` CRDT is money in (+), DBIT money out (-); a ``TxDtls`` of a batch may
  carry its own. ``RvslInd`` true does not change the sign (the indicator already says which
  way this booking went) but makes it a ``return``: DBIT+reversal is a credit taken back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from cashapp.domain import FileRefused, Issue
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency
from connectors.camt.fields import (
    NO_DETAILS,
    FieldError,
    Transaction,
    bank_transaction_code,
    clean,
    given,
    parse_date,
    read_date,
    read_indicator,
    read_money,
    read_transaction,
    with_sign,
)
from connectors.camt.xml_tree import find, findall, text

_PART_AMOUNTS: Final = (
    "Amt",
    "AmtDtls/TxAmt/Amt",
    "AmtDtls/CntrValAmt/Amt",
    "AmtDtls/InstdAmt/Amt",
)


@dataclass(frozen=True, slots=True)
class Block:
    """The statement / notification / report an entry belongs to."""

    label: str  # "Stmt 1234Test/1"
    account_id: str  # unmasked, only ever hashed into dedupe keys
    account: str  # masked
    created: str  # CreDtTm of the block (or the group header), the last-resort date


@dataclass(frozen=True, slots=True)
class Entry:
    """Entry-level facts every part of the entry shares."""

    amount: Decimal  # signed
    credit: bool
    reversal: bool
    currency: str
    booking_date: date | None
    value_date: date
    servicer_ref: str
    entry_ref: str
    type_code: str
    info: str  # AddtlNtryInf
    charges_only: bool


@dataclass(frozen=True, slots=True)
class Part:
    """One future payment: its amount and the transaction(s) it stands for."""

    amount: Decimal  # signed
    currency: str
    credit: bool
    index: int  # 1-based TxDtls index; 0 for the entry itself
    details: tuple[Transaction, ...]
    element: ET.Element


def read_block(element: ET.Element, tag: str, number: int, header_created: str) -> Block:
    ident = text(element, "Id")
    account_id = text(element, "Acct/Id/IBAN") or text(element, "Acct/Id/Othr/Id")
    label = f"{tag} {ident or number}"
    account_currency = text(element, "Acct/Ccy")
    if account_currency:
        try:
            check_currency(account_currency, allow_no_currency=True)
        except MoneyError as exc:
            raise FileRefused(
                f"the account currency (Acct/Ccy) {account_currency!r} is not an ISO 4217 code",
                label,
            ) from exc
    return Block(
        label=label,
        account_id=account_id,
        account=mask_account(account_id),
        created=text(element, "CreDtTm") or header_created,
    )


def entry_status(ntry: ET.Element, family: str, unstated: list[str], where: str) -> str:
    """The entry's booking status; see the module note for a camt.053 entry without one."""
    status = text(ntry, "Sts") or text(ntry, "Sts/Cd") or text(ntry, "Sts/Prtry")
    if status:
        return status.upper()
    if family != "camt.053" or ntry.find("Sts") is not None:
        raise FieldError("the entry has no booking status (Sts)")
    unstated.append(where)
    return "BOOK"


def _own_text(children: dict[str, ET.Element], tag: str) -> str:
    found = children.get(tag)
    return found.text.strip() if found is not None and found.text else ""


def read_entry(ntry: ET.Element, block: Block, where: str, issues: list[Issue]) -> Entry:
    children = {child.tag: child for child in ntry}  # one pass instead of a find per field
    amount_element = children.get("Amt")
    if amount_element is None:
        raise FieldError("the entry has no amount (Amt)")
    amount, currency = read_money(amount_element, where, issues)
    credit = read_indicator(ntry, "the entry's")
    booking = read_date(ntry, "BookgDt") if "BookgDt" in children else None
    value = (read_date(ntry, "ValDt") if "ValDt" in children else None) or booking
    if value is None:
        if not block.created:
            raise FieldError("the entry has no booking or value date")
        value = parse_date(block.created)
        issues.append(
            Issue("warning", f"no booking or value date; the {block.label} date is used", where)
        )
    return Entry(
        amount=with_sign(amount, credit),
        credit=credit,
        reversal=_own_text(children, "RvslInd").lower() in ("true", "1"),
        currency=currency,
        booking_date=booking,
        value_date=value,
        servicer_ref=given(_own_text(children, "AcctSvcrRef")),
        entry_ref=given(_own_text(children, "NtryRef")),
        type_code=bank_transaction_code(children.get("BkTxCd")),
        info=clean(_own_text(children, "AddtlNtryInf")),
        charges_only=(
            not credit and "Chrgs" in children and _charges_total(ntry, where, issues) == amount
        ),
    )


def _charges_total(ntry: ET.Element, where: str, issues: list[Issue]) -> Decimal | None:
    """Total of the entry's ``Chrgs`` (.001.02: repeated ``Chrgs/Amt``; later ``Rcrd``)."""
    total = find(ntry, "Chrgs/TtlChrgsAndTaxAmt")
    if total is not None:
        return read_money(total, where, issues)[0]
    amounts = findall(ntry, "Chrgs/Amt") + findall(ntry, "Chrgs/Rcrd/Amt")
    if not amounts:
        return None
    return sum((read_money(a, where, issues)[0] for a in amounts), Decimal(0))


def split_entry(ntry: ET.Element, entry: Entry, where: str, issues: list[Issue]) -> list[Part]:
    signed = entry.amount
    transactions = findall(ntry, "NtryDtls/TxDtls")
    if not transactions:
        return [Part(signed, entry.currency, entry.credit, 0, (NO_DETAILS,), ntry)]
    details = [
        read_transaction(tx, f"{where} / TxDtls {i}", issues)
        for i, tx in enumerate(transactions, 1)
    ]
    if len(transactions) == 1:
        _check_currencies(transactions[0], entry.currency)
        own = transactions[0].find("Amt")
        entry_text = _must_text(ntry.find("Amt"))
        if own is not None and own.get("Ccy") == entry.currency and own.text != entry_text:
            value = read_money(own, where, issues)[0]
            if value != abs(signed):
                issues.append(
                    Issue(
                        "warning",
                        f"the transaction amount {value} {entry.currency} differs from the "
                        f"entry amount {abs(signed)}; the booked entry amount is used",
                        where,
                    )
                )
        return [Part(signed, entry.currency, entry.credit, 1, (details[0],), transactions[0])]
    amounts = [_part_amount(tx, entry.currency, where, issues) for tx in transactions]
    if any(a is None for a in amounts):
        issues.append(
            Issue(
                "warning",
                f"the entry has {len(transactions)} transactions but not every one has an "
                "amount, so it cannot be split; it is kept as one payment",
                where,
            )
        )
        return [Part(signed, entry.currency, entry.credit, 0, tuple(details), ntry)]
    parts = []
    for i, (tx, found) in enumerate(zip(transactions, amounts, strict=True), 1):
        assert found is not None
        credit = (
            read_indicator(tx, "a transaction's")
            if tx.find("CdtDbtInd") is not None
            else entry.credit
        )
        parts.append(Part(with_sign(found[0], credit), found[1], credit, i, (details[i - 1],), tx))
    _check_split(parts, signed, entry.currency, where, issues)
    return parts


def _check_currencies(tx: ET.Element, currency: str) -> None:
    """Every amount of a transaction names an ISO 4217 currency, used or not.

    The entry amount is what is booked, but an unknown code in the transaction's own
    amounts means the file is not what the bank sent (issue 10: ``XYZ`` got in).
    """
    for path in _PART_AMOUNTS:
        element = find(tx, path)
        code = element.get("Ccy") if element is not None else None
        if code is not None and code != currency:
            try:
                check_currency(code, allow_no_currency=True)
            except MoneyError as exc:
                raise FieldError(f"the transaction amount's currency {code!r}: {exc}") from exc


def _must_text(element: ET.Element | None) -> str | None:
    return element.text if element is not None else None


def _part_amount(
    tx: ET.Element, currency: str, where: str, issues: list[Issue]
) -> tuple[Decimal, str] | None:
    """A batch part's amount, preferring one in the entry's currency."""
    found = [e for e in (find(tx, p) for p in _PART_AMOUNTS) if e is not None]
    if not found:
        return None
    _check_currencies(tx, currency)
    chosen = next((e for e in found if e.get("Ccy") == currency), found[0])
    return read_money(chosen, where, issues)


def _check_split(
    parts: list[Part], signed: Decimal, currency: str, where: str, issues: list[Issue]
) -> None:
    currencies = {p.currency for p in parts}
    if currencies != {currency}:
        issues.append(
            Issue(
                "warning",
                f"the entry's {len(parts)} transactions are in {', '.join(sorted(currencies))} "
                f"but the entry is {signed} {currency}; the split cannot be checked",
                where,
            )
        )
        return
    total = sum((p.amount for p in parts), Decimal(0))
    if total != signed:
        issues.append(
            Issue(
                "warning",
                f"the entry's {len(parts)} transactions add up to {total} {currency}, not the "
                f"entry amount {signed} {currency}; each keeps its own amount",
                where,
            )
        )
