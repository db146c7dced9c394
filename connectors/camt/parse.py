"""camt entries -> payments: kind, counterparty, references and keys of each booked part.

Design note (ISO 20022 camt.052/053/054 ``ReportEntry`` / ``EntryDetails`` /
``EntryTransaction``). :func:`parse_message` walks a message's report
blocks: :mod:`connectors.camt.entries` reads each entry's booking status and splits it
into parts (booked entries only, one payment per ``TxDtls``, the sign),
:mod:`connectors.camt.balances` the block's balances and :mod:`connectors.camt.raw_text`
the source text each payment keeps. What a part becomes is decided here:

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
* Currencies: every ``Ccy`` (entry, transaction, balance, remittance amount) and the
  account's ``Acct/Ccy`` go through :func:`cashapp.money.check_currency`; an unknown code
  refuses the file (a remittance amount's only drops that amount, with a warning).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    RemittanceLine,
    occurrence_keys,
    stable_key,
)
from connectors.base import ExtractResult
from connectors.camt.balances import read_balances
from connectors.camt.entries import (
    Block,
    Entry,
    Part,
    entry_status,
    read_block,
    read_entry,
    split_entry,
)
from connectors.camt.fields import FieldError, Transaction
from connectors.camt.raw_text import RawText
from connectors.camt.xml_tree import CamtMessage, text

_RETURN_SUBFAMILIES: Final = frozenset(
    {"UPDD", "PRDD", "RCDD", "RRTN", "RPCR", "ARET", "AREV", "CQRV"}
)
_FEE_CODES: Final = frozenset({"CHRG", "COMM", "FEES", "COME", "COMI", "COMT"})
_INTEREST_CODES: Final = frozenset({"INTR"})


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
    raw = RawText(message.plain_source, sum(len(e) for e in entry_lists))
    for number, (element, ntries) in enumerate(zip(message.blocks, entry_lists, strict=True), 1):
        block = read_block(element, message.block_tag, number, header_created)
        balances.extend(read_balances(element, block, issues))
        for n, ntry in enumerate(ntries, 1):
            where = f"{block.label} / Ntry {n}"
            span = raw.next_entry()
            try:
                status = entry_status(ntry, message.family, unstated, where)
                entry = read_entry(ntry, block, where, issues)
                if status != "BOOK":
                    skipped[status] += 1
                    continue
                parts = split_entry(ntry, entry, where, issues)
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


def _kind(part: Part, entry: Entry, type_code: str) -> tuple[str, bool]:
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
    part: Part, entry: Entry, block: Block, where: str, source: str, raw: str
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
