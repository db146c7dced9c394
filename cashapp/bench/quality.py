"""The matching quality benchmark: is cash applied to the right invoices, and only then?

Why it exists. A wrong application is the expensive mistake of cash application: the
customer is dunned for an invoice they paid, and unwinding it takes two people. Unit tests
prove each matching rule does what it says; they cannot say how the rules fare *together*
on a morning's bank files written the way banks write them. This module builds such a
morning as a **labelled book** -- customers, open invoices, and payments whose correct
outcome is known -- writes the payments as real bank files with the project's own writers
(BAI2, NACHA with CCD+/CTX/returns, camt.053/054, MT940 in both ``:86:`` layouts, OFX 2.x
and 1.0.2, a mapped CSV export), runs the real pipeline against a fresh DuckDB file
(import, ingest, match; a second business day brings the returns and a re-sent payment),
and scores what the matcher did against the labels. Day 2 brings what only history can
explain: ACH returns and a camt AC06 return of day-1 collections, re-sent payments, and ACH
payers without a reference whom only their company ID (learned on day 1) identifies.

Platform money (:mod:`cashapp.bench.platforms` writes its files). Customers pay by card
through Stripe and Plastiq; each bank day brings the payout that arrives that day as one
ACH credit from STRIPE or PLASTIQ INC, and the platform's own records of what it carries:
Stripe balance transactions split between the itemized report CSV and the landing JSON of
``cashapp pull stripe`` (each transaction in one of them; the pull's inclusive cursor
brings yesterday's newest one again), Plastiq payments in the receiver export or the
Connect JSON. Charges and Plastiq payments are applied to the invoices they name (in
metadata, description, invoice column or memo only; a Plastiq payer without a reference by
its business name and amount); refunds and lost disputes take the cash back (the invoice
is open again, a ``chargeback`` is queued with the dispute's reason); a won dispute
applies the charge again and closes its chargeback; the deposits must end ``reconciled``
to their payouts and never applied, and a payout wired short raises
``settlement_mismatch``.

Run it with ``python -m cashapp.bench.quality [--seed N] [--per-case K] [--workdir DIR]``
(the CLI verb ``cashapp bench quality`` is meant to call :func:`main`).

What is measured (:class:`QualityReport`):

* **precision** -- of the payments the matcher applied automatically (at least one active
  application), the share whose active applications are exactly the labelled ones. This is
  the number that must stay at 1: it counts the wrong applications.
* **auto-match rate** -- of the payments a careful person could apply from what the bank
  file says, the share applied exactly as labelled (header level); and of their invoice
  lines, the share whose applications are exactly as labelled (line level).
* **exception recall** per type -- of the payments labelled with an exception type, the
  share for which the matcher raised it. A payment counts as correct only with exactly the
  labelled exceptions, and -- where the label says -- the kind and status it must end in
  (a payout deposit: ``settlement``, ``reconciled``), the exceptions the matcher must
  have closed itself, and the reason code.
* a **per-case table** and the list of **mismatches** (payment, case, expected, got and
  the matcher's own explanation), so a failing number points at a fixable case.

Labels are derived from the business rules (payment terms, the configured write-off
tolerance), never from the matcher's code: the bench must be able to disagree with it.
Where the generator relies on a property for a label to hold (an amount unique among a
customer's open invoices, exactly one combination adding up, a truncated name that fits one
customer only, no stray number in a remittance resolving to an invoice), it checks that
property when it builds the book.

Determinism: everything comes from ``random.Random(seed)`` and fixed business days in
November 2026 (never the clock), and the writers are deterministic, so one seed always
writes byte-identical files and the numbers can be quoted and guarded by tests.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from random import Random
from time import perf_counter
from typing import Final

from cashapp.bench.platforms import (
    DISPUTE_FEE,
    PLASTIQ_CARRIERS,
    STRIPE_CARRIERS,
    CardHolder,
    PlastiqPayment,
    StripeCharge,
    StripeTransaction,
    card_fee,
    payout_net,
    plastiq_csv,
    plastiq_json,
    stripe_landing_json,
    stripe_landing_name,
    stripe_report_csv,
)
from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config, MatchingConfig, load_config
from cashapp.domain import RemittanceLine
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.masterdata import import_customers, import_invoices
from cashapp.matching.model import EXCEPTION_TYPES
from cashapp.matching.pipeline import run_match
from cashapp.money import quantize
from cashapp.store import Store, open_store
from connectors import load_builtin
from connectors.bai2.writer import Bai2Account, Bai2Transaction, movement, write_bai2
from connectors.camt.writer import (
    CamtEntry,
    CamtStatement,
    CamtTransaction,
    InvoiceRef,
    write_camt053,
    write_camt054,
)
from connectors.mt940.writer import Statement, StatementTransaction, write_mt940
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx

#: The morning's files (a Monday) and the day returns and a re-sent payment arrive.
DAY1: Final = date(2026, 11, 16)
DAY2: Final = date(2026, 11, 18)
DAYS: Final[Mapping[int, date]] = {1: DAY1, 2: DAY2}

OUR_ACH_COMPANY_ID: Final = "1987654321"  # written into the bench's [company] config
OUR_ROUTING: Final = "021000021"
OUR_ACCOUNT: Final = "483920117"
OUR_ODFI: Final = OUR_ROUTING[:8]  # traces of our own debit collections
RETURNS_ODFI: Final = "09100001"  # the bank that sends our ACH returns back
CSV_PROFILE_NAME: Final = "firstcity"
CSV_HEADER: Final = (
    "Posting Date",
    "Transaction ID",
    "Counterparty",
    "Description",
    "Credit",
    "Debit",
    "Currency",
)
#: The ``[sources.csv.firstcity]`` profile that reads the bench's mapped CSV export.
CSV_PROFILE: Final[Mapping[str, str | list[str]]] = {
    "match_header": "Posting Date,Transaction ID,Counterparty",
    "date_column": "Posting Date",
    "date_format": "%m/%d/%Y",
    "credit_column": "Credit",
    "debit_column": "Debit",
    "currency_column": "Currency",
    "payer_column": "Counterparty",
    "remittance_columns": ["Description"],
    "reference_column": "Transaction ID",
    "account": "FIRSTCITY-OPERATING",
}

#: Cases the book cannot contain yet, kept in the table so the gap stays visible. Both are
#: platform money the matcher gets wrong today; the book keeps every Plastiq payout in one
#: file and refunds whole charges until they are fixed, rather than label a known failure.
SKIPPED_CASES: Final[tuple[tuple[str, str], ...]] = (
    (
        "plastiq_payout_two_files",
        "skipped: connectors/plastiq.py sums a payout from one file's rows only",
    ),
    (
        "platform_partial_refund",
        "skipped: a partial refund reverses the whole charge (pipeline._process_events)",
    ),
)

#: The cases of platform money (Stripe, Plastiq and their payouts), in table order.
PLATFORM_CASES: Final = (
    "platform_payout_stripe",
    "platform_refund_stripe",
    "platform_dispute_stripe",
    "platform_payout_plastiq",
    "settlement_mismatch",
)

#: Which ``payments.source`` each file shape lands in.
SOURCE_OF_FORMAT: Final[Mapping[str, str]] = {
    "bai2-wire": "bai2",
    "bai2-ach": "bai2",
    "nacha-ccd": "nacha",
    "nacha-ctx": "nacha",
    "nacha-debit": "nacha",
    "nacha-return": "nacha",
    "camt053": "camt053",
    "camt053-dd": "camt053",
    "camt053-return": "camt053",
    "camt054": "camt054",
    "mt940-dutch": "mt940",
    "mt940-german": "mt940",
    "ofx-xml": "ofx",
    "ofx-sgml": "ofx",
    "csv": "csv",
    "stripe-report": "stripe",
    "stripe-api": "stripe",
    "plastiq-csv": "plastiq",
    "plastiq-json": "plastiq",
}

#: (invoice number or None for cash left on account, amount, application kind)
App = tuple[str | None, Decimal, str]

_STEMS: Final = (
    "Bluewater", "Cascade", "Redwood", "Granite", "Ironbridge", "Lakeshore", "Pinecrest",
    "Silverline", "Keystone", "Meridian", "Crescent", "Evergreen", "Prairie", "Riverbend",
    "Oakmont", "Westfield", "Brightpath", "Frontier", "Highland", "Liberty", "Magnolia",
    "Northgate", "Orion", "Quarry", "Rockport", "Sunbelt", "Twin Rivers", "Copperline",
    "Falcon", "Golden Gate", "Kingsley", "Lone Star", "Pacific Rim", "Tri-County", "Beacon",
    "Atlas", "Delta", "Empire", "Jefferson", "Coastal", "Sterling", "Patriot", "Maple Leaf",
    "Valley", "Horizon", "Ironwood", "Clearwater", "Stonegate", "Blue Heron", "Cardinal",
)  # fmt: skip
_TRADES: Final = (
    "Building Materials", "Food Distributors", "Medical Supply", "Logistics", "Freight Lines",
    "Packaging", "Industrial Tools", "Office Products", "HVAC Services", "Auto Parts",
    "Dental Labs", "Janitorial Supply", "Fasteners", "Steel Fabrication", "Landscaping",
    "Printing", "Electrical Contractors", "Restaurant Supply", "Lumber", "Plastics",
    "Pharmacy Services", "Cold Storage", "Marine Services", "Farm Equipment",
    "Paint and Coatings", "Safety Products", "Uniform Rental", "Signs and Graphics",
)  # fmt: skip
_SUFFIXES: Final = ("Inc", "Inc.", "LLC", "Corp", "Corporation", "Co", "Ltd", "L.L.C.")
#: Customers whose names share their first words but not their trade.
_LOOKALIKES: Final = (
    ("Acme Plumbing Supply Inc", "Acme Plumbing Services LLC"),
    ("Northstar Freight Lines Corp", "Northstar Freight Brokers Inc"),
    ("Summit Medical Supply Co", "Summit Medical Staffing LLC"),
    ("Great Lakes Paper Products Inc", "Great Lakes Paper Recycling LLC"),
)
#: A parent that pays its subsidiaries' invoices (and has its own account with us).
_GROUPS: Final = (
    ("Harborview Holdings Inc", ("Harborview Cold Storage LLC", "Harborview Marine Services LLC")),
    ("Pemberton Industries Corp", ("Pemberton Plastics LLC", "Pemberton Tool and Die Inc")),
)
_STRANGERS: Final = (
    "Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam Furniture", "Tailspin Toys",
    "Wingtip Toys Inc", "Adventure Works Cycles", "Litware Inc", "Proseware Inc",
    "Alpine Ski House", "Coho Winery", "Lucerne Publishing", "Fourth Coffee",
)  # fmt: skip
#: Payables outsourcers and shared-service centres: the bank shows them, not the customer.
_PROCESSORS: Final = ("Corporate AP Services", "Payables Shared Svc Ctr", "AP Disbursement Svcs")
_ROUTINGS: Final = (
    "091000019", "026009593", "121000358", "011000138", "111000025", "061000104",
    "071000013", "122000247", "044000037", "031000503",
)  # fmt: skip
_LEGAL_FORMS: Final = frozenset(
    {"INC", "INCORPORATED", "LLC", "LTD", "LIMITED", "CORP", "CORPORATION", "CO", "COMPANY"}
)
_SWIFT_X: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)
_DIGIT_RUN: Final = re.compile(r"\d[\d-]*\d|\d")
_MAX_PER_CASE: Final = 6
#: The balance transactions each day's Stripe payout carries, by creation time: day 1's
#: payout is created Friday 13 and reaches the bank Monday 16, day 2's Tuesday 17 -> 18.
_STRIPE_WINDOWS: Final[Mapping[int, tuple[datetime, datetime]]] = {
    1: (datetime(2026, 11, 9, 8, tzinfo=UTC), datetime(2026, 11, 13, 2, tzinfo=UTC)),
    2: (datetime(2026, 11, 13, 3, tzinfo=UTC), datetime(2026, 11, 17, 2, tzinfo=UTC)),
}
#: When the customers' Plastiq payments of each day's payout were made.
_PLASTIQ_WINDOWS: Final[Mapping[int, tuple[datetime, datetime]]] = {
    1: (datetime(2026, 11, 10, 13, tzinfo=UTC), datetime(2026, 11, 12, 22, tzinfo=UTC)),
    2: (datetime(2026, 11, 13, 13, tzinfo=UTC), datetime(2026, 11, 17, 20, tzinfo=UTC)),
}
#: Platform invoices were raised before the first card payment of the book.
_PLATFORM_INVOICED_BEFORE: Final = date(2026, 11, 9)
#: How each platform's payout reaches our bank by ACH: company name, company id, entry
#: description, and the first 8 digits of its bank's routing (its traces start so).
_PLATFORM_ACH: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "stripe": ("STRIPE", "4270465600", "TRANSFER", "11100061"),
    "plastiq": ("PLASTIQ INC", "1462310118", "PAYOUT", "12100024"),
}
_DISPUTE_REASONS: Final = (
    "fraudulent", "product_not_received", "duplicate", "unrecognized",
    "product_unacceptable", "credit_not_processed", "general",
)  # fmt: skip
#: Charges that are refunded or disputed stay small enough for the payout to stay positive.
_EVENT_CEILING: Final = Decimal(5000)
_MIN_PAYOUT: Final = Decimal(250)
_BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE36: Final = _BASE62[:36]  # ids banks carry: upper case only
DEFAULT_WRITE_OFF_TOLERANCE: Final = MatchingConfig().write_off_tolerance


class BenchError(RuntimeError):
    """The generator could not build a book whose labels it can vouch for."""


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class Label:
    """What should become of one payment: the ground truth the matcher is scored against.

    ``source``/``source_ref``/``kind`` find the payment in the store (the generator gives
    every payment a unique reference, so the mapping is exact). ``applications`` is the
    exact set of active applications expected after the run; ``exceptions`` the exception
    types expected; ``alternatives`` other exception sets that are acceptable too (e.g.
    ``unmatched`` instead of ``currency_mismatch`` when nothing names the invoice).
    ``applicable`` says whether a careful person could apply the payment from what the
    bank file says: the denominator of the auto-match rate.

    Platform money needs three more facts, empty when a case does not care: ``status``
    the payment must end in (a bank deposit carrying a payout ends ``reconciled``, which
    says it was tied, not applied); ``resolved`` the exception types the matcher must
    raise *and* close itself (a dispute that was won); ``reason_code`` the code the
    exception must carry (the dispute's reason, which decides how to answer it).
    """

    source: str
    source_ref: str
    kind: str
    case: str
    fmt: str
    amount: Decimal
    currency: str
    applications: tuple[App, ...]
    exceptions: frozenset[str]
    applicable: bool
    alternatives: tuple[frozenset[str], ...] = ()
    note: str = ""
    status: str = ""
    resolved: frozenset[str] = frozenset()
    reason_code: str = ""

    def accepts(self, exceptions: Iterable[str]) -> bool:
        """True if exactly these exception types are an acceptable outcome."""
        got = frozenset(exceptions)
        return got == self.exceptions or got in self.alternatives


@dataclass(frozen=True, slots=True)
class GeneratedBook:
    """The files of one labelled book and the labels of its payments."""

    folder: Path
    customers_csv: Path
    invoices_csv: Path
    config_toml: Path
    day_folders: tuple[Path, ...]
    labels: tuple[Label, ...]
    skipped_cases: tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------- the book


@dataclass(slots=True, eq=False)
class _Customer:
    customer_id: str
    name: str
    terms: str
    ach_id: str  # the company id its bank puts on its ACH credits
    odfi: str  # its bank's routing (8 digits): the start of its ACH trace numbers
    partial: bool = False  # a case leaves one of its invoices partly open
    special: bool = False  # kept for its own cases (look-alikes, parent groups)


@dataclass(slots=True, eq=False)
class _Invoice:
    number: str
    customer: _Customer
    invoice_date: date
    amount: Decimal
    open_amount: Decimal
    po_number: str
    blank_due_date: bool  # let the importer derive it from the terms
    reserved: bool = False  # a payment of the book settles (or names) it

    @property
    def key(self) -> str:
        """The digits a remittance names the invoice by."""
        return self.number.split("-")[1]


@dataclass(frozen=True, slots=True)
class _Payment:
    fmt: str
    day: int
    ref: str  # becomes payments.source_ref
    payer: str  # as the bank shows it
    amount: Decimal  # magnitude; the format's direction gives the sign
    currency: str = "USD"
    text: str = ""
    lines: tuple[RemittanceLine, ...] = ()
    originator: str = ""  # ACH company id of an incoming credit
    individual_id: str = ""
    routing: str = ""  # customer's bank, for our own debits and their returns
    account: str = ""
    related: str = ""  # original trace / end-to-end id of a return
    reason: str = ""  # return reason code
    description: str = "PAYMENT"  # ACH company entry description (TRANSFER, PAYOUT)


def _email(customer: _Customer) -> str:
    """The customer's accounts-payable mailbox: in the ERP, and what it gives the platforms."""
    return f"ap@{_words(customer.name)[0].lower()}.example"


def _business_day(day: date) -> date:
    """The day, moved back to Friday when it falls on a weekend (invoices are dated so)."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _previous_business_day(day: date) -> date:
    return _business_day(day - timedelta(days=1))


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _net_days(terms: str) -> int:
    return int(terms.rsplit("NET", 1)[1])


def _words(name: str) -> list[str]:
    text = name.upper().replace("&", " AND ").replace(".", "").replace("'", "")
    words = re.sub(r"[^A-Z0-9]+", " ", text).split()
    return words[1:] if words[:1] == ["THE"] else words


def _name_key(name: str) -> str:
    """How a careful person compares company names: case, punctuation, legal form aside."""
    words = _words(name)
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def _bank_name(name: str) -> str:
    """Banks upper-case names and drop the punctuation their character sets lack."""
    return " ".join(name.upper().replace(".", "").replace(",", "").split())


def _shown(fmt: str, name: str) -> str:
    """The payer name as this file shape carries it (NACHA cuts at 16, OFX at 32)."""
    bank = _bank_name(name)
    if fmt in ("bai2-ach", "nacha-ccd"):
        return bank[:16].rstrip()
    if fmt in ("nacha-debit", "nacha-return"):
        return bank[:22].rstrip()
    if fmt.startswith("ofx"):
        return bank[:32].rstrip()
    if fmt.startswith("camt") or fmt == "csv":
        return name
    return bank


def _fits(fmt: str, payer: str, text: str) -> bool:
    """Whether the format can carry this payer and remittance without changing them."""
    if fmt.startswith("mt940"):
        both = payer + text
        if set(both) - _SWIFT_X:
            return False
        if fmt == "mt940-dutch" and "/" in both:
            return False
        if fmt == "mt940-german" and ("?" in both or len(payer) > 54):
            return False
    if fmt == "nacha-ccd" and len(text) > 80:
        return False
    return not (fmt.startswith("camt") and len(text) > 140)


def _amount(rng: Random) -> Decimal:
    """An invoice amount with cents, spread like a B2B ledger (many small, some large)."""
    low, high = rng.choice(((85, 600), (600, 3000), (600, 3000), (3000, 15000), (15000, 48000)))
    return _from_cents(rng.randint(low * 100, high * 100))


def _join_keys(keys: Sequence[str], shape: int) -> str:
    """Several invoice numbers the ways remitters list them."""
    if shape == 0:
        return "INV " + ", ".join(keys)
    if shape == 1:
        return " ".join(f"INV-{k}" for k in keys)
    if shape == 2:
        return "Invoices " + ", ".join(keys[:-1]) + " and " + keys[-1]
    if shape == 3:
        return "PMT " + " ".join(keys)
    if shape == 4:
        return "INV " + "/".join(keys)
    return " ".join(f"#{k}" for k in keys)


def _of(customers: Sequence[_Customer]) -> Callable[[_Invoice], bool]:
    """An invoice filter: belongs to one of ``customers``."""
    return lambda invoice: invoice.customer in customers


_SINGLE_SHAPES: Final = ("INV-{n}", "INV{n}", "INV {n}", "inv-{n}", "#{n}", "Invoice {n}", "{n}")


class _Generator:
    """Builds one labelled book; every random choice comes from ``self.rng``."""

    def __init__(self, seed: int, per_case: int, write_off_tolerance: Decimal) -> None:
        if not 1 <= per_case <= _MAX_PER_CASE:
            raise ValueError(f"per_case must be 1..{_MAX_PER_CASE}, got {per_case}")
        self.rng = Random(seed)  # noqa: S311 - a reproducible book, not a secret
        self.per_case = per_case
        self.tolerance = write_off_tolerance
        self.customers: list[_Customer] = []
        self.regular: list[_Customer] = []
        self.lookalikes: list[tuple[_Customer, _Customer]] = []
        self.groups: list[tuple[_Customer, tuple[_Customer, ...]]] = []
        self.invoices: list[_Invoice] = []
        self.items: list[tuple[_Payment, Label, frozenset[str]]] = []
        self.skipped: list[tuple[str, str]] = list(SKIPPED_CASES)
        self.sequence = 0
        self.next_number = 0
        self.pool_top = 0  # largest invoice number of the ERP's initial book
        self.po_numbers: set[str] = set()
        # platform money: the platforms' own records (labelled with the remittance text
        # and the invoices it names) and what each day's platform files carry
        self.platform_items: list[tuple[Label, str, frozenset[str]]] = []
        self.stripe: dict[int, list[StripeTransaction]] = {day: [] for day in DAYS}
        self.plastiq: dict[int, list[PlastiqPayment]] = {day: [] for day in DAYS}
        self.stripe_holders: dict[str, CardHolder] = {}
        self.platform_ids: set[str] = set()

    # --- master data -------------------------------------------------------------------

    def build(self) -> None:
        """Master data, then every case, then the checks that make the labels trustworthy."""
        self._customers()
        self._invoices()
        # Cases that change or partly settle invoices come first, so the cases that rely on
        # an amount being unique for a customer check it against the final book.
        self._ref_exact_single()
        self._ref_multi_invoice()
        self._ctx_820_remittance()
        self._ctx_820_line_deduction()
        self._early_payment_discount()
        self._late_discount_taken()
        self._short_pay_writeoff()
        self._short_payment()
        self._over_payment()
        self._parent_pays_subsidiary()
        self._po_reference()
        self._duplicate_payment()
        self._own_collections_and_returns()
        self._currency_mismatch()
        self._ambiguous_same_amount()
        self._no_ref_name_single()
        self._misspelt_payer_name()
        self._no_ref_name_combination()
        self._ref_typo_fallback()
        self._nacha_truncated_name()
        self._repeat_payer_day2()
        self._lookalike_names()
        self._customer_id_in_remittance()
        self._currency_mismatch_no_ref()
        self._unknown_payer()
        self._platform_money()
        self._validate()

    def _new_customer(self, name: str, terms: str) -> _Customer:
        customer = _Customer(
            f"C{10001 + len(self.customers)}",
            name,
            terms,
            f"1{self.rng.randint(10**8, 10**9 - 1)}",
            self.rng.choice(_ROUTINGS)[:8],
        )
        self.customers.append(customer)
        return customer

    def _customers(self) -> None:
        count = min(len(_STEMS), 14 + 6 * self.per_case)
        for n, stem in enumerate(self.rng.sample(_STEMS, count)):
            name = f"{stem} {self.rng.choice(_TRADES)} {self.rng.choice(_SUFFIXES)}"
            terms = "2/10 NET30" if n % 4 == 0 else self.rng.choice(("NET30", "NET30", "NET45"))
            self.regular.append(self._new_customer(name, terms))
        for a, b in _LOOKALIKES:
            self.lookalikes.append((self._new_customer(a, "NET30"), self._new_customer(b, "NET30")))
        for parent, subsidiaries in _GROUPS:
            head = self._new_customer(parent, "NET45")
            subs = tuple(self._new_customer(s, "NET30") for s in subsidiaries)
            self.groups.append((head, subs))
        for customer in self.customers:
            customer.special = customer not in self.regular
        keys = [_name_key(c.name) for c in self.customers]
        if len(set(keys)) != len(keys):
            raise BenchError("two customers of the book share a name")

    def _po(self, style: int) -> str:
        while True:
            if style == 0:
                po = ""
            elif style == 1:
                po = f"PO-{self.rng.randint(40000, 49999)}"
            else:
                po = f"45{self.rng.randint(0, 10**8 - 1):08d}"
            if po not in self.po_numbers:
                if po:
                    self.po_numbers.add(po)
                return po

    def _invoices(self) -> None:
        drafts: list[tuple[date, str, _Customer, Decimal, Decimal, int]] = []
        for customer in self.customers:
            style = self.rng.randrange(3)
            busy = customer.special  # groups and look-alikes carry several cases each
            for _ in range(self.rng.randint(6, 9) if busy else self.rng.randint(4, 7)):
                day = _business_day(DAY1 - timedelta(days=self.rng.randint(4, 58)))
                amount = _amount(self.rng)
                state = self.rng.randrange(12)
                if state == 0:  # paid in the ERP before cashapp: kept for re-payments
                    open_amount = Decimal("0.00")
                elif state == 1:  # a credit memo already taken off
                    credit = self.rng.randint(_cents(amount) // 20, _cents(amount) * 2 // 5)
                    open_amount = _from_cents(_cents(amount) - credit)
                else:
                    open_amount = amount
                drafts.append((day, customer.customer_id, customer, amount, open_amount, style))
        drafts.sort(key=lambda d: (d[0], d[1]))
        number = 104500
        for day, _, customer, amount, open_amount, style in drafts:
            number += self.rng.randint(1, 4)
            self.invoices.append(
                _Invoice(
                    f"INV-{number}",
                    customer,
                    day,
                    amount,
                    open_amount,
                    self._po(style),
                    self.rng.randrange(3) == 0,
                )
            )
        self.pool_top = number
        self.next_number = number + 10

    def _extra_invoice(self, customer: _Customer, amount: Decimal, day: date) -> _Invoice:
        """An invoice the ERP raised after the initial book (twins, look-alike decoys)."""
        self.next_number += self.rng.randint(1, 3)
        invoice = _Invoice(
            f"INV-{self.next_number}", customer, day, amount, amount, "", False, reserved=True
        )
        self.invoices.append(invoice)
        return invoice

    # --- choosing ------------------------------------------------------------------------

    def _open(self, customer: _Customer) -> list[_Invoice]:
        return [i for i in self.invoices if i.customer is customer and i.open_amount > 0]

    def _free(
        self, where: Callable[[_Invoice], bool] = lambda _: True, *, special: bool = False
    ) -> list[_Invoice]:
        """Open invoices no payment uses yet; special customers' only when asked for."""
        return [
            i
            for i in self.invoices
            if not i.reserved
            and i.open_amount > 0
            and (special or not i.customer.special)
            and where(i)
        ]

    def _free_of(
        self, customer: _Customer, where: Callable[[_Invoice], bool] = lambda _: True
    ) -> list[_Invoice]:
        return self._free(lambda i: i.customer is customer and where(i), special=True)

    def _take(
        self, where: Callable[[_Invoice], bool] = lambda _: True, *, special: bool = False
    ) -> _Invoice:
        pool = self._free(where, special=special)
        if not pool:
            raise BenchError("the book ran out of suitable open invoices")
        invoice = self.rng.choice(pool)
        invoice.reserved = True
        return invoice

    def _unique_amount(self, invoice: _Invoice) -> bool:
        """Exactly one open invoice of this customer has this open amount."""
        same = [i for i in self._open(invoice.customer) if i.open_amount == invoice.open_amount]
        return len(same) == 1

    def _unique_combination(self, chosen: Sequence[_Invoice]) -> bool:
        """No single invoice and no other combination of the customer's adds up the same."""
        target = sum((i.open_amount for i in chosen), Decimal(0))
        pool = [i for i in self._open(chosen[0].customer) if i.open_amount <= target]
        if any(i.open_amount == target for i in pool):
            return False
        hits = 0
        for size in range(2, min(5, len(pool)) + 1):
            for combo in combinations(pool, size):
                if sum((i.open_amount for i in combo), Decimal(0)) == target:
                    hits += 1
                    if hits > 1:
                        return False
        return hits == 1

    def _who(self, shown: str) -> set[str]:
        """The customers a careful person would take ``shown`` for (exact, else prefix)."""
        key = _name_key(shown)
        exact = {c.customer_id for c in self.customers if _name_key(c.name) == key}
        if exact:
            return exact
        full = " ".join(_words(shown))
        if len(full) < 10:
            return set()
        return {c.customer_id for c in self.customers if " ".join(_words(c.name)).startswith(full)}

    def _fmt(self, options: Sequence[str], turn: int, ok: Callable[[str], bool]) -> str:
        """The first format from ``options`` (rotated by ``turn``) that ``ok`` accepts."""
        for k in range(len(options)):
            fmt = options[(turn + k) % len(options)]
            if ok(fmt):
                return fmt
        raise BenchError(f"no format of {options} can carry this payment")

    def _named(
        self, options: Sequence[str], turn: int, customer: _Customer, text: str, name: str = ""
    ) -> str:
        """A format in which the payer name (default: the customer's) points at it alone."""

        def ok(fmt: str) -> bool:
            shown = _shown(fmt, name or customer.name)
            return _fits(fmt, shown, text) and self._who(shown) == {customer.customer_id}

        return self._fmt(options, turn, ok)

    def _variant(self, customer: _Customer) -> str:
        """The name as the payer's own bank or ERP spells it: legal form dropped, set off
        by a comma, or spelled another way; the plain name when a variant would point at
        another customer too."""
        *words, form = customer.name.split()
        spelled = {"Inc": "Incorporated", "Inc.": "Incorporated", "Corp": "Corporation"}
        spelled |= {"Co": "Company", "Ltd": "Limited", "LLC": "L.L.C.", "L.L.C.": "LLC"}
        spelled |= {"Corporation": "Corp"}
        variant = self.rng.choice(
            (
                customer.name,
                " ".join(words),
                f"{' '.join(words)}, {form}",
                f"{' '.join(words)} {spelled.get(form, form)}",
            )
        )
        return variant if self._who(variant) == {customer.customer_id} else customer.name

    def _carries(self, options: Sequence[str], turn: int, name: str, text: str) -> str:
        return self._fmt(options, turn, lambda fmt: _fits(fmt, _shown(fmt, name), text))

    # --- payments ------------------------------------------------------------------------

    def _ref(self, fmt: str, day: int, odfi: str) -> str:
        """A reference unique across the book, in the shape the format uses."""
        self.sequence += 1
        n, d = self.sequence, DAYS[day]
        if fmt.startswith("bai2"):
            return f"{'FW' if fmt == 'bai2-wire' else 'AC'}{d:%y%m%d}{n:06d}"
        if fmt.startswith("nacha"):
            return f"{odfi}{n:07d}"
        if fmt.startswith("camt"):
            return f"E2E{d:%y%m%d}{n:06d}"
        if fmt.startswith("mt940"):
            return f"{d:%y%m%d}{n:08d}"
        if fmt.startswith("ofx"):
            return f"{d:%Y%m%d}{n:07d}"
        return f"FCB{d:%y%m%d}{n:06d}"

    def _payment(
        self,
        fmt: str,
        name: str,
        amount: Decimal,
        *,
        text: str = "",
        lines: Sequence[RemittanceLine] = (),
        day: int = 1,
        currency: str = "USD",
        customer: _Customer | None = None,
    ) -> _Payment:
        odfi = customer.odfi if customer else self.rng.choice(_ROUTINGS)[:8]
        originator = customer.ach_id if customer else f"9{self.rng.randint(10**8, 10**9 - 1)}"
        return _Payment(
            fmt,
            day,
            self._ref(fmt, day, odfi),
            _shown(fmt, name),
            amount,
            currency,
            text,
            tuple(lines),
            originator,
            f"AP{self.rng.randint(10**6, 10**7 - 1)}",
        )

    def _record(
        self,
        case: str,
        payment: _Payment,
        *,
        applicable: bool,
        apps: Sequence[App] = (),
        exceptions: Sequence[str] = (),
        alternatives: Sequence[Sequence[str]] = (),
        names: Iterable[_Invoice] = (),
        note: str = "",
        kind: str = "payment",
        status: str = "",
    ) -> None:
        """Keep the payment and its label; ``names`` are the invoices its text may name."""
        label = Label(
            SOURCE_OF_FORMAT[payment.fmt],
            payment.ref,
            kind,
            case,
            payment.fmt,
            payment.amount,
            payment.currency,
            _sorted_apps(apps),
            frozenset(exceptions),
            applicable,
            tuple(frozenset(a) for a in alternatives),
            note,
            status,
        )
        self.items.append((payment, label, frozenset(i.key for i in names)))

    # --- the cases -----------------------------------------------------------------------

    def _ref_exact_single(self) -> None:
        """One invoice named in each of the shapes people write, paid exactly."""
        options = (
            "bai2-wire", "camt053", "mt940-dutch", "ofx-xml", "csv", "nacha-ccd", "bai2-ach",
            "camt054", "ofx-sgml", "mt940-german",
        )  # fmt: skip
        for turn in range(max(self.per_case, len(_SINGLE_SHAPES))):
            invoice = self._take()
            shape = _SINGLE_SHAPES[turn % len(_SINGLE_SHAPES)]
            lead = self.rng.choice(("", "", "PAYMENT ", "PMT "))
            text = lead + shape.format(n=invoice.key)
            name = invoice.customer.name
            fmt = self._carries(options, turn, name, text)
            payment = self._payment(
                fmt, name, invoice.open_amount, text=text, customer=invoice.customer
            )
            apps = [(invoice.number, invoice.open_amount, "payment")]
            self._record("ref_exact_single", payment, applicable=True, apps=apps, names=[invoice])

    def _several(self, count: int, where: Callable[[_Invoice], bool]) -> list[_Invoice]:
        """``count`` free open invoices of one customer (chosen at random)."""
        candidates = [c for c in self.regular if len(self._free_of(c, where)) >= count]
        if not candidates:
            raise BenchError(f"no customer has {count} suitable open invoices")
        pool = self._free_of(self.rng.choice(candidates), where)
        chosen = sorted(self.rng.sample(pool, count), key=lambda i: i.number)
        for invoice in chosen:
            invoice.reserved = True
        return chosen

    def _ref_multi_invoice(self) -> None:
        options = ("bai2-ach", "camt053", "csv", "mt940-dutch", "nacha-ccd", "ofx-xml", "bai2-wire")
        for turn in range(self.per_case):
            group = self._several(self.rng.randint(2, 3), lambda _: True)
            text = _join_keys([i.key for i in group], turn % 6)
            name = group[0].customer.name
            fmt = self._carries(options, turn, name, text)
            amount = sum((i.open_amount for i in group), Decimal(0))
            payment = self._payment(fmt, name, amount, text=text, customer=group[0].customer)
            apps = [(i.number, i.open_amount, "payment") for i in group]
            self._record("ref_multi_invoice", payment, applicable=True, apps=apps, names=group)

    def _ctx_820_remittance(self) -> None:
        """Structured remittance (CTX 820 RMR lines, camt RfrdDocInf) paying each in full."""
        options = ("nacha-ctx", "camt054", "nacha-ctx", "camt053")
        for turn in range(self.per_case):
            group = self._several(self.rng.randint(2, 4), lambda _: True)
            lines = [RemittanceLine(i.number, "IV", i.open_amount, i.amount) for i in group]
            amount = sum((i.open_amount for i in group), Decimal(0))
            customer = group[0].customer
            fmt = options[turn % len(options)]
            payment = self._payment(fmt, customer.name, amount, lines=lines, customer=customer)
            apps = [(i.number, i.open_amount, "payment") for i in group]
            self._record("ctx_820_remittance", payment, applicable=True, apps=apps, names=group)

    def _ctx_820_line_deduction(self) -> None:
        """Structured remittance where one line is short paid (damaged goods, pricing)."""
        options = ("nacha-ctx", "camt054")
        for turn in range(self.per_case):
            group = self._several(self.rng.randint(2, 3), lambda i: i.open_amount >= 400)
            short_line = self.rng.randrange(len(group))
            for _ in range(20):
                low = _cents(self.tolerance) + 100
                deduction = _from_cents(
                    self.rng.randint(low, max(low, _cents(group[short_line].open_amount) // 4))
                )
                paid = [
                    i.open_amount - (deduction if n == short_line else 0)
                    for n, i in enumerate(group)
                ]
                amount = sum(paid, Decimal(0))
                sums = {
                    sum((i.open_amount for i in combo), Decimal(0))
                    for size in range(1, len(group) + 1)
                    for combo in combinations(group, size)
                }
                if amount not in sums:  # no subset of the named invoices explains it
                    break
            else:
                raise BenchError("could not draw a line deduction")
            lines = [
                RemittanceLine(i.number, "IV", p, i.amount)
                for i, p in zip(group, paid, strict=True)
            ]
            customer = group[0].customer
            customer.partial = True
            fmt = options[turn % len(options)]
            payment = self._payment(fmt, customer.name, amount, lines=lines, customer=customer)
            apps = [(i.number, p, "payment") for i, p in zip(group, paid, strict=True)]
            self._record(
                "ctx_820_line_deduction",
                payment,
                applicable=True,
                apps=apps,
                exceptions=["short_payment"],
                names=group,
                note=f"{group[short_line].number} short by {deduction} per its RMR line",
            )

    def _discount_invoice(self, *, min_amount: int, age: tuple[int, int]) -> _Invoice:
        """A 2/10 NET30 invoice re-dated ``age`` days back, amount a multiple of 0.50."""
        invoice = self._take(
            lambda i: (
                i.customer.terms.startswith("2/10")
                and i.open_amount == i.amount
                and i.amount >= min_amount
            )
        )
        cents = _cents(invoice.amount)
        cents += (50 - cents % 50) % 50  # so 2 % of it is a whole number of cents
        invoice.amount = invoice.open_amount = _from_cents(cents)
        invoice.invoice_date = _business_day(DAY1 - timedelta(days=self.rng.randint(*age)))
        return invoice

    def _early_payment_discount(self) -> None:
        options = ("bai2-wire", "nacha-ctx", "camt053", "csv", "mt940-dutch", "ofx-xml")
        for turn in range(self.per_case):
            invoice = self._discount_invoice(min_amount=100, age=(2, 8))
            discount = _from_cents(_cents(invoice.amount) // 50)
            paid = invoice.amount - discount
            fmt = options[turn % len(options)]
            lines: list[RemittanceLine] = []
            text = ""
            if fmt in ("nacha-ctx", "camt053"):
                lines = [RemittanceLine(invoice.number, "IV", paid, invoice.amount, discount)]
            else:
                text = self.rng.choice(
                    ("INV-{n} LESS 2PCT", "INV {n} 2PCT DISC", "INV-{n} EARLY PAY DISCOUNT")
                ).format(n=invoice.key)
            customer = invoice.customer
            payment = self._payment(
                fmt, customer.name, paid, text=text, lines=lines, customer=customer
            )
            apps = [(invoice.number, paid, "payment"), (invoice.number, discount, "discount")]
            self._record(
                "early_payment_discount", payment, applicable=True, apps=apps, names=[invoice]
            )

    def _late_discount_taken(self) -> None:
        """2 % taken after the 10 days: not a discount any more, a short payment."""
        options = ("bai2-wire", "csv", "camt053", "ofx-xml")
        floor = max(1000, int(self.tolerance * 50) + 100)
        for turn in range(max(1, self.per_case // 2)):
            invoice = self._discount_invoice(min_amount=floor, age=(16, 40))
            discount = _from_cents(_cents(invoice.amount) // 50)
            paid = invoice.amount - discount
            text = f"INV-{invoice.key} LESS 2PCT DISC"
            customer = invoice.customer
            customer.partial = True
            fmt = self._carries(options, turn, customer.name, text)
            payment = self._payment(fmt, customer.name, paid, text=text, customer=customer)
            self._record(
                "late_discount_taken",
                payment,
                applicable=True,
                apps=[(invoice.number, paid, "payment")],
                exceptions=["short_payment"],
                names=[invoice],
                note=f"invoice dated {invoice.invoice_date}, discount window closed",
            )

    def _net_invoice(self, minimum: Decimal) -> _Invoice:
        return self._take(
            lambda i: not i.customer.terms.startswith("2/") and i.open_amount >= minimum
        )

    def _short_pay_writeoff(self) -> None:
        if self.tolerance <= 0:
            self.skipped.append(("short_pay_writeoff", "skipped: write_off_tolerance is 0"))
            return
        options = ("bai2-wire", "ofx-xml", "csv", "camt053", "mt940-dutch")
        for turn in range(self.per_case):
            invoice = self._net_invoice(Decimal(100))
            short = _from_cents(self.rng.randint(1, _cents(self.tolerance)))
            paid = invoice.open_amount - short
            text = f"INV-{invoice.key}" + self.rng.choice(("", " LESS BANK FEE", " NET OF FEES"))
            name = invoice.customer.name
            fmt = self._carries(options, turn, name, text)
            payment = self._payment(fmt, name, paid, text=text, customer=invoice.customer)
            apps = [(invoice.number, paid, "payment"), (invoice.number, short, "writeoff")]
            self._record("short_pay_writeoff", payment, applicable=True, apps=apps, names=[invoice])

    def _short_payment(self) -> None:
        options = ("bai2-wire", "camt053", "nacha-ccd", "ofx-sgml", "csv")
        for turn in range(self.per_case):
            invoice = self._net_invoice(Decimal(400))
            low = _cents(self.tolerance) + 1
            short = _from_cents(
                self.rng.randint(low, max(low, _cents(invoice.open_amount) * 2 // 5))
            )
            paid = invoice.open_amount - short
            text = self.rng.choice(("INV-{n} PARTIAL", "INV {n} DISPUTED QTY", "INV-{n}")).format(
                n=invoice.key
            )
            customer = invoice.customer
            customer.partial = True
            fmt = self._carries(options, turn, customer.name, text)
            payment = self._payment(fmt, customer.name, paid, text=text, customer=customer)
            self._record(
                "short_payment",
                payment,
                applicable=True,
                apps=[(invoice.number, paid, "payment")],
                exceptions=["short_payment"],
                names=[invoice],
            )

    def _over_payment(self) -> None:
        options = ("bai2-wire", "mt940-dutch", "camt053", "csv", "ofx-xml")
        for turn in range(self.per_case):
            invoice = self._net_invoice(Decimal(100))
            over = _from_cents(self.rng.randint(1000, 75000))
            text = f"INV-{invoice.key}"
            name = invoice.customer.name
            fmt = self._carries(options, turn, name, text)
            payment = self._payment(
                fmt, name, invoice.open_amount + over, text=text, customer=invoice.customer
            )
            self._record(
                "over_payment",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment"), (None, over, "unapplied")],
                exceptions=["over_payment"],
                names=[invoice],
            )

    def _parent_pays_subsidiary(self) -> None:
        options = ("bai2-wire", "nacha-ccd", "camt053", "csv", "ofx-xml")
        for turn in range(self.per_case):
            parent, subsidiaries = self.groups[turn % len(self.groups)]
            group = [self._take(_of(subsidiaries), special=True) for _ in range(1 + turn % 2)]
            text = _join_keys([i.key for i in group], 1 if len(group) == 1 else 0)
            fmt = self._carries(options, turn, parent.name, text)
            amount = sum((i.open_amount for i in group), Decimal(0))
            payment = self._payment(fmt, parent.name, amount, text=text, customer=parent)
            apps = [(i.number, i.open_amount, "payment") for i in group]
            self._record(
                "parent_pays_subsidiary",
                payment,
                applicable=True,
                apps=apps,
                names=group,
                note=f"{parent.name} pays for {', '.join(i.customer.name for i in group)}",
            )

    def _po_reference(self) -> None:
        """Only the customer's purchase order number in the remittance."""
        options = ("bai2-wire", "csv", "camt053", "ofx-xml")
        for turn in range(self.per_case):
            invoice = self._take(lambda i: bool(i.po_number))
            digits = invoice.po_number.removeprefix("PO-")
            text = self.rng.choice(("PO {po}", "PO# {po}", "PO {raw}")).format(
                po=digits, raw=invoice.po_number
            )
            customer = invoice.customer
            if turn % 2:
                name = self.rng.choice(_PROCESSORS)
                fmt = self._carries(options, turn, name, text)
                note = f"paid through a payables processor; ERP PO {invoice.po_number}"
            else:
                name = customer.name
                fmt = self._named(options, turn, customer, text)
                note = f"ERP PO {invoice.po_number}"
            payment = self._payment(fmt, name, invoice.open_amount, text=text, customer=customer)
            self._record(
                "po_reference",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                names=[invoice],
                note=note,
            )

    def _duplicate_payment(self) -> None:
        """An invoice paid again: closed in the ERP already, or paid yesterday and re-sent."""
        options = ("bai2-wire", "ofx-xml", "csv", "camt053")
        for turn in range(self.per_case):
            if turn % 2 == 0:
                paid = [i for i in self.invoices if i.open_amount == 0 and not i.reserved]
                if not paid:
                    raise BenchError("the book has no invoice paid in the ERP")
                invoice = self.rng.choice(paid)
                invoice.reserved = True
                text = f"INV-{invoice.key}"
                name = invoice.customer.name
                fmt = self._carries(options, turn, name, text)
                payment = self._payment(
                    fmt, name, invoice.amount, text=text, customer=invoice.customer
                )
                self._record(
                    "duplicate_payment",
                    payment,
                    applicable=False,
                    exceptions=["duplicate_payment"],
                    names=[invoice],
                    note="invoice closed in the ERP before cashapp",
                )
                continue
            invoice = self._take()
            text = f"INV-{invoice.key} " + self.rng.choice(("PAYMENT", "AP RUN 47", "REMIT"))
            name = invoice.customer.name
            fmt = self._carries(("bai2-wire", "csv", "ofx-xml"), turn, name, text)
            first = self._payment(
                fmt, name, invoice.open_amount, text=text, customer=invoice.customer
            )
            self._record(
                "ref_exact_single",
                first,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                names=[invoice],
                note="paid again on day 2",
            )
            again = self._payment(
                fmt, name, invoice.open_amount, text=text, day=2, customer=invoice.customer
            )
            self._record(
                "duplicate_payment",
                again,
                applicable=False,
                exceptions=["duplicate_payment"],
                names=[invoice],
                note=f"re-sent: same remittance as {first.ref} of day 1",
            )

    def _own_collections_and_returns(self) -> None:
        """Our ACH debits and direct debits; some come back on day 2 (R01.., AC06)."""
        reasons = ("R01", "R02", "R03", "R08", "R10")
        for turn in range(2 * self.per_case):
            returned = turn % 2 == 1
            invoice = self._take()
            customer = invoice.customer
            routing = self.rng.choice(_ROUTINGS)
            account = f"{self.rng.randint(10**7, 10**11)}"
            self.sequence += 1
            collection = _Payment(
                "nacha-debit",
                1,
                f"{OUR_ODFI}{self.sequence:07d}",
                _shown("nacha-debit", customer.name),
                invoice.open_amount,
                individual_id=invoice.number,
                routing=routing,
                account=account,
            )
            self._record_collection(collection, invoice, returned)
            if returned:
                self.sequence += 1
                back = replace(
                    collection,
                    fmt="nacha-return",
                    day=2,
                    ref=f"{RETURNS_ODFI}{self.sequence:07d}",
                    related=collection.ref,
                    reason=reasons[(turn // 2) % len(reasons)],
                )
                self._record(
                    "ach_return",
                    back,
                    applicable=False,
                    exceptions=["ach_return"],
                    names=[invoice],
                    note=f"{back.reason} return of {collection.ref}",
                    kind="return",
                )
        for turn in range(self.per_case):
            returned = turn % 2 == 0
            invoice = self._take()
            customer = invoice.customer
            text = f"INV-{invoice.key}"
            collection = self._payment(
                "camt053-dd", customer.name, invoice.open_amount, text=text, customer=customer
            )
            self._record_collection(collection, invoice, returned)
            if returned:
                back = replace(collection, fmt="camt053-return", day=2, reason="AC06")
                self._record(
                    "camt_return_ac06",
                    back,
                    applicable=False,
                    exceptions=["failed_payment"],
                    names=[invoice],
                    note=f"AC06 (account blocked) return of direct debit {collection.ref}",
                    kind="return",
                )

    def _record_collection(self, collection: _Payment, invoice: _Invoice, returned: bool) -> None:
        if returned:
            self._record(
                "collection_returned",
                collection,
                applicable=False,
                names=[invoice],
                note="applied on day 1, must be reversed by its day-2 return",
            )
        else:
            self._record(
                "own_debit_collection",
                collection,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                names=[invoice],
            )

    def _currency_mismatch(self) -> None:
        """A USD invoice named by a EUR payment of the same figure: never applied."""
        options = ("camt053", "mt940-german")
        for turn in range(max(1, self.per_case // 2)):
            invoice = self._take()
            text = f"INV-{invoice.key}"
            name = invoice.customer.name
            fmt = self._carries(options, turn, name, text)
            payment = self._payment(
                fmt, name, invoice.open_amount, text=text, currency="EUR", customer=invoice.customer
            )
            self._record(
                "currency_mismatch",
                payment,
                applicable=False,
                exceptions=["currency_mismatch"],
                names=[invoice],
                note="EUR payment naming a USD invoice",
            )

    def _ambiguous_same_amount(self) -> None:
        """Two open invoices of the same amount and nothing to choose between them."""
        options = ("bai2-wire", "camt053", "ofx-xml", "csv", "mt940-dutch")
        for turn in range(self.per_case):
            invoice = self._take(lambda i: i.customer in self.regular and not i.customer.partial)
            customer = invoice.customer
            twin = self._extra_invoice(
                customer,
                invoice.open_amount,
                _business_day(invoice.invoice_date + timedelta(days=self.rng.randint(3, 12))),
            )
            fmt = self._named(options, turn, customer, "")
            payment = self._payment(fmt, customer.name, invoice.open_amount, customer=customer)
            self._record(
                "ambiguous_same_amount",
                payment,
                applicable=False,
                exceptions=["ambiguous"],
                note=f"{invoice.number} and {twin.number} are both open for {invoice.open_amount}",
            )

    def _amount_invoice(
        self, customers: Sequence[_Customer], where: Callable[[_Invoice], bool] = lambda _: True
    ) -> _Invoice:
        """A free invoice whose open amount no other open invoice of its customer has."""
        pool = [
            i
            for i in self._free(_of(customers), special=True)
            if not i.customer.partial
            if self._unique_amount(i) and where(i)
        ]
        if not pool:
            raise BenchError("no open invoice with an amount unique for its customer")
        invoice = self.rng.choice(pool)
        invoice.reserved = True
        return invoice

    def _no_ref_name_single(self) -> None:
        options = (
            "bai2-wire",
            "camt053",
            "ofx-xml",
            "csv",
            "mt940-dutch",
            "ofx-sgml",
            "mt940-german",
        )
        for turn in range(self.per_case):
            invoice = self._amount_invoice(self.regular)
            customer = invoice.customer
            name = self._variant(customer)
            fmt = self._named(options, turn, customer, "", name)
            payment = self._payment(fmt, name, invoice.open_amount, customer=customer)
            self._record(
                "no_ref_name_single",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
            )

    def _misspelt(self, customer: _Customer) -> str | None:
        """The name with two neighbouring letters of its longest word swapped, as a
        clerk types it; None when the typo would still read exactly as some customer."""
        words = customer.name.split()
        longest = max(range(len(words)), key=lambda k: len(words[k]))
        word = words[longest]
        if len(word) < 6:
            return None
        at = self.rng.randrange(1, len(word) - 2)
        if word[at] == word[at + 1]:
            return None
        words[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        typo = " ".join(words)
        return typo if not self._who(typo) else None

    def _misspelt_payer_name(self) -> None:
        """No reference, the payer's name misspelt: the fuzzy index plus an open invoice of
        exactly the amount identify it; a similar name paying an amount nobody has open
        must not be applied to anyone."""
        options = ("bai2-wire", "camt053", "ofx-xml", "csv", "mt940-dutch")
        done = 0
        for _ in range(self.per_case * 20):
            if done == self.per_case:
                break
            invoice = self._amount_invoice(self.regular)
            customer = invoice.customer
            typo = self._misspelt(customer)
            if typo is None:
                continue
            fmt = self._carries(options, done, typo, "")
            if done % 2:
                amount = _amount(self.rng)
                if any(i.open_amount == amount for i in self.invoices):
                    continue
                payment = self._payment(fmt, typo, amount)
                self._record(
                    "misspelt_name_no_invoice",
                    payment,
                    applicable=False,
                    exceptions=["unmatched"],
                    alternatives=[["unidentified"]],
                    note=f"typo of {customer.name}; no open invoice of {amount}",
                )
            else:
                invoice.reserved = True
                payment = self._payment(fmt, typo, invoice.open_amount, customer=customer)
                self._record(
                    "misspelt_payer_name",
                    payment,
                    applicable=True,
                    apps=[(invoice.number, invoice.open_amount, "payment")],
                    note=f"typo of {customer.name}",
                )
            done += 1

    def _no_ref_name_combination(self) -> None:
        options = ("camt053", "bai2-wire", "csv", "ofx-xml", "mt940-dutch")
        for turn in range(self.per_case):
            for _ in range(200):
                customer = self.rng.choice([c for c in self.regular if not c.partial])
                free = self._free_of(customer)
                size = self.rng.randint(2, 3)
                if len(free) < size:
                    continue
                group = sorted(self.rng.sample(free, size), key=lambda i: i.number)
                if self._unique_combination(group):
                    break
            else:
                raise BenchError("no customer has a unique combination of open invoices")
            for invoice in group:
                invoice.reserved = True
            name = self._variant(customer)
            fmt = self._named(options, turn, customer, "", name)
            amount = sum((i.open_amount for i in group), Decimal(0))
            payment = self._payment(fmt, name, amount, customer=customer)
            self._record(
                "no_ref_name_combination",
                payment,
                applicable=True,
                apps=[(i.number, i.open_amount, "payment") for i in group],
            )

    def _typo(self, key: str) -> str:
        """A mistyped invoice number that is no invoice of the book."""
        taken = {i.key for i in self.invoices}
        digits = list(key)
        candidates = []
        for k in range(len(digits) - 1):
            if digits[k] != digits[k + 1]:
                swapped = [*digits[:k], digits[k + 1], digits[k], *digits[k + 2 :]]
                candidates.append("".join(swapped))
        candidates += [key[:k] + key[k + 1 :] for k in range(2, len(key))]
        candidates = [
            c for c in candidates if c not in taken and (len(c) < 6 or int(c) < self.pool_top)
        ]
        if not candidates:
            raise BenchError(f"no typo of {key} avoids every invoice number")
        return self.rng.choice(sorted(set(candidates)))

    def _ref_typo_fallback(self) -> None:
        """The number is mistyped (no such invoice): payer name and amount still decide."""
        options = ("bai2-wire", "csv", "ofx-xml", "mt940-dutch", "camt053")
        for turn in range(self.per_case):
            invoice = self._amount_invoice(self.regular)
            typo = self._typo(invoice.key)
            text = self.rng.choice(("INV-{n}", "INV {n}", "Invoice {n}")).format(n=typo)
            customer = invoice.customer
            fmt = self._named(options, turn, customer, text)
            payment = self._payment(
                fmt, customer.name, invoice.open_amount, text=text, customer=customer
            )
            self._record(
                "ref_typo_fallback",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                note=f"remittance says {typo}, meant {invoice.key}",
            )

    def _nacha_truncated_name(self) -> None:
        """ACH company names cut at 16 characters, no reference: a unique prefix decides."""
        options = ("nacha-ccd", "bai2-ach")
        cut = [
            c
            for c in self.regular
            if len(_bank_name(c.name)) > 16
            and self._who(_shown("nacha-ccd", c.name)) == {c.customer_id}
        ]
        for turn in range(self.per_case):
            invoice = self._amount_invoice(cut)
            customer = invoice.customer
            fmt = options[turn % len(options)]
            payment = self._payment(fmt, customer.name, invoice.open_amount, customer=customer)
            self._record(
                "nacha_truncated_name",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                note=f"bank shows {payment.payer!r} for {customer.name!r}",
            )

    def _repeat_payer_day2(self) -> None:
        """ACH credits without a reference on day 2 from originators seen on day 1.

        The entry's company ID, not its name, says who pays once the history is known:
        a customer whose ACH name is an abbreviation no one could place, and a parent that
        paid a subsidiary's invoice yesterday and pays its own today (yesterday must not
        have taught cashapp that the parent's company ID is the subsidiary).
        """
        for turn in range(max(2, self.per_case // 2)):
            if turn % 2 == 0:
                parent, subsidiaries = self.groups[(turn // 2) % len(self.groups)]
                theirs = self._take(_of(subsidiaries), special=True)
                first = self._payment(
                    "nacha-ccd",
                    parent.name,
                    theirs.open_amount,
                    text=f"INV-{theirs.key}",
                    customer=parent,
                )
                self._record(
                    "parent_pays_subsidiary",
                    first,
                    applicable=True,
                    apps=[(theirs.number, theirs.open_amount, "payment")],
                    names=[theirs],
                    note=f"{parent.name} pays for {theirs.customer.name}; pays its own on day 2",
                )
                own = self._amount_invoice([parent])
                again = self._payment(
                    "nacha-ccd", parent.name, own.open_amount, day=2, customer=parent
                )
                note = f"paid {theirs.customer.name}'s {theirs.number} on day 1 ({first.ref})"
            else:
                for _ in range(200):
                    own = self._amount_invoice(self.regular)
                    customer = own.customer
                    initials = "".join(w[0] for w in _words(customer.name)[:3])
                    name = f"{initials} ACCTS PAYABLE"
                    if not self._who(_shown("nacha-ccd", name)) and self._free_of(customer):
                        break
                    own.reserved = False
                else:
                    raise BenchError("no customer for a repeat ACH payer")
                paid = self._take(_of([customer]))
                first = self._payment(
                    "nacha-ccd", name, paid.open_amount, text=f"INV-{paid.key}", customer=customer
                )
                self._record(
                    "ref_exact_single",
                    first,
                    applicable=True,
                    apps=[(paid.number, paid.open_amount, "payment")],
                    names=[paid],
                    note=f"ACH name {first.payer!r} for {customer.name}; pays again on day 2",
                )
                again = self._payment("nacha-ccd", name, own.open_amount, day=2, customer=customer)
                note = (
                    f"ACH company id {again.originator} paid {paid.number} on day 1 ({first.ref})"
                )
            self._record(
                "repeat_payer_day2",
                again,
                applicable=True,
                apps=[(own.number, own.open_amount, "payment")],
                note=note,
            )

    def _lookalike_names(self) -> None:
        """Customers sharing first words: the right one is paid, the other has a decoy."""
        options = ("bai2-wire", "camt053", "ofx-xml", "csv", "nacha-ccd", "mt940-dutch")
        for turn in range(self.per_case):
            first, second = self.lookalikes[turn % len(self.lookalikes)]
            payer, sibling = (first, second) if turn % 2 == 0 else (second, first)
            invoice = self._amount_invoice([payer])
            decoy = self._extra_invoice(
                sibling, invoice.open_amount, _business_day(DAY1 - timedelta(days=9))
            )
            fmt = self._named(options, turn, payer, "")
            payment = self._payment(fmt, payer.name, invoice.open_amount, customer=payer)
            self._record(
                "lookalike_names",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                note=f"{sibling.name} has {decoy.number} open for the same amount",
            )

    def _customer_id_in_remittance(self) -> None:
        options = ("bai2-wire", "csv", "camt053", "ofx-xml")
        for turn in range(self.per_case):
            invoice = self._amount_invoice(self.regular)
            customer = invoice.customer
            text = self.rng.choice(("CUST NO {c}", "ACCT {c} NOV STMT", "CUSTOMER {c}")).format(
                c=customer.customer_id
            )
            name = self.rng.choice(_PROCESSORS)
            fmt = self._carries(options, turn, name, text)
            payment = self._payment(fmt, name, invoice.open_amount, text=text, customer=customer)
            self._record(
                "customer_id_in_remittance",
                payment,
                applicable=True,
                apps=[(invoice.number, invoice.open_amount, "payment")],
                note=f"paid through {name}",
            )

    def _currency_mismatch_no_ref(self) -> None:
        """A known customer pays in EUR the figure of a USD invoice, naming nothing."""
        options = ("camt053", "mt940-german")
        for turn in range(max(1, self.per_case // 2)):
            invoice = self._amount_invoice(self.regular)
            customer = invoice.customer
            fmt = self._named(options, turn, customer, "")
            payment = self._payment(
                fmt, customer.name, invoice.open_amount, currency="EUR", customer=customer
            )
            self._record(
                "currency_mismatch_no_ref",
                payment,
                applicable=False,
                exceptions=["unmatched"],
                alternatives=[["currency_mismatch"]],
                note=f"{invoice.number} is open for {invoice.open_amount} USD",
            )

    def _unknown_payer(self) -> None:
        options = (
            "bai2-wire",
            "nacha-ccd",
            "ofx-xml",
            "camt053",
            "csv",
            "mt940-german",
            "bai2-ach",
        )
        for turn in range(self.per_case):
            name = _STRANGERS[turn % len(_STRANGERS)]
            # every other one pays a figure some customer has open: it still is no match
            amount = self.rng.choice(self._free()).open_amount if turn % 2 else _amount(self.rng)
            text = self.rng.choice(("", "", "CONSULTING RETAINER", "SERVICES NOV"))
            fmt = self._carries(options, turn, name, text)
            if self._who(_shown(fmt, name)):
                raise BenchError(f"stranger {name!r} looks like a customer")
            payment = self._payment(fmt, name, amount, text=text)
            self._record("unknown_payer", payment, applicable=False, exceptions=["unidentified"])

    # --- platform money ------------------------------------------------------------------

    def _platform_money(self) -> None:
        """Stripe and Plastiq: customers pay by card, the platform pays out, the bank shows
        one credit from the platform, which must be tied to the payout and never applied.

        Built after every other case, so those draw exactly the invoices they always drew
        and their numbers stay comparable with earlier runs of the bench.
        """
        self._stripe_paid_out()
        self._stripe_refunds()
        self._stripe_disputes()
        self._stripe_payouts()
        self._plastiq_payouts()
        self._plastiq_short_deposits()

    def _token(self, length: int, alphabet: str = _BASE62) -> str:
        """A platform object id's random part, unique within the book."""
        while True:
            token = "".join(self.rng.choice(alphabet) for _ in range(length))
            if token not in self.platform_ids:
                self.platform_ids.add(token)
                return token

    def _moment(self, start: datetime, end: datetime) -> datetime:
        """A time between ``start`` and ``end``, to the second."""
        return start + timedelta(seconds=self.rng.randint(0, int((end - start).total_seconds())))

    def _platform_invoice(self) -> _Invoice:
        """A free invoice raised before the card payments of the book were made."""
        return self._take(lambda i: i.invoice_date < _PLATFORM_INVOICED_BEFORE)

    def _platform_record(
        self,
        case: str,
        fmt: str,
        ref: str,
        kind: str,
        amount: Decimal,
        *,
        applicable: bool,
        apps: Sequence[App] = (),
        exceptions: Sequence[str] = (),
        names: Iterable[_Invoice] = (),
        text: str = "",
        note: str = "",
        status: str = "",
        resolved: Sequence[str] = (),
        reason: str = "",
    ) -> None:
        """Keep the label of a platform's own record (a charge, a dispute, a payout)."""
        label = Label(
            SOURCE_OF_FORMAT[fmt],
            ref,
            kind,
            case,
            fmt,
            abs(amount),
            "USD",
            _sorted_apps(apps),
            frozenset(exceptions),
            applicable,
            note=note,
            status=status,
            resolved=frozenset(resolved),
            reason_code=reason,
        )
        self.platform_items.append((label, text, frozenset(i.key for i in names)))

    def _platform_deposit(
        self, case: str, platform: str, payout: str, amount: Decimal, day: int, fmt: str
    ) -> None:
        """The payout as the bank shows it: an ACH credit from the platform, labelled as a
        settlement that must end reconciled (tied to ``payout``) and never applied."""
        name, company_id, description, odfi = _PLATFORM_ACH[platform]
        individual = f"ST-{self._token(12, _BASE36)}" if platform == "stripe" else payout
        text = f"IND ID:{individual} IND NAME:OUR COMPANY" if fmt == "bai2-ach" else ""
        deposit = _Payment(
            fmt,
            day,
            self._ref(fmt, day, odfi),
            name,
            amount,
            text=text,
            originator=company_id,
            individual_id=individual,
            description=description,
        )
        self._record(
            case,
            deposit,
            applicable=False,
            kind="settlement",
            status="reconciled",
            note=f"{platform} payout {payout} of {amount}",
        )

    # Stripe ---------------------------------------------------------------------------

    def _stripe_holder(self, customer: _Customer) -> CardHolder:
        """The customer as Stripe knows it: one ``cus_`` id, the name typed at checkout (a
        variant of ours that still points at it alone) and its AP mailbox."""
        holder = self.stripe_holders.get(customer.customer_id)
        if holder is None:
            holder = CardHolder(f"cus_{self._token(14)}", self._variant(customer), _email(customer))
            self.stripe_holders[customer.customer_id] = holder
        return holder

    def _stripe_charge(self, invoice: _Invoice, day: int, turn: int) -> StripeTransaction:
        """A card charge of the invoice's open amount, naming it in the metadata or only in
        the description, carried by either Stripe carrier."""
        key, number = invoice.key, invoice.number
        shape = turn % 3
        if shape == 0:
            description, meta = f"Invoice {number}", number
        elif shape == 1:
            description = self.rng.choice(("Card payment", "Online payment", ""))
            meta = self.rng.choice((number, key))
        else:
            shapes = ("Payment for invoice {k}", "INV-{k}", "Invoice #{k}", "Inv {k} card payment")
            description, meta = self.rng.choice(shapes).format(k=key), ""
        charge = StripeCharge(
            f"ch_3{self._token(23)}",
            invoice.open_amount,
            self._stripe_holder(invoice.customer),
            description,
            meta,
        )
        start, end = _STRIPE_WINDOWS[day]
        return StripeTransaction(
            f"txn_3{self._token(23)}",
            self._moment(start, start + (end - start) * 3 / 5),
            "charge",
            charge.amount,
            card_fee(charge.amount),
            charge.charge_id,
            charge,
            "",
            self.rng.choice(STRIPE_CARRIERS),
        )

    def _stripe_event(
        self,
        charge: StripeTransaction,
        category: str,
        day: int,
        *,
        reason: str = "",
        dispute: StripeTransaction | None = None,
    ) -> StripeTransaction:
        """A refund, dispute or won dispute of ``charge``, made inside ``day``'s window.

        Stripe keeps the charge's fee on a refund, charges a dispute fee, and gives the
        disputed amount and that fee back when the dispute is won.
        """
        if charge.charge is None:
            raise BenchError("a Stripe event needs the charge it takes back")
        amount = charge.charge.amount
        start, end = _STRIPE_WINDOWS[day]
        after = dispute.created if dispute else charge.created
        created = self._moment(max(start, after + timedelta(hours=1)), end - timedelta(hours=1))
        if category == "refund":
            gross, fee, source = -amount, Decimal("0.00"), f"re_3{self._token(23)}"
        elif category == "dispute":
            gross, fee, source = -amount, DISPUTE_FEE, f"du_1{self._token(23)}"
        elif dispute is not None:
            gross, fee, source = amount, -DISPUTE_FEE, dispute.source_id
        else:
            raise BenchError("a won dispute needs its dispute")
        return StripeTransaction(
            f"txn_3{self._token(23)}",
            created,
            category,
            gross,
            fee,
            source,
            charge.charge,
            "",
            self.rng.choice(STRIPE_CARRIERS),
            reason,
        )

    @staticmethod
    def _stripe_text(txn: StripeTransaction) -> str:
        """The remittance cashapp reads from a charge: description and metadata."""
        charge = txn.charge
        return f"{charge.description} {charge.invoice_number}" if charge else ""

    def _stripe_applied_charge(self, day: int, turn: int) -> None:
        invoice = self._platform_invoice()
        txn = self._stripe_charge(invoice, day, turn)
        self.stripe[day].append(txn)
        self._platform_record(
            "platform_payout_stripe",
            txn.carrier,
            txn.source_id,
            "payment",
            txn.gross,
            applicable=True,
            apps=[(invoice.number, invoice.open_amount, "payment")],
            names=[invoice],
            text=self._stripe_text(txn),
            note=f"card charge, fee {txn.fee}, paid out on day {day}",
        )

    def _stripe_paid_out(self) -> None:
        """Card charges naming their invoice, each applied to it; day 1's payout carries
        the first ones, day 2's the rest."""
        extra = max(1, self.per_case // 2)
        for turn in range(self.per_case + extra):
            self._stripe_applied_charge(1 if turn < self.per_case else 2, turn)

    def _stripe_refunds(self) -> None:
        """A charge applied on day 1 and refunded before the next payout: the refund takes
        the cash back, so the invoice is open again and the refund is queued like a
        chargeback for the AR team to follow up (credit memo or new payment)."""
        for turn in range(max(1, self.per_case // 2)):
            invoice = self._take(
                lambda i: (
                    i.invoice_date < _PLATFORM_INVOICED_BEFORE and i.open_amount <= _EVENT_CEILING
                )
            )
            charge = self._stripe_charge(invoice, 1, turn)
            refund = self._stripe_event(charge, "refund", 2)
            self.stripe[1].append(charge)
            self.stripe[2].append(refund)
            self._platform_record(
                "platform_refund_stripe",
                charge.carrier,
                charge.source_id,
                "payment",
                charge.gross,
                applicable=False,
                names=[invoice],
                text=self._stripe_text(charge),
                note=f"applied on day 1, refunded by {refund.source_id} on day 2",
            )
            self._platform_record(
                "platform_refund_stripe",
                refund.carrier,
                refund.source_id,
                "refund",
                refund.gross,
                applicable=False,
                exceptions=["chargeback"],
                note=f"refund of {charge.source_id}: {invoice.number} open again",
            )

    def _stripe_disputes(self) -> None:
        """Disputed charges, three ways: lost after the charge was applied (day 2 reverses
        it), lost inside the charge's own payout (never applied), and won (disputed on day
        1, won on day 2: the charge ends applied and the chargeback closes itself)."""
        for turn in range(max(3, self.per_case)):
            shape = turn % 3
            invoice = self._take(
                lambda i: (
                    i.invoice_date < _PLATFORM_INVOICED_BEFORE and i.open_amount <= _EVENT_CEILING
                )
            )
            charge = self._stripe_charge(invoice, 1, turn)
            reason = self.rng.choice(_DISPUTE_REASONS)
            dispute = self._stripe_event(charge, "dispute", 2 if shape == 0 else 1, reason=reason)
            self.stripe[1].append(charge)
            self.stripe[2 if shape == 0 else 1].append(dispute)
            won = shape == 2
            self._platform_record(
                "platform_dispute_stripe",
                charge.carrier,
                charge.source_id,
                "payment",
                charge.gross,
                applicable=won,
                apps=[(invoice.number, invoice.open_amount, "payment")] if won else [],
                names=[invoice],
                text=self._stripe_text(charge),
                note=(
                    "applied on day 1, disputed and lost on day 2",
                    "disputed before its payout: never applied",
                    "disputed on day 1, won on day 2: applied again",
                )[shape],
            )
            self._platform_record(
                "platform_dispute_stripe",
                dispute.carrier,
                dispute.source_id,
                "chargeback",
                dispute.gross,
                applicable=False,
                exceptions=["chargeback"],
                resolved=["chargeback"] if won else [],
                reason=reason,
                note=f"{reason} dispute of {charge.source_id} for {invoice.number}",
            )
            if won:
                reversal = self._stripe_event(charge, "dispute_reversal", 2, dispute=dispute)
                self.stripe[2].append(reversal)
                self._platform_record(
                    "platform_dispute_stripe",
                    reversal.carrier,
                    reversal.source_id,
                    "dispute_reversal",
                    reversal.gross,
                    applicable=False,
                    note=f"dispute of {charge.source_id} won",
                )

    def _stripe_payouts(self) -> None:
        """One automatic payout per day of what the day's transactions left on the balance
        (topped up with more charges should refunds and disputes outweigh them), reaching
        the bank as one ACH credit from STRIPE, tied to the payout by amount and date."""
        first = self.rng.randrange(2)
        for day in sorted(DAYS):
            turn = 0
            while payout_net(self.stripe[day]) < _MIN_PAYOUT:
                self._stripe_applied_charge(day, turn)
                turn += 1
            payout_id = f"po_1{self._token(23)}"
            net = payout_net(self.stripe[day])
            payout = StripeTransaction(
                f"txn_1{self._token(23)}",
                _STRIPE_WINDOWS[day][1],
                "payout",
                -net,
                Decimal("0.00"),
                payout_id,
                None,
                payout_id,
                self.rng.choice(STRIPE_CARRIERS),
            )
            carried = [replace(t, payout_id=payout_id) for t in self.stripe[day]]
            self.stripe[day] = [*carried, payout]
            self._platform_record(
                "platform_payout_stripe",
                payout.carrier,
                payout_id,
                "settlement",
                net,
                applicable=False,
                status="reconciled",
                note=f"payout of {len(carried)} balance transactions",
            )
            fmt = ("bai2-ach", "nacha-ccd")[(first + day) % 2]
            self._platform_deposit("platform_payout_stripe", "stripe", payout_id, net, day, fmt)

    # Plastiq --------------------------------------------------------------------------

    def _plastiq_payment(self, day: int, turn: int, carrier: str, payout: str) -> None:
        """A customer's Plastiq payment of one invoice: the number in its own column, only
        in the memo, or nowhere (the payer business name and the amount then decide)."""
        shape = turn % 3
        if shape == 2:
            invoice = self._amount_invoice(
                self.regular, lambda i: i.invoice_date < _PLATFORM_INVOICED_BEFORE
            )
        else:
            invoice = self._platform_invoice()
        number, memo = "", ""
        if shape == 0:
            number = self.rng.choice((invoice.number, invoice.key))
            memo = self.rng.choice(("", "Nov services", "Net 30"))
        elif shape == 1:
            memo = self.rng.choice(
                ("Invoice {k}", "INV {k} - Nov services", "Payment for INV-{k}", "inv# {k}")
            ).format(k=invoice.key)
        else:
            memo = self.rng.choice(("", "Thank you", "Monthly account payment"))
        customer = invoice.customer
        holder = CardHolder("", self._variant(customer), _email(customer))
        start, end = _PLASTIQ_WINDOWS[day]
        payment = PlastiqPayment(
            self._plastiq_payment_id(),
            self._moment(start, end),
            holder,
            invoice.open_amount,
            number,
            memo,
            payout,
            DAYS[day],
            carrier,
        )
        self.plastiq[day].append(payment)
        self._platform_record(
            "platform_payout_plastiq",
            carrier,
            payment.payment_id,
            "payment",
            payment.amount,
            applicable=True,
            apps=[(invoice.number, invoice.open_amount, "payment")],
            names=[invoice],
            text=f"{number} {memo}",
            note=f"{holder.name!r} pays {invoice.number} through Plastiq",
        )

    def _plastiq_payment_id(self) -> str:
        """A Payment ID unique in the book: it is the payment's ``source_ref``."""
        while True:
            payment_id = f"PQ-{self.rng.randint(10**7, 10**8 - 1)}"
            if payment_id not in self.platform_ids:
                self.platform_ids.add(payment_id)
                return payment_id

    def _plastiq_payout_id(self) -> str:
        """A payout id of fixed width, so no payout's id is part of another's."""
        return f"PQO-{self._token(10, _BASE36)}"

    def _plastiq_payout(self, day: int, count: int, carrier: str, first_turn: int) -> str:
        """``count`` payments bundled into one payout; returns its id."""
        payout = self._plastiq_payout_id()
        for turn in range(first_turn, first_turn + count):
            self._plastiq_payment(day, turn, carrier, payout)
        return payout

    def _plastiq_settlement(self, case: str, day: int, payout: str, status: str) -> Decimal:
        """Label the settlement the connector derives from the payout's rows; its amount."""
        net = sum((p.amount for p in self.plastiq[day] if p.payout_id == payout), Decimal(0))
        carrier = next(p.carrier for p in self.plastiq[day] if p.payout_id == payout)
        self._platform_record(
            case,
            carrier,
            payout,
            "settlement",
            net,
            applicable=False,
            status=status,
            note=f"Plastiq payout {payout}",
        )
        return net

    def _plastiq_payouts(self) -> None:
        """One Plastiq payout a day, each in one carrier (the connector sums a payout from
        the rows of one file), the days alternating between the export and the JSON. The
        bank line's originator is Plastiq: the customer comes from the Plastiq rows only."""
        first = self.rng.randrange(2)
        for day in sorted(DAYS):
            count = self.per_case if day == 1 else max(1, self.per_case // 2)
            carrier = PLASTIQ_CARRIERS[(first + day) % 2]
            payout = self._plastiq_payout(day, count, carrier, 0)
            net = self._plastiq_settlement("platform_payout_plastiq", day, payout, "reconciled")
            fmt = ("bai2-ach", "nacha-ccd")[(first + day + 1) % 2]
            self._platform_deposit("platform_payout_plastiq", "plastiq", payout, net, day, fmt)

    def _plastiq_short_deposits(self) -> None:
        """A payout wired to us short by an intermediary bank's charge. The wire names the
        payout, so the deposit is tied to it, and the difference must reach the queue as a
        ``settlement_mismatch`` instead of vanishing inside a reconciled pair."""
        for turn in range(max(1, self.per_case // 3)):
            carrier = self.rng.choice(PLASTIQ_CARRIERS)
            payout = self._plastiq_payout(1, 1 + turn % 2, carrier, turn)
            net = self._plastiq_settlement("settlement_mismatch", 1, payout, "")
            short = _from_cents(self.rng.randint(1000, 3500))
            wire = _Payment(
                "bai2-wire",
                1,
                self._ref("bai2-wire", 1, ""),
                "PLASTIQ INC",
                net - short,
                text=f"PLASTIQ PAYOUT {payout}",
            )
            self._record(
                "settlement_mismatch",
                wire,
                applicable=False,
                exceptions=["settlement_mismatch"],
                kind="settlement",
                note=f"payout {payout} of {net} arrived {short} short (intermediary bank fee)",
            )

    # --- checks --------------------------------------------------------------------------

    def _validate(self) -> None:
        """Every label still holds on the final book (see the module note)."""
        keys = {i.key for i in self.invoices}
        refs: set[tuple[str, str, str]] = set()
        checks = [
            (label, payment.text, [line.reference for line in payment.lines], named)
            for payment, label, named in self.items
        ]
        checks += [(label, text, [], named) for label, text, named in self.platform_items]
        for label, text, structured, named in checks:
            found = {m.replace("-", "") for m in _DIGIT_RUN.findall(text)} & keys
            found |= {_DIGIT_RUN.findall(reference)[0] for reference in structured}
            if not found <= named:
                raise BenchError(f"{label.source_ref}: remittance names invoices {found - named}")
            ident = (label.source, label.source_ref, label.kind)
            if ident in refs:
                raise BenchError(f"two payments share the reference {ident}")
            refs.add(ident)

    def labels(self) -> tuple[Label, ...]:
        """Every label of the book, the platform cases last and in :data:`PLATFORM_CASES`
        order (their bank deposits sit among the bank payments until then)."""
        labels = [label for _, label, _ in self.items]
        labels += [label for label, _, _ in self.platform_items]
        bank = [label for label in labels if label.case not in PLATFORM_CASES]
        platform = sorted(
            (label for label in labels if label.case in PLATFORM_CASES),
            key=lambda label: PLATFORM_CASES.index(label.case),
        )
        return (*bank, *platform)

    # --- files ---------------------------------------------------------------------------

    def master_files(self, folder: Path) -> tuple[Path, Path]:
        """The ERP exports: customers and invoices in the importer's default columns."""
        customers = folder / "customers.csv"
        with customers.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(CUSTOMER_FIELDS)
            for c in self.customers:
                writer.writerow([c.customer_id, c.name, _email(c), "USD", c.terms])
        invoices = folder / "invoices.csv"
        with invoices.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(INVOICE_FIELDS)
            for i in sorted(self.invoices, key=lambda i: i.number):
                terms = i.customer.terms
                due = i.invoice_date + timedelta(days=_net_days(terms))
                writer.writerow(
                    [
                        i.number,
                        i.customer.customer_id,
                        i.invoice_date.isoformat(),
                        "" if i.blank_due_date else due.isoformat(),
                        f"{i.amount:.2f}",
                        f"{i.open_amount:.2f}",
                        "USD",
                        i.po_number,
                        terms,
                    ]
                )
        return customers, invoices

    def bank_files(self, folder: Path) -> list[Path]:
        """One folder per business day, ingested and matched in turn like the daily job."""
        writer = _FileWriter(self.rng)
        by_day: dict[int, list[_Payment]] = defaultdict(list)
        for payment, _, _ in self.items:
            by_day[payment.day].append(payment)
        days = []
        for day in sorted(DAYS):
            target = folder / f"day{day}"
            target.mkdir(parents=True, exist_ok=True)
            self.rng.shuffle(by_day[day])  # banks list a day's items in no case order
            writer.write_day(day, by_day[day], target)
            self._platform_files(day, target)
            days.append(target)
        return days

    def _pulled_again(self, day: int) -> StripeTransaction | None:
        """The previous pull's newest object, which this pull fetches again.

        ``cashapp pull stripe`` asks from its high-water mark inclusive (an object created
        in the same second as the mark must not be missed), so the newest transaction of
        yesterday's landing file is in today's too; ingest must know it by its id.
        """
        before = [t for t in self.stripe.get(day - 1, []) if t.carrier == "stripe-api"]
        return max(before, key=lambda t: (t.created, t.txn_id)) if before else None

    def _platform_files(self, day: int, folder: Path) -> None:
        """The day's platform files: the payout's Stripe transactions split between the
        report export and the pull's landing file, and the Plastiq payouts' rows."""
        when = DAYS[day]
        report = [t for t in self.stripe[day] if t.carrier == "stripe-report"]
        if report:
            path = folder / f"stripe-payout-reconciliation-{when:%Y%m%d}.csv"
            path.write_bytes(stripe_report_csv(report))
        pulled = [t for t in self.stripe[day] if t.carrier == "stripe-api"]
        if pulled:
            again = self._pulled_again(day)
            since = again.created if again else _STRIPE_WINDOWS[day][0]
            pulled += [again] if again else []
            (folder / stripe_landing_name(pulled, since)).write_bytes(stripe_landing_json(pulled))
        exported = [p for p in self.plastiq[day] if p.carrier == "plastiq-csv"]
        if exported:
            (folder / f"plastiq-payments-{when:%Y%m%d}.csv").write_bytes(plastiq_csv(exported))
        saved = [p for p in self.plastiq[day] if p.carrier == "plastiq-json"]
        if saved:
            (folder / f"plastiq-payments-{when:%Y%m%d}.json").write_bytes(plastiq_json(saved))


def _sorted_apps(apps: Iterable[App]) -> tuple[App, ...]:
    return tuple(sorted(apps, key=lambda a: (a[0] or "", a[2], a[1])))


# --------------------------------------------------------------------------- writing


class _FileWriter:
    """Writes one day's payments as the files each bank would send (balances chained)."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.balances: dict[str, Decimal] = {}

    def _opening(self, account: str) -> Decimal:
        """The account's balance before today: drawn once, then yesterday's closing, so
        statements tie out and day 2 starts where day 1 ended (no gap in the report)."""
        if account not in self.balances:
            self.balances[account] = _from_cents(self.rng.randint(50_000_00, 900_000_00))
        return self.balances[account]

    def write_day(self, day: int, payments: Sequence[_Payment], folder: Path) -> None:
        """Every file of the day; a file shape without payments that day is not written."""

        def pick(*fmts: str) -> list[_Payment]:
            return [p for p in payments if p.fmt in fmts]

        when = DAYS[day]
        self._bai2(when, pick("bai2-wire", "bai2-ach"), folder / f"bai2-{when:%Y%m%d}.bai")
        self._nacha(
            when,
            pick("nacha-ccd", "nacha-ctx"),
            pick("nacha-debit"),
            folder / f"ach-receipts-{when:%Y%m%d}.ach",
        )
        self._nacha_returns(when, pick("nacha-return"), folder / f"ach-returns-{when:%Y%m%d}.ach")
        usd = pick("camt053", "camt053-dd", "camt053-return")
        self._camt053(
            when,
            [p for p in usd if p.currency == "USD"],
            "GB33BUKB20201555555555",
            "USD",
            folder / f"camt053-usd-{when:%Y%m%d}.xml",
        )
        self._camt053(
            when,
            [p for p in usd if p.currency == "EUR"],
            "DE89370400440532013000",
            "EUR",
            folder / f"camt053-eur-{when:%Y%m%d}.xml",
        )
        self._camt054(when, pick("camt054"), folder / f"camt054-{when:%Y%m%d}.xml")
        self._mt940(when, pick("mt940-dutch"), "dutch", folder / f"mt940-nl-{when:%Y%m%d}.sta")
        self._mt940(when, pick("mt940-german"), "german", folder / f"mt940-de-{when:%Y%m%d}.sta")
        self._ofx(when, pick("ofx-xml"), False, folder / f"ofx-{when:%Y%m%d}.ofx")
        self._ofx(when, pick("ofx-sgml"), True, folder / f"ofx-sgml-{when:%Y%m%d}.qfx")
        self._csv(when, pick("csv"), folder / f"firstcity-{when:%Y%m%d}.csv")

    @staticmethod
    def _created(when: date, hour: int) -> datetime:
        return datetime(when.year, when.month, when.day, hour, 0, tzinfo=UTC)

    def _bai2(self, when: date, payments: Sequence[_Payment], path: Path) -> None:
        if not payments:
            return
        txs = []
        for p in payments:
            if p.fmt == "bai2-wire":
                org = p.payer
                if self.rng.randrange(3) == 0:
                    org = f"/{self.rng.randint(10**8, 10**11)} {org}"
                obi = f" OBI={p.text}" if p.text else ""
                txs.append(
                    Bai2Transaction("195", p.amount, p.ref, "", f"ORG={org}{obi} BNF=OUR COMPANY")
                )
            else:
                memo = f" {p.text}" if p.text else ""
                txs.append(
                    Bai2Transaction(
                        "165",
                        p.amount,
                        p.ref,
                        "",
                        f"ORIG CO NAME:{p.payer} ORIG ID:{p.originator} DESC DATE:{when:%y%m%d}"
                        f" ENTRY DESCR:{p.description}{memo}",
                    )
                )
        txs.append(
            Bai2Transaction(
                "698", Decimal("45.00"), f"SC{when:%y%m%d}01", "", "ACCOUNT ANALYSIS FEE"
            )
        )
        txs.append(
            Bai2Transaction("495", Decimal("12500.00"), f"OW{when:%y%m%d}01", "", "WIRE TO PAYROLL")
        )
        opening = self._opening("bai2")
        closing = opening + sum((movement(t) for t in txs), Decimal(0))
        self.balances["bai2"] = closing
        account = Bai2Account(OUR_ACCOUNT, "USD", tuple(txs), opening, closing)
        path.write_bytes(
            write_bai2(
                [account],
                sender=OUR_ROUTING,
                receiver="OURCO",
                file_id=f"{when:%m%d}1",
                created=self._created(when, 6),
                as_of=when,
            )
        )

    def _nacha(
        self, when: date, credits: Sequence[_Payment], debits: Sequence[_Payment], path: Path
    ) -> None:
        if not credits and not debits:
            return
        batches = []
        for p in credits:
            if p.fmt == "nacha-ctx":
                addenda = ctx_820_addenda(p.payer, p.lines)
                sec, description = "CTX", "VENDOR PMT"
            else:
                addenda = (p.text,) if p.text else ()
                sec, description = "CCD", p.description
            # Explicit trace sequences keep every trace (our source_ref) unique across files.
            entry = AchEntry(
                "22",
                OUR_ROUTING,
                OUR_ACCOUNT,
                p.amount,
                p.individual_id,
                "OUR COMPANY",
                addenda=addenda,
                trace_sequence=int(p.ref[8:]),
            )
            batches.append(
                AchBatch(p.payer[:16], p.originator, sec, description, when, p.ref[:8], (entry,))
            )
        if debits:
            entries = tuple(
                AchEntry(
                    "27",
                    p.routing,
                    p.account,
                    p.amount,
                    p.individual_id,
                    p.payer,
                    trace_sequence=int(p.ref[8:]),
                )
                for p in debits
            )
            batches.append(
                AchBatch(
                    "OUR COMPANY", OUR_ACH_COMPANY_ID, "CCD", "AR DEBIT", when, OUR_ODFI, entries
                )
            )
        path.write_bytes(
            write_nacha(
                batches,
                immediate_destination=OUR_ROUTING,
                immediate_origin="0910000019",
                created=self._created(when, 5),
            )
        )

    def _nacha_returns(self, when: date, returns: Sequence[_Payment], path: Path) -> None:
        if not returns:
            return
        entries = tuple(
            AchEntry(
                "26",
                p.routing,
                p.account,
                p.amount,
                p.individual_id,
                p.payer,
                return_reason=p.reason,
                original_trace=p.related,
                trace_sequence=int(p.ref[8:]),
            )
            for p in returns
        )
        batch = AchBatch(
            "OUR COMPANY", OUR_ACH_COMPANY_ID, "CCD", "AR DEBIT", when, RETURNS_ODFI, entries
        )
        path.write_bytes(
            write_nacha(
                [batch],
                immediate_destination=OUR_ROUTING,
                immediate_origin="0910000019",
                created=self._created(when, 5),
                file_id_modifier="R",
            )
        )

    @staticmethod
    def _camt_entry(p: _Payment, when: date, domestic: bool) -> CamtEntry:
        """One booking; a return repeats the original's end-to-end id, as banks do, which
        is how cashapp finds the direct debit it takes back."""
        invoices = tuple(
            InvoiceRef(line.reference, line.paid, line.invoice_total, line.discount)
            for line in p.lines
        )
        tx = CamtTransaction(
            p.amount,
            end_to_end_id=p.ref,
            debtor_name=p.payer,
            unstructured=(p.text,) if p.text else (),
            invoices=invoices,
            return_reason=p.reason,
        )
        servicer = f"AS{p.ref[3:]}{'R' if p.fmt == 'camt053-return' else ''}"
        if p.fmt == "camt053-dd":
            return CamtEntry((tx,), True, when, servicer_ref=servicer, type_code="PMNT/IDDT/PMDD")
        if p.fmt == "camt053-return":
            return CamtEntry(
                (tx,), False, when, reversal=True, servicer_ref=servicer, type_code="PMNT/IDDT/UPDD"
            )
        code = "PMNT/RCDT/DMCT" if domestic else "PMNT/RCDT/ESCT"
        return CamtEntry((tx,), True, when, servicer_ref=servicer, type_code=code)

    def _camt053(
        self, when: date, payments: Sequence[_Payment], iban: str, currency: str, path: Path
    ) -> None:
        if not payments:
            return
        entries = [self._camt_entry(p, when, currency == "USD") for p in payments]
        entries.append(
            CamtEntry(
                (CamtTransaction(Decimal("35.00"), creditor_name="Barclays Bank PLC"),),
                False,
                when,
                servicer_ref=f"CHG{when:%y%m%d}{currency}",
                type_code="ACMT/MDOP/CHRG",
                additional_info="ACCOUNT MAINTENANCE FEE",
            )
        )
        opening = self._opening(iban)
        closing = opening + sum((e.amount if e.credit else -e.amount for e in entries), Decimal(0))
        self.balances[iban] = closing
        statement = CamtStatement(
            iban,
            currency,
            f"STMT{when:%Y%m%d}{currency}",
            self._created(when, 7),
            tuple(entries),
            opening,
            closing,
            when,
            "Our Company",
        )
        path.write_bytes(write_camt053(statement))

    def _camt054(self, when: date, payments: Sequence[_Payment], path: Path) -> None:
        if not payments:
            return
        statement = CamtStatement(
            "GB94BARC10201530093459",
            "USD",
            f"NTFN{when:%Y%m%d}",
            self._created(when, 8),
            tuple(self._camt_entry(p, when, True) for p in payments),
            owner_name="Our Company Lockbox",
        )
        path.write_bytes(write_camt054(statement))

    def _mt940(self, when: date, payments: Sequence[_Payment], layout: str, path: Path) -> None:
        if not payments:
            return
        accounts = (
            {"USD": "NL91ABNA0417164300"}
            if layout == "dutch"
            else {"EUR": "DE89370400440532013000", "USD": "DE02120300000000202051"}
        )
        statements = []
        for currency, account in accounts.items():
            mine = [p for p in payments if p.currency == currency]
            if not mine:
                continue
            txs = [
                StatementTransaction(when, p.amount, "C", "NTRF", "NONREF", p.ref, p.text, p.payer)
                for p in mine
            ]
            txs.append(
                StatementTransaction(
                    when,
                    Decimal("12.50"),
                    "D",
                    "NCHG",
                    "NONREF",
                    f"CHG{when:%y%m%d}",
                    "BANK CHARGES",
                )
            )
            opening = self._opening(account)
            statement = Statement(
                account,
                currency,
                when.timetuple().tm_yday,
                opening,
                _previous_business_day(when),
                tuple(txs),
                reference=f"STMT{when:%y%m%d}",
            )
            self.balances[account] = statement.closing_balance
            statements.append(statement)
        path.write_bytes(write_mt940(statements, layout="dutch" if layout == "dutch" else "german"))

    def _ofx(self, when: date, payments: Sequence[_Payment], sgml: bool, path: Path) -> None:
        if not payments:
            return
        account, bank = ("5503118842", "111000025") if sgml else ("7765001234", "121000358")
        txs = [OfxTransaction(p.ref, when, p.amount, "CREDIT", p.payer, p.text) for p in payments]
        txs.append(
            OfxTransaction(f"{when:%Y%m%d}SC", when, Decimal("-18.00"), "SRVCHG", "SERVICE CHARGE")
        )
        opening = self._opening(account)
        closing = opening + sum((t.amount for t in txs), Decimal(0))
        self.balances[account] = closing
        statement = OfxStatement(account, "USD", tuple(txs), bank, ledger_balance=closing)
        path.write_bytes(write_ofx([statement], sgml=sgml))

    def _csv(self, when: date, payments: Sequence[_Payment], path: Path) -> None:
        if not payments:
            return
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for p in payments:
            writer.writerow(
                [f"{when:%m/%d/%Y}", p.ref, p.payer, p.text, f"{p.amount:.2f}", "", p.currency]
            )
        writer.writerow(
            [
                f"{when:%m/%d/%Y}",
                f"FCB{when:%y%m%d}FEE",
                "FIRST CITY BANK",
                "MONTHLY SERVICE FEE",
                "",
                "25.00",
                "USD",
            ]
        )
        path.write_bytes(out.getvalue().encode("utf-8"))


def _config_toml() -> str:
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
    generator = _Generator(seed, per_case, write_off_tolerance)
    generator.build()
    folder.mkdir(parents=True, exist_ok=True)
    customers, invoices = generator.master_files(folder)
    config_toml = folder / "cashapp.toml"
    config_toml.write_text(_config_toml(), encoding="utf-8")
    days = generator.bank_files(folder / "inbox")
    return GeneratedBook(
        folder,
        customers,
        invoices,
        config_toml,
        tuple(days),
        generator.labels(),
        tuple(generator.skipped),
    )


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """One labelled payment and what the matcher left on it after the run."""

    label: Label
    payment_id: str  # "" when the payment never reached the store
    applications: tuple[App, ...]  # active applications, sorted like the label's
    rules: tuple[str, ...]  # the rule behind each active application, in the same order
    exceptions: tuple[str, ...]  # types of the exceptions raised on it, sorted
    details: tuple[str, ...]  # the matcher's explanation of each exception
    kind: str = ""  # after the run: a bank credit recognised as a payout is a settlement
    status: str = ""
    resolved: tuple[str, ...] = ()  # types of its exceptions the matcher closed itself
    reason_codes: tuple[str, ...] = ()  # of its exceptions

    @property
    def found(self) -> bool:
        return bool(self.payment_id)

    @property
    def state_ok(self) -> bool:
        """Kind and (where labelled) status as labelled: a payout deposit is a settlement
        and tied, not a payment left waiting."""
        status_ok = not self.label.status or self.status == self.label.status
        return self.found and self.kind == self.label.kind and status_ok

    @property
    def applied(self) -> bool:
        """The matcher applied cash automatically (the precision denominator)."""
        return bool(self.applications)

    @property
    def applications_ok(self) -> bool:
        return self.found and self.applications == self.label.applications

    @property
    def exceptions_ok(self) -> bool:
        reason = self.label.reason_code
        return (
            self.found
            and self.label.accepts(self.exceptions)
            and frozenset(self.resolved) == self.label.resolved
            and (not reason or reason in self.reason_codes)
        )

    @property
    def correct(self) -> bool:
        return self.applications_ok and self.exceptions_ok and self.state_ok

    def lines(self) -> tuple[int, int]:
        """(invoice lines labelled, lines applied exactly as labelled)."""
        expected = _by_invoice(self.label.applications)
        got = _by_invoice(self.applications)
        return len(expected), sum(1 for n, apps in expected.items() if got.get(n) == apps)


def _by_invoice(apps: Iterable[App]) -> dict[str, tuple[App, ...]]:
    out: dict[str, list[App]] = defaultdict(list)
    for app in apps:
        if app[0] is not None:
            out[app[0]].append(app)
    return {k: _sorted_apps(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the per-case table."""

    case: str
    formats: tuple[str, ...]
    n: int
    correct: int
    wrong_applications: int  # payments with active applications other than the labelled
    exceptions_as_expected: int
    expected: str  # what the case expects, in words
    status: str = ""  # "skipped: ..." for cases the book cannot contain yet


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A payment whose outcome differs from its label, with what is needed to debug it."""

    case: str
    fmt: str
    payment_id: str
    source_ref: str
    amount: Decimal
    currency: str
    expected: str
    got: str
    detail: str  # the matcher's exception details, the rules it applied with
    note: str  # what the generator knows about the case instance


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The bench's numbers for one seed; ratios are floats, counts and money exact."""

    seed: int
    payments: int  # labelled payments
    auto_applied: int  # ... the matcher applied (at least one active application)
    auto_applied_correct: int  # ... of those, exactly as labelled
    applicable: int  # labelled payments a careful person could apply
    applicable_correct: int  # ... the matcher applied exactly as labelled
    lines_applicable: int  # invoice lines of the applicable payments
    lines_correct: int  # ... applied exactly as labelled
    exception_counts: tuple[tuple[str, int, int], ...]  # (type, labelled, raised)
    outcomes: tuple[PaymentOutcome, ...]
    mismatches: tuple[Mismatch, ...]
    skipped_cases: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str, int, str], ...]  # (file, status, records, reason)
    unlabelled: tuple[str, ...]  # payments in the store no label explains (a bench bug)
    seeds: tuple[int, ...] = ()  # the books combined (:func:`combine`); () = just ``seed``

    @property
    def precision(self) -> float:
        """Share of auto-applied payments applied exactly as labelled (1.0 if none)."""
        return _ratio(self.auto_applied_correct, self.auto_applied)

    @property
    def auto_match_rate(self) -> float:
        """Header level: applicable payments applied exactly as labelled."""
        return _ratio(self.applicable_correct, self.applicable)

    @property
    def line_match_rate(self) -> float:
        """Line level: invoice lines of applicable payments applied exactly as labelled."""
        return _ratio(self.lines_correct, self.lines_applicable)

    def recall(self, exception_type: str) -> float | None:
        """Share of payments labelled with ``exception_type`` that got it; None if none."""
        for name, labelled, raised in self.exception_counts:
            if name == exception_type and labelled:
                return raised / labelled
        return None

    @property
    def refused_files(self) -> tuple[str, ...]:
        return tuple(
            f"{name}: {reason}" for name, status, _, reason in self.files if status == "refused"
        )

    def case_rows(self) -> list[CaseRow]:
        """The per-case table, in the order the cases were generated, skipped ones last."""
        grouped: dict[str, list[PaymentOutcome]] = defaultdict(list)
        for outcome in self.outcomes:
            grouped[outcome.label.case].append(outcome)
        rows = []
        for case, outcomes in grouped.items():
            rows.append(
                CaseRow(
                    case,
                    tuple(sorted({o.label.fmt for o in outcomes})),
                    len(outcomes),
                    sum(o.correct for o in outcomes),
                    sum(o.applied and not o.applications_ok for o in outcomes),
                    sum(o.exceptions_ok for o in outcomes),
                    " / ".join(dict.fromkeys(_expectation(o.label) for o in outcomes)),
                )
            )
        rows += [CaseRow(case, (), 0, 0, 0, 0, "", status) for case, status in self.skipped_cases]
        return rows

    def _books(self) -> str:
        if len(self.seeds) > 1:
            return f"{len(self.seeds)} books (seeds {min(self.seeds)}-{max(self.seeds)})"
        return f"seed {self.seed}"

    def render(self) -> str:
        """The report as text: headline numbers, recall, the case table, the mismatches."""
        out = [
            f"matching quality bench, {self._books()}: {self.payments} labelled payments",
            f"  precision        {self.precision:.4f}  "
            f"({self.auto_applied_correct}/{self.auto_applied} auto-applied payments as labelled)",
            f"  auto-match rate  {self.auto_match_rate:.4f}  "
            f"({self.applicable_correct}/{self.applicable} applicable payments, header level)",
            f"  line match rate  {self.line_match_rate:.4f}  "
            f"({self.lines_correct}/{self.lines_applicable} invoice lines)",
            "",
            "exception recall (type: raised/labelled)",
        ]
        for name, labelled, raised in self.exception_counts:
            if labelled:
                out.append(f"  {name:<20} {raised}/{labelled}  {raised / labelled:.2f}")
        out += [
            "",
            f"{'case':<26} {'n':>3} {'ok':>3} {'wrong':>5} {'exc ok':>6}  formats / expected",
        ]
        for row in self.case_rows():
            if row.status:
                out.append(f"{row.case:<26} {'-':>3} {'-':>3} {'-':>5} {'-':>6}  {row.status}")
                continue
            out.append(
                f"{row.case:<26} {row.n:>3} {row.correct:>3} {row.wrong_applications:>5} "
                f"{row.exceptions_as_expected:>6}  {', '.join(row.formats)} -> {row.expected}"
            )
        for problem in (*self.refused_files, *self.unlabelled):
            out.append(f"PROBLEM: {problem}")
        if self.mismatches:
            out += ["", f"mismatches ({len(self.mismatches)})"]
            for m in self.mismatches:
                out += [
                    f"- [{m.case}] {m.fmt} {m.source_ref} ({m.payment_id or 'not ingested'}) "
                    f"{m.amount} {m.currency}",
                    f"    expected: {m.expected}",
                    f"    got:      {m.got}",
                ]
                if m.detail:
                    out.append(f"    matcher:  {m.detail}")
                if m.note:
                    out.append(f"    note:     {m.note}")
        return "\n".join(out)


def combine(reports: Sequence[QualityReport]) -> QualityReport:
    """Several seeds' reports as one: counts add up, outcomes and mismatches concatenate.

    One seed's book holds a handful of payments per case; precision to 99.9 % needs
    thousands of decisions, so ``cashapp bench quality`` runs many seeds and combines them.
    """
    if not reports:
        raise ValueError("no reports to combine")
    labelled: dict[str, int] = defaultdict(int)
    raised: dict[str, int] = defaultdict(int)
    order: list[str] = []
    for report in reports:
        for name, n_labelled, n_raised in report.exception_counts:
            if name not in order:
                order.append(name)
            labelled[name] += n_labelled
            raised[name] += n_raised
    return QualityReport(
        seed=reports[0].seed,
        payments=sum(r.payments for r in reports),
        auto_applied=sum(r.auto_applied for r in reports),
        auto_applied_correct=sum(r.auto_applied_correct for r in reports),
        applicable=sum(r.applicable for r in reports),
        applicable_correct=sum(r.applicable_correct for r in reports),
        lines_applicable=sum(r.lines_applicable for r in reports),
        lines_correct=sum(r.lines_correct for r in reports),
        exception_counts=tuple((n, labelled[n], raised[n]) for n in order),
        outcomes=tuple(o for r in reports for o in r.outcomes),
        mismatches=tuple(m for r in reports for m in r.mismatches),
        skipped_cases=reports[0].skipped_cases,
        files=tuple(f for r in reports for f in r.files),
        unlabelled=tuple(u for r in reports for u in r.unlabelled),
        seeds=tuple(r.seed for r in reports),
    )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _apps_text(apps: Sequence[App], rules: Sequence[str] = ()) -> str:
    if not apps:
        return "no application"
    parts = []
    for n, (invoice, amount, kind) in enumerate(apps):
        rule = f" ({rules[n]})" if n < len(rules) else ""
        parts.append(f"{invoice or 'on account'} {amount} {kind}{rule}")
    return "apply " + ", ".join(parts)


def _expectation(label: Label) -> str:
    exceptions = " or ".join(
        "+".join(sorted(s)) for s in (label.exceptions, *label.alternatives) if s
    )
    if label.resolved:
        exceptions += " (closed by the matcher)"
    if label.kind == "settlement":
        return f"settlement {label.status}".strip() + (f" + {exceptions}" if exceptions else "")
    if label.applications and exceptions:
        return f"apply + {exceptions}"
    if label.applications:
        return "apply"
    return exceptions or "nothing active"


def _describe(label: Label) -> str:
    text = _apps_text(label.applications)
    options = [sorted(s) for s in (label.exceptions, *label.alternatives)]
    raised = " or ".join("{" + ", ".join(o) + "}" for o in options)
    out = f"{text}; exceptions {raised or '{}'}"
    if label.resolved:
        out += f", resolved {{{', '.join(sorted(label.resolved))}}}"
    if label.reason_code:
        out += f" with reason {label.reason_code}"
    return out + f"; {label.kind} {label.status or '(any status)'}"


#: Kinds of stored records every one of which the book must explain (fees, bank charges
#: and other movements are not the matcher's to decide).
_LABELLED_KINDS: Final = frozenset(
    {"payment", "return", "settlement", "chargeback", "refund", "dispute_reversal"}
)
#: (payment id, kind, status) of a stored record
_Stored = tuple[str, str, str]


def _stored_payments(
    store: Store, labels: Sequence[Label]
) -> tuple[dict[tuple[str, str, str], _Stored], list[str]]:
    """Each label's record in the store, and the records no label explains.

    A bank deposit labelled ``settlement`` that the matcher did not recognise is still a
    ``payment``: it is found under that kind, so the outcome shows what went wrong (and
    counts against precision if it was applied to invoices) instead of "not ingested".
    """
    rows: dict[tuple[str, str], dict[str, _Stored]] = defaultdict(dict)
    for pid, source, ref, kind, status in store.fetchall(
        "SELECT payment_id, source, source_ref, kind, status FROM payments ORDER BY payment_id"
    ):
        rows[(source, ref)][kind] = (pid, kind, status)
    found: dict[tuple[str, str, str], _Stored] = {}
    for label in labels:
        kinds = rows.get((label.source, label.source_ref), {})
        hit = kinds.get(label.kind) or (
            kinds.get("payment") if label.kind == "settlement" else None
        )
        if hit:
            found[(label.source, label.source_ref, label.kind)] = hit
    claimed = {hit[0] for hit in found.values()}
    unlabelled = [
        f"unlabelled {kind} {pid} {source} {ref} ({status})"
        for (source, ref), kinds in rows.items()
        for pid, kind, status in kinds.values()
        if kind in _LABELLED_KINDS and pid not in claimed
    ]
    return found, unlabelled


def _active_applications(store: Store) -> dict[str, list[tuple[App, str]]]:
    apps: dict[str, list[tuple[App, str]]] = defaultdict(list)
    for pid, invoice, amount, currency, kind, rule in store.fetchall(
        "SELECT payment_id, invoice_number, amount, currency, kind, rule FROM applications"
        " WHERE status = 'active' ORDER BY application_id"
    ):
        apps[pid].append(((invoice, quantize(amount, currency), kind), rule))
    return apps


def _raised_exceptions(store: Store) -> dict[str, list[tuple[str, str, str, str]]]:
    """(type, detail, status, reason code) of every exception raised, by payment; closed
    ones too: raising it was right, and a won dispute's is closed by the matcher itself."""
    exceptions: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for pid, kind, detail, status, reason in store.fetchall(
        "SELECT payment_id, type, detail, status, coalesce(reason_code, '') FROM exceptions"
        " ORDER BY exception_id"
    ):
        exceptions[pid].append((kind, detail, status, reason))
    return exceptions


def _outcome(
    label: Label,
    stored: _Stored | None,
    apps: Mapping[str, list[tuple[App, str]]],
    exceptions: Mapping[str, list[tuple[str, str, str, str]]],
) -> PaymentOutcome:
    pid, kind, status = stored or ("", "", "")
    ordered = sorted(apps.get(pid, []), key=lambda a: (a[0][0] or "", a[0][2], a[0][1]))
    raised = sorted(exceptions.get(pid, []))
    return PaymentOutcome(
        label,
        pid,
        tuple(a for a, _ in ordered),
        tuple(r for _, r in ordered),
        tuple(t for t, _, _, _ in raised),
        tuple(f"{t}{f' ({r})' if r else ''}: {d}" for t, d, _, r in raised),
        kind,
        status,
        tuple(t for t, _, state, _ in raised if state == "resolved"),
        tuple(r for _, _, _, r in raised if r),
    )


def _got(o: PaymentOutcome) -> str:
    """What the matcher left on a payment, in the words of :func:`_describe`."""
    if not o.found:
        return "payment not in the store (file refused or not written)"
    got = _apps_text(o.applications, o.rules) + f"; exceptions {{{', '.join(o.exceptions)}}}"
    if o.resolved:
        got += f", resolved {{{', '.join(o.resolved)}}}"
    return got + f"; {o.kind} {o.status}"


def _score(
    store: Store,
    book: GeneratedBook,
    seed: int,
    files: Sequence[FileOutcome],
) -> QualityReport:
    stored, unlabelled = _stored_payments(store, book.labels)
    apps = _active_applications(store)
    exceptions = _raised_exceptions(store)
    outcomes = [
        _outcome(label, stored.get((label.source, label.source_ref, label.kind)), apps, exceptions)
        for label in book.labels
    ]

    mismatches = []
    for o in outcomes:
        if o.correct:
            continue
        got = _got(o)
        mismatches.append(
            Mismatch(
                o.label.case,
                o.label.fmt,
                o.payment_id,
                o.label.source_ref,
                o.label.amount,
                o.label.currency,
                _describe(o.label),
                got,
                " | ".join(o.details),
                o.label.note,
            )
        )

    counts = []
    for name in EXCEPTION_TYPES:
        labelled = [o for o in outcomes if name in o.label.exceptions]
        counts.append((name, len(labelled), sum(name in o.exceptions for o in labelled)))
    applicable = [o for o in outcomes if o.label.applicable]
    lines = [o.lines() for o in applicable]
    auto = [o for o in outcomes if o.applied]
    return QualityReport(
        seed=seed,
        payments=len(outcomes),
        auto_applied=len(auto),
        auto_applied_correct=sum(o.applications_ok for o in auto),
        applicable=len(applicable),
        applicable_correct=sum(o.applications_ok for o in applicable),
        lines_applicable=sum(n for n, _ in lines),
        lines_correct=sum(k for _, k in lines),
        exception_counts=tuple(counts),
        outcomes=tuple(outcomes),
        mismatches=tuple(mismatches),
        skipped_cases=book.skipped_cases,
        files=tuple((Path(f.path).name, f.status, f.records, f.reason) for f in files),
        unlabelled=tuple(unlabelled),
    )


# --------------------------------------------------------------------------- running


def _bench_config(config: Config | None, toml: Path, db: Path) -> Config:
    """The config to run with: the caller's (plus what the book needs), else the book's."""
    if config is None:
        load_builtin()  # the connectors' [sources.*] tables, before config is read
        return load_config(toml, str(db))
    existing = config.sources.get("csv", {})
    profiles: dict[str, object] = dict(existing) if isinstance(existing, Mapping) else {}
    profiles[CSV_PROFILE_NAME] = dict(CSV_PROFILE)
    return replace(
        config,
        database_path=str(db),
        ach_company_ids=config.ach_company_ids | {OUR_ACH_COMPANY_ID},
        sources={**config.sources, "csv": profiles},
    )


def run_quality_bench(
    workdir: Path, *, seed: int = 1, config: Config | None = None, per_case: int = 4
) -> QualityReport:
    """Generate the book for ``seed`` under ``workdir``, run the pipeline, score it.

    Writes ``workdir/quality-seed-<seed>/`` (the book; replaced if present) and a fresh
    ``workdir/quality-seed-<seed>.duckdb``. Day 1's files are ingested and matched, then
    day 2's (returns, re-sent payments, repeat ACH payers), as the daily job would.
    ``config`` defaults to cashapp's built-in defaults plus the book's ``cashapp.toml``;
    a given config keeps its matching settings (the labels follow its write-off
    tolerance) and gets the bench's ACH company id and CSV profile added.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    folder = workdir / f"quality-seed-{seed}"
    db = workdir / f"quality-seed-{seed}.duckdb"
    if folder.exists():
        shutil.rmtree(folder)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    tolerance = (config.matching if config else MatchingConfig()).write_off_tolerance
    book = write_book(folder, seed=seed, per_case=per_case, write_off_tolerance=tolerance)
    run_config = _bench_config(config, book.config_toml, db)
    store = open_store(str(db), create=True)
    try:
        import_customers(store, book.customers_csv, run_config, actor="bench")
        import_invoices(store, book.invoices_csv, run_config, actor="bench")
        files: list[FileOutcome] = []
        for day in book.day_folders:
            files += ingest_paths(store, [day], run_config, actor="bench")
            run_match(store, run_config)
        return _score(store, book, seed, files)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cashapp.bench.quality [--seed N] [--per-case K] [--workdir DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-case", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    started = perf_counter()
    report = run_quality_bench(args.workdir, seed=args.seed, per_case=args.per_case)
    print(report.render())
    print(f"\nruntime {perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
