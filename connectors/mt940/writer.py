"""Write MT940 statements from a small model: the inverse of :mod:`connectors.mt940.connector`.

Used by the round-trip property tests (write -> extract -> same payments), the demo data and
the benchmark. It writes what the reader expects from a well-behaved bank: ``:20: :25:
:28C: :60F:``, one ``:61:`` + ``:86:`` per transaction, ``:62F:`` with the closing balance
computed from the entries, and ``-`` after each statement; lines end in CRLF.

Field 86 is written in either bank layout the reader understands (see
:mod:`connectors.mt940.details`): ``dutch`` (``/EREF/../NAME/../IBAN/../REMI/USTD//../``)
or ``german`` (GVC ``?20``.. purpose subfields with ``EREF+``/``SVWZ+``, ``?31`` IBAN,
``?32``/``?33`` name). SWIFT forbids a continuation line that starts with ``:`` or ``-``
(it would read as a new tag or the end of the message), so the wrapper never starts one so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from cashapp.money import check_currency, quantize

Mark = Literal["C", "D", "RC", "RD"]
Layout = Literal["dutch", "german"]

_WIDTH: Final = 65  # characters per line of a field (SWIFT 6*65x)
_SUBFIELD: Final = 27  # characters per German ?NN subfield
_PURPOSE_CODES: Final = (*(f"2{i}" for i in range(10)), "60", "61", "62", "63")
#: SWIFT "x" character set, which every written text must stay within.
_SWIFT_X: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)


@dataclass(frozen=True, slots=True)
class StatementTransaction:
    """One statement line: ``amount`` is the magnitude, ``mark`` says which way it went."""

    value_date: date
    amount: Decimal
    mark: Mark = "C"
    type_code: str = "NTRF"
    customer_ref: str = "NONREF"
    bank_ref: str = ""
    details: str = ""
    name: str = ""
    iban: str = ""
    eref: str = ""
    entry_date: date | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """One account statement; the closing balance is derived, never stated twice."""

    account: str
    currency: str
    number: int
    opening_balance: Decimal
    opening_date: date
    transactions: tuple[StatementTransaction, ...] = ()
    reference: str = "CASHAPP"

    @property
    def closing_balance(self) -> Decimal:
        """Opening balance plus every entry, signed from the account owner's side."""
        total = self.opening_balance
        for tx in self.transactions:
            total += tx.amount if tx.mark in ("C", "RD") else -tx.amount
        return total


def write_mt940(statements: Iterable[Statement], *, layout: Layout = "dutch") -> bytes:
    """Serialize ``statements`` as one MT940 file (ASCII, CRLF line ends)."""
    lines: list[str] = []
    for statement in statements:
        lines += _statement_lines(statement, layout)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def format_amount(amount: Decimal, currency: str) -> str:
    """``1234.5`` -> ``1234,50``: decimal comma, no sign, always a comma (SWIFT 15d)."""
    text = f"{abs(quantize(amount, currency)):f}".replace(".", ",")
    return text if "," in text else text + ","


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def _balance(tag: str, amount: Decimal, day: date, currency: str) -> str:
    mark = "D" if amount < 0 else "C"
    return f":{tag}:{mark}{_yymmdd(day)}{currency}{format_amount(amount, currency)}"


def _statement_lines(statement: Statement, layout: Layout) -> list[str]:
    currency = check_currency(statement.currency)
    lines = [
        f":20:{_text(statement.reference)[:16]}",
        f":25:{_text(statement.account)}",
        f":28C:{statement.number}/1",
        _balance("60F", statement.opening_balance, statement.opening_date, currency),
    ]
    last_day = statement.opening_date
    for tx in statement.transactions:
        lines.append(":61:" + _statement_line(tx, currency))
        details = _details(tx, layout)
        if details:
            lines += _wrap(":86:", details)
        last_day = max(last_day, tx.value_date)
    lines.append(_balance("62F", statement.closing_balance, last_day, currency))
    lines.append("-")
    return lines


