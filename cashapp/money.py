"""Money: the one place where amounts are built.

Why a module of its own: every amount in cashapp is a ``Decimal`` quantized to its
currency's minor unit, and floats are refused at the door. Binary floats cannot hold
0.10 exactly, and a reconciliation engine that is off by a cent is worse than none.
Connectors, importers and the matcher all build amounts through :func:`parse_amount`
or :func:`from_minor_units`, so the rules live here once.

The ``decimal.FloatOperation`` trap is switched on for the default context, so an
accidental ``Decimal + float`` raises instead of silently rounding.

DuckDB stores amounts as ``DECIMAL(18,4)`` beside a currency column; the database never
rounds because Python has already quantized (DuckDB rounds half away from zero where
Python rounds half-even, so letting the database round would disagree with us).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

decimal.getcontext().traps[decimal.FloatOperation] = True

#: ISO 4217 minor units that differ from the usual two.
_MINOR_UNITS: Final[dict[str, int]] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip

#: Largest absolute amount DECIMAL(18,4) holds.
MAX_AMOUNT: Final = Decimal("99999999999999.9999")


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (ISO 4217); 2 unless listed otherwise."""
    return _MINOR_UNITS.get(currency, 2)


def sql_amount_text(amount: str, currency: str) -> str:
    """A DuckDB expression writing ``amount`` as ``str(quantize(amount, currency))`` does:
    the currency's own number of decimals (``588.79``, ``5000`` yen, ``1.250`` dinar).

    Exact decimal casts, never a float; ``amount`` and ``currency`` are column
    expressions of the query (a quantized amount loses nothing in the cast).
    """
    by_places: dict[int, list[str]] = {}
    for code, places in sorted(_MINOR_UNITS.items()):
        by_places.setdefault(places, []).append(f"'{code}'")
    cases = " ".join(
        f"WHEN {currency} IN ({', '.join(codes)})"
        f" THEN CAST({amount} AS DECIMAL(18,{places}))::VARCHAR"
        for places, codes in sorted(by_places.items())
    )
    # each branch is text already: a CASE over decimals would widen them to one scale
    return f"CASE {cases} ELSE CAST({amount} AS DECIMAL(18,2))::VARCHAR END"


def check_currency(currency: str) -> str:
    """Return ``currency`` upper-cased if it looks like an ISO 4217 code, else raise."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MoneyError(f"not a currency code: {currency!r}")
    return code


_STEPS: dict[str, Decimal] = {}


def quantize(amount: Decimal, currency: str, *, exact: bool = True) -> Decimal:
    """Quantize ``amount`` to the currency's minor unit.

    With ``exact`` (the default) an amount with more precision than the currency has is
    refused rather than rounded: a bank that sends 10.005 USD has sent something wrong,
    and silently rounding hides it. Pass ``exact=False`` only where rounding is the
    business rule (e.g. computing a discount), and it rounds half-even.
    """
    if not isinstance(amount, Decimal):  # type: ignore[unreachable,unused-ignore]
        raise MoneyError("only Decimal amounts are money; floats are refused")
    if not amount.is_finite():
        raise MoneyError(f"amount is not finite: {amount}")
    step = _STEPS.get(currency)
    if step is None:  # a million amounts a run: the step is built once per currency
        step = _STEPS[currency] = Decimal(1).scaleb(-minor_units(currency))
    try:
        result = amount.quantize(step, rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise MoneyError(f"amount out of range: {amount}") from exc
    if exact and result != amount:
        raise MoneyError(
            f"{amount} has more decimal places than {currency} allows ({minor_units(currency)})"
        )
    if abs(result) > MAX_AMOUNT:
        raise MoneyError(f"amount out of range: {amount}")
    return result


def parse_amount(
    text: str | int | Decimal, currency: str, *, decimal_comma: bool = False
) -> Decimal:
    """Parse an amount written by a person or a file into an exact ``Decimal``.

    Accepts ``1234.56``, ``1,234.56``, ``-12``, ``(12.00)`` (accounting negative), a
    leading ``+``, and with ``decimal_comma`` the European ``1.234,56``. Refuses floats,
    empty strings and anything else with a :class:`MoneyError` naming the text.
    """
    if isinstance(text, bool | float):
        raise MoneyError("floats are not money; pass a str or Decimal")
    if isinstance(text, Decimal):
        return quantize(text, currency)
    if isinstance(text, int):
        return quantize(Decimal(text), currency)
    raw = text.strip()
    if not raw:
        raise MoneyError("amount is empty")
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1].strip()
    if raw.endswith("-"):  # some bank exports put the sign last
        negative, raw = not negative, raw[:-1].strip()
    if raw[:1] in ("+", "-"):  # not `in "+-"`: the empty string is in every string
        negative, raw = (not negative if raw[0] == "-" else negative), raw[1:].strip()
    if raw[:3].upper() == currency.upper():
        raw = raw[3:].strip()
    raw = raw.lstrip("$€£")
    if decimal_comma:
        raw = raw.replace(".", "").replace(" ", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    if not raw or not all(ch.isdigit() or ch == "." for ch in raw) or raw.count(".") > 1:
        raise MoneyError(f"not an amount: {text!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {text!r}") from exc
    return quantize(-value if negative else value, currency)


def from_minor_units(units: int | str, currency: str) -> Decimal:
    """Amount from an integer count of minor units (cents): NACHA, BAI2 and Stripe style."""
    if isinstance(units, str):
        stripped = units.strip()
        sign = -1 if stripped.startswith("-") else 1
        digits = stripped.lstrip("+-")
        if not digits.isdigit():
            raise MoneyError(f"not an amount in minor units: {units!r}")
        value = sign * int(digits)
    elif isinstance(units, bool) or not isinstance(units, int):
        raise MoneyError("minor units must be an int or a string of digits")
    else:
        value = units
    return quantize(Decimal(value).scaleb(-minor_units(currency)), currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Inverse of :func:`from_minor_units`; refuses amounts finer than the minor unit."""
    return int(quantize(amount, currency).scaleb(minor_units(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    """An amount with its currency; arithmetic only within one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError("Money.amount must be a Decimal")
        object.__setattr__(self, "currency", check_currency(self.currency))
        object.__setattr__(self, "amount", quantize(self.amount, self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"


def allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` so the parts sum exactly to ``total``.

    Largest-remainder method in minor units: each part gets the floor of its share and the
    leftover units go to the largest remainders (ties to the earliest). Example: 10.00 over
    three equal weights gives 3.34, 3.33, 3.33.
    """
    if not weights:
        raise MoneyError("nothing to allocate to")
    if any(w < 0 for w in weights):
        raise MoneyError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        raise MoneyError("weights sum to zero")
    units = to_minor_units(total, currency)
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [Decimal(units) * w / weight_sum for w in weights]
    floors = [int(share) for share in exact]
    leftover = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_minor_units(sign * part, currency) for part in floors]
