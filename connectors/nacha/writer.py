"""Write NACHA (ACH) files: for the demo generator, benchmarks and round-trip tests.

Design note. The inverse of :mod:`connectors.nacha.connector`, limited to what cashapp produces:
domestic batches (any SEC code except IAT) with CCD+/PPD+/WEB payment-related addenda
(05), CTX addenda carrying an X12 820, and return entries (addenda 99). Records follow
NACHA Operating Rules Appendix Three field by field; the writer computes trace numbers
(ODFI routing + sequence), entry hashes (sum of the 8-digit RDFI routing numbers,
rightmost ten digits), entry/addenda counts, debit/credit totals (transaction code 1-4
credit, 5-9 debit) and pads the file with 9-filler to a multiple of ten records.

Deterministic: the same arguments give the same bytes (no clock, no randomness). Names
longer than their field are truncated (banks do the same); identifiers, accounts and
addenda that do not fit are refused with ValueError, since cutting them would change a
reference. Text must be printable: a control character inside a record would break the
record structure. Output is UTF-8 with LF line endings; positions are in characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from cashapp.domain import RemittanceLine
from connectors.nacha.layout import (
    BLOCKING_FACTOR,
    CREDIT_DIGITS,
    CTX_LAYOUT,
    FILLER,
    HASH_MODULUS,
    ID_NAME_LAYOUT,
    RECORD_LENGTH,
)
from connectors.nacha.records import is_digits

_MAX_CENTS: Final = 9_999_999_999  # a ten-digit amount field
_ADDENDA_INFO: Final = 80


@dataclass(frozen=True, slots=True)
class AchEntry:
    """One entry detail record to write (amount is positive; the code gives direction)."""

    transaction_code: str
    rdfi_routing: str  # 9 digits incl. check digit
    account: str
    amount: Decimal
    individual_id: str
    name: str
    addenda: tuple[str, ...] = ()  # payment-related info, <= 80 chars each
    return_reason: str = ""  # with original_trace: write a return addenda 99
    original_trace: str = ""
    trace_sequence: int | None = None  # None = the entry's position in the file


@dataclass(frozen=True, slots=True)
class AchBatch:
    """One batch: header fields and its entries."""

    company_name: str
    company_id: str
    sec_code: str
    entry_description: str
    effective_date: date
    originating_dfi: str  # 8 digits
    entries: tuple[AchEntry, ...]
    service_class: str = "200"


def _text(value: str, width: int, what: str, *, truncate: bool = False) -> str:
    if not value.isprintable():
        raise ValueError(f"{what} contains a control character: {value!r}")
    if len(value) > width:
        if not truncate:
            raise ValueError(f"{what} is longer than {width} characters: {value!r}")
        value = value[:width]
    return value.ljust(width)


def _digits(value: str, width: int, what: str) -> str:
    if len(value) != width or not is_digits(value):
        raise ValueError(f"{what} must be {width} digits: {value!r}")
    return value


def _cents(amount: Decimal) -> int:
    """Whole cents of a positive USD amount; refuses sub-cent precision and floats.

    Not :func:`cashapp.money.to_minor_units`: that quantizes and costs ~3 us, a third of
    the writer's time per entry; scaling by 100 and checking the result is whole is exact.
    """
    if not isinstance(amount, Decimal):
        raise ValueError(f"entry amount must be a Decimal, not {type(amount).__name__}")
    scaled = amount.scaleb(2)
    try:
        cents = int(scaled)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"entry amount {amount} is not a finite amount") from exc
    if cents != scaled:
        raise ValueError(f"entry amount {amount} has more than two decimal places")
    if not 0 <= cents <= _MAX_CENTS:
        raise ValueError(f"entry amount {amount} does not fit the ten-digit amount field")
    return cents


def _destination(value: str, what: str) -> str:
    """Immediate destination / origin: 10 characters, a 9-digit routing gets a leading blank."""
    stripped = value.strip()
    if not (is_digits(stripped) and len(stripped) in (9, 10)):
        raise ValueError(f"{what} must be a 9- or 10-digit number: {value!r}")
    return stripped.rjust(10)


def _batch_records(  # noqa: C901 - each entry field checked in NACHA layout order (a hot loop, kept inline)
    batch: AchBatch, number: int, first_sequence: int, lines: list[str]
) -> tuple[int, int, int, int]:
    """Append one batch's records; return (entry/addenda count, hash, debit, credit)."""
    layout = ID_NAME_LAYOUT.get(batch.sec_code)
    if batch.sec_code == "IAT" or layout not in (None, CTX_LAYOUT):
        raise ValueError(f"{batch.sec_code} batches are not supported by this writer")
    sec = _text(batch.sec_code, 3, "SEC code")
    odfi = _digits(batch.originating_dfi, 8, "originating DFI")
    company_id = _text(batch.company_id, 10, "company identification")
    service = _digits(batch.service_class, 3, "service class code")
    ctx_like = layout is CTX_LAYOUT
    lines.append(
        f"5{service}{_text(batch.company_name, 16, 'company name', truncate=True)}{'':20}"
        f"{company_id}{sec}{_text(batch.entry_description, 10, 'entry description', truncate=True)}"
        f"{'':6}{batch.effective_date:%y%m%d}{'':3}1{odfi}{number:07d}"
    )
    count = entry_hash = debit = credit = 0
    known: set[str] = set()  # codes and routing numbers already validated
    append = lines.append
    for position, entry in enumerate(batch.entries):
        code, routing = entry.transaction_code, entry.rdfi_routing
        if code not in known:
            known.add(_digits(code, 2, "transaction code"))
        if routing not in known:
            known.add(_digits(routing, 9, "RDFI routing number"))
        cents = _cents(entry.amount)
        sequence = (
            first_sequence + position if entry.trace_sequence is None else entry.trace_sequence
        )
        if not 0 <= sequence <= 9_999_999:
            raise ValueError(f"trace sequence {sequence} does not fit seven digits")
        identification, name, account = entry.individual_id, entry.name, entry.account
        if not (
            len(identification) <= 15
            and len(account) <= 17
            and (identification + name + account).isprintable()
        ):
            _text(identification, 15, "identification number")  # raises with the reason
            _text(account, 17, "account number")
            _text(name, 22, "name", truncate=True)
        addenda = entry.addenda
        is_return = bool(entry.return_reason or entry.original_trace)
        if is_return and addenda:
            raise ValueError("a return entry carries its addenda 99 only, not 05 addenda")
        if ctx_like:
            who = f"{identification:<15}{len(addenda):04d}{name[:16]:<16}    "
        else:
            who = f"{identification:<15}{name[:22]:<22}  "
        flag = "1" if addenda or is_return else "0"
        append(f"6{code}{routing}{account:<17}{cents:010d}{who}{flag}{odfi}{sequence:07d}")
        for index, info in enumerate(addenda, start=1):
            append(f"705{_text(info, _ADDENDA_INFO, 'addenda text')}{index:04d}{sequence:07d}")
        if is_return:
            reason = _text(entry.return_reason, 3, "return reason code")
            original = _digits(entry.original_trace, 15, "original trace number")
            append(f"799{reason}{original}{'':6}{routing[:8]}{'':44}{odfi}{sequence:07d}")
        count += 1 + len(addenda) + is_return
        entry_hash += int(routing[:8])
        if code[1] in CREDIT_DIGITS:
            credit += cents
        else:
            debit += cents
    lines.append(
        f"8{service}{count:06d}{entry_hash % HASH_MODULUS:010d}{debit:012d}{credit:012d}"
        f"{company_id}{'':25}{odfi}{number:07d}"
    )
    return count, entry_hash, debit, credit


