"""The speed benchmark: a large synthetic book through the real ingest and match.

``cashapp bench speed --payments N --invoices M --customers K`` writes customers and open
invoices as CSV and the incoming cash as real bank files (NACHA receipt files of CCD+ and
CTX credits, and a BAI2 statement of wires), then times each stage on a fresh DuckDB file:
master-data import (set-up, reported but not part of the target), ingest, match, and the
two together. Peak memory is the process's maximum resident set size.

The book is shaped like a large AR ledger, not like a best case: payers write invoice
references in several forms, a quarter pay without any reference (identified by name and
amount), some pay several invoices at once, and a tenth are strangers whose payments must
end up in the queue. Generation is seeded and deterministic.
"""

from __future__ import annotations

import contextlib
import random
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from cashapp.bench.synthetic.bankfiles import (
    bai2_file,
    created_at,
    incoming_credit,
    wire_detail,
)
from cashapp.bench.synthetic.ledger import (
    PREFIXED_SHAPES,
    Customer,
    Invoice,
    from_cents,
    invoice_number,
    write_customers,
    write_invoices,
)
from cashapp.bench.synthetic.names import ledger_name, unique_ledger_names
from connectors.bai2.writer import Bai2Account, Bai2Transaction
from connectors.nacha.writer import AchBatch, write_nacha

T = TypeVar("T")

BUSINESS_DAY = date(2026, 11, 20)
OUR_ROUTING = "091000019"
FILE_SIZE = 100_000  # payments per NACHA file: a large bank's daily receipt file
WIRE_SHARE = 0.05  # of payments arriving as BAI2 wires

#: The speed book's invoice list: the columns a large ERP export has (no PO, no terms).
INVOICE_COLUMNS = (
    "invoice_number",
    "customer_id",
    "invoice_date",
    "due_date",
    "amount",
    "currency",
)
#: How the speed book's customers' banks write a customer's ACH credit to us.
_OUR_ACCOUNT = "000123456789"
_CUSTOMER_ODFI = "09100001"


@dataclass(frozen=True, slots=True)
class SpeedBook:
    """Where the generated book was written, and what it holds."""

    folder: Path
    customers_csv: Path
    invoices_csv: Path
    bank_files: tuple[Path, ...]
    payments: int
    invoices: int
    customers: int


#: The stages the end-to-end target covers: the final checkpoint (folding the write-ahead
#: log into the database file) is work the daily job pays when it closes the store.
END_TO_END = ("ingest", "match", "checkpoint")
#: The whole morning: the ERP's open-invoice and customer import comes first every day.
WHOLE_DAY = ("import master data", *END_TO_END)


@dataclass(slots=True)
class StageTiming:
    stage: str
    seconds: float
    rows: int
    peak_rss_mb: float


@dataclass(slots=True)
class SpeedReport:
    payments: int
    invoices: int
    customers: int
    stages: list[StageTiming] = field(default_factory=list)
    applied: int = 0
    exceptions: int = 0
    match_stages: dict[str, float] = field(default_factory=dict)
    #: every timed run's stages (import to checkpoint), each on a fresh database
    runs: list[list[StageTiming]] = field(default_factory=list)
    #: every run's match stages
    match_runs: list[dict[str, float]] = field(default_factory=list)

    @property
    def ingest_and_match_seconds(self) -> float:
        return sum(s.seconds for s in self.stages if s.stage in END_TO_END)

    @property
    def peak_rss_mb(self) -> float:
        """The highest peak of the end-to-end stages (generation and master data excluded)."""
        return max((s.peak_rss_mb for s in self.stages if s.stage in END_TO_END), default=0.0)

    def totals(self, stages: tuple[str, ...]) -> list[float]:
        """Per run: the seconds of ``stages`` added up."""
        return [sum(s.seconds for s in run if s.stage in stages) for run in self.runs]

    def peak(self, stages: tuple[str, ...]) -> float:
        """The highest peak RSS of ``stages`` over every run."""
        return max(
            (s.peak_rss_mb for run in self.runs for s in run if s.stage in stages), default=0.0
        )


