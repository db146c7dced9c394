"""One MT940/MT942 statement as a whole: its fields sorted by role, its currency, amounts
and balances, and the checks that need the whole statement.

A statement (``:20:`` up to the next ``:20:``) is gathered into a :class:`StatementState`:
its ``:61:`` lines each with their ``:86:``, its balances, MT942's floor limit and totals.
What lives here needs the statement rather than one line of it: the currency comes from
the opening balance, every amount is read with the statement's decimal separator, and
whether the statement is complete shows only in the fields after its last line.
:mod:`connectors.mt940.entries` reads one statement line, :mod:`connectors.mt940.connector`
the file; the reasons for the rules are in the connector's module note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from cashapp.domain import AccountBalance, FileRefused, Issue
from cashapp.money import MoneyError, check_currency, parse_amount
from connectors.mt940.syntax import (
    BalanceField,
    Field,
    StatementBlock,
    read_balance,
    read_floor_limit,
    read_summary,
)

_OPENING: Final = ("60F", "60M", "60")
_CLOSING: Final = ("62F", "62M", "62")
_BALANCE_KIND: Final[dict[str, str]] = {
    "60F": "opening", "60M": "opening", "60": "opening",
    "62F": "closing", "62M": "closing", "62": "closing",
    "64": "available", "65": "available",
}  # fmt: skip


@dataclass(slots=True)
class StatementState:
    """Mutable working state while one statement is read (never leaves the package)."""

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


def gather(block: StatementBlock, decimal: str) -> StatementState:  # noqa: C901 - one branch per MT940 field tag of a statement
    """Sort a statement's fields by role; ``:86:`` belongs to the ``:61:`` just before it.

    SWIFT allows one ``:86:`` per ``:61:``. Pre-2014 Rabobank exports write one ``:86:``
    per line of text instead (up to six); they are read as the lines of one field, and
    the connector reports the leniency once per file.
    """
    state = StatementState(block, decimal)
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


def statement_currency(state: StatementState, issues: list[Issue]) -> str:
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


def check_complete(state: StatementState, issues: list[Issue]) -> None:
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


def read_amount(text: str, state: StatementState, currency: str, where: str) -> Decimal:
    """The one place MT940 amount text becomes money.

    SWIFT amounts are digits with one decimal comma and no grouping (``1234,56``,
    ``203,``). Anything else - a period, two separators, a stray letter - is refused
    with the line, never reinterpreted: read as a comma file, ``300.00`` would be 30000.
    With ``[sources.mt940] decimal = "."`` (pre-2014 Rabobank exports) a period is
    accepted as the decimal separator too - MT940 amounts have no digit grouping, so one
    separator of either kind is unambiguous, and the team's current comma files keep
    working; the connector warns when a period was read.
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


def date_warning(kind: str, raw: str, read_as: object, where: str) -> Issue:
    return Issue(
        "warning",
        f"the {kind} {raw} is not a calendar date (banks write e.g. 30 February for the "
        f"period end); it was read as {read_as}",
        where,
    )


def statement_key(state: StatementState) -> str:
    return f":20: at line {state.block.line}"


def read_balances(state: StatementState, issues: list[Issue]) -> list[AccountBalance]:
    masked = state.masked_account
    out: list[AccountBalance] = []
    for item, balance in state.balances:
        where = f"line {item.line}"
        if balance.as_of.corrected_from:
            issues.append(
                date_warning(
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
        amount = read_amount(balance.amount_text, state, currency, where)
        out.append(
            AccountBalance(
                account=masked,
                currency=currency,
                as_of=balance.as_of.value,
                kind=_BALANCE_KIND[item.tag],  # type: ignore[arg-type]
                amount=-amount if balance.mark == "D" else amount,
                type_code=item.tag,
                statement=statement_key(state),
            )
        )
    return out


def check_summaries(state: StatementState, amounts: Sequence[Decimal], issues: list[Issue]) -> None:
    """Warn when MT942 :90D:/:90C: totals disagree with the lines listed (``amounts``, signed).

    Opening + lines = closing is checked for every format alike at ingest
    (:mod:`cashapp.statements`), per statement: the records and balances carry its
    ``:20:`` line.
    """
    for item in state.summaries:
        summary = read_summary(item)
        if summary is None:
            continue
        count, _, text = summary
        credit = item.tag == "90C"
        own = [a for a in amounts if (a > 0 if credit else a < 0)]
        expected = read_amount(text, state, state.currency, f"line {item.line}")
        if len(own) != count or abs(sum(own, Decimal(0))) != expected:
            issues.append(
                Issue(
                    "warning",
                    f"the :{item.tag}: total says {count} entries of {expected}, the report "
                    f"has {len(own)} of {abs(sum(own, Decimal(0)))}",
                    f"line {item.line}",
                )
            )
