"""NACHA (ACH) connector: entry detail records -> payments, returns and NOCs.

Design note (NACHA Operating Rules, Appendix One file exchange and Appendix Three record
formats; positions and code tables in :mod:`connectors.nacha.layout`, the record layer
in :mod:`connectors.nacha.records`, the CTX 820 in :mod:`connectors.nacha.x12_820`).

*Structure.* One file header (1); batches of header (5), entries (6) each followed by
its addenda (7), and a batch control (8); one file control (9); then 9-filler. Anything
out of that order, an unknown record type or a non-numeric amount refuses the file.

*Controls.* Each batch control and the file control are checked against the entries:
total debit and credit amounts and the entry hash (sum of the 8-digit RDFI routing
numbers, rightmost ten digits) must agree or the file is refused -- they are the
checksum. Entry/addenda, batch and block counts that disagree are warnings only: banks
get them wrong and the money still adds up.

*Direction (our point of view).* A batch whose company identification (batch header
41-50, stripped) is one of ``context.ach_company_ids`` is our own origination: its
debits (27, 37 ...) collect money from customers -> positive ``payment``; its credits
pay money out -> negative ``other``. In any other batch a credit (22, 32 ...) is someone
paying us -> positive ``payment``; a debit is someone taking money -> negative ``other``.

*Returns* (an entry with a 99 addenda): kind ``return``, ``source_ref`` the return
entry's own trace, ``related_ref`` the original trace, ``reason_code`` the R code. The
sign follows the original entry's family (transaction code 1-4 credit, 5-9 debit):
a returned debit gives back money we collected -> negative; a returned credit brings our
money back -> positive. A *dishonored* return (R61-R69, the ODFI refusing the return)
undoes the return -> the opposite sign; a *contested* dishonored return (R70-R77, the
RDFI insisting on its return) puts the return back -> the return's sign. When an entry
carries several 99 addenda (a return, its dishonor, the contest), the last one states
where the chain ended and decides; a warning notes the stack.

*NOCs* (98 addenda) and prenotes (x3/x8) are kind ``other`` with amount 0; zero-dollar
remittance entries (x4/x9) likewise.

*Remittance.* 05 addenda in sequence order: for CTX, joined as-is and read as X12 820
when they start with ISA (RMR lines, N1*PR payer); otherwise joined and whitespace
collapsed. IAT payment information comes from 717 addenda; names from 710/711.

*Who and where.* Our own batches: ``payer_name`` is the entry's receiver name (IAT: 710
receiver; CTX: N1*PR when the 820 has one), ``payer_account`` the RDFI routing plus the
masked account. Other batches: ``payer_name`` is N1*PR, else the IAT 711 originator,
else the batch company name; ``payer_account`` is ``ach:<company id>`` (the originator's
id, a strong fingerprint), ``account`` our masked account. ``value_date`` is the batch
effective entry date; when that is absent (blank or 000000, as return and NOC files
write it) the file creation date, under the leniency 'missing effective date' with a
warning. An effective date that is present but impossible (261331) refuses the file.
Amounts are USD; an IAT entry carries the currency of our side (destination currency
when incoming, originating currency for our own batches), USD if that is not a
two-decimal currency.

*Identity.* ``source_ref`` is the 15-digit trace (a blank trace refuses the file, as does
a 99 return addenda with a blank original trace); ``dedupe_key`` is a digest of trace,
transaction code, amount, effective date, company id, RDFI routing, masked account and
individual id, made unique by occurrence within the file (same rule as
:func:`connectors.base.occurrence_keys`). ``control_total`` is the file control's total
credits minus total debits (network view, not ours); ``record_count`` counts the records
up to the file control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from cashapp.domain import FileRefused, Issue, PaymentRecord, stable_key
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency, from_minor_units, minor_units
from connectors.base import ExtractContext, ExtractResult, decode_text, register
from connectors.nacha.layout import (
    BC_COUNT,
    BC_CREDIT,
    BC_DEBIT,
    BC_HASH,
    BH_COMPANY_ID,
    BH_COMPANY_NAME,
    BH_EFFECTIVE,
    BH_SEC,
    BLOCKING_FACTOR,
    CREDIT_DIGITS,
    DEBIT_DIGITS,
    DEFAULT_ID_NAME,
    FC_BATCHES,
    FC_BLOCKS,
    FC_COUNT,
    FC_CREDIT,
    FC_DEBIT,
    FC_HASH,
    FH_CREATED,
    FILLER,
    HASH_MODULUS,
    IAT_DEST_CURRENCY,
    IAT_ORIGIN_CURRENCY,
    ID_NAME_LAYOUT,
)
from connectors.nacha.records import (
    EntryError,
    EntryFacts,
    PhysicalFile,
    RecordError,
    is_digits,
    parse_yymmdd,
    read_entry,
    split_records,
)

SOURCE: Final = "nacha"
USD: Final = "USD"
ZERO: Final = from_minor_units(0, USD)


@dataclass(slots=True)
class _Entry:
    """An entry detail record and its addenda, collected until the batch closes."""

    index: int
    record: str
    addenda: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Batch:
    """An open batch: its header and running control totals."""

    ordinal: int
    index: int
    header: str
    entries: list[_Entry] = field(default_factory=list)
    records: int = 0  # entries + addenda
    entry_hash: int = 0
    debit: int = 0
    credit: int = 0


def _cents(value: int) -> str:
    """Cents as a readable amount for messages (no float on the way)."""
    return f"{from_minor_units(value, USD):,}"


class _Parser:
    """One file's parse: a single pass over the records with a tiny state machine."""

    def __init__(self, physical: PhysicalFile, context: ExtractContext) -> None:
        self.file = physical
        self.context = context
        self.ours = frozenset(c.strip() for c in context.ach_company_ids)
        self.issues: list[Issue] = [Issue("warning", note) for note in physical.notes]
        self.records: list[PaymentRecord] = []
        self.seen_keys: dict[str, int] = {}
        self.created: date | None = None
        self.created_text = ""
        self.batches = 0
        self.entry_records = 0
        self.entry_hash = 0
        self.debit = 0
        self.credit = 0
        self.control_index = 0

    # -- driving loop -----------------------------------------------------------------
    def run(self) -> ExtractResult:  # noqa: C901 - a flat table of NACHA record types (1, 5, 6, 7, 8, 9) and their order
        records = self.file.records
        batch: _Batch | None = None
        control: str | None = None
        index = 0
        try:
            head = records[0]
            if head[0] != "1":
                raise RecordError("not a NACHA file: the first record is not a file header", 0)
            self._file_header(head)
            for index in range(1, len(records)):
                record = records[index]
                kind = record[0]
                if control is not None:
                    if record != FILLER and record.rstrip().strip("9"):
                        raise RecordError(
                            "records follow the file control record (9); only 9-filler may",
                            index,
                        )
                elif kind == "6":
                    if batch is None:
                        raise RecordError("an entry detail record (6) outside a batch", index)
                    self._entry(batch, index, record)
                elif kind == "7":
                    if batch is None or not batch.entries:
                        raise RecordError("an addenda record (7) without an entry before it", index)
                    batch.entries[-1].addenda.append(record)
                    batch.records += 1
                elif kind == "5":
                    if batch is not None:
                        raise RecordError(
                            f"batch {batch.ordinal} has no batch control record (8) before "
                            "the next batch header",
                            index,
                        )
                    self.batches += 1
                    batch = _Batch(self.batches, index, record)
                elif kind == "8":
                    if batch is None:
                        raise RecordError("a batch control record (8) without a batch", index)
                    self._close_batch(batch, index, record)
                    batch = None
                elif kind == "9":
                    if record == FILLER:
                        raise RecordError(
                            "9-filler found before the file control record: the file control "
                            "record is missing",
                            index,
                        )
                    if batch is not None:
                        raise RecordError(
                            f"the file ends inside batch {batch.ordinal}: its batch control "
                            "record (8) is missing",
                            index,
                        )
                    control = record
                    self._file_control(index, record)
                elif kind == "1":
                    raise RecordError(
                        "a second file header (1) inside the file: concatenated files must be "
                        "delivered separately",
                        index,
                    )
                else:
                    raise RecordError(
                        f"unknown record type {kind!r}: NACHA records start with 1, 5, 6, 7, 8 "
                        "or 9",
                        index,
                    )
            index = len(records) - 1
            if batch is not None:
                raise RecordError(
                    f"the file is truncated: batch {batch.ordinal} has no batch control record (8)",
                    index,
                )
            if control is None:
                raise RecordError("the file is truncated: it has no file control record (9)", index)
        except RecordError as exc:
            where = exc.index if exc.index is not None else index
            raise FileRefused(str(exc), self._where(where, batch)) from exc
        except FileRefused:
            raise
        except (ValueError, IndexError, KeyError, ArithmeticError, MoneyError) as exc:
            raise FileRefused(
                f"unexpected problem while reading the record: {exc}", self._where(index, batch)
            ) from exc
        return ExtractResult(
            records=tuple(self.records),
            issues=tuple(self.issues),
            control_total=from_minor_units(self.credit - self.debit, USD),
            record_count=self.control_index + 1,
        )

    def _where(self, index: int, batch: _Batch | None) -> str:
        if not self.file.records:
            return "line 1"
        where = self.file.where(min(index, len(self.file.records) - 1))
        return f"{where} (batch {batch.ordinal})" if batch is not None else where

    def warn(self, message: str, index: int | None = None) -> None:
        self.issues.append(
            Issue("warning", message, self.file.where(index) if index is not None else None)
        )

    # -- record handlers --------------------------------------------------------------
    def _file_header(self, record: str) -> None:
        self.created_text = record[FH_CREATED]
        self.created = parse_yymmdd(self.created_text)

    def _entry(self, batch: _Batch, index: int, record: str) -> None:
        amount = record[29:39]
        routing = record[3:11]
        if not is_digits(amount):
            raise RecordError(
                f"the entry amount (positions 30-39) is not numeric: {amount!r}", index
            )
        if not is_digits(routing):
            raise RecordError(
                f"the receiving bank routing number (positions 4-11) is not numeric: {routing!r}",
                index,
            )
        batch.entries.append(_Entry(index, record))
        batch.records += 1
        batch.entry_hash += int(routing)
        digit = record[2]
        if digit in CREDIT_DIGITS:
            batch.credit += int(amount)
        elif digit in DEBIT_DIGITS:
            batch.debit += int(amount)
        else:
            raise RecordError(
                f"transaction code {record[1:3]!r} is not a NACHA transaction code", index
            )

    def _control_number(self, record: str, part: slice, name: str, index: int) -> int:
        text = record[part]
        if not is_digits(text):
            raise RecordError(f"the {name} is not numeric: {text!r}", index)
        return int(text)

    def _check_amounts(
        self, scope: str, index: int, debit: int, credit: int, found: tuple[int, int]
    ) -> None:
        for label, declared, actual in (("debit", debit, found[0]), ("credit", credit, found[1])):
            if declared != actual:
                raise RecordError(
                    f"{scope}: the control record says total {label}s "
                    f"{_cents(declared)} but the entries add up to {_cents(actual)}",
                    index,
                )

    def _close_batch(self, batch: _Batch, index: int, record: str) -> None:
        scope = f"batch {batch.ordinal} ({batch.header[BH_COMPANY_NAME].strip()})"
        count = self._control_number(record, BC_COUNT, "batch entry/addenda count", index)
        entry_hash = self._control_number(record, BC_HASH, "batch entry hash", index)
        debit = self._control_number(record, BC_DEBIT, "batch total debit amount", index)
        credit = self._control_number(record, BC_CREDIT, "batch total credit amount", index)
        self._check_amounts(scope, index, debit, credit, (batch.debit, batch.credit))
        actual_hash = batch.entry_hash % HASH_MODULUS
        if entry_hash != actual_hash:
            raise RecordError(
                f"{scope}: the entry hash in the batch control is {entry_hash} but the "
                f"entries' routing numbers add up to {actual_hash}",
                index,
            )
        if count != batch.records:
            self.warn(
                f"{scope}: the batch control counts {count} entry and addenda records "
                f"but the batch has {batch.records}",
                index,
            )
        self.entry_records += batch.records
        self.entry_hash += batch.entry_hash
        self.debit += batch.debit
        self.credit += batch.credit
        self._emit_batch(batch)

    def _file_control(self, index: int, record: str) -> None:
        self.control_index = index
        batches = self._control_number(record, FC_BATCHES, "file batch count", index)
        blocks = self._control_number(record, FC_BLOCKS, "file block count", index)
        count = self._control_number(record, FC_COUNT, "file entry/addenda count", index)
        entry_hash = self._control_number(record, FC_HASH, "file entry hash", index)
        debit = self._control_number(record, FC_DEBIT, "file total debit amount", index)
        credit = self._control_number(record, FC_CREDIT, "file total credit amount", index)
        self._check_amounts("file control", index, debit, credit, (self.debit, self.credit))
        actual_hash = self.entry_hash % HASH_MODULUS
        if entry_hash != actual_hash:
            raise RecordError(
                f"file control: the entry hash is {entry_hash} but the entries' routing "
                f"numbers add up to {actual_hash}",
                index,
            )
        expected_blocks = -(-(index + 1) // BLOCKING_FACTOR)
        for label, declared, actual in (
            ("batch count", batches, self.batches),
            ("block count", blocks, expected_blocks),
            ("entry/addenda count", count, self.entry_records),
        ):
            if declared != actual:
                self.warn(
                    f"file control: the {label} is {declared} but the file has {actual}", index
                )

    # -- building payment records -----------------------------------------------------
    def _batch_date(self, batch: _Batch) -> date:
        """The batch's effective entry date; absent (blank or 000000) -> the file date.

        Leniency 'missing effective date': return and NOC files write 000000 and some
        CTX originators leave the field blank, so the file creation date stands in, with
        a warning. Any other text that is not a date (261331) is damage, and the file is
        refused: booking the money on a guessed day is wrong money.
        """
        text = batch.header[BH_EFFECTIVE]
        effective = parse_yymmdd(text)
        if effective is not None:
            return effective
        if text.strip() not in ("", "000000"):
            raise RecordError(
                f"batch {batch.ordinal}: the effective entry date {text!r} (positions 70-75) "
                "is not a valid YYMMDD date",
                batch.index,
            )
        if self.created is None:
            raise RecordError(
                f"batch {batch.ordinal}: neither the effective entry date ({text!r}) nor the "
                f"file creation date ({self.created_text!r}) is a valid date",
                batch.index,
            )
        self.warn(
            f"leniency 'missing effective date': batch {batch.ordinal}'s effective entry "
            f"date is {text.strip() or 'blank'!r}; using the file creation date "
            f"{self.created.isoformat()}",
            batch.index,
        )
        return self.created

    def _iat_currency(self, batch: _Batch, ours: bool) -> str:
        """The currency of the side of an IAT entry that is our account.

        Incoming (not our batch): the ISO destination currency; our own origination: the
        ISO originating currency. The amount field counts hundredths, so a currency with
        other minor units falls back to USD with a warning.
        """
        text = batch.header[IAT_ORIGIN_CURRENCY if ours else IAT_DEST_CURRENCY]
        try:
            currency = check_currency(text)
        except MoneyError:
            currency = ""
        if not currency or minor_units(currency) != 2:
            self.warn(
                f"batch {batch.ordinal}: IAT currency {text!r} is not usable for a cents "
                "amount; using USD",
                batch.index,
            )
            return USD
        return currency

    def _emit_batch(self, batch: _Batch) -> None:
        header = batch.header
        company_id = header[BH_COMPANY_ID].strip()
        company_name = header[BH_COMPANY_NAME].strip()
        sec = header[BH_SEC].strip()
        iat = sec == "IAT" or company_name == "IATCOR"
        ours = company_id in self.ours
        value_date = self._batch_date(batch)
        effective_text = header[BH_EFFECTIVE]
        currency = self._iat_currency(batch, ours) if iat else USD
        layout = ID_NAME_LAYOUT.get(sec, DEFAULT_ID_NAME)
        origin_account = "ach:" + company_id
        unit = self.file.unit + " "
        numbers = self.file.numbers
        seen = self.seen_keys
        append = self.records.append
        # Payroll-style files repeat amounts; building each Decimal once is measurably faster.
        amounts: dict[str, Decimal] = {}
        for entry in batch.entries:
            try:
                facts: EntryFacts = read_entry(entry.record, entry.addenda, iat, layout, currency)
            except EntryError as exc:
                raise RecordError(str(exc), entry.index + exc.offset) from exc
            for problem in facts.problems:
                self.warn(problem, entry.index)
            record = entry.record
            code = facts.code
            cents = record[29:39]
            routing = record[3:12]
            masked = mask_account(facts.account)
            kind, sign = facts.classify(ours)
            if sign:
                amount = amounts.get(cents)
                if amount is None:
                    amount = amounts[cents] = from_minor_units(int(cents), currency)
                if sign < 0:
                    amount = -amount
            else:
                amount = ZERO
            key = stable_key(
                facts.trace, code, cents, effective_text, company_id, routing, masked,
                facts.individual_id,
            )  # fmt: skip
            n = seen.get(key, 0)
            seen[key] = n + 1
            if ours:
                payer_name = facts.payer_name or facts.receiver_name or facts.name
                payer_account = f"{routing}:{masked}"
                account = ""
            else:
                payer_name = facts.payer_name or facts.originator_name or company_name
                payer_account = origin_account
                account = masked
            append(
                PaymentRecord(
                    source=SOURCE,
                    source_ref=facts.trace,
                    dedupe_key=f"{key}#{n}" if n else key,
                    kind=kind,
                    amount=amount,
                    currency=currency,
                    value_date=value_date,
                    payer_name=payer_name,
                    payer_account=payer_account,
                    remittance=facts.remittance,
                    remittance_lines=facts.lines,
                    references=facts.references,
                    related_ref=facts.related_ref,
                    reason_code=facts.reason_code,
                    account=account,
                    type_code=f"{code}/{sec}",
                    location=unit + str(numbers[entry.index]),
                    raw="\n".join([record, *entry.addenda]) if entry.addenda else record,
                )
            )


class NachaConnector:
    """NACHA / ACH files (see the module note)."""

    name = SOURCE

    def identify(self, head: bytes, filename: str) -> bool:
        """A file header: ``1``, a numeric priority code, a routing-number destination."""
        text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \r\n\t").decode("latin-1")
        if len(text) < 13 or text[0] != "1":
            return False
        priority, destination = text[1:3], text[3:13].strip()
        if not (priority.strip() and is_digits(priority.strip())):
            return False
        if not (is_digits(destination) and len(destination) in (9, 10)):
            return False
        return text[34:37] == "094" or filename.lower().endswith((".ach", ".nacha"))

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        """Parse a whole NACHA file; a broken file raises :class:`FileRefused`."""
        if not data.strip():
            raise FileRefused("the file is empty", None)
        text = decode_text(data)
        start = text.lstrip("\ufeff \t\r\n")
        if start[:1] != "1":
            raise FileRefused(
                "not a NACHA file: it must start with a file header record (record type 1), "
                f"but it starts with {start[:10]!r}",
                "line 1",
            )
        try:
            physical = split_records(text)
        except RecordError as exc:
            raise FileRefused(str(exc), exc.location or None) from exc
        if not physical.records:
            raise FileRefused("the file is empty", None)
        return _Parser(physical, context).run()


register(NachaConnector())
