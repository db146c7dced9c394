"""BAI2 physical lines -> logical records, and the type-code facts the parser needs.

Design note (BAI Cash Management Balance Reporting Specifications, version 2: "Record
Formats" and "Data Elements"). A logical record is ``NN,field,field,.../`` where ``NN`` is
the record code. Real files bend the layout in ways a naive ``split("/")`` gets wrong:

* records not terminated by ``/`` (one record per physical line; Goldman Sachs TxB);
* ``/`` inside 16/88 free text (``08/18/23 Invoice``);
* several logical records on one physical line (``.../ 16,142,...``);
* a record physically wrapped onto the next line, possibly mid-field;
* CRLF, a byte-order mark, no newline at the end.

So a record boundary is: the start of a physical line that begins with a two-digit code
and a comma, or - inside a line - a ``/`` followed by whitespace and a known record code
and a comma. A physical line that does not start a record continues the record before
it; the join point is kept as ``"\\n"`` so the field parser can drop it inside numeric
fields and turn it into a space inside text. One trailing ``/`` (the terminator) is
removed from each record's body.

Fields (spec "Data Elements"): a structured record's 88 continuations continue its field
list; a 16's fixed fields depend on the funds type (``V`` value date + time, ``S`` three
availability amounts, ``D`` a count then that many day/amount pairs), and its text runs to
the end of the record - commas and slashes included - then through its 88s, the pieces
joined with single spaces. Amounts are whole minor units with an optional sign.

Type codes (spec section "Type Codes"; facts checked against the code table of the spec):
001-099 status; 100-399 credits; 400-699 debits; 700-719 loan status, 720-759 loan
credits, 760-799 loan debits; 800-899 not assigned by BAI (827/829 incoming SEPA/BACS
credits and 828 outgoing SEPA debits are used by UK banks); 900-919 customized status,
920-959 customized credits, 960-999 customized debits; 890 carries non-monetary text.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final, Literal, NamedTuple

#: Record codes a BAI2 file may contain.
RECORD_CODES: Final = frozenset({"01", "02", "03", "16", "49", "88", "98", "99"})

_INLINE_BOUNDARY: Final = re.compile(r"/[ \t]+(?=(?:0[123]|16|49|88|98|99),)")


class Record(NamedTuple):
    """One logical record before continuation (88) records are attached."""

    code: str
    body: str  # text after "NN,", without the "/" terminator; "\n" marks a physical wrap
    line: int  # physical line where it starts (1-based)
    raw: str  # the record as written (wraps joined with "\n")


class Tokens(NamedTuple):
    """All logical records of a file, plus where physical wrapping happened."""

    records: list[Record]
    wrapped_lines: list[int]  # physical lines joined to the record before them


def tokenize(text: str) -> Tokens:
    """Split decoded file text into logical records (see the module note for the rules).

    Raises ``ValueError`` with the line number when text appears before any record; the
    caller turns that into a refusal.
    """
    records: list[Record] = []
    wrapped: list[int] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line or line.isspace():
            continue
        start = line.lstrip(" \t") if line[:1] in (" ", "\t") else line
        if start[2:3] == "," and start[:2].isdigit():
            if ("/ " in start or "/\t" in start) and _INLINE_BOUNDARY.search(start):
                parts = _INLINE_BOUNDARY.split(start)
                last = len(parts) - 1
                for i, part in enumerate(parts):
                    records.append(_record(part if i == last else part + "/", lineno))
            else:
                body = start[3:].rstrip()
                if body[-1:] == "/":
                    body = body[:-1]
                records.append(Record(start[:2], body, lineno, start))
        elif records:
            previous = records[-1]
            records[-1] = _record(f"{previous.raw}\n{line}", previous.line)
            wrapped.append(lineno)
        else:
            raise ValueError(f"line {lineno}")
    return Tokens(records, wrapped)


def _record(raw: str, line: int) -> Record:
    body = raw[3:].rstrip()
    if body[-1:] == "/":
        body = body[:-1]
    return Record(raw[:2], body, line, raw)


def unwrap(field: str) -> str:
    """A structured (non-text) field with any physical wrap removed."""
    return field.replace("\n", "").strip() if "\n" in field else field.strip()


# --- fields -------------------------------------------------------------------------


class RecordError(ValueError):
    """A record that cannot be read; the parser adds the line and refuses the file."""


class Detail(NamedTuple):
    """A parsed 16 record (with its 88 continuations)."""

    type_code: str
    units: int | None
    funds_type: str
    value_date: str
    bank_ref: str
    customer_ref: str
    text: str


def record_fields(record: Record, continuations: list[Record]) -> list[str]:
    """Fields of a structured record, its 88 continuations continuing the field list."""
    body = record.body
    if continuations:
        body = ",".join([body, *(c.body for c in continuations)])
    return [unwrap(f) for f in body.split(",")]


def _take(rest: str | None, n: int) -> tuple[list[str], str | None]:
    """``n`` fields from ``rest`` and what follows them (None: the record ended first)."""
    if rest is None:
        return [""] * n, None
    parts = rest.split(",", n)
    if len(parts) <= n:
        return parts + [""] * (n - len(parts)), None
    return parts[:n], parts[n]


def units_of(text: str) -> int | None:
    """An amount field in minor units; None when blank. Raises RecordError when not a number."""
    value = text.strip()
    if not value:
        return None
    digits = value[1:] if value[0] in "+-" else value
    if not digits or not digits.isdigit() or not digits.isascii():
        raise RecordError(f"the amount {value!r} is not a whole number of minor units")
    number = int(digits)
    return -number if value[0] == "-" else number


def yymmdd(text: str, what: str) -> date:
    value = text.strip()
    if len(value) != 6 or not value.isdigit():
        raise RecordError(f"the {what} {value!r} is not a date in YYMMDD form")
    year = int(value[:2])
    try:
        return date(2000 + year if year < 70 else 1900 + year, int(value[2:4]), int(value[4:]))
    except ValueError:
        raise RecordError(f"the {what} {value!r} is not a valid date") from None


def type_code_of(text: str) -> int:
    value = text.strip()
    if len(value) != 3 or not value.isdigit() or not value.isascii():
        raise RecordError(f"the type code {value!r} is not a three-digit BAI type code")
    return int(value)


def skip_availability(fields: list[str], i: int, funds: str) -> int:
    """Index after the availability fields that follow funds type ``funds`` at ``i``."""
    funds = funds.upper()
    if funds == "V":
        return i + 2
    if funds == "S":
        for amount in fields[i : i + 3]:
            units_of(amount)
        return i + 3
    if funds == "D":
        count = fields[i].strip() if i < len(fields) else ""
        if not count.isdigit():
            raise RecordError(f"distributed availability needs a count, found {count!r}")
        for pair in range(int(count)):
            units_of(fields[i + 2 + 2 * pair] if i + 2 + 2 * pair < len(fields) else "")
        return i + 1 + 2 * int(count)
    if funds in ("", "0", "1", "2", "Z"):
        return i
    raise RecordError(f"unknown funds type {funds!r}")


_SIMPLE_FUNDS: Final = frozenset({"", "0", "1", "2", "Z", "z"})


def _detail_fields(body: str) -> tuple[str, str, str, str, str, str, str | None]:
    """(type, amount, funds, value date, bank ref, customer ref, text or None if not reached)."""
    parts = body.split(",", 5)
    if len(parts) == 6 and parts[2].strip() in _SIMPLE_FUNDS:  # the common shape
        return parts[0], parts[1], parts[2].strip().upper(), "", parts[3], parts[4], parts[5]
    (type_code, amount, funds), rest = _take(body, 3)
    funds = unwrap(funds).upper()
    value_date = ""
    if funds == "V":
        (value_date, _time), rest = _take(rest, 2)
    elif funds == "S":
        availability, rest = _take(rest, 3)
        for part in availability:
            units_of(unwrap(part))
    elif funds == "D":
        (count,), rest = _take(rest, 1)
        count = unwrap(count)
        if not count.isdigit():
            raise RecordError(f"distributed availability needs a count, found {count!r}")
        _pairs, rest = _take(rest, 2 * int(count))
    elif funds not in _SIMPLE_FUNDS:
        raise RecordError(f"unknown funds type {funds!r}")
    (bank_ref, customer_ref), text = _take(rest, 2)
    return type_code, amount, funds, value_date, bank_ref, customer_ref, text


def parse_detail(record: Record, continuations: list[Record]) -> Detail:
    """A 16 record: fixed fields, then text to the end of the record and through its 88s."""
    body = record.body
    used = 0
    while True:
        type_code, amount, funds, value_date, bank_ref, customer_ref, text = _detail_fields(body)
        if text is not None or used == len(continuations):
            break
        body = f"{body},{continuations[used].body}"  # the 88 continues the fixed fields
        used += 1
    if used == len(continuations) and "\n" not in body:  # no 88 text, no physical wrap
        return Detail(
            type_code.strip(),
            units_of(amount),
            funds,
            value_date.strip(),
            bank_ref.strip(),
            customer_ref.strip(),
            "" if text is None else text.strip(),
        )
    pieces = [] if text is None else [text]
    pieces += [c.body for c in continuations[used:]]
    joined = " ".join(p for p in (piece.replace("\n", " ").strip() for piece in pieces) if p)
    return Detail(
        unwrap(type_code),
        units_of(unwrap(amount)),
        funds,
        unwrap(value_date),
        unwrap(bank_ref),
        unwrap(customer_ref),
        joined,
    )


# --- type codes ---------------------------------------------------------------------

CREDIT: Final = 1
DEBIT: Final = -1
NO_DIRECTION: Final = 0

_CREDIT_EXTRA: Final = frozenset({827, 829})
_DEBIT_EXTRA: Final = frozenset({828})


def direction(type_code: int) -> int:
    """+1 for a credit code, -1 for a debit code, 0 for status / non-monetary codes."""
    if 100 <= type_code <= 399 or 720 <= type_code <= 759 or 920 <= type_code <= 959:
        return CREDIT
    if 400 <= type_code <= 699 or 760 <= type_code <= 799 or 960 <= type_code <= 999:
        return DEBIT
    if type_code in _CREDIT_EXTRA:
        return CREDIT
    if type_code in _DEBIT_EXTRA:
        return DEBIT
    return NO_DIRECTION


def is_status(type_code: int) -> bool:
    """Status (balance) codes: 001-099, loan status 700-719, customized status 900-919."""
    return 0 < type_code < 100 or 700 <= type_code <= 719 or 900 <= type_code <= 919


#: Debits that take back money a customer paid us: deposited item / ACH / check returns,
#: credit reversals, rejected debits we originated (a collection that failed).
RETURN_DEBITS: Final = frozenset(
    {
        423,  # EDIBANX return item debit
        468,  # ACH return item or adjustment settlement
        550,  # total deposited items returned
        551,  # total credit reversals
        552,  # credit reversal
        555,  # deposited item returned
        556,  # total ACH return items
        557,  # individual ACH return item
        558,  # ACH reversal debit
        560,  # total rejected debits
        561,  # individual rejected debit
        566,  # return item
        568,  # return item adjustment
        694,  # deposit reversal
    }
)

#: Debits that are the bank's charges.
FEE_DEBITS: Final = frozenset(
    {
        524,  # commission
        564,  # overdraft fee
        567,  # return item fee
        661,  # account analysis fee
        698,  # miscellaneous fees
    }
)

#: Credits that are not a customer paying us: our own outgoing items coming back
#: (returned, rejected, reversed), cash concentration between our accounts, interest,
#: bank adjustments, fee refunds and loan postings.
NON_PAYMENT_CREDITS: Final = frozenset(
    {
        123,  # EDIBANX credit return
        252,  # debit reversal
        255,  # check posted and returned
        257,  # individual ACH return item (our credit came back)
        258,  # ACH reversal credit
        261,  # individual rejected credit
        266,  # return item
        268,  # return item adjustment
        275,  # ZBA credit
        276,  # ZBA float adjustment
        277,  # ZBA credit transfer
        278,  # ZBA credit adjustment
        346,  # sweep interest income
        354,  # interest credit
        357,  # credit adjustment
        358,  # YTD adjustment credit
        359,  # interest adjustment credit
        395,  # check reversal
        397,  # float adjustment
        398,  # miscellaneous fee refund
    }
)


def kind_of(type_code: int, sign: int) -> str:
    """The payment kind for a detail type code (see the tables above)."""
    if sign > 0:
        if type_code in NON_PAYMENT_CREDITS or 720 <= type_code <= 759:
            return "other"
        return "payment"
    if type_code in RETURN_DEBITS:
        return "return"
    if type_code in FEE_DEBITS:
        return "fee"
    return "other"


BalanceKind = Literal["opening", "closing", "available", "other"]

#: Status codes reported as AccountBalance kinds; other status codes are "other".
BALANCE_KINDS: Final[dict[int, BalanceKind]] = {
    10: "opening",  # opening ledger
    15: "closing",  # closing ledger
    40: "available",  # opening available
    45: "available",  # closing available
}


#: (sign, kind) for every type code 000-999, so the parser does one list lookup per detail.
DETAIL_CLASS: Final[tuple[tuple[int, str], ...]] = tuple(
    (direction(code), kind_of(code, direction(code)) if direction(code) else "")
    for code in range(1000)
)
