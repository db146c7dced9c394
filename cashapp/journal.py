"""Journal entries: what cash application did, in the general ledger's own terms.

Accounting needs every movement of cash application as a balanced entry it can load into
the ERP. cashapp posts on the *unapplied cash* method, the one lockbox and cash-application
teams use, because it keeps the general ledger's cash equal to the bank at every moment,
whatever is still in the exception queue:

=========================================  =======================  =======================
what happened                              debit                    credit
=========================================  =======================  =======================
money received (bank, Plaid)               cash                     unapplied cash
money received through a platform          <platform> clearing      unapplied cash
  (Stripe charge, Plastiq payment, won
  dispute)
money taken back (ACH return, refund,      unapplied cash           cash / clearing
  chargeback)
a fee (Stripe fee, dispute fee, bank fee)  fees                     cash / clearing
platform payout reaching the bank          cash                     <platform> clearing
cash applied to an invoice                 unapplied cash           accounts receivable
early-payment discount                     discounts                accounts receivable
write-off                                  write-offs (or the       accounts receivable
                                           deduction's account)
refund a person decided                    unapplied cash           refunds payable
=========================================  =======================  =======================

A write-off a person made carries its deduction reason code (``[deductions]``: freight,
pricing, ...) and debits that code's account; the matcher's tolerance write-offs carry
none and debit ``write_offs``. A queue action changes the journal only by new
applications and reversal rows, each posted as its own new entry dated the day it was
made: an entry already exported is never rewritten.

A reversal row of an application posts the mirror entry (the invoice's receivable comes
back); cash left on account stays in unapplied cash and needs no entry. A platform's
clearing account therefore holds exactly what the platform still owes us: charges less
fees, refunds and disputes, less the payouts that reached the bank. The platform's own
record of a payout is not posted -- the bank deposit it is tied to is the movement -- and a
deposit is posted once the settlement stage has tied it to its payout, so a mismatch shows
as a balance left in the clearing account.

Only decided payments post (the matcher may still turn a bank credit into a settlement).
Entry ids are derived from the payment or application they post, so posting is idempotent:
a second run adds nothing. Every entry has one debit line and one credit line of the same
amount and currency, and the posting is verified balanced per entry and currency before it
commits.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from cashapp.config import DEFAULT_DEDUCTIONS
from cashapp.csvsafe import write_csv
from cashapp.domain import stable_key
from cashapp.matching.settlements import PLATFORM_MARKERS
from cashapp.money import quantize, sql_amount_text
from cashapp.store import Store, utcnow

#: Platforms whose money sits with them (a clearing account) until their payout lands:
#: the ones whose deposits the settlement stage recognises.
PLATFORM_SOURCES: Final = tuple(platform for platform, _, _ in PLATFORM_MARKERS)

#: Money movements that post against unapplied cash (everything a payer sent or took back).
_RECEIPT_KINDS: Final = ("payment", "dispute_reversal", "return", "chargeback", "refund")

#: Application kinds and the account debited when an invoice's receivable is relieved.
_APPLICATION_DEBITS: Final = {
    "payment": "unapplied_cash",
    "discount": "discounts",
    "writeoff": "write_offs",
    "fee": "bank_fees",
}

#: The columns of an exported journal file, in the order an ERP import expects them.
EXPORT_COLUMNS: Final = (
    "entry_id",
    "entry_date",
    "line_no",
    "account",
    "debit",
    "credit",
    "currency",
    "memo",
    "payment_id",
    "invoice_number",
)


class JournalError(Exception):
    """The posting would not balance; nothing was written."""


class ExportRefused(Exception):
    """The export file cannot be written where asked; nothing was written or stamped."""


@dataclass(frozen=True, slots=True)
class PostingResult:
    entries: int
    lines: int


@dataclass(frozen=True, slots=True)
class ExportResult:
    batch: str  # "" when there was nothing new
    entries: int
    lines: int
    path: Path | None  # None when nothing was written


def _cash_side(accounts: Mapping[str, str], source: str) -> str:
    """SQL for the account that holds a movement's money: the bank, or a platform."""
    platforms = " ".join(f"WHEN '{p}' THEN '{accounts[p + '_clearing']}'" for p in PLATFORM_SOURCES)
    return f"CASE {source} {platforms} ELSE '{accounts['cash']}' END"


