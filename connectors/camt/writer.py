"""Writing camt.053.001.08 statements and camt.054.001.08 notifications from a small model.

Design note. The demo generator, the benchmark and the round-trip property test need camt
files that look like a bank's, built from a handful of facts. The model is deliberately
small (frozen dataclasses, Decimal amounts): one account, entries booked on a day, each
with one or more transactions (several = a batch booking, written with ``Btch/NbOfTxs`` and
one ``TxDtls`` each carrying ``Amt``). Element order follows the .001.08 schema
(``Stmt``: Id, CreDtTm, Acct, Bal, Ntry; ``Ntry``: Amt, CdtDbtInd, RvslInd, Sts, BookgDt,
ValDt, AcctSvcrRef, BkTxCd, NtryDtls, AddtlNtryInf; ``TxDtls``: Refs, Amt, CdtDbtInd,
RltdPties, RmtInf, RtrInf). Text is escaped; characters XML 1.0 cannot carry and values
longer than the schema allows raise ``ValueError`` instead of writing a file a bank's
validator would reject.

The parser in :mod:`connectors.camt.parse` reads the output back to the same payments: a
credit names the debtor, a debit the creditor, a blank end-to-end id is written as
``NOTPROVIDED``, a ``return_reason`` adds ``RtrInf/Rsn/Cd``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from xml.sax.saxutils import escape

from cashapp.money import quantize

_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:{}"
_INVALID_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    """A referred document (``Strd/RfrdDocInf`` + ``RfrdDocAmt``)."""

    number: str
    paid: Decimal | None = None
    invoice_total: Decimal | None = None
    discount: Decimal | None = None
    document_type: str = "CINV"


@dataclass(frozen=True, slots=True)
class CamtTransaction:
    """One ``TxDtls``: an unsigned amount and what the bank says about the payment."""

    amount: Decimal
    end_to_end_id: str = ""  # written as NOTPROVIDED when blank
    debtor_name: str = ""
    debtor_iban: str = ""
    creditor_name: str = ""
    creditor_iban: str = ""
    unstructured: tuple[str, ...] = ()  # RmtInf/Ustrd lines
    invoices: tuple[InvoiceRef, ...] = ()
    creditor_reference: str = ""  # CdtrRefInf/Ref, e.g. an RF creditor reference
    return_reason: str = ""  # RtrInf/Rsn/Cd, e.g. AC06


@dataclass(frozen=True, slots=True)
class CamtEntry:
    """One ``Ntry``: a booking of one or more transactions in one direction."""

    transactions: tuple[CamtTransaction, ...]
    credit: bool
    booking_date: date
    value_date: date | None = None
    reversal: bool = False
    servicer_ref: str = ""  # AcctSvcrRef
    type_code: str = "PMNT/RCDT/ESCT"  # domain/family/sub-family
    additional_info: str = ""  # AddtlNtryInf

    @property
    def amount(self) -> Decimal:
        """The entry amount: the sum of its transactions."""
        return sum((t.amount for t in self.transactions), Decimal(0))


@dataclass(frozen=True, slots=True)
class CamtStatement:
    """One account's statement (camt.053) or notification (camt.054)."""

    account_iban: str
    currency: str
    statement_id: str
    created: datetime  # timezone-aware
    entries: tuple[CamtEntry, ...] = ()
    opening_balance: Decimal | None = None  # signed; camt.053 only
    closing_balance: Decimal | None = None
    balance_date: date | None = None  # defaults to the creation date
    owner_name: str = ""


def write_camt053(statement: CamtStatement) -> bytes:
    """A camt.053.001.08 bank-to-customer statement."""
    return write_camt(statement, "camt.053.001.08")


def write_camt054(statement: CamtStatement) -> bytes:
    """A camt.054.001.08 debit/credit notification (balances are not part of it)."""
    return write_camt(statement, "camt.054.001.08")


def write_camt(statement: CamtStatement, message: str) -> bytes:
    """``statement`` as ``camt.053.001.08`` or ``camt.054.001.08`` UTF-8 XML."""
    if message not in ("camt.053.001.08", "camt.054.001.08"):
        raise ValueError(f"unsupported message {message!r}")
    if statement.created.tzinfo is None:
        raise ValueError("CamtStatement.created must be timezone-aware")
    notification = message.startswith("camt.054")
    root, block = ("BkToCstmrDbtCdtNtfctn", "Ntfctn") if notification else ("BkToCstmrStmt", "Stmt")
    created = statement.created.isoformat(timespec="seconds")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<Document xmlns="{_NAMESPACE.format(message)}">',
        f"<{root}><GrpHdr>{_el('MsgId', statement.statement_id, 35)}",
        f"<CreDtTm>{created}</CreDtTm></GrpHdr>",
        f"<{block}>{_el('Id', statement.statement_id, 35)}<CreDtTm>{created}</CreDtTm>",
        f"<Acct><Id>{_el('IBAN', statement.account_iban, 34)}</Id>",
        _el("Ccy", statement.currency, 3),
        f"<Ownr>{_el('Nm', statement.owner_name, 140)}</Ownr>" if statement.owner_name else "",
        "</Acct>",
    ]
    if not notification:
        as_of = statement.balance_date or statement.created.date()
        for code, balance in (
            ("OPBD", statement.opening_balance),
            ("CLBD", statement.closing_balance),
        ):
            if balance is not None:
                out.append(_balance(code, balance, statement.currency, as_of))
    for n, entry in enumerate(statement.entries, 1):
        out.append(_entry(entry, statement.currency, n))
    out.append(f"</{block}></{root}></Document>\n")
    return "".join(out).encode("utf-8")


