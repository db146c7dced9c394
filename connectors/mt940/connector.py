"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) connector.

Implements the statement fields of SWIFT MT940/MT942 (User Handbook Category 9): ``:20:``
reference, ``:25:`` account, ``:28C:`` statement number, ``:60F:/:60M:`` opening,
``:61:`` statement line, ``:86:`` information to account owner, ``:62F:/:62M:`` closing,
``:64:`` available, ``:65:`` forward available, and for MT942 ``:34F:`` floor limit and
``:90D:/:90C:`` entry totals. Syntax lives in :mod:`connectors.mt940.syntax`, the bank
layouts of ``:86:`` in :mod:`connectors.mt940.details`.

Decisions (see the module functions for the why):

* **Sign** from our side: ``C`` credit +, ``D`` debit -, ``RC`` (reversal of a credit)
  -, ``RD`` (reversal of a debit) +.
* **Kind**: ``C`` -> payment, ``D`` -> other; ``RC`` -> return (a credit we received
  was taken back); ``RD`` -> other (money back for something we paid). A debit with
  type ``NRTI`` or German GVC 009/109 (returned direct debit) is a return, with the
  ``?34``/``/RTRN/`` reason code; a credit with ``NRTI`` or GVC 159 (our own transfer
  bounced back) is other, not a customer payment. Debits typed ``NCHG``/``NCOM`` (and
  ``F``...) or with GVC 805/806/808/809 (charges, closing entries) are fees.
* **Currency** comes from the statement's own ``:60F:/:60M:``, else MT942's ``:34F:``,
  else ``:62F:/:62M:`` (warned). A statement with none of them is **refused**: an amount
  without a currency cannot be booked, and guessing the configured default currency
  would book a HUF statement as USD.