def _literal(text: str) -> str:
    """An SQL string literal (account codes are validated by config; quoted anyway)."""
    return "'" + text.replace("'", "''") + "'"


def _relieved_account(accounts: Mapping[str, str], deductions: Mapping[str, str]) -> str:
    """SQL for the account an application to an invoice debits: by kind, and for a
    write-off with a deduction reason code, that code's account."""
    by_reason = " ".join(
        f"WHEN {_literal(code)} THEN {_literal(account)}" for code, account in deductions.items()
    )
    write_offs = _literal(accounts["write_offs"])
    cases = []
    for kind, key in _APPLICATION_DEBITS.items():
        account = _literal(accounts[key])
        if kind == "writeoff" and by_reason:
            account = f"CASE a.reason_code {by_reason} ELSE {write_offs} END"
        cases.append(f"WHEN '{kind}' THEN {account}")
    return f"CASE a.kind {' '.join(cases)} END"


def _postings_sql(accounts: Mapping[str, str], deductions: Mapping[str, str]) -> str:
    """Every movement not yet posted, as (entry, debit account, credit account, amount > 0)."""
    receipts = ", ".join(f"'{k}'" for k in _RECEIPT_KINDS)
    platforms = ", ".join(f"'{p}'" for p in PLATFORM_SOURCES)
    relieved = _relieved_account(accounts, deductions)
    applied_kinds = ", ".join(f"'{k}'" for k in _APPLICATION_DEBITS)
    cash_side = _cash_side(accounts, "p.source")
    counter = (
        f"CASE WHEN p.kind = 'fee' THEN '{accounts['bank_fees']}'"
        f" ELSE '{accounts['unapplied_cash']}' END"
    )
    ar = accounts["accounts_receivable"]
    unapplied = _literal(accounts["unapplied_cash"])
    payable = _literal(accounts["refunds_payable"])
    return (
        # money in or out: the cash side against unapplied cash (or fees)
        "SELECT 'je_' || p.payment_id AS entry_id, p.value_date AS entry_date,"
        "  p.kind || ' ' || p.source || ' ' || p.source_ref AS memo, p.payment_id,"
        "  NULL AS application_id, NULL AS invoice_number,"
        f"  CASE WHEN p.amount > 0 THEN {cash_side} ELSE {counter} END AS debit_account,"
        f"  CASE WHEN p.amount > 0 THEN {counter} ELSE {cash_side} END AS credit_account,"
        "  abs(p.amount) AS amount, p.currency"
        " FROM payments p"
        " WHERE p.matched_at IS NOT NULL AND p.amount <> 0"
        f"  AND (p.kind IN ({receipts}, 'fee'))"
        "  AND NOT (p.kind = 'payment' AND (p.amount < 0 OR p.status = 'ignored'))"
        " UNION ALL"
        # a platform payout landing in the bank, once tied to the payout it carries
        " SELECT 'je_' || d.payment_id, d.value_date,"
        "  'settlement ' || o.source || ' ' || o.source_ref, d.payment_id, NULL, NULL,"
        f"  '{accounts['cash']}', {_cash_side(accounts, 'o.source')}, d.amount, d.currency"
        " FROM payments d JOIN payments o ON o.payment_id = d.related_ref"
        f" WHERE d.kind = 'settlement' AND d.source NOT IN ({platforms})"
        "  AND d.matched_at IS NOT NULL AND d.amount > 0"
        " UNION ALL"
        # applications and their reversals: relieve (or restore) the invoice's receivable
        " SELECT 'je_' || a.application_id, CAST(a.created_at AS DATE),"
        "  CASE WHEN a.reverses IS NULL THEN a.kind || ' to ' || a.invoice_number"
        "   ELSE 'reversal of ' || a.reverses END, a.payment_id, a.application_id,"
        "  a.invoice_number,"
        f"  CASE WHEN a.amount > 0 THEN {relieved} ELSE '{ar}' END,"
        f"  CASE WHEN a.amount > 0 THEN '{ar}' ELSE {relieved} END,"
        "  abs(a.amount), a.currency"
        f" FROM applications a WHERE a.kind IN ({applied_kinds}) AND a.amount <> 0"
        "  AND a.invoice_number IS NOT NULL"
        " UNION ALL"
        # a refund a person decided: the cash moves from unapplied to refunds payable
        " SELECT 'je_' || a.application_id, CAST(a.created_at AS DATE),"
        "  CASE WHEN a.reverses IS NULL THEN 'refund of ' || a.payment_id"
        "   ELSE 'reversal of ' || a.reverses END, a.payment_id, a.application_id, NULL,"
        f"  CASE WHEN a.amount > 0 THEN {unapplied} ELSE {payable} END,"
        f"  CASE WHEN a.amount > 0 THEN {payable} ELSE {unapplied} END,"
        "  abs(a.amount), a.currency"
        " FROM applications a WHERE a.kind = 'refund' AND a.amount <> 0"
    )


