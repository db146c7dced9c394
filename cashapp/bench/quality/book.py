"""The book under construction: master data, what is still free to use, and labelling.

:class:`Book` holds one seed's customers and invoices while the cases
(:mod:`cashapp.bench.quality.cases`) draw from it, and every payment with its label. Its
helpers are the choices every case makes: a free invoice (or several, or one whose amount
no other open invoice of its customer has), a file shape that can carry the payment and
whose payer name points at the customer alone, a reference unique in the book. Every case
ends the same way, in :meth:`Book.expect` (a payment or platform record and its label),
usually through :meth:`Book.receive`, which first makes the bank payment.

Where a label relies on a property of the book (an amount unique among a customer's open
invoices, exactly one combination adding up, a truncated name that fits one customer, no
stray number in a remittance naming an invoice), the helper checks it when it chooses, and
:meth:`Book.validate` checks the remittances once more on the final book. Every random
choice comes from ``Book.rng``, in the order the cases make them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations
from random import Random
from typing import Final, TypedDict, Unpack

from cashapp.bench.platforms import CardHolder, PlastiqPayment, StripeTransaction
from cashapp.bench.quality.carriers import fits, invoice_amount, shown
from cashapp.bench.quality.catalogue import (
    GROUPS,
    LOOKALIKES,
    ROUTINGS,
    SPELLED_FORMS,
    TERMS,
)
from cashapp.bench.quality.labels import (
    DAY1,
    DAYS,
    MAX_PER_CASE,
    PLATFORM_CASES,
    SKIPPED_CASES,
    SOURCE_OF_FORMAT,
    App,
    BenchError,
    Label,
    sorted_apps,
)
from cashapp.bench.quality.records import Payment, PlatformRecord
from cashapp.bench.synthetic.ledger import (
    Customer,
    Invoice,
    InvoiceNumbers,
    business_day,
    cents,
    from_cents,
)
from cashapp.bench.synthetic.names import QUALITY_NAMES, ap_mailbox, name_key, trade_name, words
from cashapp.domain import RemittanceLine

_DIGIT_RUN: Final = re.compile(r"\d[\d-]*\d|\d")


@dataclass(slots=True, eq=False)
class BookCustomer(Customer):
    """A customer of the book, with what the cases need to know about it."""

    partial: bool = False  # a case leaves one of its invoices partly open
    special: bool = False  # kept for its own cases (look-alikes, parent groups)


BookInvoice = Invoice[BookCustomer]


class Expected(TypedDict, total=False):
    """A label's outcome beyond ``applicable`` (see :class:`~.labels.Label`)."""

    apps: Sequence[App]
    exceptions: Sequence[str]
    alternatives: Sequence[Sequence[str]]
    names: Iterable[BookInvoice]  # the invoices its text may name
    note: str
    kind: str
    status: str
    resolved: Sequence[str]
    reason: str


def of(customers: Sequence[BookCustomer]) -> Callable[[BookInvoice], bool]:
    """An invoice filter: belongs to one of ``customers``."""
    return lambda invoice: invoice.customer in customers


def in_full(*invoices: BookInvoice) -> list[App]:
    """Each invoice's open amount applied to it: what paying them exactly means."""
    return [(i.number, i.open_amount, "payment") for i in invoices]


def _always(_: BookInvoice) -> bool:
    return True


