"""Reading the fields of one camt transaction: amounts, dates, parties, references, remittance.

Design note. Element paths are local names (namespaces are stripped on load) and cover
camt.052/053/054 versions .001.02 to .001.08 (ISO 20022 message definition report,
``EntryTransaction`` / ``ReportEntry``):

* amounts are ``xs:decimal`` with ``Ccy`` (``ActiveOrHistoricCurrencyAndAmount``): no sign,
  no exponent, at most 5 fraction digits. An amount finer than its currency is kept exactly
  with a warning when DECIMAL(18,4) can hold it (a trailing-zero ``8.850`` is simply 8.85),
  and refused when it cannot: rounding money is not a parser's call.
* the credit/debit indicator ``CdtDbtInd`` is ``CRDT`` or ``DBIT`` (:func:`read_indicator`),
  anything else or none is a broken field; :func:`with_sign` applies it to an amount, which
  carries no sign of its own.
* dates are ``Dt`` (``2017-04-01``, some banks append a zone, ``2017-04-01+02:00``) or
  ``DtTm``; the business date is the calendar date the bank wrote.
* parties: ``RltdPties/Dbtr/Nm`` up to .001.07, ``Dbtr/Pty/Nm`` from .001.08; accounts
  ``.../Id/IBAN`` or ``.../Id/Othr/Id``.
* remittance: ``RmtInf/Ustrd`` (repeatable) and ``RmtInf/Strd`` with ``RfrdDocInf``
  (type code + number), ``RfrdDocAmt`` (``DuePyblAmt``, ``DscntApldAmt`` - a plain amount
  in .001.02, ``DscntApldAmt/Amt`` later - and ``RmtdAmt``), ``CdtrRefInf/Ref`` and
  ``AddtlRmtInf``; plus ``AddtlTxInf``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from cashapp.domain import Issue, RemittanceLine
from cashapp.masking import mask_account
from cashapp.money import MAX_AMOUNT, MoneyError, check_currency, minor_units, quantize
from connectors.camt.xml_tree import child_texts, find, text

#: ``RfrdDocInf/Tp/CdOrPrtry/Cd`` -> RemittanceLine qualifier (X12 RMR01 style where one
#: exists); any other document type keeps its ISO code, no type at all means an invoice.
_DOCUMENT_QUALIFIERS: Final = {
    "CINV": "IV",  # commercial invoice
    "HIRI": "IV",  # hire invoice
    "SBIN": "IV",  # self-billed invoice
    "CMCN": "IV",  # commercial contract
    "PUOR": "PO",  # purchase order
}

NOT_PROVIDED: Final = "NOTPROVIDED"


class FieldError(ValueError):
    """A malformed field; the caller decides whether that refuses the file or warns."""


def clean(value: str) -> str:
    """Collapse whitespace (banks wrap long texts over lines and pad with blanks)."""
    return " ".join(value.split())


def given(reference: str) -> str:
    """A reference, or "" when it is the SEPA placeholder ``NOTPROVIDED`` (any case)."""
    return "" if reference.upper() == NOT_PROVIDED else reference


def parse_decimal(raw: str) -> Decimal:
    """An ISO 20022 amount: unsigned ``xs:decimal`` digits with at most one point."""
    digits = raw.strip()
    if digits.startswith("+"):
        digits = digits[1:]
    body = digits.replace(".", "", 1)
    if not body or not body.isascii() or not body.isdigit():
        raise FieldError(f"amount {raw.strip()!r} is not a decimal number")
    try:
        return Decimal(digits)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the digit check
        raise FieldError(f"amount {raw.strip()!r} is not a decimal number") from exc


def to_money(value: Decimal, currency: str, where: str, issues: list[Issue]) -> Decimal:  # noqa: ARG001 - the (where, issues) every camt field reader takes; read_money passes them on
    """``value`` as stored money, in the currency's minor unit, or a refusal.

    Finer than the currency allows (``10.125`` CHF) is refused, as by every other
    connector and by ingest's own check: keeping it here only moved the refusal to
    ingest, and rounding would change money the bank reported.
    """
    if abs(value) > MAX_AMOUNT:
        raise FieldError(f"amount {value} {currency} is too large to store")
    try:
        return quantize(value, currency)
    except MoneyError as exc:
        raise FieldError(
            f"amount {value} {currency} has more decimal places than {currency} allows "
            f"({minor_units(currency)}); refusing rather than rounding money"
        ) from exc


def read_money(element: ET.Element, where: str, issues: list[Issue]) -> tuple[Decimal, str]:
    """An ``...Amt`` element with its ``Ccy`` attribute -> (amount, currency)."""
    raw_currency = (element.get("Ccy") or "").strip()
    if not raw_currency:
        raise FieldError("the amount has no currency (Ccy attribute)")
    try:
        # XXX ("no currency") is a named leniency for statements; ingest warns about it
        currency = check_currency(raw_currency, allow_no_currency=True)
    except MoneyError as exc:
        raise FieldError(f"the amount's currency {raw_currency!r} is not an ISO 4217 code") from exc
    return to_money(parse_decimal(element.text or ""), currency, where, issues), currency


def read_indicator(element: ET.Element, whose: str) -> bool:
    """``CdtDbtInd``: True for CRDT, False for DBIT; anything else is a broken file."""
    indicator = text(element, "CdtDbtInd")
    if indicator == "CRDT":
        return True
    if indicator == "DBIT":
        return False
    found = f"found {indicator!r}" if indicator else "it is missing"
    raise FieldError(f"{whose} credit/debit indicator (CdtDbtInd) must be CRDT or DBIT; {found}")


def with_sign(magnitude: Decimal, credit: bool) -> Decimal:
    return magnitude if credit else -magnitude


def read_date(parent: ET.Element, tag: str) -> date | None:
    """``<tag><Dt>`` or ``<tag><DtTm>`` as the calendar date written; None when absent."""
    raw = text(parent, f"{tag}/Dt") or text(parent, f"{tag}/DtTm")
    return parse_date(raw) if raw else None


def parse_date(raw: str) -> date:
    """``2017-04-01``, ``2017-04-01+02:00`` or ``2014-12-31T13:15:00+01:00`` -> the date."""
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise FieldError(f"{raw!r} is not a date (expected YYYY-MM-DD)") from exc


def bank_transaction_code(element: ET.Element | None) -> str:
    """``BkTxCd`` as ``PMNT/RCDT/ESCT`` (ISO domain/family/sub-family) or its proprietary code."""
    if element is None:
        return ""
    domain = text(element, "Domn/Cd")
    if domain:
        return f"{domain}/{text(element, 'Domn/Fmly/Cd')}/{text(element, 'Domn/Fmly/SubFmlyCd')}"
    return text(element, "Prtry/Cd")


def party_name(parties: dict[str, ET.Element], role: str) -> str:
    """Name of ``Dbtr``/``Cdtr``/``UltmtDbtr``... with (.001.08) or without the ``Pty`` wrapper."""
    party = parties.get(role)
    if party is None:
        return ""
    return clean(text(party, "Nm") or text(party, "Pty/Nm"))


def account_id(parties: dict[str, ET.Element], role: str) -> str:
    """``DbtrAcct``/``CdtrAcct`` IBAN, else the other identification."""
    account = parties.get(role)
    if account is None:
        return ""
    return text(account, "Id/IBAN") or text(account, "Id/Othr/Id")


@dataclass(frozen=True, slots=True)
class Transaction:
    """What one ``TxDtls`` (or an entry without one) says about a payment, amounts aside."""

    end_to_end_id: str = ""
    instruction_id: str = ""
    transaction_id: str = ""
    payment_info_id: str = ""
    mandate_id: str = ""
    uetr: str = ""
    servicer_ref: str = ""
    cheque_number: str = ""
    debtor_name: str = ""
    debtor_account: str = ""  # masked
    creditor_name: str = ""
    creditor_account: str = ""  # masked
    remittance: tuple[str, ...] = ()  # readable pieces, in carrier order
    lines: tuple[RemittanceLine, ...] = ()
    creditor_refs: tuple[str, ...] = ()
    returned: bool = False  # carries RtrInf
    return_reason: str = ""
    return_original_ref: str = ""
    type_code: str = ""


NO_DETAILS: Final = Transaction()


def read_transaction(tx: ET.Element, where: str, issues: list[Issue]) -> Transaction:
    """Everything but the amount from one ``TxDtls``."""
    refs = child_texts(tx.find("Refs"))
    related = tx.find("RltdPties")
    parties = {child.tag: child for child in related} if related is not None else {}
    returned = tx.find("RtrInf")
    pieces, lines, creditor_refs = read_remittance(tx, where, issues)
    return Transaction(
        end_to_end_id=given(refs.get("EndToEndId", "")),
        instruction_id=given(refs.get("InstrId", "")),
        transaction_id=given(refs.get("TxId", "")),
        payment_info_id=given(refs.get("PmtInfId", "")),
        mandate_id=given(refs.get("MndtId", "")),
        uetr=refs.get("UETR", ""),
        servicer_ref=given(refs.get("AcctSvcrRef", "")),
        cheque_number=refs.get("ChqNb", ""),
        debtor_name=party_name(parties, "Dbtr") or party_name(parties, "UltmtDbtr"),
        debtor_account=mask_account(account_id(parties, "DbtrAcct")),
        creditor_name=party_name(parties, "Cdtr") or party_name(parties, "UltmtCdtr"),
        creditor_account=mask_account(account_id(parties, "CdtrAcct")),
        remittance=pieces,
        lines=lines,
        creditor_refs=creditor_refs,
        returned=returned is not None,
        return_reason=(
            (text(returned, "Rsn/Cd") or text(returned, "Rsn/Prtry"))
            if returned is not None
            else ""
        ),
        return_original_ref=(
            given(text(returned, "OrgnlEndToEndId")) if returned is not None else ""
        ),
        type_code=bank_transaction_code(tx.find("BkTxCd")),
    )


def read_remittance(
    tx: ET.Element, where: str, issues: list[Issue]
) -> tuple[tuple[str, ...], tuple[RemittanceLine, ...], tuple[str, ...]]:
    """The ``RmtInf`` children of ``tx``: text pieces, structured lines, creditor references.

    Also reads the XML remittance of NACHA CTX addenda (:mod:`connectors.nacha.xml_addenda`).
    """
    pieces: list[str] = []
    lines: list[RemittanceLine] = []
    creditor_refs: list[str] = []
    for info in tx.findall("RmtInf"):
        unstructured = " ".join(filter(None, (clean(u.text or "") for u in info.findall("Ustrd"))))
        if unstructured:
            pieces.append(unstructured)
        for block in info.findall("Strd"):
            documents = block.findall("RfrdDocInf")
            amounts = _document_amounts(block.find("RfrdDocAmt"), where, issues)
            for document in documents:
                number = clean(text(document, "Nb"))
                if not number:
                    continue
                code = text(document, "Tp/CdOrPrtry/Cd") or text(document, "Tp/CdOrPrtry/Prtry")
                pieces.append(f"{code} {number}" if code else number)
                qualifier = _DOCUMENT_QUALIFIERS.get(code, code or "IV")
                # Strd-level amounts belong to a document only when it is the only one.
                paid, total, discount = amounts if len(documents) == 1 else (None, None, None)
                lines.append(RemittanceLine(number, qualifier, paid, total, discount))
            reference = clean(text(block, "CdtrRefInf/Ref"))
            if reference:
                creditor_refs.append(reference)
                pieces.append(reference)
            pieces.extend(filter(None, (clean(a.text or "") for a in block.findall("AddtlRmtInf"))))
    pieces.extend(filter(None, (clean(a.text or "") for a in tx.findall("AddtlTxInf"))))
    return tuple(pieces), tuple(lines), tuple(creditor_refs)


def _document_amounts(
    element: ET.Element | None, where: str, issues: list[Issue]
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """``RfrdDocAmt`` -> (remitted, due payable, discount applied); bad amounts warn."""
    if element is None:
        return None, None, None

    def amount(*paths: str) -> Decimal | None:
        for path in paths:
            found = find(element, path)
            if found is not None and found.get("Ccy") is not None:
                try:
                    return read_money(found, where, issues)[0]
                except FieldError as exc:
                    issues.append(Issue("warning", f"remittance amount ignored: {exc}", where))
                    return None
        return None

    return (
        amount("RmtdAmt"),
        amount("DuePyblAmt"),
        amount("DscntApldAmt", "DscntApldAmt/Amt"),
    )
