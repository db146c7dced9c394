"""Cases where the payer decides: no reference, so the name (as the bank shows it, spelled
the payer's way, misspelt, cut at 16 characters, or a look-alike's) and the amount must
identify customer and invoice -- or must not, for a stranger, a twin amount, a parent
paying for its subsidiary, or a EUR figure of a USD invoice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cashapp.bench.quality.book import Book, BookCustomer, in_full, of
from cashapp.bench.quality.carriers import invoice_amount, join_keys, shown
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.catalogue import ROTATIONS, STRANGER_TEXTS, STRANGERS
from cashapp.bench.quality.labels import DAY1, BenchError
from cashapp.bench.synthetic.ledger import business_day
from cashapp.bench.synthetic.names import bank_name, words


@case("parent_pays_subsidiary")
def parent_pays_subsidiary(book: Book) -> None:
    """A parent pays invoices of its subsidiaries, naming them."""
    options = ROTATIONS["parent_pays_subsidiary"]
    for turn in range(book.per_case):
        parent, subsidiaries = book.groups[turn % len(book.groups)]
        group = [book.take(of(subsidiaries), special=True) for _ in range(1 + turn % 2)]
        text = join_keys([i.key for i in group], 1 if len(group) == 1 else 0)
        book.receive(
            "parent_pays_subsidiary",
            book.carries(options, turn, parent.name, text),
            parent.name,
            sum((i.open_amount for i in group), Decimal(0)),
            text=text,
            customer=parent,
            applicable=True,
            apps=in_full(*group),
            names=group,
            note=f"{parent.name} pays for {', '.join(i.customer.name for i in group)}",
        )


@case("ambiguous_same_amount")
def ambiguous_same_amount(book: Book) -> None:
    """Two open invoices of the same amount and nothing to choose between them."""
    options = ROTATIONS["ambiguous_same_amount"]
    for turn in range(book.per_case):
        invoice = book.take(lambda i: i.customer in book.regular and not i.customer.partial)
        customer = invoice.customer
        twin = book.extra_invoice(
            customer,
            invoice.open_amount,
            business_day(invoice.invoice_date + timedelta(days=book.rng.randint(3, 12))),
        )
        book.receive(
            "ambiguous_same_amount",
            book.named(options, turn, customer, ""),
            customer.name,
            invoice.open_amount,
            customer=customer,
            applicable=False,
            exceptions=["ambiguous"],
            note=f"{invoice.number} and {twin.number} are both open for {invoice.open_amount}",
        )


@case("no_ref_name_single")
def no_ref_name_single(book: Book) -> None:
    """No reference: the payer's name (its own spelling) and a unique amount decide."""
    options = ROTATIONS["no_ref_name_single"]
    for turn in range(book.per_case):
        invoice = book.amount_invoice(book.regular)
        customer = invoice.customer
        name = book.variant(customer)
        book.receive(
            "no_ref_name_single",
            book.named(options, turn, customer, "", name),
            name,
            invoice.open_amount,
            customer=customer,
            applicable=True,
            apps=in_full(invoice),
        )


def _misspelt(book: Book, customer: BookCustomer) -> str | None:
    """The name with two neighbouring letters of its longest word swapped, as a clerk
    types it; None when the typo would still read exactly as some customer."""
    parts = customer.name.split()
    longest = max(range(len(parts)), key=lambda k: len(parts[k]))
    word = parts[longest]
    if len(word) < 6:
        return None
    at = book.rng.randrange(1, len(word) - 2)
    if word[at] == word[at + 1]:
        return None
    parts[longest] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    typo = " ".join(parts)
    return typo if not book.who(typo) else None


@case("misspelt_payer_name")
def misspelt_payer_name(book: Book) -> None:
    """No reference, the payer's name misspelt: the fuzzy index plus an open invoice of
    exactly the amount identify it; a similar name paying an amount nobody has open
    must not be applied to anyone."""
    options = ROTATIONS["misspelt_payer_name"]
    done = 0
    for _ in range(book.per_case * 20):
        if done == book.per_case:
            break
        invoice = book.amount_invoice(book.regular)
        customer = invoice.customer
        typo = _misspelt(book, customer)
        if typo is None:
            continue
        fmt = book.carries(options, done, typo, "")
        if done % 2:
            amount = invoice_amount(book.rng)
            if any(i.open_amount == amount for i in book.invoices):
                continue
            book.receive(
                "misspelt_name_no_invoice",
                fmt,
                typo,
                amount,
                applicable=False,
                exceptions=["unmatched"],
                alternatives=[["unidentified"]],
                note=f"typo of {customer.name}; no open invoice of {amount}",
            )
        else:
            invoice.reserved = True
            book.receive(
                "misspelt_payer_name",
                fmt,
                typo,
                invoice.open_amount,
                customer=customer,
                applicable=True,
                apps=in_full(invoice),
                note=f"typo of {customer.name}",
            )
        done += 1


@case("no_ref_name_combination")
def no_ref_name_combination(book: Book) -> None:
    """No reference: the amount is exactly one combination of the payer's open invoices."""
    options = ROTATIONS["no_ref_name_combination"]
    for turn in range(book.per_case):
        for _ in range(200):
            customer = book.rng.choice([c for c in book.regular if not c.partial])
            free = book.free_of(customer)
            size = book.rng.randint(2, 3)
            if len(free) < size:
                continue
            group = sorted(book.rng.sample(free, size), key=lambda i: i.number)
            if book.unique_combination(group):
                break
        else:
            raise BenchError("no customer has a unique combination of open invoices")
        for invoice in group:
            invoice.reserved = True
        name = book.variant(customer)
        book.receive(
            "no_ref_name_combination",
            book.named(options, turn, customer, "", name),
            name,
            sum((i.open_amount for i in group), Decimal(0)),
            customer=customer,
            applicable=True,
            apps=in_full(*group),
        )


