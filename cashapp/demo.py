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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from cashapp.bench.synthetic.bankfiles import (
    ACH_OPERATOR,
    OUR_ACH_COMPANY_ID,
    OUR_ROUTING,
    ach_credit_detail,
    bai2_file,
    bank_charges,
    collection_batch,
    created_at,
    debit_entry,
    incoming_credit,
    return_entry,
    tied_account,
    wire_detail,
)
from cashapp.bench.synthetic.ledger import (
    Customer,
    Invoice,
    InvoiceNumbers,
    invoice_number,
    random_amount,
    write_customers,
    write_invoices,
)
from cashapp.bench.synthetic.names import DEMO_NAMES, ap_mailbox, bank_name, trade_name
from cashapp.config import Config
from cashapp.domain import RemittanceLine
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.masterdata import ImportSummary, import_customers, import_invoices
from cashapp.matching.pipeline import MatchSummary, run_match
from cashapp.money import quantize
from cashapp.store import Store
from connectors.bai2.writer import Bai2Transaction
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha

BUSINESS_DAY = date(2026, 11, 20)

#: The demo's reference shapes (its own: ``INVOICE 100123`` in capitals, no ``INV 1``).
_SHAPES = ("INV-{n}", "INV{n}", "INVOICE {n}", "inv-{n}", "#{n}", "{n}")
_OUR_ACCOUNT = "123456789"
_CUSTOMER_BANK = "091000019"  # the routing of every demo customer's bank
_CUSTOMER_ODFI = _CUSTOMER_BANK[:8]


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
    customers: list[Customer] = field(default_factory=list)
    invoices: list[Invoice[Customer]] = field(default_factory=list)

    def take(
        self, predicate: Callable[[Invoice[Customer]], bool] | None = None
    ) -> Invoice[Customer]:
        """An unused open invoice (deterministic choice)."""
        pool = [i for i in self.invoices if not i.reserved and i.open_amount > 0]
        pool = [i for i in pool if predicate is None or predicate(i)]
        invoice = self.rng.choice(pool)
        invoice.reserved = True
        return invoice

    def of_customer(self, customer: Customer) -> list[Invoice[Customer]]:
        return [i for i in self.invoices if i.customer is customer and not i.reserved]

    def take_with_others(self, count: int) -> list[Invoice[Customer]]:
        """An unused invoice and up to ``count`` more open ones of the same customer."""
        first = self.take()
        others = [i for i in self.of_customer(first.customer) if i.open_amount > 0][:count]
        for other in others:
            other.reserved = True
        return [first, *others]


def build_book(seed: int) -> _Book:
    """Customers and invoices; every fourth customer has 2/10 NET30 terms."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample book, not a secret
    book = _Book(rng)
    firsts: set[str] = set()
    for n in range(40):
        while True:
            name = trade_name(rng, DEMO_NAMES)
            if name.split()[0] not in firsts:
                break
        firsts.add(name.split()[0])
        terms = "2/10 NET30" if n % 4 == 0 else "NET30"
        book.customers.append(Customer(f"C{1001 + n}", name, terms, ap_mailbox(name)))
    numbers = InvoiceNumbers(100100, 3)
    for customer in book.customers:
        for _ in range(rng.randint(3, 7)):
            number = numbers.next(rng)
            age = rng.randint(2, 60)
            amount = random_amount(rng, 150, 24000)
            book.invoices.append(
                Invoice(
                    number,
                    customer,
                    BUSINESS_DAY - timedelta(days=age),
                    amount,
                    amount,
                    f"PO-{rng.randint(40000, 49999)}",
                )
            )
    return book


def write_master_files(book: _Book, folder: Path) -> tuple[Path, Path]:
    """The ERP's customer and invoice lists, as CSV a person may open (cells escaped)."""
    folder.mkdir(parents=True, exist_ok=True)
    return (
        write_customers(folder / "customers.csv", book.customers, lineterminator="\r\n"),
        write_invoices(folder / "invoices.csv", book.invoices, lineterminator="\r\n"),
    )


def _shown(name: str, limit: int) -> str:
    """The payer name as a NACHA field carries it (16 or 22 characters)."""
    return bank_name(name)[:limit]


def _customer_credit(
    payer: str,
    company_id: str,
    sec_code: str,
    amount: Decimal,
    individual_id: str,
    addenda: tuple[str, ...],
) -> AchBatch:
    """A customer's ACH credit to our account: one batch, one entry, its remittance addenda."""
    return incoming_credit(
        _shown(payer, 16),
        company_id,
        sec_code,
        "PAYMENT",
        BUSINESS_DAY,
        _CUSTOMER_ODFI,
        (OUR_ROUTING, _OUR_ACCOUNT, amount, individual_id),
        addenda=addenda,
    )


