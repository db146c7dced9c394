"""camt entries -> payments: booking status, batch split, sign, kind, references, balances.

Design note (ISO 20022 camt.052/053/054 ``ReportEntry`` / ``EntryDetails`` /
``EntryTransaction``, ``CashBalance``):

* Only booked entries (``Sts`` ``BOOK``, written as text up to .001.06 and as ``Sts/Cd``
  from .001.07) are money that moved; pending, information and future entries are skipped
  and counted in one warning, so a camt.052 intraday report never books cash twice.
  Named leniency *camt.053 entries without Sts* (the Lithuanian settlement account's
  statement again): ``Sts`` is mandatory, but a camt.053 statement reports its account's
  bookings, so an entry there without the element is read as booked, with a warning, and
  the tie-out verifies it. In a camt.052 report or camt.054 notification, where pending
  and information entries are common, a missing status still refuses the file.
  ``INFO`` is not money either, also on instant-payment settlement accounts: the code
  means the entry "is only provided for information, and no booking on the account
  owner's account in the account servicer's ledger has been performed" (ISO 20022
  EntryStatus). The camt.054 of such an account (peer file subite_CAMT_054-2024-03-09, one
  INFO entry of 55 transactions) therefore gives 0 payments and the warning; the booked
  entries come in the account's camt.053, and booking both would count the cash twice.
* One payment per ``TxDtls``; an entry without details is one payment. An entry with one
  ``TxDtls`` books the entry amount (that is what hit the account; a differing transaction
  amount in the same currency is a warning). A batch entry with several ``TxDtls`` is split:
  each part takes its own amount (``TxDtls/Amt``, ``AmtDtls/TxAmt``, ``CntrValAmt``,
  ``InstdAmt``, preferring one in the entry currency) and the parts must add up to the entry
  amount, else a warning names the entry. When a part has no amount the split is unknown
  and the entry stays one payment carrying every part's references (warning).
* Sign: ``CdtDbtInd`` CRDT is money in (+), DBIT money out (-); a ``TxDtls`` of a batch may
  carry its own. ``RvslInd`` true does not change the sign (the indicator already says which
  way this booking went) but makes it a ``return``: DBIT+reversal is a credit taken back.
* Kind: reversal, ``RtrInf`` or a return sub-family (UPDD unpaid direct debit, RRTN/PRDD
  returns, RPCR/RCDD cancellations, ARET/AREV ACH, CQRV cheques) -> ``return``; a charges
  code (CHRG, COMM, FEES...) or a debit entry that is nothing but its ``Chrgs`` -> ``fee``;
  an interest sub-family (INTR) -> ``other``; other credits -> ``payment``, debits ->
  ``other``. Our own direct-debit collections (IDDT/ESDD credits) are payments.
* Counterparty: the debtor for money in, the creditor for money out; for a return the
  original direction counts, so an unpaid direct debit names the customer who did not pay.
* ``source_ref``: EndToEndId unless absent or NOTPROVIDED, else the transaction's
  AcctSvcrRef, the entry's AcctSvcrRef, the entry's NtryRef. ``dedupe_key``: account, booking
  date, signed amount, currency, indicator, both AcctSvcrRefs, NtryRef, EndToEndId, TxId,
  UETR and the index of the TxDtls in its entry, made unique by occurrence. No statement id:
  a camt.052 intraday report and the camt.053 of the same day dedupe against each other.
  Named leniency *camt entries without EndToEndId or AcctSvcrRef*: the schema makes both
  optional and real files omit both (peer file via_053_valid_example_with_datetime, the
  genkgo camt053.v2.minimal and camt054.v8-with-UETR samples), so such a payment is kept
  with one warning per file; the key above still tells it apart (it is occurrence-based:
  the n-th identical entry of a file gets the n-th key), so a re-sent file dedupes.
* Balances (``Bal``): OPBD/PRCD opening, CLBD closing, CLAV/ITAV/FWAV/OPAV available, other
  codes ``other``; signed by their indicator; dated ``Dt/Dt`` or ``Dt/DtTm``. Named
  leniency *camt balances without CdtDbtInd* (a Lithuanian settlement account's camt.053,
  peer file subite_CAMT_053-2024-03-07): the indicator is mandatory in the schema, but a
  balance without the element is read as a credit balance, with one warning per statement.
  Why credit: such accounts do not go overdrawn, the peer projects default to CRDT, and
  the reading is checked, not trusted -- opening + entries = closing is computed for every
  statement, and a wrong sign shows as a tie-out break. An indicator that is present but
  neither CRDT nor DBIT still refuses the file, and so does an *entry* without one: its
  direction is the money itself.
* Currencies: every ``Ccy`` (entry, transaction, balance, remittance amount) and the
  account's ``Acct/Ccy`` go through :func:`cashapp.money.check_currency`; an unknown code
  refuses the file (a remittance amount's only drops that amount, with a warning).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    RemittanceLine,
    occurrence_keys,
    stable_key,
)
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency
from connectors.base import ExtractResult, decode_text
from connectors.camt.fields import (
    NO_DETAILS,
    FieldError,
    Transaction,
    bank_transaction_code,
    clean,
    given,
    parse_date,
    read_date,
    read_money,
    read_transaction,
)
from connectors.camt.xml_tree import CamtMessage, find, findall, text

_RETURN_SUBFAMILIES: Final = frozenset(
    {"UPDD", "PRDD", "RCDD", "RRTN", "RPCR", "ARET", "AREV", "CQRV"}
)
_FEE_CODES: Final = frozenset({"CHRG", "COMM", "FEES", "COME", "COMI", "COMT"})
_INTEREST_CODES: Final = frozenset({"INTR"})
_BALANCE_KINDS: Final[dict[str, Literal["opening", "closing", "available"]]] = {
    "OPBD": "opening",
    "PRCD": "opening",
    "CLBD": "closing",
    "CLAV": "available",
    "ITAV": "available",
    "FWAV": "available",
    "OPAV": "available",
}
_PART_AMOUNTS: Final = (
    "Amt",
    "AmtDtls/TxAmt/Amt",
    "AmtDtls/CntrValAmt/Amt",
    "AmtDtls/InstdAmt/Amt",
)


@dataclass(frozen=True, slots=True)
class _Block:
    """The statement / notification / report an entry belongs to."""

    label: str  # "Stmt 1234Test/1"
    account_id: str  # unmasked, only ever hashed into dedupe keys
    account: str  # masked
    created: str  # CreDtTm of the block (or the group header), the last-resort date


@dataclass(frozen=True, slots=True)
class _Entry:
    """Entry-level facts every part of the entry shares."""

    amount: Decimal  # signed
    credit: bool
    reversal: bool
    currency: str
    booking_date: date | None
    value_date: date
    servicer_ref: str
    entry_ref: str
    type_code: str
    info: str  # AddtlNtryInf
    charges_only: bool


@dataclass(frozen=True, slots=True)
class _Part:
    """One future payment: its amount and the transaction(s) it stands for."""

    amount: Decimal  # signed
    currency: str
    credit: bool
    index: int  # 1-based TxDtls index; 0 for the entry itself
    details: tuple[Transaction, ...]
    element: ET.Element


def parse_message(message: CamtMessage, source: str) -> ExtractResult:
    """All booked payments and balances of one camt message, tagged with ``source``."""
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    keys: list[str] = []
    balances: list[AccountBalance] = []
    skipped: Counter[str] = Counter()
    unstated: list[str] = []  # camt.053 entries without Sts, read as booked
    unreferenced: list[str] = []  # payments with neither EndToEndId nor AcctSvcrRef
    header_created = text(message.header, "CreDtTm") if message.header is not None else ""
    entry_lists = [element.findall("Ntry") for element in message.blocks]
    raw = _RawText(message.plain_source, sum(len(e) for e in entry_lists))
    for number, (element, ntries) in enumerate(zip(message.blocks, entry_lists, strict=True), 1):
        block = _block(element, message.block_tag, number, header_created)
        balances.extend(_balances(element, block, issues))
        for n, ntry in enumerate(ntries, 1):
            where = f"{block.label} / Ntry {n}"
            span = raw.next_entry()
            try:
                status = _status(ntry, message.family, unstated, where)
                entry = _entry(ntry, block, where, issues)
                if status != "BOOK":
                    skipped[status] += 1
                    continue
                parts = _parts(ntry, entry, where, issues)
                sources = raw.parts(span, parts)
                for part, part_raw in zip(parts, sources, strict=True):
                    key, row, referenced = _row(part, entry, block, where, source, part_raw)
                    keys.append(key)
                    rows.append(row)
                    if not referenced:
                        unreferenced.append(row["location"])
            except FieldError as exc:
                raise FileRefused(str(exc), where) from exc
    if unstated:
        issues.append(
            Issue(
                "warning",
                f"leniency 'camt.053 entries without Sts': {len(unstated)} statement "
                "entr(y/ies) have no booking status and are read as booked; the statement "
                "tie-out checks that reading",
                unstated[0],
            )
        )
    if unreferenced:
        issues.append(
            Issue(
                "warning",
                f"leniency 'camt entries without EndToEndId or AcctSvcrRef': "
                f"{len(unreferenced)} payment(s) carry neither reference; each is told apart "
                "by account, date, amount, its other references and its occurrence in the "
                "file, so a re-sent file dedupes but a corrected one may not",
                unreferenced[0],
            )
        )
    if skipped:
        counts = ", ".join(f"{count} {status}" for status, count in sorted(skipped.items()))
        total = sum(skipped.values())
        what = (
            "1 entry that is not booked was" if total == 1 else f"{total} entries not booked were"
        )
        issues.append(
            Issue(
                "warning",
                f"{what} skipped ({counts}): only booked (BOOK) entries are payments",
            )
        )
    records = tuple(
        PaymentRecord(dedupe_key=key, **row)
        for key, row in zip(occurrence_keys(keys), rows, strict=True)
    )
    entries = sum(len(e) for e in entry_lists)
    return ExtractResult(records, tuple(issues), tuple(balances), record_count=entries)


class _RawText:
    """The source text of each entry / transaction, for ``PaymentRecord.raw``.

    ElementTree keeps no byte offsets and re-serializing every element costs more than
    parsing the file, so the text is cut out of the parsed bytes by scanning for the tags in
    document order (one forward pass). Used only when the tags carry no prefix and the
    number of ``<Ntry`` tags equals the number of entries parsed (a comment that mentions
    ``<Ntry>`` would break the count); otherwise each element is serialized again.
    """

    def __init__(self, source: bytes | None, entries: int) -> None:
        if source is not None and source.count(b"<Ntry>") + source.count(b"<Ntry ") != entries:
            source = None
        self.source = source
        self.cursor = 0

    def _span(self, tag: bytes, start: int, stop: int) -> tuple[int, int]:
        assert self.source is not None
        while True:
            at = self.source.find(b"<" + tag, start, stop)
            if at < 0:
                return -1, -1
            follows = self.source[at + len(tag) + 1 : at + len(tag) + 2]
            if follows in (b">", b" ", b"\t", b"\r", b"\n", b"/"):
                break
            start = at + len(tag) + 1
        open_end = self.source.find(b">", at, stop)
        if open_end > 0 and self.source[open_end - 1 : open_end] == b"/":
            return at, open_end + 1
        close = self.source.find(b"</" + tag + b">", open_end, stop)
        return (at, close + len(tag) + 3) if close >= 0 else (-1, -1)

    def next_entry(self) -> tuple[int, int]:
        """The span of the next ``Ntry`` in document order ((-1, -1) without a source)."""
        if self.source is None:
            return -1, -1
        span = self._span(b"Ntry", self.cursor, len(self.source))
        if span[0] >= 0:
            self.cursor = span[1]
        return span

    def parts(self, entry: tuple[int, int], parts: list[_Part]) -> list[str]:
        """Source text for each part of the entry at ``entry``."""
        if self.source is None or entry[0] < 0:
            return [_serialize(p.element) for p in parts]
        out = []
        cursor = entry[0]
        for part in parts:
            if part.index == 0:
                out.append(decode_text(self.source[entry[0] : entry[1]]))
                continue
            start, end = self._span(b"TxDtls", cursor, entry[1])
            if start < 0:
                out.append(_serialize(part.element))
                continue
            cursor = end
            out.append(decode_text(self.source[start:end]))
        return out


def _serialize(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode").strip()


def _block(element: ET.Element, tag: str, number: int, header_created: str) -> _Block:
    ident = text(element, "Id")
    account_id = text(element, "Acct/Id/IBAN") or text(element, "Acct/Id/Othr/Id")
    label = f"{tag} {ident or number}"
    account_currency = text(element, "Acct/Ccy")
    if account_currency:
        try:
            check_currency(account_currency, allow_no_currency=True)
        except MoneyError as exc:
            raise FileRefused(
                f"the account currency (Acct/Ccy) {account_currency!r} is not an ISO 4217 code",
                label,
            ) from exc
    return _Block(
        label=label,
        account_id=account_id,
        account=mask_account(account_id),
        created=text(element, "CreDtTm") or header_created,
    )


def _status(ntry: ET.Element, family: str, unstated: list[str], where: str) -> str:
    """The entry's booking status; see the module note for a camt.053 entry without one."""
    status = text(ntry, "Sts") or text(ntry, "Sts/Cd") or text(ntry, "Sts/Prtry")
    if status:
        return status.upper()
    if family != "camt.053" or ntry.find("Sts") is not None:
        raise FieldError("the entry has no booking status (Sts)")
    unstated.append(where)
    return "BOOK"