* **Impossible dates** (30 February, 31 April: German banks' period end) are kept as the
  month's last day with a warning naming the line and the raw date.
* ``source_ref`` is the ``:61:`` bank reference (after ``//``), else the customer
  reference unless it says NONREF or is an IBAN (ASN puts the counter account there and
  a full account number must not leave the connector).
* A pre-IBAN **counter-account in the reference** (Rabobank ``0733959555      T-MOBILE
  NETHERLANDS BV``, SNS) is the payer's masked account and name, never the source_ref.
* **Amounts** are read in one place (:func:`_amount`): the SWIFT decimal comma only,
  unless ``[sources.mt940] decimal = "."`` (the ``decimal-period`` leniency, warned).
* **Leniencies and reports**: several ``:86:`` after one ``:61:`` (``repeated-86``) are
  one field; a line starting with a tag MT940 does not define is reported (dropped from
  single-line fields, kept as text inside ``:86:``).
* ``dedupe_key`` = stable_key(:25: account, value date, entry date, mark, amount,
  customer ref, bank ref, normalized :86: text), numbered by occurrence in the file. The
  statement number and file name stay out, so the same line in an MT942 interim report
  and the evening's MT940 dedupes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, NamedTuple

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    SettingsError,
    check_settings_keys,
    occurrence_keys,
    stable_key,
)
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency, parse_amount
from connectors.base import ExtractContext, ExtractResult, decode_text, register
from connectors.mt940.details import NO_REFERENCE, TransactionDetails, parse_details
from connectors.mt940.syntax import (
    BalanceField,
    Field,
    StatementBlock,
    StatementLine,
    normalize_text,
    read_balance,
    read_floor_limit,
    read_statement_line,
    read_summary,
    split_statements,
)

NAME: Final = "mt940"
#: The keys of ``[sources.mt940]`` (tests/test_config.py wants each documented).
SETTINGS_KEYS: Final = frozenset({"decimal"})

_OPENING: Final = ("60F", "60M", "60")
_CLOSING: Final = ("62F", "62M", "62")
_BALANCE_KIND: Final[dict[str, str]] = {
    "60F": "opening", "60M": "opening", "60": "opening",
    "62F": "closing", "62M": "closing", "62": "closing",
    "64": "available", "65": "available",
}  # fmt: skip

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


@dataclass(slots=True)
class _Statement:
    """Mutable working state while one statement is read (never leaves this module)."""

    block: StatementBlock
    decimal: str = ","
    account: str = ""
    masked_account: str = ""
    currency: str = ""
    balances: list[tuple[Field, BalanceField]] = field(default_factory=list)
    floor_limit: Field | None = None
    summaries: list[Field] = field(default_factory=list)
    entries: list[tuple[Field, Field | None, Field | None]] = field(default_factory=list)
    #: line of the first statement line that carried more than one :86: field, or 0
    repeated_86: int = 0
    #: unknown ``:TAG:`` lines: (tag, line, the field they were read into or "" if dropped)
    unknown_tags: list[tuple[str, int, str]] = field(default_factory=list)
    #: line of the first amount written with a period (only with ``decimal = "."``), or 0
    period_amount: int = 0


def _gather(block: StatementBlock, decimal: str) -> _Statement:  # noqa: C901 - one branch per MT940 field tag of a statement
    """Sort a statement's fields by role; ``:86:`` belongs to the ``:61:`` just before it.

    SWIFT allows one ``:86:`` per ``:61:``. Pre-2014 Rabobank exports write one ``:86:``
    per line of text instead (up to six); they are read as the lines of one field, and
    :func:`_read` reports the leniency once per file.
    """
    state = _Statement(block, decimal)
    line61: Field | None = None  # the statement line whose :86:/:NS: may follow
    info: Field | None = None
    ns: Field | None = None
    for item in block.fields:
        tag = item.tag
        if len(item.lines) > 1:
            state.unknown_tags += _unknown_tags(item)
        if line61 is not None:
            if tag == "86" and info is None:
                info = item
                continue
            if tag == "86" and info is not None and ns is None:  # repeated: continues it
                info = Field(info.tag, info.line, info.lines + item.lines)
                state.repeated_86 = state.repeated_86 or line61.line
                continue
            if tag == "NS" and ns is None:
                ns = item
                continue
            state.entries.append((line61, info, ns))
            line61 = info = ns = None
        if tag == "61":
            line61 = item
        elif tag == "25" and not state.account:
            state.account = item.value
        elif tag in _BALANCE_KIND:
            state.balances.append((item, read_balance(item)))
        elif tag == "34F" and state.floor_limit is None:
            state.floor_limit = item
        elif tag in ("90D", "90C"):
            state.summaries.append(item)
        # :28C:, :21:, :13D:, statement-level :86: and :NS: carry nothing we book
    if line61 is not None:
        state.entries.append((line61, info, ns))
    return state


#: Fields whose continuation lines are content; in any other field they are ignored.
_MULTILINE_TAGS: Final = frozenset({"61", "86", "NS"})
_UNKNOWN_TAG = re.compile(r":(\d\d[A-Z]?):")


def _unknown_tags(item: Field) -> list[tuple[str, int, str]]:
    """Lines inside a field that start like a ``:TAG:`` MT940 does not define.

    The syntax reads them as continuation lines (``:12:11`` may be the end of a wrapped
    time stamp). In :86:/:61:/:NS: they stay text; any other field ignores its
    continuation lines, so there the unknown field is dropped. Either way it is reported.
    """
    into = item.tag if item.tag in _MULTILINE_TAGS else ""
    found: list[tuple[str, int, str]] = []
    for offset, line in enumerate(item.lines[1:], start=1):
        match = _UNKNOWN_TAG.match(line)
        if match:
            found.append((match.group(1), item.line + offset, into))
    return found


def _currency(state: _Statement, issues: list[Issue]) -> str:
    """The statement's currency: opening balance, else MT942 floor limit, else closing."""
    where = f"line {state.block.line}"
    by_tag = {item.tag: balance for item, balance in state.balances}
    for tag in _OPENING:
        if tag in by_tag:
            return _checked_currency(by_tag[tag].currency, where)
    if state.floor_limit is not None:
        return _checked_currency(read_floor_limit(state.floor_limit)[0], where)
    for tag in _CLOSING:
        if tag in by_tag:
            issues.append(
                Issue(
                    "warning",
                    "the statement has no opening balance (:60F:/:60M:); its currency "
                    "was taken from the closing balance",
                    where,
                )
            )
            return _checked_currency(by_tag[tag].currency, where)
    raise FileRefused(
        "the statement has no opening balance (:60F:/:60M:), closing balance (:62F:) or "
        "floor limit (:34F:), so its currency is unknown and its amounts cannot be booked",
        where,
    )


#: :64:/:65: (also as the bank's malformed ``:65F:``, which the syntax keeps as text of the
#: field before it): the fields that follow the closing balance.
_TRAILER_TAG: Final = re.compile(r":6[45][A-Z]?:")


def _check_complete(state: _Statement, issues: list[Issue]) -> None:
    """Refuse a statement opened by ``:60F:/:60M:`` whose closing ``:62F:/:62M:`` never came.

    An MT940 statement runs :60: opening, the :61:/:86: lines, :62: closing, then the
    optional :64:/:65:/:86:. Without :62: the file was cut short somewhere among the
    statement lines: the lines read so far are not the statement, and a re-send would
    bring the rest. Named leniency *MT940 statements without a closing balance*
    (Oldenburgische Landesbank / powercloud exports, peer files jk_K4262927_...-952 and
    jk_oldenburgischelandesbank2): the bank omits :62F: but writes its :64:/:65:, which
    come after :62: in the message -- so the statement is complete, only its closing
    balance is missing; it is read with a warning and cannot be tied out. MT942 interim
    reports have no :60:/:62: at all and are not affected.
    """
    tags = {item.tag for item, _ in state.balances}
    if not tags.intersection(_OPENING) or tags.intersection(_CLOSING):
        return
    fields = state.block.fields
    last = fields[-1]
    end = last.line + max((i for i, text in enumerate(last.lines) if text.strip()), default=0)
    opening = next(item for item, _ in state.balances if item.tag in _OPENING)
    after = [item for item in fields if item.line > opening.line]
    trailer = any(item.tag in ("64", "65") for item in after) or any(
        _TRAILER_TAG.match(line) for item in after for line in item.lines[1:]
    )
    if not trailer:
        raise FileRefused(
            f"the statement opened at line {opening.line} (:{opening.tag}:) ends at line {end} "
            "without its closing balance (:62F:/:62M:): the file is truncated or incomplete; "
            "ask the bank to send it again",
            f"line {end}",
        )
    issues.append(
        Issue(
            "warning",
            "leniency 'MT940 statements without a closing balance': the statement has "
            "no :62F:/:62M: but ends with its :64:/:65: fields, so it is read; it cannot be "
            "tied out",
            f"line {opening.line}",
        )
    )


def _checked_currency(code: str, where: str) -> str:
    try:
        return check_currency(code)
    except MoneyError as exc:
        raise FileRefused(f"{code!r} is not a currency code", where) from exc


_AMOUNT_TEXT: Final = {",": re.compile(r"\d+(?:,\d*)?"), ".": re.compile(r"\d+(?:[.,]\d*)?")}
#: ``[sources.mt940] decimal``: the separator the team's banks use (SWIFT: the comma).
DECIMAL_SEPARATORS: Final = tuple(_AMOUNT_TEXT)


def _amount(text: str, state: _Statement, currency: str, where: str) -> Decimal:
    """The one place MT940 amount text becomes money.

    SWIFT amounts are digits with one decimal comma and no grouping (``1234,56``,
    ``203,``). Anything else - a period, two separators, a stray letter - is refused
    with the line, never reinterpreted: read as a comma file, ``300.00`` would be 30000.
    With ``[sources.mt940] decimal = "."`` (pre-2014 Rabobank exports) a period is
    accepted as the decimal separator too - MT940 amounts have no digit grouping, so one
    separator of either kind is unambiguous, and the team's current comma files keep
    working; :func:`_read` warns when a period was read.
    """
    if not _AMOUNT_TEXT[state.decimal].fullmatch(text):
        if state.decimal == "," and _AMOUNT_TEXT["."].fullmatch(text):
            raise FileRefused(
                f"the amount {text!r} has a period as decimal separator; MT940 requires a "
                'comma (set [sources.mt940] decimal = "." to accept such a bank\'s files)',
                where,
            )
        separator = "comma" if state.decimal == "," else "comma or period"
        raise FileRefused(f"the amount {text!r} is not digits with one decimal {separator}", where)
    if state.decimal == "." and "." in text:
        state.period_amount = state.period_amount or int(where.split()[-1])
    whole, _, fraction = text.replace(",", ".").partition(".")
    try:
        return parse_amount(f"{whole}.{fraction or '0'}", currency)
    except MoneyError as exc:
        raise FileRefused(f"the amount {text!r} cannot be read: {exc}", where) from exc


def _date_warning(kind: str, raw: str, read_as: object, where: str) -> Issue:
    return Issue(
        "warning",
        f"the {kind} {raw} is not a calendar date (banks write e.g. 30 February for the "
        f"period end); it was read as {read_as}",
        where,
    )


@dataclass(frozen=True, slots=True)
class _Pending:
    """A record before its dedupe key is numbered by occurrence."""

    key: str
    fields: dict[str, Any]


def _statement_key(state: _Statement) -> str:
    return f":20: at line {state.block.line}"


def _balances(state: _Statement, issues: list[Issue]) -> list[AccountBalance]:
    masked = state.masked_account
    out: list[AccountBalance] = []
    for item, balance in state.balances:
        where = f"line {item.line}"
        if balance.as_of.corrected_from:
            issues.append(
                _date_warning(
                    f"date of :{item.tag}:",
                    balance.as_of.corrected_from,
                    balance.as_of.value,
                    where,
                )
            )
        currency = _checked_currency(balance.currency, where)
        if currency != state.currency:
            issues.append(
                Issue(
                    "warning",
                    f"the balance :{item.tag}: is in {currency}, the statement in {state.currency}",
                    where,
                )
            )
        amount = _amount(balance.amount_text, state, currency, where)
        out.append(
            AccountBalance(
                account=masked,
                currency=currency,
                as_of=balance.as_of.value,
                kind=_BALANCE_KIND[item.tag],  # type: ignore[arg-type]
                amount=-amount if balance.mark == "D" else amount,
                type_code=item.tag,
                statement=_statement_key(state),
            )
        )
    return out


def _entry(
    state: _Statement, line61: Field, info: Field | None, ns: Field | None, issues: list[Issue]
) -> _Pending:
    """One ``:61:`` (+ ``:86:``) as the fields of a :class:`PaymentRecord`."""
    where = f"line {line61.line}"
    line: StatementLine = read_statement_line(line61)
    if line.value_date.corrected_from:
        issues.append(
            _date_warning(
                "value date", line.value_date.corrected_from, line.value_date.value, where
            )
        )
    if line.entry_date is not None and line.entry_date.corrected_from:
        issues.append(
            _date_warning(
                "entry date", line.entry_date.corrected_from, line.entry_date.value, where
            )
        )
    magnitude = _amount(line.amount_text, state, state.currency, where)
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
    return _Pending(
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
            "statement": _statement_key(state),
        },
    )


