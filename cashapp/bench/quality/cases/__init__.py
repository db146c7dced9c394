"""The cases of the quality book, registered by name and drawn in :data:`CASE_ORDER`.

Each case is a function of the :class:`~cashapp.bench.quality.book.Book` that draws
invoices, writes payments and labels them through :meth:`Book.expect
<cashapp.bench.quality.book.Book.expect>`. The modules group them by theme: references,
amounts (discounts, short and over payments, duplicates), names, returns (our own
collections and what comes back), and platform money (Stripe, Plastiq). A case joins the
book with :func:`case`; :func:`draw_cases` runs every one in the catalogue's order and
refuses a case registered but not ordered (or ordered but missing), since the order of
the draws is what makes a seed's book.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cashapp.bench.quality.book import Book
from cashapp.bench.quality.catalogue import CASE_ORDER

Case = Callable[[Book], None]

_REGISTRY: Final[dict[str, Case]] = {}


def case(name: str) -> Callable[[Case], Case]:
    """Register the decorated function as the case ``name`` of the book."""

    def register(draw: Case) -> Case:
        if name in _REGISTRY:
            raise ValueError(f"case {name!r} is registered twice")
        _REGISTRY[name] = draw
        return draw

    return register


def registered() -> dict[str, Case]:
    """Every case, once all theme modules are imported."""
    from cashapp.bench.quality.cases import (  # noqa: F401 - imported to register
        amounts,
        names,
        plastiq,
        references,
        returns,
        stripe,
    )

    return dict(_REGISTRY)


def draw_cases(book: Book) -> None:
    """Every case of the book, in :data:`~cashapp.bench.quality.catalogue.CASE_ORDER`."""
    cases = registered()
    if set(cases) != set(CASE_ORDER):
        raise ValueError(
            f"cases registered but not ordered: {sorted(set(cases) - set(CASE_ORDER))}; "
            f"ordered but not registered: {sorted(set(CASE_ORDER) - set(cases))}"
        )
    for name in CASE_ORDER:
        cases[name](book)
