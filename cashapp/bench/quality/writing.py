"""A labelled book written to disk: master files, configuration, and each day's inbox.

:func:`write_book` builds the book for a seed (master data, every case, the checks) and
writes what the daily job would find: the ERP's customers and invoices, a ``cashapp.toml``
with our ACH company id and the CSV export's profile, and one inbox folder per business
day holding the banks' files (:mod:`.formats`) and the platforms' (Stripe's report CSV
and pull landing JSON, Plastiq's export and JSON). Everything comes from the seed and
fixed business days in November 2026, never the clock, so a seed always writes
byte-identical files.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from cashapp.bench.platforms import (
    StripeTransaction,
    plastiq_csv,
    plastiq_json,
    stripe_landing_json,
    stripe_landing_name,
    stripe_report_csv,
)
from cashapp.bench.quality.book import Book
from cashapp.bench.quality.cases import draw_cases
from cashapp.bench.quality.catalogue import CSV_PROFILE, CSV_PROFILE_NAME, STRIPE_WINDOWS
from cashapp.bench.quality.formats import DayWriter
from cashapp.bench.quality.labels import (
    DAYS,
    DEFAULT_WRITE_OFF_TOLERANCE,
    BenchError,
    GeneratedBook,
)
from cashapp.bench.quality.records import Payment
from cashapp.bench.synthetic.bankfiles import OUR_ACH_COMPANY_ID
from cashapp.bench.synthetic.ledger import write_customers, write_invoices


def build_book(seed: int, per_case: int, write_off_tolerance: Decimal) -> Book:
    """Master data, then every case, then the checks that make the labels trustworthy."""
    book = Book(seed, per_case, write_off_tolerance)
    book.add_master_data()
    draw_cases(book)
    book.validate()
    return book


def master_files(book: Book, folder: Path) -> tuple[Path, Path]:
    """The ERP exports: customers and invoices in the importer's default columns."""
    return (
        write_customers(folder / "customers.csv", book.customers),
        write_invoices(folder / "invoices.csv", sorted(book.invoices, key=lambda i: i.number)),
    )


def bank_files(book: Book, folder: Path) -> list[Path]:
    """One folder per business day, ingested and matched in turn like the daily job."""
    writer = DayWriter(book.rng)
    by_day: dict[int, list[Payment]] = defaultdict(list)
    for payment, _, _ in book.items:
        by_day[payment.day].append(payment)
    days = []
    for day in sorted(DAYS):
        target = folder / f"day{day}"
        target.mkdir(parents=True, exist_ok=True)
        book.rng.shuffle(by_day[day])  # banks list a day's items in no case order
        writer.write_day(day, by_day[day], target)
        _platform_files(book, day, target)
        days.append(target)
    return days


def _pulled_again(book: Book, day: int) -> StripeTransaction | None:
    """The previous pull's newest object, which this pull fetches again.

    ``cashapp pull stripe`` asks from its high-water mark inclusive (an object created
    in the same second as the mark must not be missed), so the newest transaction of
    yesterday's landing file is in today's too; ingest must know it by its id.
    """
    before = [t for t in book.stripe.get(day - 1, []) if t.carrier == "stripe-api"]
    return max(before, key=lambda t: (t.created, t.txn_id)) if before else None


def _platform_files(book: Book, day: int, folder: Path) -> None:
    """The day's platform files: the payout's Stripe transactions split between the
    report export and the pull's landing file, and the Plastiq payouts' rows."""
    when = DAYS[day]
    report = [t for t in book.stripe[day] if t.carrier == "stripe-report"]
    if report:
        path = folder / f"stripe-payout-reconciliation-{when:%Y%m%d}.csv"
        path.write_bytes(stripe_report_csv(report))
    pulled = [t for t in book.stripe[day] if t.carrier == "stripe-api"]
    if pulled:
        again = _pulled_again(book, day)
        since = again.created if again else STRIPE_WINDOWS[day][0]
        pulled += [again] if again else []
        (folder / stripe_landing_name(pulled, since)).write_bytes(stripe_landing_json(pulled))
    exported = [p for p in book.plastiq[day] if p.carrier == "plastiq-csv"]
    if exported:
        (folder / f"plastiq-payments-{when:%Y%m%d}.csv").write_bytes(plastiq_csv(exported))
    saved = [p for p in book.plastiq[day] if p.carrier == "plastiq-json"]
    if saved:
        (folder / f"plastiq-payments-{when:%Y%m%d}.json").write_bytes(plastiq_json(saved))


def config_toml() -> str:
    """The bench's configuration: our ACH company id and the CSV export's profile."""
    lines = [
        "# Written by the matching quality bench (cashapp.bench.quality).",
        "[company]",
        'name = "Our Company"',
        f'ach_company_ids = ["{OUR_ACH_COMPANY_ID}"]',
        "",
        f"[sources.csv.{CSV_PROFILE_NAME}]",
    ]
    for key, value in CSV_PROFILE.items():
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(_toml_str(v) for v in value)}]")
        else:
            lines.append(f"{key} = {_toml_str(value)}")
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_book(
    folder: Path,
    *,
    seed: int = 1,
    per_case: int = 4,
    write_off_tolerance: Decimal = DEFAULT_WRITE_OFF_TOLERANCE,
) -> GeneratedBook:
    """Generate the labelled book for ``seed`` and write its files under ``folder``.

    ``folder`` must be empty or absent (a stale bank file left there would be ingested and
    spoil the labels). ``per_case`` is the number of payments per case (1..6);
    ``write_off_tolerance`` must be the one the matcher runs with, since it decides which
    short payments are write-offs.
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BenchError(f"{folder}: not empty; the bench writes a book into an empty folder")
    book = build_book(seed, per_case, write_off_tolerance)
    folder.mkdir(parents=True, exist_ok=True)
    customers, invoices = master_files(book, folder)
    toml = folder / "cashapp.toml"
    toml.write_text(config_toml(), encoding="utf-8")
    days = bank_files(book, folder / "inbox")
    return GeneratedBook(
        folder,
        customers,
        invoices,
        toml,
        tuple(days),
        book.labels(),
        tuple(book.skipped),
    )