def post_journal(
    store: Store,
    accounts: Mapping[str, str],
    *,
    through: date | None = None,
    actor: str = "system:journal",
    deductions: Mapping[str, str] | None = None,
) -> PostingResult:
    """Post every movement not yet in the journal (dated up to ``through``); idempotent.

    One transaction: the new entries are checked to balance per entry and currency before
    anything commits, so a bad posting leaves the journal as it was. ``deductions`` maps
    a write-off's reason code to its account (``[deductions]``; default: the built-in
    taxonomy).
    """
    deductions = DEFAULT_DEDUCTIONS if deductions is None else deductions
    now = utcnow()
    store.execute("BEGIN TRANSACTION")
    try:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE j_new AS SELECT * FROM ("
            + _postings_sql(accounts, deductions)
            + ") WHERE entry_id NOT IN (SELECT entry_id FROM journal_entries)"
            "  AND (CAST(? AS DATE) IS NULL OR entry_date <= CAST(? AS DATE))",
            [through, through],
        )
        entries = int(store.scalar("SELECT count(*) FROM j_new"))
        store.execute(
            "INSERT INTO journal_entries (entry_id, entry_date, memo, payment_id, application_id,"
            " export_batch, created_at)"
            " SELECT entry_id, entry_date, memo, payment_id, application_id, NULL, ? FROM j_new",
            [now],
        )
        store.execute(
            "INSERT INTO journal_lines (entry_id, line_no, account, debit, credit, currency,"
            " memo, invoice_number)"
            " SELECT entry_id, 1, debit_account, amount, 0, currency, memo, invoice_number"
            " FROM j_new UNION ALL"
            " SELECT entry_id, 2, credit_account, 0, amount, currency, memo, invoice_number"
            " FROM j_new"
        )
        _check_balanced(store)
        if entries:
            store.audit(
                actor,
                "post",
                "journal",
                "post_" + stable_key("journal", now.isoformat())[:16],
                {"entries": entries, "through": str(through or "")},
            )
        store.execute("DROP TABLE j_new")
    except BaseException:
        store.execute("ROLLBACK")
        raise
    store.execute("COMMIT")
    return PostingResult(entries, entries * 2)


def _check_balanced(store: Store) -> None:
    """Refuse the posting if any entry of it fails to balance in any currency."""
    broken = store.fetchall(
        "SELECT l.entry_id, l.currency,"
        f" {sql_amount_text('sum(l.debit) - sum(l.credit)', 'l.currency')}"
        " FROM journal_lines l JOIN j_new USING (entry_id)"
        " GROUP BY l.entry_id, l.currency HAVING sum(l.debit) <> sum(l.credit)"
        " ORDER BY 1 LIMIT 3"
    )
    if broken:
        entry, currency, difference = broken[0]
        raise JournalError(
            f"journal entry {entry} does not balance in {currency} (off by {difference});"
            " nothing was posted"
        )


def _export_row(row: tuple[object, ...]) -> list[object]:
    """One CSV row: amounts in their currency's decimals (100.00, not 100.0000)."""
    currency = str(row[6])
    cells: list[object] = []
    for value in row:
        if isinstance(value, Decimal):
            value = quantize(value, currency)
        cells.append("" if value is None else value)
    return cells


