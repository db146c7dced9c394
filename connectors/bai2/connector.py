"""BAI2 (BAI Cash Management Balance Reporting Specifications, version 2) connector.

Design note. Structure (spec "Record Descriptions and File Layout"): 01 file header,
then groups (02 ... 98), each holding accounts (03 ... 49) with 16 transaction details;
an 88 continues whatever record precedes it. :mod:`connectors.bai2.records` turns bytes
into logical records; this module walks them with a small state machine.

* 03 account identifier: account number, currency, then repeating ``type code, amount,
  item count, funds type [+ availability fields]``; status codes (010 opening ledger,
  015 closing ledger, 040/045 available ...) become :class:`AccountBalance` values.
* 16 detail: type code, amount (unsigned minor units, an explicit sign is honoured),
  funds type (``0 1 2 Z``, ``V`` value date + time, ``S`` three availability amounts,
  ``D`` a count then that many day/amount pairs), bank reference, customer reference,
  then free text that runs to the end of the record (commas and slashes included) and
  on through its 88 continuations, joined with single spaces.
* Currency: the 03 currency, else the 02 group currency, else the configured default.
* Sign and kind come from the type code (see :mod:`connectors.bai2.records`): credits are
  money in (``payment``, or ``other`` for our own items coming back, interest, ZBA);
  debits are money out (``return`` for items that take back a customer's payment,
  ``fee`` for bank charges, ``other`` otherwise).

Control totals (spec "Account Trailer", "Group Trailer", "File Trailer"): the 49 total
is the algebraic sum of every amount in the account's 03 and 16 records (availability
amounts excluded); 98 = sum of its 49 totals; 99 = sum of the 98 totals. A blank
trailer amount skips its check. An account whose details disagree with its 49 total
refuses the file (a detail was corrupted or lost) - unless its group's 98 total also
disagrees with the 49 totals: then the trailers contradict each other and cannot say
which number is wrong (a published Goldman Sachs-style sample has transactions spliced
in by hand exactly like that), so every mismatch is a warning. Trailer-to-trailer
mismatches alone (98 vs its 49s, 99 vs the 98s) leave the transactions intact and are
warnings too. ``[sources.bai2] strict_control_totals = true`` refuses all of them. Record counts
(49: records of the account incl. 03/88/49; 98: accounts and records of the group; 99:
groups and records of the file) only ever warn.

Worked example: ``03,123,USD,010,500,,,015,700,,/`` + ``16,142,200,Z,B1,C1,ACME/`` +
``49,1400,3/`` -> 500 + 700 + 200 = 1400; one payment of +2.00 USD, balances 5.00 and 7.00.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Final

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    SettingsError,
    check_settings_keys,
    occurrence_keys,
    stable_key,
)
from cashapp.masking import mask_account
from cashapp.money import MoneyError, check_currency, from_minor_units
from connectors.bai2.records import (
    BALANCE_KINDS,
    DETAIL_CLASS,
    RECORD_CODES,
    Record,
    RecordError,
    is_status,
    parse_detail,
    record_fields,
    skip_availability,
    tokenize,
    type_code_of,
    units_of,
    yymmdd,
)
from connectors.bank_text import parse_bank_text
from connectors.base import ExtractContext, ExtractResult, decode_text, register

SOURCE: Final = "bai2"
#: The keys of ``[sources.bai2]`` (tests/test_config.py wants each documented).
SETTINGS_KEYS: Final = frozenset({"strict_control_totals"})
_NAMES: Final = {
    "01": "file header",
    "02": "group header",
    "03": "account identifier",
    "16": "transaction detail",
    "49": "account trailer",
    "88": "continuation",
    "98": "group trailer",
    "99": "file trailer",
}


_NONE: Final[list[Record]] = []  # shared "no continuations" (never mutated)


@dataclass(slots=True)
class _Account:
    number: str
    masked: str
    currency: str
    line: int
    first: int  # running record number of the 03
    computed: int = 0


@dataclass(slots=True)
class _Group:
    as_of: date
    currency: str
    line: int
    first: int  # running record number of the 02
    as_of_text: str = ""
    trailer_sum: int = 0  # sum of 49 totals, a blank 49 counting as its computed sum
    accounts: int = 0
    account_mismatches: list[tuple[str, str]] = field(default_factory=list)


class _Walker:
    """One pass over the logical records: structure, records, balances, totals."""

    def __init__(self, context: ExtractContext) -> None:
        self.context = context
        options: Mapping[str, object] = context.sources.get(SOURCE, {})
        strict = options.get("strict_control_totals", False)
        if not isinstance(strict, bool):
            raise FileRefused("[sources.bai2] strict_control_totals must be true or false")
        self.strict = strict
        self.issues: list[Issue] = []
        self.balances: list[AccountBalance] = []
        self.payments: list[PaymentRecord] = []
        self.currencies: set[str] = set()
        self.header_seen = False
        self.finished = False
        self.group: _Group | None = None
        self.account: _Account | None = None
        self.groups = 0
        self.group_trailer_sum = 0
        self.line = 0  # physical line of the record being read
        self.records = 0  # logical records read so far (88s included)
        self.first = 0  # running number of the record being handled
        self.file_total: int | None = None
        self.chain_broken: list[tuple[str, str]] = []  # trailer-vs-trailer mismatches

    # --- helpers -------------------------------------------------------------------

    def warn(self, message: str, location: str) -> None:
        self.issues.append(Issue("warning", message, location))

    def money(self, units: int, currency: str) -> str:
        return f"{from_minor_units(units, currency):,} {currency}"

    def total_text(self, units: int) -> str:
        """A group or file total: money when one currency, else minor units."""
        if len(self.currencies) == 1:
            return self.money(units, next(iter(self.currencies)))
        return f"{units} minor units"

    def check_count(self, what: str, stated: str, actual: int, location: str) -> None:
        value = stated.strip()
        if not value:
            return
        if not value.isdigit():
            raise RecordError(f"the {what} {value!r} is not a number")
        if int(value) != actual:
            self.warn(f"the {what} says {int(value)} but the file has {actual}", location)

    # --- records -------------------------------------------------------------------

    def file_header(self, fields: list[str], line: int) -> None:
        if self.header_seen:
            raise RecordError("a second 01 file header; only one file per transmission is read")
        self.header_seen = True
        version = fields[7] if len(fields) > 7 else ""
        if version and version != "2":
            self.warn(
                f"the file header says BAI version {version!r}; read as version 2", f"line {line}"
            )

    def group_header(self, fields: list[str], line: int) -> None:
        if self.group is not None:
            raise RecordError("a group header before the previous group's 98 trailer")
        fields += [""] * (7 - len(fields))
        status = fields[2]
        if status in ("2", "4"):
            meaning = "deletion" if status == "2" else "test only"
            self.warn(
                f"group status {status} ({meaning}); its transactions are still read",
                f"line {line}",
            )
        currency = check_currency(fields[5]) if fields[5] else ""
        as_of = yymmdd(fields[3], "as-of date")
        self.group = _Group(as_of, currency, line, self.first, as_of.isoformat())
        self.groups += 1

    def account_header(self, fields: list[str], line: int) -> None:
        group = self._in_group("an 03 account identifier")
        if self.account is not None:
            raise RecordError("an 03 account identifier before the previous account's 49 trailer")
        number = fields[0]
        if not number:
            raise RecordError("the 03 account identifier has no account number")
        raw_currency = fields[1] if len(fields) > 1 else ""
        currency = (
            check_currency(raw_currency)
            if raw_currency
            else group.currency or check_currency(self.context.default_currency)
        )
        self.currencies.add(currency)
        account = _Account(number, mask_account(number), currency, line, self.first)
        i = 2
        while i < len(fields):
            if not fields[i]:  # blank summary slot or filler before the terminator
                i += 1
                continue
            type_code = type_code_of(fields[i])
            units = units_of(fields[i + 1]) if i + 1 < len(fields) else None
            funds = fields[i + 3] if i + 3 < len(fields) else ""
            i = skip_availability(fields, i + 4, funds)
            if units is None:
                continue
            account.computed += units
            if is_status(type_code):
                self.balances.append(
                    AccountBalance(
                        account=mask_account(number),
                        currency=currency,
                        as_of=group.as_of,
                        kind=BALANCE_KINDS.get(type_code, "other"),
                        amount=from_minor_units(units, currency),
                        type_code=f"{type_code:03d}",
                        statement=f"03 at line {line}",
                    )
                )
        self.account = account

    def detail(self, record: Record, continuations: list[Record]) -> None:
        account = self.account
        if account is None:
            raise RecordError("a 16 transaction detail outside an account (no 03 before it)")
        group = self.group
        assert group is not None  # an open account implies an open group
        detail = parse_detail(record, continuations)
        sign, kind = DETAIL_CLASS[type_code_of(detail.type_code)]
        location = f"line {record.line}"
        if detail.units is None:
            self.warn("a transaction detail with a blank amount was skipped", location)
            return
        account.computed += detail.units
        if not sign:
            self.warn(f"type code {detail.type_code} is not a credit or debit; skipped", location)
            return
        currency = account.currency
        amount = from_minor_units(sign * detail.units, currency)
        value_date = group.as_of
        if detail.value_date:
            try:
                value_date = yymmdd(detail.value_date, "value date")
            except RecordError as exc:
                self.warn(f"{exc}; the group as-of date is used", location)
        text = detail.text
        bank_text = parse_bank_text(text)
        key = stable_key(
            account.number,
            group.as_of_text,
            detail.type_code,
            amount,
            detail.bank_ref,
            detail.customer_ref,
            text,
        )
        raw = record.raw
        if continuations:
            raw = "\n".join([raw, *(c.raw for c in continuations)])
        self.payments.append(
            PaymentRecord(
                source=SOURCE,
                source_ref=detail.bank_ref,
                dedupe_key=key,
                kind=kind,
                amount=amount,
                currency=currency,
                value_date=value_date,
                payer_name=bank_text.counterparty(incoming=sign > 0),
                payer_account=mask_account(bank_text.payer_account)
                if bank_text.payer_account
                else "",
                remittance=text,
                references=(detail.customer_ref,) if detail.customer_ref else (),
                reason_code=bank_text.reason_code,
                account=account.masked,
                type_code=detail.type_code,
                location=location,
                raw=raw,
                statement=f"03 at line {account.line}",
            )
        )

    def account_trailer(self, fields: list[str], line: int) -> None:
        account = self.account
        group = self._in_group("a 49 account trailer")
        if account is None:
            raise RecordError("a 49 account trailer without an 03 account identifier")
        location = f"line {line} (49 trailer of account {mask_account(account.number)})"
        stated = units_of(fields[0]) if fields else None
        if stated is not None and stated != account.computed:
            group.account_mismatches.append(
                (
                    f"account {mask_account(account.number)}: the 49 control total is "
                    f"{self.money(stated, account.currency)} but the 03 and 16 amounts on "
                    f"lines {account.line}-{max(line - 1, account.line)} add up to "
                    f"{self.money(account.computed, account.currency)}",
                    location,
                )
            )
        records = self.records - account.first + 1
        self.check_count("49 record count", fields[1] if len(fields) > 1 else "", records, location)
        group.trailer_sum += account.computed if stated is None else stated
        group.accounts += 1
        self.account = None

    def group_trailer(self, fields: list[str], line: int) -> None:
        group = self._in_group("a 98 group trailer")
        if self.account is not None:
            raise RecordError("a 98 group trailer before the last account's 49 trailer")
        location = f"line {line} (98 group trailer)"
        fields += [""] * (3 - len(fields))
        stated = units_of(fields[0])
        broken = stated is not None and stated != group.trailer_sum
        if stated is not None and broken:
            self.chain_broken.append(
                (
                    f"the 98 group control total is {self.total_text(stated)} but its 49 "
                    f"totals add up to {self.total_text(group.trailer_sum)}",
                    location,
                )
            )
        self.account_mismatches(group, broken=broken)
        self.check_count("98 number of accounts", fields[1], group.accounts, location)
        self.check_count("98 record count", fields[2], self.records - group.first + 1, location)
        self.group_trailer_sum += group.trailer_sum if stated is None else stated
        self.group = None

    def account_mismatches(self, group: _Group, *, broken: bool) -> None:
        """Account-level mismatches refuse unless this group's own trailers contradict."""
        if not group.account_mismatches:
            return
        if self.strict or not broken:
            message, location = group.account_mismatches[0]
            raise FileRefused(f"control total mismatch: {message}", location)
        for message, location in group.account_mismatches:
            self.warn(
                f"control total mismatch (trailers contradict each other): {message}", location
            )

    def file_trailer(self, fields: list[str], line: int) -> None:
        if self.group is not None:
            raise RecordError("the 99 file trailer comes before the last group's 98 trailer")
        location = f"line {line} (99 file trailer)"
        fields += [""] * (3 - len(fields))
        stated = units_of(fields[0])
        self.file_total = stated
        if stated is not None and stated != self.group_trailer_sum:
            message = (
                f"the 99 file control total is {self.total_text(stated)} but the 98 totals "
                f"add up to {self.total_text(self.group_trailer_sum)}"
            )
            if self.strict:
                raise FileRefused(f"control total mismatch: {message}", location)
            self.warn(message, location)
        for message, where in self.chain_broken:
            if self.strict:
                raise FileRefused(f"control total mismatch: {message}", where)
            self.warn(message, where)
        self.check_count("99 number of groups", fields[1], self.groups, location)
        self.check_count("99 record count", fields[2], self.records, location)
        self.finished = True

    def _in_group(self, what: str) -> _Group:
        if self.group is None:
            raise RecordError(f"{what} outside a group (no 02 group header before it)")
        return self.group

    # --- the walk --------------------------------------------------------------------

    def walk(self, records: list[Record]) -> None:
        if not records or records[0].code != "01":
            raise FileRefused("not a BAI2 file: it does not start with an 01 file header", "line 1")
        i, n = 0, len(records)
        while i < n:
            record = records[i]
            j = i + 1
            while j < n and records[j].code == "88":
                j += 1
            continuations = records[i + 1 : j] if j > i + 1 else _NONE
            self.line = record.line
            try:
                self.dispatch(record, continuations)
            except (RecordError, MoneyError) as exc:
                raise FileRefused(str(exc), f"line {record.line}") from None
            i = j

    def dispatch(self, record: Record, continuations: list[Record]) -> None:  # noqa: C901 - a flat table of BAI2 record codes (01-99)
        code = record.code
        if code not in RECORD_CODES:
            raise RecordError(f"unknown record code {code!r}")
        if code == "88":
            raise RecordError("an 88 continuation with no record before it")
        if self.finished:
            raise RecordError(f"a {_NAMES[code]} record after the 99 file trailer")
        if code != "01" and not self.header_seen:
            raise RecordError("the file does not start with an 01 file header")
        self.first = self.records + 1
        self.records += 1 + len(continuations)
        if code == "16":
            self.detail(record, continuations)
            return
        fields = record_fields(record, continuations)
        if code == "01":
            self.file_header(fields, record.line)
        elif code == "02":
            self.group_header(fields, record.line)
        elif code == "03":
            self.account_header(fields, record.line)
        elif code == "49":
            self.account_trailer(fields, record.line)
        elif code == "98":
            self.group_trailer(fields, record.line)
        else:
            self.file_trailer(fields, record.line)

    def result(self, last_line: int, wrapped: list[int]) -> ExtractResult:
        if not self.finished:
            raise FileRefused(
                "the file ends without its 99 file trailer (truncated?)", f"line {last_line}"
            )
        if wrapped:
            self.warn(
                f"{len(wrapped)} physical line(s) did not start with a record code and were "
                f"joined to the record before them (first at line {wrapped[0]})",
                f"line {wrapped[0]}",
            )
        keys = occurrence_keys(p.dedupe_key for p in self.payments)
        records = tuple(
            p if p.dedupe_key == key else replace(p, dedupe_key=key)
            for p, key in zip(self.payments, keys, strict=True)
        )
        total = None
        if self.file_total is not None and len(self.currencies) == 1:
            total = from_minor_units(self.file_total, next(iter(self.currencies)))
        return ExtractResult(
            records=records,
            issues=tuple(self.issues),
            balances=tuple(self.balances),
            control_total=total,
            record_count=self.records,
        )