def _own_text(children: dict[str, ET.Element], tag: str) -> str:
    found = children.get(tag)
    return found.text.strip() if found is not None and found.text else ""


def _entry(ntry: ET.Element, block: _Block, where: str, issues: list[Issue]) -> _Entry:
    children = {child.tag: child for child in ntry}  # one pass instead of a find per field
    amount_element = children.get("Amt")
    if amount_element is None:
        raise FieldError("the entry has no amount (Amt)")
    amount, currency = read_money(amount_element, where, issues)
    credit = _indicator(ntry, "the entry's")
    booking = read_date(ntry, "BookgDt") if "BookgDt" in children else None
    value = (read_date(ntry, "ValDt") if "ValDt" in children else None) or booking
    if value is None:
        if not block.created:
            raise FieldError("the entry has no booking or value date")
        value = parse_date(block.created)
        issues.append(
            Issue("warning", f"no booking or value date; the {block.label} date is used", where)
        )
    return _Entry(
        amount=_signed(amount, credit),
        credit=credit,
        reversal=_own_text(children, "RvslInd").lower() in ("true", "1"),
        currency=currency,
        booking_date=booking,
        value_date=value,
        servicer_ref=given(_own_text(children, "AcctSvcrRef")),
        entry_ref=given(_own_text(children, "NtryRef")),
        type_code=bank_transaction_code(children.get("BkTxCd")),
        info=clean(_own_text(children, "AddtlNtryInf")),
        charges_only=(
            not credit and "Chrgs" in children and _charges_total(ntry, where, issues) == amount
        ),
    )