def _check_summaries(state: _Statement, pending: list[_Pending], issues: list[Issue]) -> None:
    """Warn when MT942 :90D:/:90C: totals disagree with the lines listed.

    Opening + lines = closing is checked for every format alike at ingest
    (:mod:`cashapp.statements`), per statement: the records and balances carry its
    ``:20:`` line.
    """
    amounts = [p.fields["amount"] for p in pending]
    for item in state.summaries:
        summary = read_summary(item)
        if summary is None:
            continue
        count, _, text = summary
        credit = item.tag == "90C"
        own = [a for a in amounts if (a > 0 if credit else a < 0)]
        expected = _amount(text, state, state.currency, f"line {item.line}")
        if len(own) != count or abs(sum(own, Decimal(0))) != expected:
            issues.append(
                Issue(
                    "warning",
                    f"the :{item.tag}: total says {count} entries of {expected}, the report "
                    f"has {len(own)} of {abs(sum(own, Decimal(0)))}",
                    f"line {item.line}",
                )
            )


def _file_warnings(states: list[_Statement]) -> list[Issue]:
    """The leniencies a file needed, each reported once (with its first line)."""
    issues: list[Issue] = []
    repeated = [s.repeated_86 for s in states if s.repeated_86]
    if repeated:
        issues.append(
            Issue(
                "warning",
                "leniency repeated-86: statement lines carry several :86: fields (pre-2014 "
                "Rabobank, Danske Bank; SWIFT allows one); they were read as the lines of "
                "one field",
                f"line {repeated[0]}",
            )
        )
    periods = [s.period_amount for s in states if s.period_amount]
    if periods:
        issues.append(
            Issue(
                "warning",
                "leniency decimal-period: amounts were read with a period as decimal "
                'separator, as [sources.mt940] decimal = "." says (SWIFT requires a comma)',
                f"line {periods[0]}",
            )
        )
    for state in states:
        for tag, line, into in state.unknown_tags:
            what = f"was read as text of the :{into}: above it" if into else "was ignored"
            issues.append(
                Issue(
                    "warning",
                    f"the field :{tag}: is not an MT940/MT942 field and {what}",
                    f"line {line}",
                )
            )
    return issues


