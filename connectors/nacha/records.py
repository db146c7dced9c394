"""NACHA record layouts, code tables and the physical file layer.

Design note. A NACHA (ACH) file is a sequence of 94-character records (NACHA Operating
Rules, Appendix One "ACH File Exchange Specifications" and Appendix Three "ACH Record
Format Specifications"). The first character is the record type: ``1`` file header,
``5`` batch header, ``6`` entry detail, ``7`` addenda, ``8`` batch control, ``9`` file
control, and records made only of ``9`` pad the last block of ten ("blocking").

Real files bend the physical rules, so :func:`split_records` is lenient where the content
stays unambiguous: CRLF, LF or bare CR separators; no separators at all (the records are
then cut every 94 characters); lines longer than 94 whose extra characters are blank;
and lines shorter than 94 *only when no field is lost* (named leniency "padded NACHA
lines", a warning): the missing tail must lie after the record type's last required field
(:data:`REQUIRED_FIELDS`). A file header may end after its format code (position 40: the
names and reference code after it are optional) and a file control after its total credit
amount (55: the rest is reserved); batch header, entry, addenda and batch control records
end in a required number (batch number, trace number, sequence number), so any of them
shorter than 94 lost data and refuses the file. Issue 10 found an entry cut to 80
characters stored with its trace number gone; the bank's corrected re-send was then a
second payment. Positions count *characters* of the decoded text, never bytes, so
a UTF-8 multi-byte character in a name does not shift the fields after it.

The field positions below are the spec's 1-based positions turned into Python slices
(``slice(start - 1, end)``). IAT batches (Appendix Three, IAT section) move fields around:
see the ``IAT_*`` slices. The code tables (transaction codes, return reasons, change
codes) are written here from the Rules' facts, in our own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, NamedTuple

from cashapp.domain import RemittanceLine
from connectors.nacha.x12_820 import looks_like_x12, parse_820
from connectors.nacha.xml_addenda import looks_like_iso20022, parse_xml_remittance

RECORD_LENGTH: Final = 94
BLOCKING_FACTOR: Final = 10
FILLER: Final = "9" * RECORD_LENGTH

# --- file header (1) -------------------------------------------------------------------
FH_PRIORITY: Final = slice(1, 3)  # 2-3 priority code, "01"
FH_DESTINATION: Final = slice(3, 13)  # 4-13 immediate destination (" " + routing)
FH_ORIGIN: Final = slice(13, 23)  # 14-23 immediate origin
FH_CREATED: Final = slice(23, 29)  # 24-29 file creation date YYMMDD
FH_RECORD_SIZE: Final = slice(34, 37)  # 35-37 "094"

# --- batch header (5) ------------------------------------------------------------------
BH_SERVICE_CLASS: Final = slice(1, 4)  # 2-4 200 mixed, 220 credits, 225 debits
BH_COMPANY_NAME: Final = slice(4, 20)  # 5-20 (IAT: IAT indicator, "IATCOR" for IAT NOCs)
BH_COMPANY_ID: Final = slice(40, 50)  # 41-50 company / originator identification
BH_SEC: Final = slice(50, 53)  # 51-53 standard entry class code
BH_DESCRIPTION: Final = slice(53, 63)  # 54-63 company entry description
BH_EFFECTIVE: Final = slice(69, 75)  # 70-75 effective entry date YYMMDD (IAT too)
BH_BATCH_NUMBER: Final = slice(87, 94)  # 88-94
IAT_FX_INDICATOR: Final = slice(20, 22)  # 21-22 FF / FV / VF
IAT_DEST_COUNTRY: Final = slice(38, 40)  # 39-40 ISO destination country
IAT_ORIGIN_CURRENCY: Final = slice(63, 66)  # 64-66 ISO originating currency
IAT_DEST_CURRENCY: Final = slice(66, 69)  # 67-69 ISO destination currency

# --- entry detail (6) ------------------------------------------------------------------
ED_CODE: Final = slice(1, 3)  # 2-3 transaction code
ED_RDFI8: Final = slice(3, 11)  # 4-11 receiving DFI routing without check digit
ED_RDFI9: Final = slice(3, 12)  # 4-12 with the check digit
ED_ACCOUNT: Final = slice(12, 29)  # 13-29 DFI account number
ED_AMOUNT: Final = slice(29, 39)  # 30-39 amount in cents (IAT too)
ED_TRACE: Final = slice(79, 94)  # 80-94 trace number (ODFI routing 8 + sequence 7)
IAT_ACCOUNT: Final = slice(39, 74)  # 40-74 foreign receiver's account number

#: Where the identification number and the name sit in an entry, per SEC code
#: (Appendix Three); the default is PPD/CCD/WEB/TEL/POS/COR: 40-54 id, 55-76 name.
#: CTX-like entries: 55-58 number of addenda records, 59-74 receiving company name.
CTX_LAYOUT: Final = (slice(39, 54), slice(58, 74))
ID_NAME_LAYOUT: Final[Mapping[str, tuple[slice, slice | None]]] = {
    "CTX": CTX_LAYOUT,
    "ATX": CTX_LAYOUT,
    "TRX": CTX_LAYOUT,
    "ENR": CTX_LAYOUT,
    "CIE": (slice(54, 76), slice(39, 54)),  # name first, then the id
    "MTE": (slice(61, 76), slice(39, 61)),
    "POP": (slice(39, 48), slice(54, 76)),  # check serial; 49-54 terminal city/state
    "XCK": (slice(39, 54), None),  # check serial, no name
    "SHR": (slice(43, 54), None),  # document reference; 55-76 is a card number: skipped
}
DEFAULT_ID_NAME: Final = (slice(39, 54), slice(54, 76))

# --- addenda (7) -----------------------------------------------------------------------
AD_TYPE: Final = slice(1, 3)  # 2-3 addenda type code
AD_INFO: Final = slice(3, 83)  # 05 / 717: 4-83 payment related information
AD_SEQUENCE: Final = slice(83, 87)  # 05 / 717: 84-87 addenda sequence number
RET_REASON: Final = slice(3, 6)  # 98 / 99: 4-6 change or return reason code
RET_ORIGINAL_TRACE: Final = slice(6, 21)  # 98 / 99: 7-21 original entry trace number
RET_INFO: Final = slice(35, 79)  # 99: 36-79 addenda information
RET_RETURN_TRACE: Final = slice(38, 53)  # 99 dishonored/contested: 39-53 return trace
NOC_CORRECTED: Final = slice(35, 64)  # 98: 36-64 corrected data
IAT_RECEIVER_NAME: Final = slice(46, 81)  # 710: 47-81 receiving company / individual
IAT_ORIGINATOR_NAME: Final = slice(3, 38)  # 711: 4-38 originator name
IAT_RECEIVER_ID: Final = slice(3, 18)  # 715: 4-18 receiver identification number

# --- batch control (8) and file control (9) ---------------------------------------------
BC_COUNT: Final = slice(4, 10)  # 5-10 entry/addenda count
BC_HASH: Final = slice(10, 20)  # 11-20 entry hash
BC_DEBIT: Final = slice(20, 32)  # 21-32 total debit amount
BC_CREDIT: Final = slice(32, 44)  # 33-44 total credit amount
FC_BATCHES: Final = slice(1, 7)  # 2-7 batch count
FC_BLOCKS: Final = slice(7, 13)  # 8-13 block count
FC_COUNT: Final = slice(13, 21)  # 14-21 entry/addenda count
FC_HASH: Final = slice(21, 31)  # 22-31 entry hash
FC_DEBIT: Final = slice(31, 43)  # 32-43 total debit amount
FC_CREDIT: Final = slice(43, 55)  # 44-55 total credit amount

HASH_MODULUS: Final = 10**10  # the entry hash keeps the rightmost ten digits

# --- transaction codes -----------------------------------------------------------------
#: Valid transaction codes. The second digit says what the entry is: 1/6 return or NOC,
#: 2/7 live entry, 3/8 prenote, 4/9 zero-dollar with remittance; 1-4 credit the
#: receiver, 5-9 debit it (55 is the loan-account debit used for reversals).
TRANSACTION_CODES: Final = frozenset(
    {"21", "22", "23", "24", "26", "27", "28", "29"}
    | {"31", "32", "33", "34", "36", "37", "38", "39"}
    | {"41", "42", "43", "44", "46", "47", "48", "49"}
    | {"51", "52", "53", "54", "55", "56"}
)
CREDIT_DIGITS: Final = "1234"
DEBIT_DIGITS: Final = "56789"
RETURN_DIGITS: Final = "16"
PRENOTE_DIGITS: Final = "38"
ZERO_DOLLAR_DIGITS: Final = "49"

# --- return reason codes (addenda 99) --------------------------------------------------
#: Return reasons R01-R85 as the Rules define them, titles in our words. R61-R69 are the
#: ODFI's dishonored returns, R70-R77 the RDFI's contested dishonored returns.
RETURN_REASONS: Final[Mapping[str, str]] = {
    "R01": "insufficient funds",
    "R02": "account closed",
    "R03": "no account or unable to locate account",
    "R04": "invalid account number",
    "R05": "unauthorized corporate-type debit to a consumer account",
    "R06": "returned at the ODFI's request",
    "R07": "authorization revoked by the customer",
    "R08": "payment stopped",
    "R09": "uncollected funds",
    "R10": "customer says the originator is unknown or not authorized",
    "R11": "entry does not follow the terms of the authorization",
    "R12": "account at a branch sold to another bank",
    "R13": "receiving bank not qualified to take the entry",
    "R14": "representative payee deceased or unable to act",
    "R15": "beneficiary or account holder deceased",
    "R16": "account frozen",
    "R17": "entry cannot be processed or initiated under questionable circumstances",
    "R18": "improper effective entry date",
    "R19": "amount field error",
    "R20": "account does not allow payments",
    "R21": "invalid company identification",
    "R22": "invalid individual identification number",
    "R23": "credit refused by the receiver",
    "R24": "duplicate entry",
    "R25": "addenda error",
    "R26": "mandatory field error",
    "R27": "trace number error",
    "R28": "routing number check digit error",
    "R29": "corporate customer says the debit is not authorized",
    "R30": "receiving bank not in the check truncation program",
    "R31": "late corporate return the ODFI agreed to accept",
    "R32": "receiving bank cannot settle",
    "R33": "return of an XCK entry",
    "R34": "receiving bank's participation limited by its supervisor",
    "R35": "debit not allowed for this entry class",
    "R36": "credit not allowed for this entry class",
    "R37": "source document also presented for payment",
    "R38": "stop payment on the source document",
    "R39": "improper source document",
    "R40": "ENR entry returned by a federal agency",
    "R41": "ENR: invalid transaction code",
    "R42": "ENR: routing number or check digit error",
    "R43": "ENR: invalid account number",
    "R44": "ENR: invalid individual identification number",
    "R45": "ENR: invalid name",
    "R46": "ENR: invalid representative payee indicator",
    "R47": "ENR: duplicate enrollment",
    "R50": "state law does not allow RCK entries",
    "R51": "RCK item ineligible or entry improper",
    "R52": "stop payment on the RCK item",
    "R53": "both the item and the RCK entry were presented",
    "R61": "dishonored: misrouted return",
    "R62": "dishonored: return of an erroneous or reversing debit",
    "R67": "dishonored: duplicate return",
    "R68": "dishonored: untimely return",
    "R69": "dishonored: field errors",
    "R70": "contested: permissible return not accepted or not requested",
    "R71": "contested: misrouted dishonored return",
    "R72": "contested: untimely dishonored return",
    "R73": "contested: the original return was timely",
    "R74": "contested: corrected return",
    "R75": "contested: the return was not a duplicate",
    "R76": "contested: no errors found",
    "R77": "contested: R62 dishonored return not accepted",
    "R80": "IAT coding error",
    "R81": "not a participant in the IAT program",
    "R82": "invalid foreign receiving bank identification",
    "R83": "foreign receiving bank cannot settle",
    "R84": "entry not processed by the gateway",
    "R85": "outbound international payment coded incorrectly",
}

#: Notification of change codes (addenda 98): C01-C14, and C61-C69 for refused NOCs.
CHANGE_CODES: Final[Mapping[str, str]] = {
    "C01": "incorrect account number",
    "C02": "incorrect routing number",
    "C03": "incorrect routing number and account number",
    "C04": "incorrect individual or company name",
    "C05": "incorrect transaction code",
    "C06": "incorrect account number and transaction code",
    "C07": "incorrect routing number, account number and transaction code",
    "C08": "incorrect receiving bank identification (IAT)",
    "C09": "incorrect individual identification number",
    "C13": "addenda format error",
    "C14": "incorrect SEC code for an outbound international payment",
    "C61": "refused NOC: misrouted",
    "C62": "refused NOC: incorrect trace number",
    "C63": "refused NOC: incorrect company identification",
    "C64": "refused NOC: incorrect individual identification",
    "C65": "refused NOC: corrected data incorrectly formatted",
    "C66": "refused NOC: incorrect discretionary data",
    "C67": "refused NOC: routing number not from the original entry",
    "C68": "refused NOC: account number not from the original entry",
    "C69": "refused NOC: incorrect transaction code",
}


def return_class(code: str) -> str:
    """``"dishonored"`` for R61-R69, ``"contested"`` for R70-R77, else ``"return"``."""
    if len(code) == 3 and code[0] == "R" and code[1:].isdigit():
        number = int(code[1:])
        if 61 <= number <= 69:
            return "dishonored"
        if 70 <= number <= 77:
            return "contested"
    return "return"


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


#: Per record type, its fields up to the last one a record must carry, as (last 1-based
#: position, name) in order (Appendix Three). A shorter line lost the field it ends in.
REQUIRED_FIELDS: Final[Mapping[str, tuple[tuple[int, str], ...]]] = {
    "1": (
        (3, "priority code"), (13, "immediate destination"), (23, "immediate origin"),
        (29, "file creation date"), (33, "file creation time"), (34, "file ID modifier"),
        (37, "record size"), (39, "blocking factor"), (40, "format code"),
    ),
    "5": (
        (4, "service class code"), (20, "company name"), (40, "company discretionary data"),
        (50, "company identification"), (53, "standard entry class code"),
        (63, "company entry description"), (69, "company descriptive date"),
        (75, "effective entry date"), (78, "settlement date"), (79, "originator status code"),
        (87, "originating DFI identification"), (94, "batch number"),
    ),
    "6": (
        (3, "transaction code"), (11, "receiving DFI identification"), (12, "check digit"),
        (29, "DFI account number"), (39, "amount"), (54, "identification number"),
        (76, "receiver name"), (78, "discretionary data"), (79, "addenda record indicator"),
        (94, "trace number"),
    ),
    "7": (
        (3, "addenda type code"), (83, "addenda information"),
        (94, "addenda sequence / trace number"),
    ),
    "8": (
        (4, "service class code"), (10, "entry/addenda count"), (20, "entry hash"),
        (32, "total debit amount"), (44, "total credit amount"),
        (54, "company identification"), (73, "message authentication code"),
        (79, "reserved"), (87, "originating DFI identification"), (94, "batch number"),
    ),
    "9": (
        (7, "batch count"), (13, "block count"), (21, "entry/addenda count"),
        (31, "entry hash"), (43, "total debit amount"), (55, "total credit amount"),
    ),
}  # fmt: skip


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


_IAT_MANDATORY: Final = ("10", "11", "12", "13", "14", "15", "16")


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
        missing = [f"7{kind}" for kind in _IAT_MANDATORY if kind not in iat_parts]
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
