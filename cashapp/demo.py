"""``cashapp demo``: a realistic sample book, generated deterministically, run end to end.

The generator is ours and seeded, so the same seed always writes byte-identical files and
the demo's numbers can be quoted in docs and tests. The book has the cases a cash
application team meets every morning, each written the way a bank would send it:

- wires and lockbox credits in a BAI2 file naming one invoice (``INV-100123``), several
  invoices, or nothing but the payer's name;
- CCD+ and CTX (X12 820 remittance) credits in a NACHA receipt file;
- our own ACH debit collections, and a return file with an R01 for one of them;
- early-payment discounts taken, small and large short pays, an over pay, a payment
  of an invoice already paid, a payer nobody knows, and a payer with two open invoices
  of the same amount (which must stay in the queue, not be guessed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config
from cashapp.csvsafe import write_csv
from cashapp.domain import RemittanceLine
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.masterdata import ImportSummary, import_customers, import_invoices
from cashapp.matching.pipeline import MatchSummary, run_match
from cashapp.money import quantize
from cashapp.store import Store
from connectors.bai2.writer import Bai2Account, Bai2Transaction, movement, write_bai2
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha

BUSINESS_DAY = date(2026, 11, 20)
OUR_ACH_COMPANY_ID = "1987654321"
OUR_ROUTING = "021000021"

_FIRST = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Pied Piper",
    "Dunder",
    "Gringotts",
    "Oscorp",
    "Nakatomi",
    "Monarch",
    "Sterling",
    "Prestige",
    "Bluth",
    "Kramerica",
    "Massive",
    "Virtucon",
    "Aperture",
    "Black Mesa",
    "Gekko",
    "Duff",
    "Krusty",
    "Paper Street",
    "Los Pollos",
    "Bubba Gump",
    "Ollivanders",
    "Spacely",
    "Cogswell",
    "Zorg",
    "Ghostbusters",
    "Genco",
    "Sirius",
    "Planet",
]
_TRADE = [
    "Industries",
    "Logistics",
    "Foods",
    "Tooling",
    "Medical",
    "Supply",
    "Construction",
    "Analytics",
    "Energy",
    "Textiles",
    "Robotics",
    "Packaging",
]
_SUFFIX = ["Inc", "LLC", "Corp", "Co", "Ltd", "Holdings", "Inc.", "L.L.C."]


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    customer_id: str
    name: str
    terms: str


@dataclass(slots=True)
class DemoInvoice:
    number: str
    customer: DemoCustomer
    invoice_date: date
    amount: Decimal
    open_amount: Decimal
    terms: str
    po_number: str = ""


@dataclass(frozen=True, slots=True)
class DemoResult:
    customers: ImportSummary
    invoices: ImportSummary
    outcomes: list[FileOutcome]
    match: MatchSummary
    business_day: date = BUSINESS_DAY


@dataclass(slots=True)
class _Book:
    rng: random.Random
    customers: list[DemoCustomer] = field(default_factory=list)
    invoices: list[DemoInvoice] = field(default_factory=list)
    used: set[str] = field(default_factory=set)

    def take(self, predicate: object = None) -> DemoInvoice:
        """An unused open invoice (deterministic choice)."""
        pool = [i for i in self.invoices if i.number not in self.used and i.open_amount > 0]
        pool = [i for i in pool if predicate is None or predicate(i)]  # type: ignore[operator]
        invoice = self.rng.choice(pool)
        self.used.add(invoice.number)
        return invoice

    def of_customer(self, customer: DemoCustomer) -> list[DemoInvoice]:
        return [i for i in self.invoices if i.customer == customer and i.number not in self.used]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)).scaleb(-2)


def build_book(seed: int) -> _Book:
    """Customers and invoices; every fourth customer has 2/10 NET30 terms."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample book, not a secret
    book = _Book(rng)
    names: set[str] = set()
    for n in range(40):
        while True:
            name = f"{rng.choice(_FIRST)} {rng.choice(_TRADE)} {rng.choice(_SUFFIX)}"
            if name.split()[0] not in {x.split()[0] for x in names}:
                break
        names.add(name)
        terms = "2/10 NET30" if n % 4 == 0 else "NET30"
        book.customers.append(DemoCustomer(f"C{1001 + n}", name, terms))
    number = 100100
    for customer in book.customers:
        for _ in range(rng.randint(3, 7)):
            number += rng.randint(1, 3)
            age = rng.randint(2, 60)
            amount = _money(rng, 150, 24000)
            book.invoices.append(
                DemoInvoice(
                    f"INV-{number}",
                    customer,
                    BUSINESS_DAY - timedelta(days=age),
                    amount,
                    amount,
                    customer.terms,
                    f"PO-{rng.randint(40000, 49999)}",
                )
            )
    return book


