"""Write OFX statements: 2.x XML by default, 1.0.2 SGML on request.

Design note. The writer exists for fixtures, demos and round-trip tests: a statement
written here must read back through :mod:`connectors.ofx.connector` (and through third-party readers
such as ofxparse) to the same transactions. It writes the minimum a reader needs (OFX
2.1.1: the 2.x ``<?OFX?>`` or 1.0.2 ``KEY:VALUE`` header, a signon response, and per
account a ch. 11 ``STMTTRNRS`` or ``CCSTMTTRNRS`` with ``BANKTRANLIST`` and
``LEDGERBAL``) and nothing it would have to invent. There is no clock: ``DTSERVER`` is
the latest date found in the statements.

Text is escaped (``&``, ``<``, ``>``) and written in full: ``NAME`` is A-32 in the spec,
but silently truncating a payer name would break the round trip, so a caller who needs
strict length limits cuts the text before calling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from cashapp.money import check_currency, quantize

_XML_HEADER: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
)
_SGML_HEADER: Final = (
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:UTF-8\r\n"
    "CHARSET:NONE\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)
_EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class OfxTransaction:
    """One ``STMTTRN``; ``trntype`` "" means CREDIT for money in, DEBIT for money out."""

    fitid: str
    posted: date
    amount: Decimal
    trntype: str = ""
    name: str = ""
    memo: str = ""
    checknum: str = ""


@dataclass(frozen=True, slots=True)
class OfxStatement:
    """One account's statement; ``credit_card`` writes ``CCSTMTRS`` instead of ``STMTRS``."""

    account_id: str
    currency: str
    transactions: tuple[OfxTransaction, ...] = ()
    bank_id: str = ""
    account_type: str = "CHECKING"
    credit_card: bool = False
    ledger_balance: Decimal | None = None
    balance_date: date | None = None  # None: the last transaction's date

    def dates(self) -> list[date]:
        found = [t.posted for t in self.transactions]
        if self.balance_date is not None:
            found.append(self.balance_date)
        return found


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Out:
    """Collects elements; SGML leaves get no end tag, XML ones do."""

    def __init__(self, sgml: bool) -> None:
        self.sgml = sgml
        self.parts: list[str] = []
        self.depth = 0

    def leaf(self, tag: str, value: str) -> None:
        indent = "  " * self.depth
        end = "" if self.sgml else f"</{tag}>"
        self.parts.append(f"{indent}<{tag}>{_escape(value)}{end}\n")

    def open(self, tag: str) -> None:
        self.parts.append(f"{'  ' * self.depth}<{tag}>\n")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.parts.append(f"{'  ' * self.depth}</{tag}>\n")


def _transaction(out: _Out, trn: OfxTransaction, currency: str) -> None:
    amount = quantize(trn.amount, currency)
    out.open("STMTTRN")
    out.leaf("TRNTYPE", trn.trntype or ("CREDIT" if amount > 0 else "DEBIT"))
    out.leaf("DTPOSTED", _day(trn.posted))
    out.leaf("TRNAMT", format(amount, "f"))
    out.leaf("FITID", trn.fitid)
    if trn.checknum:
        out.leaf("CHECKNUM", trn.checknum)
    if trn.name:
        out.leaf("NAME", trn.name)
    if trn.memo:
        out.leaf("MEMO", trn.memo)
    out.close("STMTTRN")


def _statement(out: _Out, statement: OfxStatement, uid: int) -> None:
    currency = check_currency(statement.currency)
    prefix = "CC" if statement.credit_card else ""
    dates = statement.dates()
    out.open(f"{prefix}STMTTRNRS")
    out.leaf("TRNUID", str(uid))
    out.open("STATUS")
    out.leaf("CODE", "0")
    out.leaf("SEVERITY", "INFO")
    out.close("STATUS")
    out.open(f"{prefix}STMTRS")
    out.leaf("CURDEF", currency)
    if statement.credit_card:
        out.open("CCACCTFROM")
        out.leaf("ACCTID", statement.account_id)
        out.close("CCACCTFROM")
    else:
        out.open("BANKACCTFROM")
        out.leaf("BANKID", statement.bank_id)
        out.leaf("ACCTID", statement.account_id)
        out.leaf("ACCTTYPE", statement.account_type)
        out.close("BANKACCTFROM")
    out.open("BANKTRANLIST")
    out.leaf("DTSTART", _day(min(dates, default=_EPOCH)))
    out.leaf("DTEND", _day(max(dates, default=_EPOCH)))
    for trn in statement.transactions:
        _transaction(out, trn, currency)
    out.close("BANKTRANLIST")
    if statement.ledger_balance is not None:
        out.open("LEDGERBAL")
        out.leaf("BALAMT", format(quantize(statement.ledger_balance, currency), "f"))
        out.leaf("DTASOF", _day(statement.balance_date or max(dates, default=_EPOCH)))
        out.close("LEDGERBAL")
    out.close(f"{prefix}STMTRS")
    out.close(f"{prefix}STMTTRNRS")


def write_ofx(statements: Sequence[OfxStatement], *, sgml: bool = False) -> bytes:
    """Serialize ``statements`` as one OFX file (UTF-8): 2.x XML, or 1.0.2 SGML."""
    out = _Out(sgml)
    server_day = max((d for s in statements for d in s.dates()), default=_EPOCH)
    out.open("OFX")
    out.open("SIGNONMSGSRSV1")
    out.open("SONRS")
    out.open("STATUS")
    out.leaf("CODE", "0")
    out.leaf("SEVERITY", "INFO")
    out.close("STATUS")
    out.leaf("DTSERVER", _day(server_day) + "000000")
    out.leaf("LANGUAGE", "ENG")
    out.close("SONRS")
    out.close("SIGNONMSGSRSV1")
    for group, credit_card in (("BANKMSGSRSV1", False), ("CREDITCARDMSGSRSV1", True)):
        members = [s for s in statements if s.credit_card is credit_card]
        if not members:
            continue
        out.open(group)
        for uid, statement in enumerate(members, start=1):
            _statement(out, statement, uid)
        out.close(group)
    out.close("OFX")
    header = _SGML_HEADER if sgml else _XML_HEADER
    return (header + "".join(out.parts)).encode("utf-8")