def peak_rss_mb() -> float:
    """Peak resident set size since the last :func:`reset_peak_rss` (Linux VmHWM), in MB.

    Falls back to the process-lifetime maximum where /proc is not available.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start a new peak-memory window, so each stage reports its own peak (Linux only)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rmr_amount(cents: int) -> str:
    """The amount an RMR segment of the speed book carries: trailing zeros dropped
    (``1234.5``, ``1234``), as the book has always been written."""
    return str(Decimal(cents) / 100)


def _reference_text(rng: random.Random, number: int) -> str:
    """One invoice reference, in one of the shapes with a prefix."""
    return PREFIXED_SHAPES[rng.randrange(len(PREFIXED_SHAPES))].format(n=number)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate_speed_book(
    folder: Path, *, payments: int, invoices: int, customers: int, seed: int = 1
) -> SpeedBook:
    """Write the master data and the bank files for one benchmark run."""
    if not 0 < payments <= invoices:
        raise ValueError("need 0 < payments <= invoices: every payment pays its own invoice")
    if customers <= 0 or customers > invoices:
        raise ValueError("need 0 < customers <= invoices")
    rng = random.Random(seed)  # noqa: S311 -- a reproducible book, not a secret
    folder.mkdir(parents=True, exist_ok=True)
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    book = [
        Customer(f"C{n + 1:07d}", name, "NET30")
        for n, name in enumerate(unique_ledger_names(rng, customers))
    ]
    customers_csv = write_customers(folder / "customers.csv", book, lineterminator="\r\n")
    invoice_customer = [rng.randrange(customers) for _ in range(invoices)]
    invoice_cents = [rng.randrange(5_000, 5_000_000) for _ in range(invoices)]
    first_number = 1_000_000
    ledger = []
    for i in range(invoices):
        amount = from_cents(invoice_cents[i])
        issued = BUSINESS_DAY - timedelta(days=rng.randrange(10, 70))
        customer = book[invoice_customer[i]]
        ledger.append(Invoice(invoice_number(first_number + i), customer, issued, amount, amount))
    invoices_csv = write_invoices(
        folder / "invoices.csv", ledger, columns=INVOICE_COLUMNS, lineterminator="\r\n"
    )
    paid = rng.sample(range(invoices), payments)
    ach: list[AchBatch] = []
    wires: list[Bai2Transaction] = []
    for k, i in enumerate(paid):
        shape = rng.random()
        customer_index = invoice_customer[i]
        payer = book[customer_index].name
        amount = ledger[i].amount
        if shape < 0.10:  # a stranger: no customer of ours, no reference
            payer = ledger_name(rng).upper() + " TRUST"
            memo = ""
        elif shape < 0.35:  # no reference: name and amount must do
            memo = ""
        else:
            memo = _reference_text(rng, first_number + i)
        if rng.random() < WIRE_SHARE:
            text = wire_detail(payer.upper(), memo or "PAYMENT")
            wires.append(Bai2Transaction("195", amount, f"FW{k:09d}", "", text))
            continue
        ach.append(
            incoming_credit(
                payer.upper()[:16],
                f"1{customer_index:09d}",
                "CCD",
                "PAYMENT",
                BUSINESS_DAY,
                _CUSTOMER_ODFI,
                (OUR_ROUTING, _OUR_ACCOUNT, amount, f"P{k:014d}"),
                addenda=(f"RMR*IV*{memo}**{_rmr_amount(invoice_cents[i])}\\",) if memo else (),
            )
        )
    created = created_at(BUSINESS_DAY, 6)
    files: list[Path] = []
    for n, chunk in enumerate(_chunks(ach, FILE_SIZE)):
        path = inbox / f"ach-receipts-{n + 1:03d}.ach"
        path.write_bytes(
            write_nacha(
                chunk,
                immediate_destination=OUR_ROUTING,
                immediate_origin=OUR_ROUTING,
                created=created,
                file_id_modifier=chr(ord("A") + n % 26),
            )
        )
        files.append(path)
    if wires:
        path = inbox / "wires.bai2"
        account = Bai2Account(_OUR_ACCOUNT, "USD", tuple(wires))
        path.write_bytes(
            bai2_file(account, sender=OUR_ROUTING, file_id="1", created=created, as_of=BUSINESS_DAY)
        )
        files.append(path)
    return SpeedBook(
        folder, customers_csv, invoices_csv, tuple(files), payments, invoices, customers
    )


def timed(stage: str, work: Callable[[], int], report: SpeedReport) -> None:
    """Run one stage and record its wall time, rows and its own peak RSS."""
    reset_peak_rss()
    start = time.perf_counter()
    rows = work()
    report.stages.append(
        StageTiming(stage, time.perf_counter() - start, rows, round(peak_rss_mb(), 1))
    )


def run_speed_bench(
    folder: Path, *, payments: int, invoices: int, customers: int, seed: int = 1, runs: int = 1
) -> SpeedReport:
    """Generate the book once, then time import, ingest and match ``runs`` times, each on
    a fresh database (the spread of a stage over runs is the noise its figure carries)."""
    if runs < 1:
        raise ValueError("--runs must be at least 1")
    report = SpeedReport(payments, invoices, customers)
    holder: list[SpeedBook] = []

    def generate() -> int:
        holder.append(
            generate_speed_book(
                folder, payments=payments, invoices=invoices, customers=customers, seed=seed
            )
        )
        return payments

    timed("generate files", generate, report)
    for n in range(runs):
        run = SpeedReport(payments, invoices, customers)
        _timed_day(holder[0], folder, run)
        report.runs.append(run.stages)
        report.match_runs.append(run.match_stages)
        if n == 0:
            report.stages += run.stages
            report.applied, report.exceptions = run.applied, run.exceptions
            report.match_stages = run.match_stages
    return report


def _timed_day(book: SpeedBook, folder: Path, report: SpeedReport) -> None:
    """One day on a fresh database: import, ingest, match, checkpoint, each timed."""
    from cashapp.config import load_config
    from cashapp.ingest import ingest_paths
    from cashapp.masterdata import import_customers, import_invoices
    from cashapp.matching.pipeline import run_match
    from cashapp.store import open_store
    from connectors import load_builtin

    db = folder / "bench.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    load_builtin()  # the connectors' [sources.*] tables, before config is read
    config = load_config(None, str(db))
    with open_store(str(db), create=True) as store:

        def master_data() -> int:
            c = import_customers(store, book.customers_csv, config)
            i = import_invoices(store, book.invoices_csv, config)
            return c.inserted + i.inserted

        def ingest() -> int:
            outcomes = ingest_paths(store, list(book.bank_files), config)
            refused = [o for o in outcomes if o.status == "refused"]
            if refused:
                raise RuntimeError(f"benchmark file refused: {refused[0].reason}")
            return sum(o.new for o in outcomes)

        def match() -> int:
            summary = run_match(store, config)
            report.applied = summary.applied
            report.exceptions = sum(summary.exceptions.values())
            report.match_stages = dict(summary.timings)
            return summary.payments

        timed("import master data", master_data, report)

        def checkpoint() -> int:
            store.execute("CHECKPOINT")
            return 0

        timed("ingest", ingest, report)
        timed("match", match, report)
        timed("checkpoint", checkpoint, report)