def write_master_files(book: _Book, folder: Path) -> tuple[Path, Path]:
    """The ERP's customer and invoice lists, as CSV a person may open (cells escaped)."""
    folder.mkdir(parents=True, exist_ok=True)
    customers = folder / "customers.csv"
    with customers.open("w", newline="", encoding="utf-8") as fh:
        write_csv(
            fh,
            CUSTOMER_FIELDS,
            (
                [c.customer_id, c.name, f"ap@{c.name.split()[0].lower()}.example", "USD", c.terms]
                for c in book.customers
            ),
            lineterminator="\r\n",
        )
    invoices = folder / "invoices.csv"
    with invoices.open("w", newline="", encoding="utf-8") as fh:
        write_csv(
            fh,
            INVOICE_FIELDS,
            (
                [
                    i.number,
                    i.customer.customer_id,
                    i.invoice_date.isoformat(),
                    (i.invoice_date + timedelta(days=30)).isoformat(),
                    str(i.amount),
                    str(i.open_amount),
                    "USD",
                    i.po_number,
                    i.terms,
                ]
                for i in book.invoices
            ),
            lineterminator="\r\n",
        )
    return customers, invoices


def _bank_name(name: str, limit: int) -> str:
    """Banks upper-case and truncate names (NACHA: 16 or 22 characters)."""
    return name.upper().replace(".", "")[:limit]


def _incoming_credit(
    payer: str,
    company_id: str,
    sec_code: str,
    amount: Decimal,
    individual_id: str,
    addenda: tuple[str, ...],
) -> AchBatch:
    """A customer's ACH credit to our account: one batch, one entry, its remittance addenda."""
    entry = AchEntry(
        "22", OUR_ROUTING, "123456789", amount, individual_id, "OUR COMPANY", addenda=addenda
    )
    return AchBatch(
        _bank_name(payer, 16), company_id, sec_code, "PAYMENT", BUSINESS_DAY, "09100001", (entry,)
    )