def write_nacha(
    batches: Sequence[AchBatch],
    *,
    immediate_destination: str,
    immediate_origin: str,
    created: datetime,
    file_id_modifier: str = "A",
) -> bytes:
    """Serialize ``batches`` into a complete NACHA file (see the module note)."""
    lines = [
        f"101{_destination(immediate_destination, 'immediate destination')}"
        f"{_destination(immediate_origin, 'immediate origin')}{created:%y%m%d%H%M}"
        f"{_text(file_id_modifier, 1, 'file id modifier')}094101{'':23}{'':23}{'':8}"
    ]
    total_count = total_hash = total_debit = total_credit = 0
    sequence = 1
    for number, batch in enumerate(batches, start=1):
        count, entry_hash, debit, credit = _batch_records(batch, number, sequence, lines)
        sequence += len(batch.entries)
        total_count += count
        total_hash += entry_hash
        total_debit += debit
        total_credit += credit
    if total_debit > 999_999_999_999 or total_credit > 999_999_999_999:
        raise ValueError("file totals do not fit the twelve-digit control fields")
    blocks = -(-(len(lines) + 1) // BLOCKING_FACTOR)
    lines.append(
        f"9{len(batches):06d}{blocks:06d}{total_count:08d}{total_hash % HASH_MODULUS:010d}"
        f"{total_debit:012d}{total_credit:012d}{'':39}"
    )
    lines.extend([FILLER] * (blocks * BLOCKING_FACTOR - len(lines)))
    for line in lines:
        if len(line) != RECORD_LENGTH:  # a bug here would write a corrupt file: fail loudly
            raise AssertionError(f"internal error: record of {len(line)} characters: {line!r}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _component_separator(element_sep: str, segment_term: str) -> str:
    return next(c for c in (">", ":", "^", "|") if c not in (element_sep, segment_term))


def ctx_820_addenda(
    payer_name: str,
    lines: Sequence[RemittanceLine],
    *,
    element_sep: str = "*",
    segment_term: str = "~",
) -> tuple[str, ...]:
    """A minimal valid X12 820 (ISA/GS/ST/BPR/N1/ENT/RMR/SE/GE/IEA) cut into 80-char addenda.

    BPR02 is the sum of the lines' paid amounts. Values must not contain the separators.
    """
    if len(element_sep) != 1 or len(segment_term) != 1 or element_sep == segment_term:
        raise ValueError("element separator and segment terminator must be two distinct chars")
    if element_sep.isalnum() or segment_term.isalnum() or (element_sep + segment_term).isspace():
        raise ValueError("separators must not be letters, digits or blanks")
    component = _component_separator(element_sep, segment_term)

    def value(text: str, what: str) -> str:
        if any(c in text for c in (element_sep, segment_term, component)) or not text.isprintable():
            raise ValueError(f"{what} contains a separator or control character: {text!r}")
        return text

    def money(amount: Decimal | None) -> str:
        return "" if amount is None else f"{amount:.2f}"

    e = element_sep
    isa = e.join(
        ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "CASHAPP".ljust(15), "ZZ",
         "RECEIVER".ljust(15), "000101", "0000", "U", "00401", "000000001", "0", "P", component]
    )  # fmt: skip
    paid = sum((line.paid for line in lines if line.paid is not None), Decimal(0))
    segments = [
        isa,
        e.join(["GS", "RA", "CASHAPP", "RECEIVER", "20000101", "0000", "1", "X", "004010"]),
        e.join(["ST", "820", "0001"]),
        e.join(["BPR", "C", money(paid), "C", "ACH", "CTX"]),
        e.join(["N1", "PR", value(payer_name, "payer name")]),
        e.join(["ENT", "1"]),
    ]
    for line in lines:
        elements = [
            "RMR",
            value(line.qualifier, "RMR qualifier"),
            value(line.reference, "RMR reference"),
            "",
            money(line.paid),
            money(line.invoice_total),
            money(line.discount),
        ]
        while elements[-1] == "":
            elements.pop()
        segments.append(e.join(elements))
    segments.append(e.join(["SE", str(len(segments) - 2 + 1), "0001"]))
    segments += [e.join(["GE", "1", "1"]), e.join(["IEA", "1", "000000001"])]
    stream = "".join(segment + segment_term for segment in segments)
    return tuple(stream[i : i + _ADDENDA_INFO] for i in range(0, len(stream), _ADDENDA_INFO))
