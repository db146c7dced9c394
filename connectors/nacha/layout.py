"""The NACHA spec as data: record positions, code tables and required fields.

Design note. A NACHA (ACH) file is a sequence of 94-character records (NACHA Operating
Rules, Appendix One "ACH File Exchange Specifications" and Appendix Three "ACH Record
Format Specifications"). The first character is the record type: ``1`` file header,
``5`` batch header, ``6`` entry detail, ``7`` addenda, ``8`` batch control, ``9`` file
control, and records made only of ``9`` pad the last block of ten ("blocking").

The field positions below are the spec's 1-based positions turned into Python slices
(``slice(start - 1, end)``). IAT batches (Appendix Three, IAT section) move fields around:
see the ``IAT_*`` slices. The code tables (transaction codes, return reasons, change
codes) are written here from the Rules' facts, in our own words.

Why a module of its own: the reader (:mod:`connectors.nacha.records`,
:mod:`connectors.nacha.connector`) and the writer (:mod:`connectors.nacha.writer`) share
one statement of where each field sits and what each code means, so the two can never
disagree about the layout, and the spec can be checked against this file alone. Only
data and one lookup (:func:`return_class`) live here, no reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

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


#: The IAT addenda every IAT entry must carry (710-716; 717/718 are optional).
IAT_MANDATORY: Final = ("10", "11", "12", "13", "14", "15", "16")