class Book:
    """One labelled book under construction; every random choice comes from ``self.rng``."""

    def __init__(self, seed: int, per_case: int, write_off_tolerance: Decimal) -> None:
        if not 1 <= per_case <= MAX_PER_CASE:
            raise ValueError(f"per_case must be 1..{MAX_PER_CASE}, got {per_case}")
        self.rng = Random(seed)  # noqa: S311 - a reproducible book, not a secret
        self.per_case = per_case
        self.tolerance = write_off_tolerance
        self.customers: list[BookCustomer] = []
        self.regular: list[BookCustomer] = []
        self.lookalikes: list[tuple[BookCustomer, BookCustomer]] = []
        self.groups: list[tuple[BookCustomer, tuple[BookCustomer, ...]]] = []
        self.invoices: list[BookInvoice] = []
        self.items: list[tuple[Payment, Label, frozenset[str]]] = []
        self.skipped: list[tuple[str, str]] = list(SKIPPED_CASES)
        self.sequence = 0
        self.numbers = InvoiceNumbers(104500, 4)
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

    def add_master_data(self) -> None:
        """The ERP's customers (regular ones, look-alikes, parent groups) and invoices."""
        self._add_customers()
        self._add_invoices()

    def _new_customer(self, name: str, terms: str) -> BookCustomer:
        ach_id = f"1{self.rng.randint(10**8, 10**9 - 1)}"
        odfi = self.rng.choice(ROUTINGS)[:8]
        customer_id = f"C{10001 + len(self.customers)}"
        customer = BookCustomer(customer_id, name, terms, ap_mailbox(name), ach_id, odfi)
        self.customers.append(customer)
        return customer

    def _add_customers(self) -> None:
        count = min(len(QUALITY_NAMES.first), 14 + 6 * self.per_case)
        for n, stem in enumerate(self.rng.sample(QUALITY_NAMES.first, count)):
            name = trade_name(self.rng, QUALITY_NAMES, stem)
            terms = "2/10 NET30" if n % 4 == 0 else self.rng.choice(TERMS)
            self.regular.append(self._new_customer(name, terms))
        for a, b in LOOKALIKES:
            self.lookalikes.append((self._new_customer(a, "NET30"), self._new_customer(b, "NET30")))
        for parent, subsidiaries in GROUPS:
            head = self._new_customer(parent, "NET45")
            subs = tuple(self._new_customer(s, "NET30") for s in subsidiaries)
            self.groups.append((head, subs))
        for customer in self.customers:
            customer.special = customer not in self.regular
        keys = [name_key(c.name) for c in self.customers]
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

    def _add_invoices(self) -> None:
        drafts: list[tuple[date, str, BookCustomer, Decimal, Decimal, int]] = []
        for customer in self.customers:
            style = self.rng.randrange(3)
            busy = customer.special  # groups and look-alikes carry several cases each
            for _ in range(self.rng.randint(6, 9) if busy else self.rng.randint(4, 7)):
                day = business_day(DAY1 - timedelta(days=self.rng.randint(4, 58)))
                amount = invoice_amount(self.rng)
                state = self.rng.randrange(12)
                if state == 0:  # paid in the ERP before cashapp: kept for re-payments
                    open_amount = Decimal("0.00")
                elif state == 1:  # a credit memo already taken off
                    credit = self.rng.randint(cents(amount) // 20, cents(amount) * 2 // 5)
                    open_amount = from_cents(cents(amount) - credit)
                else:
                    open_amount = amount
                drafts.append((day, customer.customer_id, customer, amount, open_amount, style))
        drafts.sort(key=lambda d: (d[0], d[1]))
        for day, _, customer, amount, open_amount, style in drafts:
            number = self.numbers.next(self.rng)
            self.invoices.append(
                Invoice(
                    number,
                    customer,
                    day,
                    amount,
                    open_amount,
                    self._po(style),
                    self.rng.randrange(3) == 0,
                )
            )
        self.pool_top = self.numbers.last
        self.numbers = InvoiceNumbers(self.pool_top + 10, 3)

    def extra_invoice(self, customer: BookCustomer, amount: Decimal, day: date) -> BookInvoice:
        """An invoice the ERP raised after the initial book (twins, look-alike decoys)."""
        number = self.numbers.next(self.rng)
        invoice = Invoice(number, customer, day, amount, amount, "", False, reserved=True)
        self.invoices.append(invoice)
        return invoice

    # --- choosing ------------------------------------------------------------------------

    def open_of(self, customer: BookCustomer) -> list[BookInvoice]:
        return [i for i in self.invoices if i.customer is customer and i.open_amount > 0]

    def free(
        self, where: Callable[[BookInvoice], bool] = _always, *, special: bool = False
    ) -> list[BookInvoice]:
        """Open invoices no payment uses yet; special customers' only when asked for."""
        return [
            i
            for i in self.invoices
            if not i.reserved
            and i.open_amount > 0
            and (special or not i.customer.special)
            and where(i)
        ]

    def free_of(
        self, customer: BookCustomer, where: Callable[[BookInvoice], bool] = _always
    ) -> list[BookInvoice]:
        return self.free(lambda i: i.customer is customer and where(i), special=True)

    def take(
        self, where: Callable[[BookInvoice], bool] = _always, *, special: bool = False
    ) -> BookInvoice:
        pool = self.free(where, special=special)
        if not pool:
            raise BenchError("the book ran out of suitable open invoices")
        invoice = self.rng.choice(pool)
        invoice.reserved = True
        return invoice

    def several(self, count: int, where: Callable[[BookInvoice], bool]) -> list[BookInvoice]:
        """``count`` free open invoices of one customer (chosen at random)."""
        candidates = [c for c in self.regular if len(self.free_of(c, where)) >= count]
        if not candidates:
            raise BenchError(f"no customer has {count} suitable open invoices")
        pool = self.free_of(self.rng.choice(candidates), where)
        chosen = sorted(self.rng.sample(pool, count), key=lambda i: i.number)
        for invoice in chosen:
            invoice.reserved = True
        return chosen

    def unique_amount(self, invoice: BookInvoice) -> bool:
        """Exactly one open invoice of this customer has this open amount."""
        same = [i for i in self.open_of(invoice.customer) if i.open_amount == invoice.open_amount]
        return len(same) == 1

    def unique_combination(self, chosen: Sequence[BookInvoice]) -> bool:
        """No single invoice and no other combination of the customer's adds up the same."""
        target = sum((i.open_amount for i in chosen), Decimal(0))
        pool = [i for i in self.open_of(chosen[0].customer) if i.open_amount <= target]
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

    def amount_invoice(
        self,
        customers: Sequence[BookCustomer],
        where: Callable[[BookInvoice], bool] = _always,
    ) -> BookInvoice:
        """A free invoice whose open amount no other open invoice of its customer has."""
        pool = [
            i
            for i in self.free(of(customers), special=True)
            if not i.customer.partial
            if self.unique_amount(i) and where(i)
        ]
        if not pool:
            raise BenchError("no open invoice with an amount unique for its customer")
        invoice = self.rng.choice(pool)
        invoice.reserved = True
        return invoice

    def who(self, name: str) -> set[str]:
        """The customers a careful person would take ``name`` for (exact, else prefix)."""
        key = name_key(name)
        exact = {c.customer_id for c in self.customers if name_key(c.name) == key}
        if exact:
            return exact
        full = " ".join(words(name))
        if len(full) < 10:
            return set()
        return {c.customer_id for c in self.customers if " ".join(words(c.name)).startswith(full)}

    def rotate(self, options: Sequence[str], turn: int, ok: Callable[[str], bool]) -> str:
        """The first format from ``options`` (rotated by ``turn``) that ``ok`` accepts."""
        for k in range(len(options)):
            fmt = options[(turn + k) % len(options)]
            if ok(fmt):
                return fmt
        raise BenchError(f"no format of {options} can carry this payment")

    def named(
        self, options: Sequence[str], turn: int, customer: BookCustomer, text: str, name: str = ""
    ) -> str:
        """A format in which the payer name (default: the customer's) points at it alone."""

        def ok(fmt: str) -> bool:
            payer = shown(fmt, name or customer.name)
            return fits(fmt, payer, text) and self.who(payer) == {customer.customer_id}

        return self.rotate(options, turn, ok)

    def carries(self, options: Sequence[str], turn: int, name: str, text: str) -> str:
        """A format that carries this payer name and remittance unchanged."""
        return self.rotate(options, turn, lambda fmt: fits(fmt, shown(fmt, name), text))

    def variant(self, customer: BookCustomer) -> str:
        """The name as the payer's own bank or ERP spells it: legal form dropped, set off
        by a comma, or spelled another way; the plain name when a variant would point at
        another customer too."""
        *stem, form = customer.name.split()
        variant = self.rng.choice(
            (
                customer.name,
                " ".join(stem),
                f"{' '.join(stem)}, {form}",
                f"{' '.join(stem)} {SPELLED_FORMS.get(form, form)}",
            )
        )
        return variant if self.who(variant) == {customer.customer_id} else customer.name

    # --- payments and labels -----------------------------------------------------------

    def ref(self, fmt: str, day: int, odfi: str) -> str:
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

    def payment(
        self,
        fmt: str,
        name: str,
        amount: Decimal,
        *,
        text: str = "",
        lines: Sequence[RemittanceLine] = (),
        day: int = 1,
        currency: str = "USD",
        customer: BookCustomer | None = None,
    ) -> Payment:
        """A payment from ``name`` (a stranger's bank and company id unless ``customer``)."""
        odfi = customer.odfi if customer else self.rng.choice(ROUTINGS)[:8]
        originator = customer.ach_id if customer else f"9{self.rng.randint(10**8, 10**9 - 1)}"
        return Payment(
            fmt,
            day,
            self.ref(fmt, day, odfi),
            shown(fmt, name),
            amount,
            currency,
            text,
            tuple(lines),
            originator,
            f"AP{self.rng.randint(10**6, 10**7 - 1)}",
        )

    def expect(
        self,
        case: str,
        record: Payment | PlatformRecord,
        *,
        applicable: bool,
        **expected: Unpack[Expected],
    ) -> None:
        """Keep a payment (or platform record) of ``case`` and the label it must meet.

        The one ending of every case. ``names`` are the invoices its text may name (any
        other invoice number in it fails :meth:`validate`).
        """
        label = Label(
            SOURCE_OF_FORMAT[record.fmt],
            record.ref,
            expected.get("kind", "payment"),
            case,
            record.fmt,
            record.amount if isinstance(record, Payment) else abs(record.amount),
            record.currency,
            sorted_apps(expected.get("apps", ())),
            frozenset(expected.get("exceptions", ())),
            applicable,
            tuple(frozenset(a) for a in expected.get("alternatives", ())),
            expected.get("note", ""),
            expected.get("status", ""),
            frozenset(expected.get("resolved", ())),
            expected.get("reason", ""),
        )
        named = frozenset(i.key for i in expected.get("names", ()))
        if isinstance(record, Payment):
            self.items.append((record, label, named))
        else:
            self.platform_items.append((label, record.text, named))

    def receive(
        self,
        case: str,
        fmt: str,
        name: str,
        amount: Decimal,
        *,
        applicable: bool,
        text: str = "",
        lines: Sequence[RemittanceLine] = (),
        day: int = 1,
        currency: str = "USD",
        customer: BookCustomer | None = None,
        **expected: Unpack[Expected],
    ) -> Payment:
        """A bank payment of ``case`` (see :meth:`payment`), kept with its label."""
        payment = self.payment(
            fmt, name, amount, text=text, lines=lines, day=day, currency=currency, customer=customer
        )
        self.expect(case, payment, applicable=applicable, **expected)
        return payment

    # --- checks --------------------------------------------------------------------------

    def validate(self) -> None:
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