def _statement_line(tx: StatementTransaction, currency: str) -> str:
    if tx.amount < 0:
        raise ValueError("a transaction amount is a magnitude; the mark gives the direction")
    if len(tx.type_code) != 4 or tx.type_code[0] not in "NFS":
        raise ValueError(f"transaction type {tx.type_code!r} is not N/F/S + 3 characters")
    if "//" in tx.customer_ref or len(tx.customer_ref) > 16 or len(tx.bank_ref) > 16:
        raise ValueError("references are at most 16 characters and contain no '//'")
    entry = tx.entry_date.strftime("%m%d") if tx.entry_date else ""
    bank = f"//{_text(tx.bank_ref)}" if tx.bank_ref else ""
    return (
        f"{_yymmdd(tx.value_date)}{entry}{tx.mark}{format_amount(tx.amount, currency)}"
        f"{tx.type_code}{_text(tx.customer_ref) or 'NONREF'}{bank}"
    )


def _details(tx: StatementTransaction, layout: Layout) -> str:
    if not (tx.details or tx.name or tx.iban or tx.eref):
        return ""
    values = (tx.details, tx.name, tx.iban, tx.eref)
    if layout == "dutch":
        if any("/" in value for value in values):
            raise ValueError("a '/' inside a value would read as a field key in the Dutch layout")
        parts = [f"/EREF/{tx.eref}" if tx.eref else ""]
        parts.append(f"/NAME/{tx.name}" if tx.name else "")
        parts.append(f"/IBAN/{tx.iban}" if tx.iban else "")
        # REMI last and unterminated: a remittance that is a key word ("IBAN") stays text.
        parts.append(f"/REMI/USTD//{tx.details}" if tx.details else "/")
        return _text("".join(parts))
    if any("?" in value for value in values):
        raise ValueError("a '?' inside a value would start a subfield in the German layout")
    return _text(_german_details(tx))


def _german_details(tx: StatementTransaction) -> str:
    incoming = tx.mark in ("C", "RD")
    gv_code, booking = ("166", "GUTSCHRIFT") if incoming else ("116", "SEPA-UEBERW")
    purpose = _chunks(f"EREF+{tx.eref}") if tx.eref else []
    purpose += _chunks(f"SVWZ+{tx.details}") if tx.details else []
    if len(purpose) > len(_PURPOSE_CODES):
        raise ValueError("the purpose text does not fit in ?20-?29 and ?60-?63")
    parts = [f"{gv_code}?00{booking}"]
    parts += [f"?{code}{piece}" for code, piece in zip(_PURPOSE_CODES, purpose, strict=False)]
    if tx.iban:
        parts.append(f"?31{tx.iban}")
    names = _chunks(tx.name)
    if len(names) > 2:
        raise ValueError("the name does not fit in ?32 and ?33 (54 characters)")
    parts += [f"?{code}{piece}" for code, piece in zip(("32", "33"), names, strict=False)]
    return "".join(parts)


def _chunks(text: str, size: int = _SUBFIELD) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _text(value: str) -> str:
    """Refuse characters outside the SWIFT x set instead of writing a file banks reject."""
    bad = set(value) - _SWIFT_X
    if bad:
        raise ValueError(f"characters outside the SWIFT character set: {sorted(bad)}")
    return value


def _wrap(tag: str, text: str) -> Sequence[str]:
    """Cut ``text`` into 65-character lines, never starting a continuation with ':' or '-'."""
    lines: list[str] = []
    position = 0
    while position < len(text):
        end = min(position + _WIDTH, len(text))
        while end < len(text) and text[end] in ":-" and end - position > 1:
            end -= 1  # the next line would start with ':' or '-': break one character earlier
        lines.append(text[position:end])
        position = end
    lines[0] = tag + lines[0]
    return lines