class Bai2Connector:
    """Reads BAI2 balance and transaction reports (prior-day and intraday)."""

    name = SOURCE

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """``[sources.bai2]``: ``strict_control_totals`` (true refuses every tie-out break)."""
        check_settings_keys(prefix, table, SETTINGS_KEYS)
        if not isinstance(table.get("strict_control_totals", False), bool):
            raise SettingsError(f"{prefix}.strict_control_totals: expected true or false")

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        """A BAI2 file starts with an 01 record, whatever its name."""
        return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"01,")

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        """Parse a whole BAI2 file; any structural or control-total error refuses it."""
        if not data.strip():
            raise FileRefused("the file is empty", "line 1")
        text = decode_text(data).removeprefix("\ufeff")
        try:
            tokens = tokenize(text)
        except ValueError as exc:
            raise FileRefused("not a BAI2 file: text before the first record", str(exc)) from None
        walker = _Walker(context)
        try:
            walker.walk(tokens.records)
            last_line = tokens.records[-1].line if tokens.records else 1
            return walker.result(last_line, tokens.wrapped_lines)
        except FileRefused:
            raise
        except Exception as exc:  # never let a raw exception escape (connector contract)
            where = f"line {walker.line}" if walker.line else None
            raise FileRefused(f"the BAI2 file could not be read: {exc}", where) from exc


register(Bai2Connector())