def write_bank_files(book: _Book, folder: Path) -> list[Path]:
    """A BAI2 statement, a NACHA receipt file, and a NACHA return file."""
    rng = book.rng
    tx: list[Bai2Transaction] = []
    ref = iter(range(5001, 9999))

    def wire(amount: Decimal, payer: str, obi: str) -> None:
        tx.append(
            Bai2Transaction("195", amount, f"FW{next(ref)}", "", wire_detail(payer.upper(), obi))
        )

    def ach_credit(amount: Decimal, payer: str, memo: str) -> None:
        company, company_id = _shown(payer, 16), str(rng.randint(10**8, 10**9))
        text = ach_credit_detail(company, company_id, BUSINESS_DAY, "PAYMENT", memo)
        tx.append(Bai2Transaction("165", amount, f"AC{next(ref)}", "", text))

    # 1. exact single-invoice wires, reference written many ways
    for k in range(12):
        inv = book.take()
        wire(inv.open_amount, inv.customer.name, _SHAPES[k % len(_SHAPES)].format(n=inv.key))
    # 2. one payment, several invoices of one customer named
    for _ in range(3):
        group = book.take_with_others(2)
        memo = "INV " + ", ".join(i.key for i in group)
        ach_credit(sum((i.open_amount for i in group), Decimal(0)), group[0].customer.name, memo)
    # 3. no reference, exact amount, payer known by name
    for _ in range(6):
        inv = book.take()
        ach_credit(inv.open_amount, inv.customer.name, "")
    # 4. early-payment discount taken (2/10 NET30, invoice within 10 days)
    for _ in range(2):
        inv = book.take(lambda i: i.customer.terms.startswith("2/10"))
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
    clone = Invoice(
        invoice_number(int(twin.key) + 500000),
        twin.customer,
        twin.invoice_date,
        twin.amount,
        twin.open_amount,
        reserved=True,
    )
    book.invoices.append(clone)
    ach_credit(twin.open_amount, twin.customer.name, "")
    # 9. a bank fee and an outgoing payment: not receivables
    tx += bank_charges("SC0001", "OW0001")

    created = created_at(BUSINESS_DAY, 6)
    bai2 = folder / "bank-statement.bai2"
    account = tied_account(_OUR_ACCOUNT, tx, Decimal("184250.00"))
    bai2.write_bytes(
        bai2_file(account, sender=OUR_ROUTING, file_id="1", created=created, as_of=BUSINESS_DAY)
    )

    # NACHA receipt: CCD+ and CTX credits from customers, our own debit collections.
    batches: list[AchBatch] = []
    for k in range(3):
        inv = book.take()
        batches.append(
            _customer_credit(
                inv.customer.name,
                f"1{rng.randint(10**8, 10**9 - 1)}",
                "CCD",
                inv.open_amount,
                f"ID{k}",
                (f"RMR*IV*{inv.number}*PI*{inv.open_amount}\\",),
            )
        )
    group = book.take_with_others(2)
    lines = [RemittanceLine(i.number, "IV", i.open_amount, i.amount) for i in group]
    batches.append(
        _customer_credit(
            group[0].customer.name,
            "1555000111",
            "CTX",
            sum((i.open_amount for i in group), Decimal(0)),
            "CTX0001",
            ctx_820_addenda(group[0].customer.name, lines),
        )
    )
    collections: list[AchEntry] = []
    for seq in range(1, 5):
        inv = book.take()
        account_number = f"{rng.randint(10**7, 10**9)}"
        name = _shown(inv.customer.name, 22)
        collections.append(
            debit_entry(_CUSTOMER_BANK, account_number, inv.open_amount, inv.number, name, seq)
        )
    batches.append(collection_batch(collections, BUSINESS_DAY, OUR_ROUTING[:8]))
    nacha = folder / "ach-receipts.ach"
    nacha.write_bytes(
        write_nacha(
            batches,
            immediate_destination=OUR_ROUTING,
            immediate_origin=ACH_OPERATOR,
            created=created,
        )
    )

    # The bank returns the first collection: R01 insufficient funds.
    returned = collections[0]
    original_trace = f"{OUR_ROUTING[:8]}{1:07d}"  # the collection's trace: ODFI + sequence
    back = return_entry(
        _CUSTOMER_BANK,
        returned.account,
        returned.amount,
        returned.individual_id,
        returned.name,
        reason="R01",
        original_trace=original_trace,
    )
    returns = collection_batch([back], BUSINESS_DAY + timedelta(days=2), _CUSTOMER_ODFI)
    ret = folder / "ach-returns.ach"
    ret.write_bytes(
        write_nacha(
            [returns],
            immediate_destination=OUR_ROUTING,
            immediate_origin=ACH_OPERATOR,
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