def decimal_option(context: ExtractContext) -> str:
    """``[sources.mt940] decimal``: ``","`` (SWIFT, the default) or ``"."``."""
    value = context.sources.get(NAME, {}).get("decimal", ",")
    if value not in DECIMAL_SEPARATORS:
        raise FileRefused(f'[sources.mt940] decimal must be "," or ".", not {value!r}')
    return str(value)


def _read(text: str, decimal: str = ",") -> ExtractResult:
    if not text.strip():
        raise FileRefused("the file is empty")
    preamble, blocks = split_statements(normalize_text(text))
    if preamble:
        first = preamble[0]
        raise FileRefused(
            f"the file starts with :{first.tag}: before any :20: statement reference; a "
            "statement fragment without its header (account, currency) cannot be booked",
            f"line {first.line}",
        )
    if not blocks:
        raise FileRefused("this is not an MT940/MT942 statement: no :20: reference tag found")
    issues: list[Issue] = []
    pending: list[_Pending] = []
    balances: list[AccountBalance] = []
    states: list[_Statement] = []
    for block in blocks:
        try:
            state = _gather(block, decimal)
            states.append(state)
            if not state.account:
                raise FileRefused("the statement has no :25: account identification")
            state.currency = _currency(state, issues)
            state.masked_account = mask_account(state.account)
            entries = [_entry(state, *entry, issues) for entry in state.entries]
            balances += _balances(state, issues)
            _check_summaries(state, entries, issues)
            _check_complete(state, issues)
        except FileRefused as refused:
            if refused.location is None:
                raise FileRefused(refused.reason, f"line {block.line}") from refused
            raise
        except Exception as exc:  # a bug or unforeseen shape: name the statement, not a traceback
            raise FileRefused(
                f"the statement starting here could not be read ({type(exc).__name__}: {exc})",
                f"line {block.line}",
            ) from exc
        pending += entries
    issues += _file_warnings(states)
    keys = occurrence_keys(p.key for p in pending)
    records = tuple(
        PaymentRecord(dedupe_key=key, **p.fields) for key, p in zip(keys, pending, strict=True)
    )
    return ExtractResult(
        records=records,
        issues=tuple(issues),
        balances=tuple(balances),
        record_count=len(records),
    )