def _balance(code: str, amount: Decimal, currency: str, as_of: date) -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f"{_amount('Amt', abs(amount), currency)}"
        f"<CdtDbtInd>{'DBIT' if amount < 0 else 'CRDT'}</CdtDbtInd>"
        f"<Dt><Dt>{as_of.isoformat()}</Dt></Dt></Bal>"
    )


def _entry(entry: CamtEntry, currency: str, number: int) -> str:
    if not entry.transactions:
        raise ValueError("a CamtEntry needs at least one transaction")
    indicator = "CRDT" if entry.credit else "DBIT"
    domain, _, rest = entry.type_code.partition("/")
    family, _, sub_family = rest.partition("/")
    out = [
        f"<Ntry><NtryRef>{number}</NtryRef>{_amount('Amt', entry.amount, currency)}",
        f"<CdtDbtInd>{indicator}</CdtDbtInd>",
        "<RvslInd>true</RvslInd>" if entry.reversal else "",
        "<Sts><Cd>BOOK</Cd></Sts>",
        f"<BookgDt><Dt>{entry.booking_date.isoformat()}</Dt></BookgDt>",
        f"<ValDt><Dt>{(entry.value_date or entry.booking_date).isoformat()}</Dt></ValDt>",
        _el("AcctSvcrRef", entry.servicer_ref, 35) if entry.servicer_ref else "",
        f"<BkTxCd><Domn>{_el('Cd', domain, 4)}<Fmly>{_el('Cd', family, 4)}",
        f"{_el('SubFmlyCd', sub_family, 4)}</Fmly></Domn></BkTxCd><NtryDtls>",
    ]
    if len(entry.transactions) > 1:
        out.append(f"<Btch><NbOfTxs>{len(entry.transactions)}</NbOfTxs></Btch>")
    out.extend(_transaction(t, currency, indicator) for t in entry.transactions)
    out.append("</NtryDtls>")
    if entry.additional_info:
        out.append(_el("AddtlNtryInf", entry.additional_info, 500))
    out.append("</Ntry>")
    return "".join(out)


def _transaction(tx: CamtTransaction, currency: str, indicator: str) -> str:
    out = [
        f"<TxDtls><Refs>{_el('EndToEndId', tx.end_to_end_id or 'NOTPROVIDED', 35)}</Refs>",
        f"{_amount('Amt', tx.amount, currency)}<CdtDbtInd>{indicator}</CdtDbtInd>",
    ]
    parties = []
    if tx.debtor_name:
        parties.append(f"<Dbtr><Pty>{_el('Nm', tx.debtor_name, 140)}</Pty></Dbtr>")
    if tx.debtor_iban:
        parties.append(f"<DbtrAcct><Id>{_el('IBAN', tx.debtor_iban, 34)}</Id></DbtrAcct>")
    if tx.creditor_name:
        parties.append(f"<Cdtr><Pty>{_el('Nm', tx.creditor_name, 140)}</Pty></Cdtr>")
    if tx.creditor_iban:
        parties.append(f"<CdtrAcct><Id>{_el('IBAN', tx.creditor_iban, 34)}</Id></CdtrAcct>")
    if parties:
        out.append(f"<RltdPties>{''.join(parties)}</RltdPties>")
    if tx.unstructured or tx.invoices or tx.creditor_reference:
        out.append("<RmtInf>")
        out.extend(_el("Ustrd", line, 140) for line in tx.unstructured)
        out.extend(_invoice(invoice, currency) for invoice in tx.invoices)
        if tx.creditor_reference:
            out.append(
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"{_el('Ref', tx.creditor_reference, 35)}</CdtrRefInf></Strd>"
            )
        out.append("</RmtInf>")
    if tx.return_reason:
        out.append(f"<RtrInf><Rsn>{_el('Cd', tx.return_reason, 4)}</Rsn></RtrInf>")
    out.append("</TxDtls>")
    return "".join(out)


def _invoice(invoice: InvoiceRef, currency: str) -> str:
    amounts = []
    if invoice.invoice_total is not None:
        amounts.append(_amount("DuePyblAmt", invoice.invoice_total, currency))
    if invoice.discount is not None:
        amounts.append(f"<DscntApldAmt>{_amount('Amt', invoice.discount, currency)}</DscntApldAmt>")
    if invoice.paid is not None:
        amounts.append(_amount("RmtdAmt", invoice.paid, currency))
    document = (
        f"<RfrdDocInf><Tp><CdOrPrtry>{_el('Cd', invoice.document_type, 4)}</CdOrPrtry></Tp>"
        f"{_el('Nb', invoice.number, 35)}</RfrdDocInf>"
    )
    amount_block = f"<RfrdDocAmt>{''.join(amounts)}</RfrdDocAmt>" if amounts else ""
    return f"<Strd>{document}{amount_block}</Strd>"


def _amount(tag: str, amount: Decimal, currency: str) -> str:
    if amount < 0:
        raise ValueError(f"camt amounts are unsigned; got {amount} in <{tag}>")
    return f'<{tag} Ccy="{_text(currency, 3)}">{quantize(amount, currency):f}</{tag}>'


def _el(tag: str, value: str, limit: int) -> str:
    return f"<{tag}>{_text(value, limit)}</{tag}>"


def _text(value: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"text must be 1 to {limit} characters: {value!r}")
    if _INVALID_XML.search(value):
        raise ValueError(f"text holds characters XML cannot carry: {value!r}")
    return escape(value)