def check_target(path: Path, *, force: bool = False) -> None:
    """Refuse an ``--out`` path before anything is posted or stamped.

    An existing file is the day's GL load, perhaps already sent: it is replaced only with
    ``force``. A missing folder is refused rather than created, so a typo in the path
    cannot scatter files where nobody looks; a folder we may not write to is found by
    creating (and at once removing) an unnamed file in it.
    """
    if path.is_dir():
        raise ExportRefused(f"cannot write {path}: it is a folder")
    if path.exists() and not force:
        raise ExportRefused(f"{path} already exists; use --force to replace it")
    if not path.parent.is_dir():
        raise ExportRefused(f"cannot write {path}: folder {path.parent} does not exist")
    try:  # a folder we may not write to: find out now, before posting changes the database
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise ExportRefused(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_temporary(path: Path, rows: list[tuple[object, ...]]) -> Path:
    """The whole file under a temporary name beside ``path``, flushed to disk."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- closed below, kept on success
        "w",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
        newline="",
        encoding="utf-8",
    )
    temporary = Path(handle.name)
    try:
        with handle:
            write_csv(handle, EXPORT_COLUMNS, (_export_row(row) for row in rows))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _put_in_place(temporary: Path, path: Path, *, force: bool) -> None:
    """Rename the finished file to ``path`` in one step; without ``force`` never clobber.

    ``os.link`` fails if ``path`` appeared since :func:`check_target` looked, so another
    run's file is never replaced by a race; with ``force`` ``os.replace`` swaps atomically.
    """
    if force:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise ExportRefused(f"{path} already exists; use --force to replace it") from None
    temporary.unlink()


def export_journal(
    store: Store, path: Path, *, force: bool = False, actor: str = "system:journal"
) -> ExportResult:
    """Write every journal line not yet exported to ``path`` and stamp it with a batch.

    The batch id is on every exported entry, so the next export carries only what is new
    and an ERP load can be traced back to the run that produced it. Nothing new: no file
    is written, no batch is stamped (``entries == 0``, ``path is None``).

    The file and the stamp go together. The order is: stamp inside an open transaction,
    write the whole file under a temporary name in the target's folder, rename it into
    place, and only then commit. A failure before the rename rolls the stamp back and
    removes the temporary file: the database and the folder are as they were. A failure
    of the commit itself removes the file just placed. The one window left, a crash
    between the rename and the commit, leaves a complete file whose lines are still
    unstamped; the next export carries them again under the same entry ids, which an ERP
    load can recognise. The other order (commit, then rename) would fail the other way --
    lines stamped as exported that no file ever carried -- and that loss is silent.
    """
    check_target(path, force=force)
    now = utcnow()
    batch = "jb_" + stable_key("journal-export", now.isoformat())[:16]
    store.execute("BEGIN TRANSACTION")
    placed = False
    try:
        rows = store.fetchall(
            "SELECT e.entry_id, e.entry_date, l.line_no, l.account, l.debit, l.credit,"
            " l.currency, l.memo, e.payment_id, l.invoice_number"
            " FROM journal_entries e JOIN journal_lines l USING (entry_id)"
            " WHERE e.export_batch IS NULL ORDER BY e.entry_date, e.entry_id, l.line_no"
        )
        if not rows:
            store.execute("ROLLBACK")
            return ExportResult("", 0, 0, None)
        entries = len({row[0] for row in rows})
        store.execute(
            "UPDATE journal_entries SET export_batch = ? WHERE export_batch IS NULL", [batch]
        )
        store.audit(actor, "export", "journal", batch, {"entries": entries, "file": str(path)})
        try:
            temporary = _write_temporary(path, rows)
            _put_in_place(temporary, path, force=force)
        except OSError as exc:
            raise ExportRefused(f"cannot write {path}: {exc.strerror or exc}") from exc
        placed = True
        store.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            store.execute("ROLLBACK")
        if placed:
            path.unlink(missing_ok=True)
        raise
    return ExportResult(batch, entries, len(rows), path)