def _indicator(element: ET.Element, whose: str) -> bool:
    """``CdtDbtInd``: True for CRDT, False for DBIT; anything else is a broken file."""
    indicator = text(element, "CdtDbtInd")
    if indicator == "CRDT":
        return True
    if indicator == "DBIT":
        return False
    found = f"found {indicator!r}" if indicator else "it is missing"
    raise FieldError(f"{whose} credit/debit indicator (CdtDbtInd) must be CRDT or DBIT; {found}")


def _charges_total(ntry: ET.Element, where: str, issues: list[Issue]) -> Decimal | None:
    """Total of the entry's ``Chrgs`` (.001.02: repeated ``Chrgs/Amt``; later ``Rcrd``)."""
    total = find(ntry, "Chrgs/TtlChrgsAndTaxAmt")
    if total is not None:
        return read_money(total, where, issues)[0]
    amounts = findall(ntry, "Chrgs/Amt") + findall(ntry, "Chrgs/Rcrd/Amt")
    if not amounts:
        return None
    return sum((read_money(a, where, issues)[0] for a in amounts), Decimal(0))


def _parts(ntry: ET.Element, entry: _Entry, where: str, issues: list[Issue]) -> list[_Part]:
    signed = entry.amount
    transactions = findall(ntry, "NtryDtls/TxDtls")
    if not transactions:
        return [_Part(signed, entry.currency, entry.credit, 0, (NO_DETAILS,), ntry)]
    details = [
        read_transaction(tx, f"{where} / TxDtls {i}", issues)
        for i, tx in enumerate(transactions, 1)
    ]
    if len(transactions) == 1:
        _check_currencies(transactions[0], entry.currency)
        own = transactions[0].find("Amt")
        entry_text = _must_text(ntry.find("Amt"))
        if own is not None and own.get("Ccy") == entry.currency and own.text != entry_text:
            value = read_money(own, where, issues)[0]
            if value != abs(signed):
                issues.append(
                    Issue(
                        "warning",
                        f"the transaction amount {value} {entry.currency} differs from the "
                        f"entry amount {abs(signed)}; the booked entry amount is used",
                        where,
                    )
                )
        return [_Part(signed, entry.currency, entry.credit, 1, (details[0],), transactions[0])]
    amounts = [_part_amount(tx, entry.currency, where, issues) for tx in transactions]
    if any(a is None for a in amounts):
        issues.append(
            Issue(
                "warning",
                f"the entry has {len(transactions)} transactions but not every one has an "
                "amount, so it cannot be split; it is kept as one payment",
                where,
            )
        )
        return [_Part(signed, entry.currency, entry.credit, 0, tuple(details), ntry)]
    parts = []
    for i, (tx, found) in enumerate(zip(transactions, amounts, strict=True), 1):
        assert found is not None
        credit = (
            _indicator(tx, "a transaction's") if tx.find("CdtDbtInd") is not None else entry.credit
        )
        parts.append(_Part(_signed(found[0], credit), found[1], credit, i, (details[i - 1],), tx))
    _check_split(parts, signed, entry.currency, where, issues)
    return parts


