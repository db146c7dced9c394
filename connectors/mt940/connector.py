"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) connector.

Implements the statement fields of SWIFT MT940/MT942 (User Handbook Category 9): ``:20:``
reference, ``:25:`` account, ``:28C:`` statement number, ``:60F:/:60M:`` opening,
``:61:`` statement line, ``:86:`` information to account owner, ``:62F:/:62M:`` closing,
``:64:`` available, ``:65:`` forward available, and for MT942 ``:34F:`` floor limit and
``:90D:/:90C:`` entry totals. Syntax lives in :mod:`connectors.mt940.syntax`, the bank
layouts of ``:86:`` in :mod:`connectors.mt940.details`, the statement as a whole (fields by
role, currency, amounts, balances, completeness) in :mod:`connectors.mt940.statements` and
one statement line as a payment in :mod:`connectors.mt940.entries`; this module reads the
file and reports its leniencies.

Decisions (see the module functions for the why):

* **Sign** from our side: ``C`` credit +, ``D`` debit -, ``RC`` (reversal of a credit)
  -, ``RD`` (reversal of a debit) +.
* **Kind**: ``C`` -> payment, ``D`` -> other; ``RC`` -> return (a credit we received
  was taken back); ``RD`` -> other (money back for something we paid). A debit with
  type ``NRTI`` or German GVC 009/109 (returned direct debit) is a return, with the
  ``?34``/``/RTRN/`` reason code; a credit with ``NRTI`` or GVC 159 (our own transfer
  bounced back) is other, not a customer payment. Debits typed ``NCHG``/``NCOM`` (and
  ``F``...) or with GVC 805/806/808/809 (charges, closing entries) are fees.
* **Currency** comes from the statement's own ``:60F:/:60M:``, else MT942's ``:34F:``,
  else ``:62F:/:62M:`` (warned). A statement with none of them is **refused**: an amount
  without a currency cannot be booked, and guessing the configured default currency
  would book a HUF statement as USD.