@case("nacha_truncated_name")
def nacha_truncated_name(book: Book) -> None:
    """ACH company names cut at 16 characters, no reference: a unique prefix decides."""
    options = ROTATIONS["nacha_truncated_name"]
    cut = [
        c
        for c in book.regular
        if len(bank_name(c.name)) > 16 and book.who(shown("nacha-ccd", c.name)) == {c.customer_id}
    ]
    for turn in range(book.per_case):
        invoice = book.amount_invoice(cut)
        customer = invoice.customer
        fmt = options[turn % len(options)]
        book.receive(
            "nacha_truncated_name",
            fmt,
            customer.name,
            invoice.open_amount,
            customer=customer,
            applicable=True,
            apps=in_full(invoice),
            note=f"bank shows {shown(fmt, customer.name)!r} for {customer.name!r}",
        )


@case("repeat_payer_day2")
def repeat_payer_day2(book: Book) -> None:
    """ACH credits without a reference on day 2 from originators seen on day 1.

    The entry's company ID, not its name, says who pays once the history is known:
    a customer whose ACH name is an abbreviation no one could place, and a parent that
    paid a subsidiary's invoice yesterday and pays its own today (yesterday must not
    have taught cashapp that the parent's company ID is the subsidiary).
    """
    for turn in range(max(2, book.per_case // 2)):
        if turn % 2 == 0:
            parent, subsidiaries = book.groups[(turn // 2) % len(book.groups)]
            theirs = book.take(of(subsidiaries), special=True)
            first = book.receive(
                "parent_pays_subsidiary",
                "nacha-ccd",
                parent.name,
                theirs.open_amount,
                text=f"INV-{theirs.key}",
                customer=parent,
                applicable=True,
                apps=in_full(theirs),
                names=[theirs],
                note=f"{parent.name} pays for {theirs.customer.name}; pays its own on day 2",
            )
            own = book.amount_invoice([parent])
            payer, customer = parent.name, parent
            note = f"paid {theirs.customer.name}'s {theirs.number} on day 1 ({first.ref})"
        else:
            for _ in range(200):
                own = book.amount_invoice(book.regular)
                customer = own.customer
                initials = "".join(w[0] for w in words(customer.name)[:3])
                payer = f"{initials} ACCTS PAYABLE"
                if not book.who(shown("nacha-ccd", payer)) and book.free_of(customer):
                    break
                own.reserved = False
            else:
                raise BenchError("no customer for a repeat ACH payer")
            paid = book.take(of([customer]))
            first = book.receive(
                "ref_exact_single",
                "nacha-ccd",
                payer,
                paid.open_amount,
                text=f"INV-{paid.key}",
                customer=customer,
                applicable=True,
                apps=in_full(paid),
                names=[paid],
                note=f"ACH name {shown('nacha-ccd', payer)!r} for {customer.name}; "
                "pays again on day 2",
            )
            note = f"ACH company id {customer.ach_id} paid {paid.number} on day 1 ({first.ref})"
        book.receive(
            "repeat_payer_day2",
            "nacha-ccd",
            payer,
            own.open_amount,
            day=2,
            customer=customer,
            applicable=True,
            apps=in_full(own),
            note=note,
        )


@case("lookalike_names")
def lookalike_names(book: Book) -> None:
    """Customers sharing first words: the right one is paid, the other has a decoy."""
    options = ROTATIONS["lookalike_names"]
    for turn in range(book.per_case):
        first, second = book.lookalikes[turn % len(book.lookalikes)]
        payer, sibling = (first, second) if turn % 2 == 0 else (second, first)
        invoice = book.amount_invoice([payer])
        decoy = book.extra_invoice(
            sibling, invoice.open_amount, business_day(DAY1 - timedelta(days=9))
        )
        book.receive(
            "lookalike_names",
            book.named(options, turn, payer, ""),
            payer.name,
            invoice.open_amount,
            customer=payer,
            applicable=True,
            apps=in_full(invoice),
            note=f"{sibling.name} has {decoy.number} open for the same amount",
        )


@case("currency_mismatch_no_ref")
def currency_mismatch_no_ref(book: Book) -> None:
    """A known customer pays in EUR the figure of a USD invoice, naming nothing."""
    options = ROTATIONS["currency_mismatch_no_ref"]
    for turn in range(max(1, book.per_case // 2)):
        invoice = book.amount_invoice(book.regular)
        customer = invoice.customer
        book.receive(
            "currency_mismatch_no_ref",
            book.named(options, turn, customer, ""),
            customer.name,
            invoice.open_amount,
            currency="EUR",
            customer=customer,
            applicable=False,
            exceptions=["unmatched"],
            alternatives=[["currency_mismatch"]],
            note=f"{invoice.number} is open for {invoice.open_amount} USD",
        )


@case("unknown_payer")
def unknown_payer(book: Book) -> None:
    """A payer no customer is: nothing may be applied, an unidentified is queued."""
    options = ROTATIONS["unknown_payer"]
    for turn in range(book.per_case):
        name = STRANGERS[turn % len(STRANGERS)]
        # every other one pays a figure some customer has open: it still is no match
        amount = book.rng.choice(book.free()).open_amount if turn % 2 else invoice_amount(book.rng)
        text = book.rng.choice(STRANGER_TEXTS)
        fmt = book.carries(options, turn, name, text)
        if book.who(shown(fmt, name)):
            raise BenchError(f"stranger {name!r} looks like a customer")
        book.receive(
            "unknown_payer",
            fmt,
            name,
            amount,
            text=text,
            applicable=False,
            exceptions=["unidentified"],
        )