def _check_currencies(tx: ET.Element, currency: str) -> None:
    """Every amount of a transaction names an ISO 4217 currency, used or not.

    The entry amount is what is booked, but an unknown code in the transaction's own
    amounts means the file is not what the bank sent (issue 10: ``XYZ`` got in).
    """
    for path in _PART_AMOUNTS:
        element = find(tx, path)
        code = element.get("Ccy") if element is not None else None
        if code is not None and code != currency:
            try:
                check_currency(code, allow_no_currency=True)
            except MoneyError as exc:
                raise FieldError(f"the transaction amount's currency {code!r}: {exc}") from exc


def _must_text(element: ET.Element | None) -> str | None:
    return element.text if element is not None else None


def _signed(magnitude: Decimal, credit: bool) -> Decimal:
    return magnitude if credit else -magnitude


def _part_amount(
    tx: ET.Element, currency: str, where: str, issues: list[Issue]
) -> tuple[Decimal, str] | None:
    """A batch part's amount, preferring one in the entry's currency."""
    found = [e for e in (find(tx, p) for p in _PART_AMOUNTS) if e is not None]
    if not found:
        return None
    _check_currencies(tx, currency)
    chosen = next((e for e in found if e.get("Ccy") == currency), found[0])
    return read_money(chosen, where, issues)


