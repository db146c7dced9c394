"""NACHA's physical file layer and the reading of one entry with its addenda.

The positions and code tables these read live in :mod:`connectors.nacha.layout`; this
module cuts the file into records and turns an entry detail record and its addenda into
:class:`EntryFacts`, which the connector applies direction to.

Real files bend the physical rules, so :func:`split_records` is lenient where the content
stays unambiguous: CRLF, LF or bare CR separators; no separators at all (the records are
then cut every 94 characters); lines longer than 94 whose extra characters are blank;
and lines shorter than 94 *only when no field is lost* (named leniency "padded NACHA
lines", a warning): the missing tail must lie after the record type's last required field
(:data:`connectors.nacha.layout.REQUIRED_FIELDS`). A file header may end after its format
code (position 40: the names and reference code after it are optional) and a file control
after its total credit amount (55: the rest is reserved); batch header, entry, addenda and
batch control records end in a required number (batch number, trace number, sequence
number), so any of them shorter than 94 lost data and refuses the file. Issue 10 found an
entry cut to 80 characters stored with its trace number gone; the bank's corrected re-send
was then a second payment. Positions count *characters* of the decoded text, never bytes,
so a UTF-8 multi-byte character in a name does not shift the fields after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from cashapp.domain import RemittanceLine
from connectors.nacha.layout import (
    AD_INFO,
    AD_SEQUENCE,
    AD_TYPE,
    CHANGE_CODES,
    CREDIT_DIGITS,
    CTX_LAYOUT,
    ED_ACCOUNT,
    ED_AMOUNT,
    ED_CODE,
    ED_TRACE,
    IAT_ACCOUNT,
    IAT_MANDATORY,
    IAT_ORIGINATOR_NAME,
    IAT_RECEIVER_ID,
    IAT_RECEIVER_NAME,
    NOC_CORRECTED,
    PRENOTE_DIGITS,
    RECORD_LENGTH,
    REQUIRED_FIELDS,
    RET_INFO,
    RET_ORIGINAL_TRACE,
    RET_REASON,
    RET_RETURN_TRACE,
    RETURN_DIGITS,
    RETURN_REASONS,
    TRANSACTION_CODES,
    ZERO_DOLLAR_DIGITS,
    return_class,
)
from connectors.nacha.x12_820 import looks_like_x12, parse_820
from connectors.nacha.xml_addenda import looks_like_iso20022, parse_xml_remittance


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` alone also accepts '²' and Arabic digits)."""
    return text.isdigit() and text.isascii()


def parse_yymmdd(text: str) -> date | None:
    """A NACHA six-digit date, or None when blank or impossible (e.g. ``000000``).

    Two-digit years 80-99 are read as 19xx, the rest as 20xx: ACH files from before 1980
    do not exist, and this keeps a stray old file from landing in the 2090s.
    """
    if len(text) != 6 or not is_digits(text):
        return None
    year = int(text[:2])
    try:
        return date(1900 + year if year >= 80 else 2000 + year, int(text[2:4]), int(text[4:]))
    except ValueError:
        return None


class RecordError(ValueError):
    """A broken record; the caller turns it into FileRefused with the location.

    ``index`` is the record's position in :attr:`PhysicalFile.records`; ``location`` is
    used instead when the error is found before the records exist (the physical layer).
    """

    def __init__(self, message: str, index: int | None = None, location: str = "") -> None:
        super().__init__(message)
        self.index = index
        self.location = location


