"""MT940/MT942 syntax: split a file into statements and fields, and read the field grammars.

Why not the ``mt-940`` package's own tokenizer: measured on this machine its
``Transactions.parse`` reads about 18,000 statement lines a second (the benchmark wants
well over 100,000), it flattens a multi-statement file into one list (statement-level
data such as the ``:25:`` account is kept once, last one wins), it keeps no line numbers,
it moves 30 February to 29/28 February silently and it refuses ASN Bank's 18-character
customer references. So this module scans lines once itself; ``mt-940`` serves as the
reference implementation the tests compare against (``tests/test_mt940.py``).

Grammar implemented (SWIFT MT940/MT942 field specifications, User Handbook Category 9):

* a statement starts at ``:20:`` and ends at a line ``-`` (or ``-}`` after a SWIFT
  ``{4:`` block) or at the next ``:20:``; bank header lines outside fields are skipped;
* **incomplete** means: a SWIFT text block ``{4:`` that is not closed by ``-}`` before the
  next message header ``{1:`` or the end of the file (the trailer is missing), or a field
  cut short so that its grammar fails. A file without envelopes has no trailer: the final
  ``-`` is optional (real exports omit it), so a cut between two statements of such a file
  cannot be seen and is not claimed to be;
* a field starts at a line ``:TAG:`` for the tags listed in :data:`KNOWN_TAGS`; any other
  line continues the open field (``:12:11`` inside a wrapped ``:86:`` is text, not a tag);
* ``:61:`` is ``6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]`` plus an optional second line of
  supplementary details: value date YYMMDD, entry date MMDD, mark C/D/RC/RD, funds code
  (third letter of the currency), amount with decimal comma, type (``N``/``F``/``S`` +
  3 characters), customer reference, ``//`` bank reference. Lengths are not enforced
  (ASN puts an IBAN in the customer reference, GLS sends longer ones);
* balances ``:60F: :60M: :62F: :62M: :64: :65:`` are ``1!a6!n3!a15d``; ``:34F:`` is
  ``3!a[1!a]15d``; ``:90D:``/``:90C:`` are ``5n3!a15d``.

Dates are checked against the calendar here: a day past the end of its month (German banks
write 30 February for the period end) is moved to the month's last day and reported.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Final, NamedTuple

from cashapp.domain import FileRefused

#: Tags that open a field; anything else at the start of a line is text.
KNOWN_TAGS: Final = frozenset(
    {
        "13", "13D", "20", "21", "25", "25P", "28", "28C", "34F", "60", "60F", "60M", "61",
        "62", "62F", "62M", "64", "65", "86", "90C", "90D", "NS",
    }
)  # fmt: skip

_TAG = re.compile(r":(\d\d[A-Z]?|NS):")
_ENVELOPE = ("{1:", "{2:", "{3:", "{4:")
#: Control characters other than tab/newline (SOH/ETX framing, stray binary bytes).
_CONTROL: dict[int, int | None] = dict.fromkeys([*range(9), *range(11, 32), 127])
_CONTROL[9] = 32  # tab -> space

_LINE61 = re.compile(
    r"(\d{6})(\d{4})?(RC|RD|C|D)([A-Z]?)(\d[\d,.]*)(?:([A-Z][A-Z0-9 ]{3}))?(.*)", re.DOTALL
)
_MARK_ONLY = re.compile(r"\d{6}(?:\d{4})?(?:RC|RD|C|D)[A-Z]?")
_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d[\d,.]*)")
_FLOOR = re.compile(r"([A-Z]{3})([CD]?)(\d[\d,.]*)")
_SUMMARY = re.compile(r"(\d{1,5})([A-Z]{3})(\d[\d,.]*)")

#: Two-digit years from 70 onwards are 19xx (MT940 predates 2000 in old archives).
_CENTURY_PIVOT: Final = 70


class Field(NamedTuple):
    """One tag and its text: ``lines[0]`` is what follows ``:TAG:``, the rest continue it.

    The per-line values of this module are NamedTuples, not frozen dataclasses: they are
    built for every line of a file and construct three times faster (measured).
    """

    tag: str
    line: int
    lines: tuple[str, ...]

    @property
    def value(self) -> str:
        """The first line without surrounding blanks (all single-line fields)."""
        return self.lines[0].strip()

    @property
    def text(self) -> str:
        """All lines joined by ``\\n`` with trailing blank lines dropped."""
        lines = list(self.lines)
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class StatementBlock:
    """The fields of one statement (``:20:`` up to the end marker), in file order."""

    line: int
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class CalendarDate:
    """A date read from the file; ``raw`` is kept when the calendar had to correct it."""

    value: date
    corrected_from: str = ""


class StatementLine(NamedTuple):
    """The subfields of one ``:61:``; the amount stays text until the currency is known."""

    value_date: CalendarDate
    entry_date: CalendarDate | None
    mark: str
    funds_code: str
    amount_text: str
    type_code: str
    customer_ref: str
    bank_ref: str
    supplementary: str


@dataclass(frozen=True, slots=True)
class BalanceField:
    """A balance field's subfields (``:60F:`` etc.); amount as text, mark C or D."""

    mark: str
    as_of: CalendarDate
    currency: str
    amount_text: str