def _check_split(
    parts: list[_Part], signed: Decimal, currency: str, where: str, issues: list[Issue]
) -> None:
    currencies = {p.currency for p in parts}
    if currencies != {currency}:
        issues.append(
            Issue(
                "warning",
                f"the entry's {len(parts)} transactions are in {', '.join(sorted(currencies))} "
                f"but the entry is {signed} {currency}; the split cannot be checked",
                where,
            )
        )
        return
    total = sum((p.amount for p in parts), Decimal(0))
    if total != signed:
        issues.append(
            Issue(
                "warning",
                f"the entry's {len(parts)} transactions add up to {total} {currency}, not the "
                f"entry amount {signed} {currency}; each keeps its own amount",
                where,
            )
        )


def _kind(part: _Part, entry: _Entry, type_code: str) -> tuple[str, bool]:
    """(kind, is_return) for one part."""
    codes = type_code.split("/")[1:]
    if (
        entry.reversal
        or any(d.returned for d in part.details)
        or (codes and codes[-1] in _RETURN_SUBFAMILIES)
    ):
        return "return", True
    if entry.charges_only or any(c in _FEE_CODES for c in codes):
        return "fee", False
    if codes and codes[-1] in _INTEREST_CODES:
        return "other", False
    return ("payment" if part.credit else "other"), False


def _first(details: tuple[Transaction, ...], field: str) -> str:
    for d in details:
        value: str = getattr(d, field)
        if value:
            return value
    return ""