* **Impossible dates** (30 February, 31 April: German banks' period end) are kept as the
  month's last day with a warning naming the line and the raw date.
* ``source_ref`` is the ``:61:`` bank reference (after ``//``), else the customer
  reference unless it says NONREF or is an IBAN (ASN puts the counter account there and
  a full account number must not leave the connector).
* A pre-IBAN **counter-account in the reference** (Rabobank ``0733959555      T-MOBILE
  NETHERLANDS BV``, SNS) is the payer's masked account and name, never the source_ref.
* **Amounts** are read in one place (:func:`connectors.mt940.statements.read_amount`): the
  SWIFT decimal comma only, unless ``[sources.mt940] decimal = "."`` (the
  ``decimal-period`` leniency, warned).
* **Leniencies and reports**: several ``:86:`` after one ``:61:`` (``repeated-86``) are
  one field; a line starting with a tag MT940 does not define is reported (dropped from
  single-line fields, kept as text inside ``:86:``).
* ``dedupe_key`` = stable_key(:25: account, value date, entry date, mark, amount,
  customer ref, bank ref, normalized :86: text), numbered by occurrence in the file. The
  statement number and file name stay out, so the same line in an MT942 interim report
  and the evening's MT940 dedupes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from cashapp.domain import (
    AccountBalance,
    FileRefused,
    Issue,
    PaymentRecord,
    SettingsError,
    check_settings_keys,
    occurrence_keys,
)
from cashapp.masking import mask_account
from connectors.base import ExtractContext, ExtractResult, decode_text, register
from connectors.mt940.entries import NAME, Pending, read_entry
from connectors.mt940.statements import (
    DECIMAL_SEPARATORS,
    StatementState,
    check_complete,
    check_summaries,
    gather,
    read_balances,
    statement_currency,
)
from connectors.mt940.syntax import normalize_text, split_statements

#: The keys of ``[sources.mt940]`` (tests/test_config.py wants each documented).
SETTINGS_KEYS: Final = frozenset({"decimal"})


def _file_warnings(states: list[StatementState]) -> list[Issue]:
    """The leniencies a file needed, each reported once (with its first line)."""
    issues: list[Issue] = []
    repeated = [s.repeated_86 for s in states if s.repeated_86]
    if repeated:
        issues.append(
            Issue(
                "warning",
                "leniency repeated-86: statement lines carry several :86: fields (pre-2014 "
                "Rabobank, Danske Bank; SWIFT allows one); they were read as the lines of "
                "one field",
                f"line {repeated[0]}",
            )
        )
    periods = [s.period_amount for s in states if s.period_amount]
    if periods:
        issues.append(
            Issue(
                "warning",
                "leniency decimal-period: amounts were read with a period as decimal "
                'separator, as [sources.mt940] decimal = "." says (SWIFT requires a comma)',
                f"line {periods[0]}",
            )
        )
    for state in states:
        for tag, line, into in state.unknown_tags:
            what = f"was read as text of the :{into}: above it" if into else "was ignored"
            issues.append(
                Issue(
                    "warning",
                    f"the field :{tag}: is not an MT940/MT942 field and {what}",
                    f"line {line}",
                )
            )
    return issues


def decimal_option(context: ExtractContext) -> str:
    """``[sources.mt940] decimal``: ``","`` (SWIFT, the default) or ``"."``."""
    value = context.sources.get(NAME, {}).get("decimal", ",")
    if value not in DECIMAL_SEPARATORS:
        raise FileRefused(f'[sources.mt940] decimal must be "," or ".", not {value!r}')
    return str(value)


def _read(text: str, decimal: str = ",") -> ExtractResult:
    if not text.strip():
        raise FileRefused("the file is empty")
    preamble, blocks = split_statements(normalize_text(text))
    if preamble:
        first = preamble[0]
        raise FileRefused(
            f"the file starts with :{first.tag}: before any :20: statement reference; a "
            "statement fragment without its header (account, currency) cannot be booked",
            f"line {first.line}",
        )
    if not blocks:
        raise FileRefused("this is not an MT940/MT942 statement: no :20: reference tag found")
    issues: list[Issue] = []
    pending: list[Pending] = []
    balances: list[AccountBalance] = []
    states: list[StatementState] = []
    for block in blocks:
        try:
            state = gather(block, decimal)
            states.append(state)
            if not state.account:
                raise FileRefused("the statement has no :25: account identification")
            state.currency = statement_currency(state, issues)
            state.masked_account = mask_account(state.account)
            entries = [read_entry(state, *entry, issues) for entry in state.entries]
            balances += read_balances(state, issues)
            check_summaries(state, [p.fields["amount"] for p in entries], issues)
            check_complete(state, issues)
        except FileRefused as refused:
            if refused.location is None:
                raise FileRefused(refused.reason, f"line {block.line}") from refused
            raise
        except Exception as exc:  # a bug or unforeseen shape: name the statement, not a traceback
            raise FileRefused(
                f"the statement starting here could not be read ({type(exc).__name__}: {exc})",
                f"line {block.line}",
            ) from exc
        pending += entries
    issues += _file_warnings(states)
    keys = occurrence_keys(p.key for p in pending)
    records = tuple(
        PaymentRecord(dedupe_key=key, **p.fields) for key, p in zip(keys, pending, strict=True)
    )
    return ExtractResult(
        records=records,
        issues=tuple(issues),
        balances=tuple(balances),
        record_count=len(records),
    )


_HEAD_TAG = re.compile(rb"^[\x00-\x1f ]*:(20|25):", re.MULTILINE)
_SWIFT_ENVELOPE = re.compile(rb"\{1:[^}]*\}\{2:[IO]94[02]")
#: Bank header lines allowed before the first :20: (ABN AMRO, ING, Rabobank ":940:").
_MAX_HEADER_LINES: Final = 5


class Mt940Connector:
    """MT940/MT942 bank statements (``.sta``, ``.940``, ``.mt940``, ``.txt``)."""

    name = NAME

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """``[sources.mt940]``: ``decimal``, the separator (SWIFT's ``,`` or a bank's ``.``)."""
        check_settings_keys(prefix, table, SETTINGS_KEYS)
        if table.get("decimal", ",") not in (",", "."):
            raise SettingsError(f'{prefix}.decimal: expected "," (SWIFT) or "."')

    def identify(self, head: bytes, filename: str) -> bool:
        """A ``:20:`` within the first few lines and a ``:25:`` after it, or a SWIFT
        envelope announcing message type 940/942. Other formats (BAI2 ``01,``, NACHA
        ``101``, XML, OFX, CSV) never start lines with ``:20:`` so they are not claimed."""
        del filename
        if _SWIFT_ENVELOPE.search(head[:512]):
            return True
        tags = list(_HEAD_TAG.finditer(head))
        first20 = next((m for m in tags if m.group(1) == b"20"), None)
        if first20 is None or head.count(b"\n", 0, first20.start()) > _MAX_HEADER_LINES:
            return False
        return any(m.group(1) == b"25" and m.start() > first20.start() for m in tags)

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:
        """Parse every statement in the file; refuse the whole file on a broken one."""
        del filename  # the currency never defaults: see the module docstring
        decimal = decimal_option(context)
        try:
            return _read(decode_text(data), decimal)
        except FileRefused:
            raise
        except Exception as exc:  # a bug or an unforeseen shape must not escape as a traceback
            raise FileRefused(
                f"the MT940 file could not be read ({type(exc).__name__}: {exc})"
            ) from exc


register(Mt940Connector())