def normalize_text(text: str) -> list[str]:
    """Lines of ``text`` with CRLF/CR line ends unified and control characters removed."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_CONTROL).split("\n")


def split_statements(lines: list[str]) -> tuple[list[Field], list[StatementBlock]]:  # noqa: C901 - one pass over the lines: one branch per field boundary case
    """Group lines into fields and fields into statements, in one pass.

    Returns the fields found before the first ``:20:`` (a fragment: the caller decides)
    and the statements.
    """
    preamble: list[Field] = []
    blocks: list[StatementBlock] = []
    fields: list[Field] | None = None  # fields of the open statement
    block_line = 0
    tag = ""
    tag_line = 0
    buffer: list[str] | None = None  # lines of the open field

    def close_field() -> None:
        nonlocal buffer
        if buffer is not None:
            (fields if fields is not None else preamble).append(Field(tag, tag_line, tuple(buffer)))
            buffer = None

    def close_block() -> None:
        nonlocal fields
        close_field()
        if fields is not None:
            blocks.append(StatementBlock(block_line, tuple(fields)))
            fields = None

    envelope_line = 0  # line of the open SWIFT text block {4:, 0 when none is open

    for number, line in enumerate(lines, start=1):
        first = line[:1]
        if first == "{" and line.startswith(_ENVELOPE):  # {1:..}{2:..}{3:..}{4: -> after {4:
            if envelope_line and line.startswith("{1:"):
                _refuse_unclosed(envelope_line)
            close_block()
            block4 = line.find("{4:")
            if block4 < 0:
                continue
            envelope_line = number
            line = line[block4 + 3 :]
            first = line[:1]
        if first == ":":
            match = _TAG.match(line)
            if match and match.group(1) in KNOWN_TAGS:
                close_field()
                tag, tag_line = match.group(1), number
                if tag == "20":
                    close_block()
                    fields, block_line = [], number
                buffer = [line[match.end() :]]
                continue
        elif first == "-":
            stripped = line.strip()
            if stripped == "-" or stripped.startswith("-}"):
                if stripped[1:2] == "}":
                    envelope_line = 0
                close_block()
                continue
        if buffer is not None:
            buffer.append(line)
        # else: a bank header line between statements ("ABNANL2A", "940 00"): skipped
    if envelope_line:
        _refuse_unclosed(envelope_line)
    close_block()
    return preamble, blocks


def _refuse_unclosed(opened: int) -> None:
    """A SWIFT text block ``{4:`` must end with ``-}``: without it the message was cut off.

    This is the one trailer MT940 has. A file that never opened ``{4:`` (most bank
    exports) has no trailer to miss, and a final ``-`` is optional there: the corpus has
    accepted exports that omit it (Oldenburgische Landesbank, Danske Bank, Rabobank).
    """
    raise FileRefused(
        "the SWIFT message whose text block {4: opens here has no closing -} (missing "
        "trailer): the file is incomplete",
        f"line {opened}",
    )


def read_calendar_date(year: str, month: str, day: str, *, where: str) -> CalendarDate:
    """A date from YY, MM, DD text; a day past the month's end becomes its last day."""
    found = _calendar_date(year + month + day)
    if found is None:
        raise FileRefused(f"the date {year}{month}{day} is not a calendar date", where)
    return found


@functools.lru_cache(maxsize=4096)
def _calendar_date(yymmdd: str) -> CalendarDate | None:
    """Cached: a statement repeats a handful of dates over thousands of lines."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    full_year = (1900 if yy >= _CENTURY_PIVOT else 2000) + yy
    if not 1 <= mm <= 12 or dd < 1 or dd > 31:
        return None
    last = calendar.monthrange(full_year, mm)[1]
    if dd > last:
        return CalendarDate(date(full_year, mm, last), corrected_from=yymmdd)
    return CalendarDate(date(full_year, mm, dd))


def _entry_date(value_date: date, mmdd: str, where: str) -> CalendarDate:
    """The entry date (MMDD) in the year that puts it closest to the value date."""
    month = int(mmdd[:2])
    year = value_date.year
    if value_date.month == 12 and month == 1:
        year += 1
    elif value_date.month == 1 and month == 12:
        year -= 1
    return read_calendar_date(f"{year % 100:02d}", mmdd[:2], mmdd[2:], where=where)


def read_statement_line(field: Field) -> StatementLine:
    """Read a ``:61:`` field; refuses (with the line) what does not follow the grammar."""
    if len(field.lines) == 1:
        first, rest = field.lines[0].strip(), []
    else:
        lines = [line.strip() for line in field.lines]
        while len(lines) > 1 and not lines[-1]:
            lines.pop()
        first, rest = lines[0], lines[1:]
    if rest and _MARK_ONLY.fullmatch(first):  # amount wrapped onto the next line
        first, rest = first + rest[0], rest[1:]
    match = _LINE61.fullmatch(first)
    where = f"line {field.line}"
    if not match:
        raise FileRefused(
            f"the statement line (:61:) {first[:40]!r} does not follow the MT940 layout "
            "(date, C/D mark, amount, type code)",
            where,
        )
    value_text, entry_text, mark, funds, amount, type_code, tail = match.groups()
    if type_code is None and tail and tail[:2] != "//" and not tail[0].isspace():
        # "21X0,00NTRF": the amount stops at a character that starts no type code, so
        # reading "21" would book a tenth of the money.
        raise FileRefused(
            f"the amount of the statement line (:61:) {amount + tail[:12]!r} is not a "
            "number followed by a transaction type",
            where,
        )
    value_date = read_calendar_date(value_text[:2], value_text[2:4], value_text[4:], where=where)
    entry = _entry_date(value_date.value, entry_text, where) if entry_text else None
    customer_ref, _, bank_ref = tail.partition("//")
    return StatementLine(
        value_date=value_date,
        entry_date=entry,
        mark=mark,
        funds_code=funds,
        amount_text=amount,
        type_code=(type_code or "").strip(),
        customer_ref=customer_ref.strip(),
        bank_ref=bank_ref.strip(),
        supplementary=" ".join(line for line in rest if line),
    )


def read_balance(field: Field) -> BalanceField:
    """Read a balance field (``:60F: :60M: :62F: :62M: :64: :65:``)."""
    match = _BALANCE.fullmatch(field.value)
    if not match:
        raise FileRefused(
            f"the balance :{field.tag}: {field.value[:40]!r} is not mark, YYMMDD date, "
            "currency and amount",
            f"line {field.line}",
        )
    mark, when, currency, amount = match.groups()
    as_of = read_calendar_date(when[:2], when[2:4], when[4:], where=f"line {field.line}")
    return BalanceField(mark, as_of, currency, amount)


def read_floor_limit(field: Field) -> tuple[str, str]:
    """``:34F:`` (MT942 floor limit) -> (currency, amount text)."""
    match = _FLOOR.fullmatch(field.value)
    if not match:
        raise FileRefused(
            f"the floor limit :34F: {field.value[:40]!r} is not currency and amount",
            f"line {field.line}",
        )
    return match.group(1), match.group(3)


def read_summary(field: Field) -> tuple[int, str, str] | None:
    """``:90D:``/``:90C:`` (MT942 number and sum of entries) -> (count, currency, amount)."""
    match = _SUMMARY.fullmatch(field.value)
    if not match:
        return None
    return int(match.group(1)), match.group(2), match.group(3)