def _row(
    part: _Part, entry: _Entry, block: _Block, where: str, source: str, raw: str
) -> tuple[str, dict[str, Any], bool]:
    """(dedupe key, row, whether the bank gave an EndToEndId or AcctSvcrRef for it)."""
    details = part.details
    type_code = _first(details, "type_code") or entry.type_code
    kind, is_return = _kind(part, entry, type_code)
    money_in_originally = part.credit != is_return
    end_to_end = _first(details, "end_to_end_id")
    tx_servicer_ref = _first(details, "servicer_ref")
    references: dict[str, None] = {}
    pieces: dict[str, None] = {}
    lines: list[RemittanceLine] = []
    for d in details:
        for ref in (
            d.end_to_end_id,
            d.instruction_id,
            d.transaction_id,
            d.uetr,
            d.mandate_id,
            *d.creditor_refs,
            d.cheque_number,
        ):
            if ref:
                references[ref] = None
        pieces.update(dict.fromkeys(d.remittance))
        lines.extend(d.lines)
    if entry.info:
        pieces[entry.info] = None
    if money_in_originally:
        payer_name, payer_account = (
            _first(details, "debtor_name"),
            _first(details, "debtor_account"),
        )
    else:
        payer_name = _first(details, "creditor_name")
        payer_account = _first(details, "creditor_account")
    location = f"{where} / TxDtls {part.index}" if part.index else where
    key = stable_key(
        block.account_id,
        entry.booking_date,
        part.amount,
        part.currency,
        "C" if part.credit else "D",
        entry.servicer_ref,
        entry.entry_ref,
        tx_servicer_ref,
        end_to_end,
        _first(details, "transaction_id"),
        _first(details, "uetr"),
        part.index,
    )
    row: dict[str, Any] = {
        "source": source,
        "source_ref": end_to_end or tx_servicer_ref or entry.servicer_ref or entry.entry_ref,
        "kind": kind,
        "amount": part.amount,
        "currency": part.currency,
        "value_date": entry.value_date,
        "payer_name": payer_name,
        "payer_account": payer_account,
        "remittance": " | ".join(pieces),
        "remittance_lines": tuple(lines),
        "references": tuple(references),
        "related_ref": (_first(details, "return_original_ref") or end_to_end) if is_return else "",
        "reason_code": _first(details, "return_reason") if is_return else "",
        "account": block.account,
        "type_code": type_code,
        "location": location,
        "raw": raw,
        "statement": block.label,
    }
    return key, row, bool(end_to_end or tx_servicer_ref or entry.servicer_ref)


def _balances(element: ET.Element, block: _Block, issues: list[Issue]) -> list[AccountBalance]:
    balances = []
    without_indicator: list[str] = []
    for n, balance in enumerate(element.findall("Bal"), 1):
        where = f"{block.label} / Bal {n}"
        try:
            amount_element = balance.find("Amt")
            if amount_element is None:
                raise FieldError("the balance has no amount (Amt)")
            amount, currency = read_money(amount_element, where, issues)
            if balance.find("CdtDbtInd") is None:
                # Named leniency (see the module note): read as a credit balance.
                without_indicator.append(where)
                credit = True
            else:
                credit = _indicator(balance, "the balance's")
            as_of = read_date(balance, "Dt")
            if as_of is None:
                raise FieldError("the balance has no date (Dt)")
        except FieldError as exc:
            raise FileRefused(str(exc), where) from exc
        code = text(balance, "Tp/CdOrPrtry/Cd") or text(balance, "Tp/CdOrPrtry/Prtry")
        balances.append(
            AccountBalance(
                account=block.account,
                currency=currency,
                as_of=as_of,
                kind=_BALANCE_KINDS.get(code, "other"),
                amount=_signed(amount, credit),
                type_code=code,
                statement=block.label,
            )
        )
    if without_indicator:
        issues.append(
            Issue(
                "warning",
                f"leniency 'camt balances without CdtDbtInd': {len(without_indicator)} "
                f"balance(s) of {block.label} have no credit/debit indicator and are read as "
                "credit (zero or positive) balances; the statement tie-out checks that reading",
                without_indicator[0],
            )
        )
    return balances