_HEAD_TAG = re.compile(rb"^[\x00-\x1f ]*:(20|25):", re.MULTILINE)
_SWIFT_ENVELOPE = re.compile(rb"\{1:[^}]*\}\{2:[IO]94[02]")
#: Bank header lines allowed before the first :20: (ABN AMRO, ING, Rabobank ":940:").
_MAX_HEADER_LINES: Final = 5


class Mt940Connector:
    """MT940/MT942 bank statements (``.sta``, ``.940``, ``.mt940``, ``.txt``)."""

    name = NAME

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """``[sources.mt940]``: ``decimal``, the separator (SWIFT's ``,`` or a bank's ``.``)."""
        check_settings_keys(prefix, table, SETTINGS_KEYS)
        if table.get("decimal", ",") not in (",", "."):
            raise SettingsError(f'{prefix}.decimal: expected "," (SWIFT) or "."')

    def identify(self, head: bytes, filename: str) -> bool:
        """A ``:20:`` within the first few lines and a ``:25:`` after it, or a SWIFT
        envelope announcing message type 940/942. Other formats (BAI2 ``01,``, NACHA
        ``101``, XML, OFX, CSV) never start lines with ``:20:`` so they are not claimed."""
        del filename
        if _SWIFT_ENVELOPE.search(head[:512]):
            return True
        tags = list(_HEAD_TAG.finditer(head))
        first20 = next((m for m in tags if m.group(1) == b"20"), None)
        if first20 is None or head.count(b"\n", 0, first20.start()) > _MAX_HEADER_LINES:
            return False
        return any(m.group(1) == b"25" and m.start() > first20.start() for m in tags)

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:
        """Parse every statement in the file; refuse the whole file on a broken one."""
        del filename  # the currency never defaults: see the module docstring
        decimal = decimal_option(context)
        try:
            return _read(decode_text(data), decimal)
        except FileRefused:
            raise
        except Exception as exc:  # a bug or an unforeseen shape must not escape as a traceback
            raise FileRefused(
                f"the MT940 file could not be read ({type(exc).__name__}: {exc})"
            ) from exc


register(Mt940Connector())