def write_bank_files(book: _Book, folder: Path) -> list[Path]:  # noqa: C901 - writes the demo's three files in turn, one branch per payment shape
    """A BAI2 statement, a NACHA receipt file, and a NACHA return file."""
    rng = book.rng
    tx: list[Bai2Transaction] = []
    ref = iter(range(5001, 9999))

    def wire(amount: Decimal, payer: str, obi: str) -> None:
        tx.append(
            Bai2Transaction(
                "195",
                amount,
                f"FW{next(ref)}",
                "",
                f"ORG={payer.upper()} OBI={obi} BNF=OUR COMPANY",
            )
        )

    def ach_credit(amount: Decimal, payer: str, memo: str) -> None:
        tx.append(
            Bai2Transaction(
                "165",
                amount,
                f"AC{next(ref)}",
                "",
                f"ORIG CO NAME:{_bank_name(payer, 16)} ORIG ID:{rng.randint(10**8, 10**9)}"
                f" DESC DATE:{BUSINESS_DAY:%y%m%d} ENTRY DESCR:PAYMENT {memo}".rstrip(),
            )
        )

    # 1. exact single-invoice wires, reference written many ways
    shapes = ["INV-{n}", "INV{n}", "INVOICE {n}", "inv-{n}", "#{n}", "{n}"]
    for k in range(12):
        inv = book.take()
        digits = inv.number.split("-")[1]
        wire(inv.open_amount, inv.customer.name, shapes[k % len(shapes)].format(n=digits))
    # 2. one payment, several invoices of one customer named
    for _ in range(3):
        first = book.take()
        others = [i for i in book.of_customer(first.customer) if i.open_amount > 0][:2]
        for o in others:
            book.used.add(o.number)
        group = [first, *others]
        memo = "INV " + ", ".join(i.number.split("-")[1] for i in group)
        ach_credit(sum((i.open_amount for i in group), Decimal(0)), first.customer.name, memo)
    # 3. no reference, exact amount, payer known by name
    for _ in range(6):
        inv = book.take()
        ach_credit(inv.open_amount, inv.customer.name, "")
    # 4. early-payment discount taken (2/10 NET30, invoice within 10 days)
    for _ in range(2):
        inv = book.take(lambda i: i.terms.startswith("2/10"))
        inv.invoice_date = BUSINESS_DAY - timedelta(days=4)
        discount = quantize(inv.open_amount * Decimal("0.02"), "USD", exact=False)
        wire(inv.open_amount - discount, inv.customer.name, f"INV {inv.number} LESS 2PCT")
    # 5. small short pay (bank fee deducted) -> write-off; large short pay -> exception
    inv = book.take()
    wire(inv.open_amount - Decimal("2.50"), inv.customer.name, inv.number)
    inv = book.take(lambda i: i.open_amount > 2000)
    wire(inv.open_amount - Decimal("1000.00"), inv.customer.name, f"{inv.number} PARTIAL")
    # 6. over pay
    inv = book.take()
    wire(inv.open_amount + Decimal("300.00"), inv.customer.name, inv.number)
    # 7. an invoice paid twice
    inv = book.take()
    wire(inv.open_amount, inv.customer.name, inv.number)
    wire(inv.open_amount, inv.customer.name, f"{inv.number} RESEND")
    # 8. a payer nobody knows; a known payer with two open invoices of the same amount
    wire(Decimal("1234.56"), "NORTHWIND TRADERS", "CONSULTING RETAINER")
    twin = book.take()
    clone = DemoInvoice(
        f"INV-{int(twin.number.split('-')[1]) + 500000}",
        twin.customer,
        twin.invoice_date,
        twin.amount,
        twin.open_amount,
        twin.terms,
    )
    book.invoices.append(clone)
    book.used.add(clone.number)
    ach_credit(twin.open_amount, twin.customer.name, "")
    # 9. a bank fee and an outgoing payment: not receivables
    tx.append(Bai2Transaction("698", Decimal("45.00"), "SC0001", "", "ACCOUNT ANALYSIS FEE"))
    tx.append(Bai2Transaction("495", Decimal("12500.00"), "OW0001", "", "WIRE TO PAYROLL"))

    opening = Decimal("184250.00")
    closing = opening + sum((movement(t) for t in tx), Decimal(0))
    account = Bai2Account("123456789", "USD", tuple(tx), opening, closing)
    created = datetime(BUSINESS_DAY.year, BUSINESS_DAY.month, BUSINESS_DAY.day, 6, 0, tzinfo=UTC)
    bai2 = folder / "bank-statement.bai2"
    bai2.write_bytes(
        write_bai2(
            [account],
            sender="021000021",
            receiver="OURCO",
            file_id="1",
            created=created,
            as_of=BUSINESS_DAY,
        )
    )

    # NACHA receipt: CCD+ and CTX credits from customers, our own debit collections.
    batches: list[AchBatch] = []
    for k in range(3):
        inv = book.take()
        batches.append(
            _incoming_credit(
                inv.customer.name,
                f"1{rng.randint(10**8, 10**9 - 1)}",
                "CCD",
                inv.open_amount,
                f"ID{k}",
                (f"RMR*IV*{inv.number}*PI*{inv.open_amount}\\",),
            )
        )
    first = book.take()
    group = [first, *[i for i in book.of_customer(first.customer) if i.open_amount > 0][:2]]
    for i in group:
        book.used.add(i.number)
    lines = [RemittanceLine(i.number, "IV", i.open_amount, i.amount) for i in group]
    batches.append(
        _incoming_credit(
            first.customer.name,
            "1555000111",
            "CTX",
            sum((i.open_amount for i in group), Decimal(0)),
            "CTX0001",
            ctx_820_addenda(first.customer.name, lines),
        )
    )
    collections = []
    for seq in range(1, 5):
        inv = book.take()
        collections.append(
            AchEntry(
                "27",
                "091000019",
                f"{rng.randint(10**7, 10**9)}",
                inv.open_amount,
                inv.number,
                _bank_name(inv.customer.name, 22),
                trace_sequence=seq,
            )
        )
    batches.append(
        AchBatch(
            "OUR COMPANY",
            OUR_ACH_COMPANY_ID,
            "CCD",
            "AR DEBIT",
            BUSINESS_DAY,
            OUR_ROUTING[:8],
            tuple(collections),
        )
    )
    nacha = folder / "ach-receipts.ach"
    nacha.write_bytes(
        write_nacha(
            batches,
            immediate_destination=OUR_ROUTING,
            immediate_origin="0910000019",
            created=created,
        )
    )

    # The bank returns the first collection: R01 insufficient funds.
    returned = collections[0]
    original_trace = f"{OUR_ROUTING[:8]}{1:07d}"  # the collection's trace: ODFI + sequence
    returns = AchBatch(
        "OUR COMPANY",
        OUR_ACH_COMPANY_ID,
        "CCD",
        "AR DEBIT",
        BUSINESS_DAY + timedelta(days=2),
        "09100001",
        (
            AchEntry(
                "26",
                "091000019",
                returned.account,
                returned.amount,
                returned.individual_id,
                returned.name,
                return_reason="R01",
                original_trace=original_trace,
            ),
        ),
    )
    ret = folder / "ach-returns.ach"
    ret.write_bytes(
        write_nacha(
            [returns],
            immediate_destination=OUR_ROUTING,
            immediate_origin="0910000019",
            created=created + timedelta(days=2),
            file_id_modifier="B",
        )
    )
    return [bai2, nacha, ret]


def run_demo(store: Store, config: Config, folder: Path, *, seed: int = 7) -> DemoResult:
    """Generate, import, ingest and match; idempotent for a given seed and database."""
    from dataclasses import replace

    if OUR_ACH_COMPANY_ID not in config.ach_company_ids:
        config = replace(config, ach_company_ids=config.ach_company_ids | {OUR_ACH_COMPANY_ID})
    book = build_book(seed)
    folder.mkdir(parents=True, exist_ok=True)
    bank_files = write_bank_files(book, folder)
    customers_csv, invoices_csv = write_master_files(book, folder)
    customers = import_customers(store, customers_csv, config, actor="demo")
    invoices = import_invoices(store, invoices_csv, config, actor="demo")
    outcomes = ingest_paths(store, bank_files, config, actor="demo")
    summary = run_match(store, config)
    return DemoResult(customers, invoices, outcomes, summary)
