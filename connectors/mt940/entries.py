"""One MT940 statement line (``:61:`` with its ``:86:``) as the fields of a payment: sign,
kind, references and counterparty.

Classification, the source reference and a counter-account hidden in the customer reference
are pure functions of the line's text, so each rule can be tested on its own;
:func:`read_entry` puts them together with what the statement as a whole gives the line
(account, currency, the amount reading of :mod:`connectors.mt940.statements`). The
decisions they implement (sign, kind, ``source_ref``, counter-account in the reference,
``dedupe_key``) are listed in the module note of :mod:`connectors.mt940.connector`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from cashapp.domain import Issue, stable_key
from cashapp.masking import mask_account
from connectors.mt940.details import NO_REFERENCE, TransactionDetails, parse_details
from connectors.mt940.statements import StatementState, date_warning, read_amount, statement_key
from connectors.mt940.syntax import Field, StatementLine, read_statement_line

#: The source name every record of this connector carries.
NAME: Final = "mt940"

#: SWIFT transaction types (after the N/F/S letter) that are bank charges or commission.
_FEE_TYPES: Final = frozenset({"CHG", "COM"})
#: German GVCs for charges and account closing entries (DFÜ Anlage 3 code list).
_FEE_GVC: Final = frozenset({"805", "806", "808", "809"})
#: German GVCs of returned direct debits (money we collected taken back).
_DEBIT_RETURN_GVC: Final = frozenset({"009", "109"})
#: German GVCs of our own outgoing transfer coming back.
_CREDIT_RETURN_GVC: Final = frozenset({"159"})

#: Customer references that only point at the :86: field (Rabobank "EREF", "KREF+").
_KEYWORD_PLACEHOLDERS: Final = frozenset({"EREF", "KREF", "MREF", "PREF", "MARF"})

_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
#: A pre-IBAN Dutch account number: 7 giro digits after "P", or 9-10 bank digits.
_DOMESTIC_ACCOUNT = r"(?:P\d{1,9}|\d{9,10})"
#: Legacy Rabobank :61: reference: the counter-account (16x), then the counterparty name.
_ACCOUNT_THEN_NAME = re.compile(rf"({_DOMESTIC_ACCOUNT}|NONREF) +(\S.*)")
_DOMESTIC_ONLY = re.compile(_DOMESTIC_ACCOUNT)
#: ``:25:`` of a pre-IBAN Rabobank statement: the domestic account and the currency.
_LEGACY_STATEMENT_ACCOUNT = re.compile(r"[\d.]+ ?[A-Z]{3}")


def is_iban(text: str) -> bool:
    """True if ``text`` has the shape of an IBAN (country, check digits, 10-30 characters)."""
    return _IBAN.fullmatch(text.replace(" ", "")) is not None


def classify(mark: str, type_code: str, gv_code: str, return_reason: str) -> str:
    """The payment kind of one statement line (see the module docstring for the table)."""
    kind_of_type = type_code[1:] if len(type_code) == 4 else ""
    if mark == "RC":
        return "return"
    if mark == "RD":
        return "other"
    if mark == "C":
        if kind_of_type == "RTI" or gv_code in _CREDIT_RETURN_GVC or kind_of_type in _FEE_TYPES:
            return "other"
        return "payment"
    if kind_of_type in _FEE_TYPES or gv_code in _FEE_GVC:
        return "fee"
    if kind_of_type == "RTI" or gv_code in _DEBIT_RETURN_GVC or return_reason:
        return "return"
    return "other"


class Counterparty(NamedTuple):
    """What a :61: customer reference says when it is not a reference at all."""

    reference: str
    account: str = ""
    name: str = ""


def counterparty_in_reference(
    customer_ref: str, bank_ref: str, legacy: bool, details: str
) -> Counterparty:
    """Split a counter-account (and name) out of the :61: customer reference.

    Pre-IBAN Dutch banks put the counterparty's domestic account number in the
    reference subfield: Rabobank as ``0733959555      T-MOBILE NETHERLANDS BV`` (16
    characters of account or NONREF, then the name), or the number alone in statements
    whose ``:25:`` is a domestic account with its currency (``1017.490.554EUR``); SNS
    repeats the number at the start of ``:86:``. Such a number is an account - masked,
    never a ``source_ref`` - and the name is the payer's.
    """
    if bank_ref:
        return Counterparty(customer_ref)
    both = _ACCOUNT_THEN_NAME.fullmatch(customer_ref)
    if both:
        account = "" if both.group(1) == "NONREF" else both.group(1)
        return Counterparty("", account, both.group(2).strip())
    if _DOMESTIC_ONLY.fullmatch(customer_ref) and (
        legacy or details.split(None, 1)[:1] == [customer_ref]
    ):
        return Counterparty("", customer_ref)
    return Counterparty(customer_ref)


def source_reference(customer_ref: str, bank_ref: str) -> str:
    """The ``:61:`` bank reference, else a customer reference that is a real reference.

    Not a "NONREF" placeholder, not a keyword pointing at ``:86:``, and not an IBAN (ASN
    puts the counter account there; a full account number must not leave the connector).
    """
    if bank_ref and bank_ref.upper() not in NO_REFERENCE:
        return bank_ref
    if (
        customer_ref.upper() not in NO_REFERENCE
        and customer_ref.upper().rstrip("+") not in _KEYWORD_PLACEHOLDERS
        and not is_iban(customer_ref)
    ):
        return customer_ref
    return ""


@dataclass(frozen=True, slots=True)
class Pending:
    """A record before its dedupe key is numbered by occurrence."""

    key: str
    fields: dict[str, Any]


def read_entry(
    state: StatementState, line61: Field, info: Field | None, ns: Field | None, issues: list[Issue]
) -> Pending:
    """One ``:61:`` (+ ``:86:``) as the fields of a :class:`PaymentRecord`."""
    where = f"line {line61.line}"
    line: StatementLine = read_statement_line(line61)
    if line.value_date.corrected_from:
        issues.append(
            date_warning("value date", line.value_date.corrected_from, line.value_date.value, where)
        )
    if line.entry_date is not None and line.entry_date.corrected_from:
        issues.append(
            date_warning("entry date", line.entry_date.corrected_from, line.entry_date.value, where)
        )
    magnitude = read_amount(line.amount_text, state, state.currency, where)
    amount = magnitude if line.mark in ("C", "RD") else -magnitude
    details = parse_details(info.text) if info is not None else TransactionDetails()
    kind = classify(line.mark, line.type_code, details.gv_code, details.return_reason)
    in_reference = counterparty_in_reference(
        line.customer_ref,
        line.bank_ref,
        _LEGACY_STATEMENT_ACCOUNT.fullmatch(state.account) is not None,
        details.text,
    )
    counter_account = details.payer_account or in_reference.account
    if not counter_account:
        for candidate in (line.supplementary, line.customer_ref):
            if len(candidate) >= 14 and is_iban(candidate):
                counter_account = candidate.replace(" ", "")
                break
    raw = [":61:" + "\n".join(line61.lines).rstrip()]
    if info is not None:
        raw.append(":86:" + info.text)
    if ns is not None:
        raw.append(":NS:" + ns.text)
    key = stable_key(
        state.account,
        line.value_date.value.isoformat(),
        line.entry_date.value.isoformat() if line.entry_date else "",
        line.mark,
        amount,
        line.customer_ref,
        line.bank_ref,
        details.text,
    )
    return Pending(
        key,
        {
            "source": NAME,
            "source_ref": source_reference(in_reference.reference, line.bank_ref)
            or details.end_to_end_id,
            "kind": kind,
            "amount": amount,
            "currency": state.currency,
            "value_date": line.value_date.value,
            "payer_name": details.payer_name or in_reference.name,
            "payer_account": mask_account(counter_account) if counter_account else "",
            "remittance": details.remittance,
            "references": details.references,
            "reason_code": (details.return_reason or details.text_key_extension)
            if kind == "return"
            else "",
            "account": state.masked_account,
            "type_code": line.type_code + (f"/{details.gv_code}" if details.gv_code else ""),
            "location": where,
            "raw": "\n".join(raw),
            "statement": statement_key(state),
        },
    )