class EntryError(RecordError):
    """A defect in one entry or its addenda that refuses the file.

    :func:`read_entry` sees the records but not their place in the file, so ``offset``
    says which one: 0 the entry detail record, ``n`` its ``n``-th addenda record. The
    connector adds the entry's index to name the line.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def _lost_field(line: str) -> str:
    """For a line shorter than 94: the field it was cut in, or "" when nothing is lost."""
    if not line.strip("9"):
        return ""  # 9-filler: nothing but blocking
    fields = REQUIRED_FIELDS.get(line[0], ())
    size = len(line.rstrip())
    start = 1
    for end, name in fields:
        if end > size:
            return f"{name} (positions {start}-{end})" if start < end else f"{name} ({end})"
        start = end + 1
    return ""


@dataclass(frozen=True, slots=True)
class PhysicalFile:
    """The file cut into 94-character records.

    ``numbers[i]`` is the line number of ``records[i]`` (or its record number when the
    file has no line separators, see ``unit``); ``notes`` are warnings about the layout.
    """

    records: tuple[str, ...]
    numbers: tuple[int, ...]
    unit: str  # "line" or "record"
    notes: tuple[str, ...]

    def where(self, index: int) -> str:
        """Human location of record ``index``: ``line 12`` or ``record 12``."""
        return f"{self.unit} {self.numbers[index]}"


def split_records(text: str) -> PhysicalFile:  # noqa: C901 - line-end styles, then one check per way a record length can be wrong
    """Cut decoded file text into 94-character records (see the module note).

    Raises :class:`RecordError` when a line is longer than 94 characters with non-blank
    text after position 94, which leaves the record boundaries ambiguous.
    """
    text = text.removeprefix("\ufeff").rstrip("\x1a")  # BOM; DOS end-of-file marker
    if "\n" in text:
        lines = text.split("\n")
        if "\r" in text:
            lines = [line.removesuffix("\r") for line in lines]
    elif "\r" in text:
        lines = text.split("\r")
    else:
        lines = [text]
    unit = "line"
    numbers: list[int] = []
    content: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line and not line.isspace():
            content.append(line)
            numbers.append(number)
    if len(content) == 1 and len(content[0].rstrip()) > RECORD_LENGTH:
        # No separators at all: records are concatenated, cut every 94 characters.
        stream = content[0].rstrip()
        content = [stream[i : i + RECORD_LENGTH] for i in range(0, len(stream), RECORD_LENGTH)]
        numbers = list(range(1, len(content) + 1))
        unit = "record"
    records: list[str] = []
    short: list[int] = []
    long: list[int] = []
    for i, line in enumerate(content):
        size = len(line)
        if size == RECORD_LENGTH:
            records.append(line)
        elif size < RECORD_LENGTH:
            lost = _lost_field(line)
            if lost:
                raise RecordError(
                    f"the {unit} is {len(line.rstrip())} characters long, not 94: the record "
                    f"type {line[0]!r} record was cut in its {lost}, so padding it would "
                    "invent data; the file is damaged",
                    location=f"{unit} {numbers[i]}",
                )
            records.append(line.ljust(RECORD_LENGTH))
            short.append(numbers[i])
        elif line[RECORD_LENGTH:].isspace():
            records.append(line[:RECORD_LENGTH])
            long.append(numbers[i])
        else:
            raise RecordError(
                f"the {unit} is {size} characters long; a NACHA record has 94 and the "
                "text after position 94 is not blank, so the record boundaries are unclear",
                location=f"{unit} {numbers[i]}",
            )
    notes = []
    if short:
        notes.append(
            f"leniency 'padded NACHA lines': {len(short)} record(s) shorter than 94 "
            f"characters were padded with spaces; only optional or reserved fields were "
            f"missing (first at {unit} {short[0]})"
        )
    if long:
        notes.append(
            f"{len(long)} record(s) longer than 94 characters had trailing blanks removed "
            f"(first at {unit} {long[0]})"
        )
    return PhysicalFile(tuple(records), tuple(numbers), unit, tuple(notes))


# --- one entry and its addenda -----------------------------------------------------------
class EntryFacts(NamedTuple):
    """What one entry detail record and its addenda say, before direction is applied.

    ``account`` is the raw DFI account number: the connector masks it before it leaves.
    ``addenda_kind`` is ``return``, ``dishonored``, ``contested``, ``noc`` or empty.
    A NamedTuple rather than a frozen dataclass: one is built per entry, and on a
    million-entry file the dataclass's ``object.__setattr__`` per field cost 3 us each.
    """

    code: str
    trace: str
    account: str
    individual_id: str
    name: str
    addenda_kind: str = ""
    reason_code: str = ""
    related_ref: str = ""
    remittance: str = ""
    lines: tuple[RemittanceLine, ...] = ()
    references: tuple[str, ...] = ()
    payer_name: str = ""  # N1*PR of a CTX 820
    originator_name: str = ""  # IAT 711
    receiver_name: str = ""  # IAT 710
    problems: tuple[str, ...] = ()

    def classify(self, ours: bool) -> tuple[str, int]:
        """(kind, sign) from our point of view; sign 0 means the amount is zero.

        See the :mod:`connectors.nacha.connector` note for the reasoning behind each sign.
        """
        digit = self.code[1]
        credit = digit in CREDIT_DIGITS
        addenda = self.addenda_kind
        if addenda == "noc":
            return "other", 0
        if addenda in ("return", "contested"):
            return "return", 1 if credit else -1
        if addenda == "dishonored":
            return "return", -1 if credit else 1
        if digit in PRENOTE_DIGITS or digit in ZERO_DOLLAR_DIGITS:
            return "other", 0
        if digit in RETURN_DIGITS:
            return "return", 1 if credit else -1
        known = self.code in TRANSACTION_CODES
        if ours:
            return ("other", -1) if credit else ("payment" if known else "other", 1)
        return ("payment" if known else "other", 1) if credit else ("other", -1)


def _in_sequence(parts: list[tuple[str, str]]) -> str:
    """Join addenda texts in addenda-sequence order, exactly as sent (no separators)."""
    if len(parts) > 1 and all(is_digits(seq) for seq, _ in parts):
        parts = sorted(parts, key=lambda part: int(part[0]))
    return "".join(text for _, text in parts)


def _return_text(code: str, kind: str, addenda: str) -> str:
    title = RETURN_REASONS.get(code, "non-standard return reason")
    info = {"return": addenda[RET_INFO], "dishonored": addenda[58:79]}.get(kind, "").strip()
    return f"{code} {title}: {info}" if info else f"{code} {title}"


def read_entry(  # noqa: C901 - one branch per entry field and addenda kind (NACHA record layouts)
    record: str,
    addenda: list[str],
    iat: bool,
    layout: tuple[slice, slice | None],
    currency: str,
) -> EntryFacts:
    """Read an entry detail record and its addenda records (all padded to 94).

    Raises :class:`EntryError` for what no leniency can stand in for: a blank trace
    number (the entry's identity: without it a re-send is not recognised and the money
    is stored twice), a return addenda without the original entry's trace (the return
    could not be tied to what it takes back) and an X12 820 amount that is not X12
    decimal form.
    """
    code = record[ED_CODE]
    trace = record[ED_TRACE].strip()
    if not trace:
        raise EntryError("the entry's trace number (positions 80-94) is blank")
    problems: list[str] = []
    if code not in TRANSACTION_CODES:
        problems.append(f"transaction code {code} is not a standard NACHA code; kind 'other'")
    if iat:
        account, individual_id, name = record[IAT_ACCOUNT].strip(), "", ""
    else:
        account = record[ED_ACCOUNT].strip()
        individual_id = record[layout[0]].strip()
        name = record[layout[1]].strip() if layout[1] is not None else ""
    digit = code[1]
    if digit in PRENOTE_DIGITS and record[ED_AMOUNT] != "0000000000":
        problems.append(f"prenote (code {code}) with a non-zero amount; recorded as 0")
    if not addenda and not iat:
        if digit in RETURN_DIGITS:
            problems.append(f"return/NOC transaction code {code} without a 98 or 99 addenda")
        # positional: this is the hot path of a million-entry file
        plain_refs = (individual_id,) if individual_id else ()
        return EntryFacts(
            code, trace, account, individual_id, name, "", "", "", "", (), plain_refs, "", "",
            "", tuple(problems) if problems else (),
        )  # fmt: skip
    info: list[tuple[str, str]] = []
    returns: list[str] = []
    noc = ""
    iat_parts: dict[str, str] = {}
    for position, item in enumerate(addenda, start=1):
        kind = item[AD_TYPE]
        if kind == "05" or (iat and kind == "17"):
            info.append((item[AD_SEQUENCE], item[AD_INFO]))
        elif kind == "99":
            if not item[RET_ORIGINAL_TRACE].strip():
                raise EntryError(
                    "the return addenda (99) has a blank original entry trace number "
                    "(positions 7-21): the return cannot be tied to the entry it returns",
                    position,
                )
            returns.append(item)
        elif kind == "98":
            noc = item
        elif iat and kind in ("10", "11", "12", "13", "14", "15", "16", "18"):
            iat_parts.setdefault(kind, item)
        elif kind != "02":  # 02: POS/SHR/MTE terminal location, not remittance
            problems.append(f"addenda type {kind!r} is not expected here; ignored")
    references = [individual_id] if individual_id else []
    reason_code = related_ref = payer_name = originator_name = receiver_name = ""
    lines: tuple[RemittanceLine, ...] = ()
    remittance = ""
    if info:
        payload = _in_sequence(info)
        if looks_like_x12(payload):
            x12 = parse_820(payload, currency)
            if x12.errors:
                raise EntryError(f"the X12 820 remittance in the addenda: {x12.errors[0]}")
            remittance, lines, payer_name = x12.text, x12.lines, x12.payer_name
            problems.extend(x12.problems)
        elif looks_like_iso20022(payload):
            xml = parse_xml_remittance(payload)
            remittance, lines = xml.text, xml.lines
            problems.extend(xml.problems)
        else:
            remittance = " ".join(payload.split())
        if layout is CTX_LAYOUT:
            declared = record[54:58]
            if is_digits(declared) and int(declared) != len(info):
                problems.append(
                    f"the entry announces {int(declared)} addenda but {len(info)} follow"
                )
    addenda_kind = ""
    if returns:
        last = returns[-1]
        reason = last[RET_REASON].strip()
        addenda_kind = return_class(reason)
        reason_code = reason
        related_ref = last[RET_ORIGINAL_TRACE].strip()
        codes = [item[RET_REASON].strip() for item in returns]
        remittance = "; ".join(
            _return_text(c, return_class(c), item) for c, item in zip(codes, returns, strict=True)
        )
        if addenda_kind != "return":
            returned = last[RET_RETURN_TRACE].strip()
            if returned:
                references.append(returned)
        if len(returns) > 1:
            problems.append(
                f"the entry carries {len(returns)} return addenda ({', '.join(codes)}); "
                f"the last one ({reason}) decides"
            )
        problems.extend(
            f"return reason {c!r} is not a standard NACHA code" for c in codes
            if c not in RETURN_REASONS
        )  # fmt: skip
    elif noc:
        addenda_kind = "noc"
        change = noc[RET_REASON].strip()
        reason_code = change
        related_ref = noc[RET_ORIGINAL_TRACE].strip()
        remittance = noc[NOC_CORRECTED].strip()
        if change not in CHANGE_CODES:
            problems.append(f"change code {change!r} is not a NACHA notification of change code")
    elif digit in RETURN_DIGITS:
        problems.append(f"return/NOC transaction code {code} without a 98 or 99 addenda")
    if iat:
        missing = [f"7{kind}" for kind in IAT_MANDATORY if kind not in iat_parts]
        if missing:
            problems.append(f"IAT entry without its mandatory addenda {', '.join(missing)}")
        if "10" in iat_parts:
            receiver_name = iat_parts["10"][IAT_RECEIVER_NAME].strip()
        if "11" in iat_parts:
            originator_name = iat_parts["11"][IAT_ORIGINATOR_NAME].strip()
        if "15" in iat_parts:
            receiver_id = iat_parts["15"][IAT_RECEIVER_ID].strip()
            if receiver_id:
                references.append(receiver_id)
    return EntryFacts(
        code, trace, account, individual_id, name,
        addenda_kind=addenda_kind,
        reason_code=reason_code,
        related_ref=related_ref,
        remittance=remittance,
        lines=lines,
        references=tuple(references),
        payer_name=payer_name,
        originator_name=originator_name,
        receiver_name=receiver_name,
        problems=tuple(problems),
    )  # fmt: skip
