"""Money: the one place where amounts are built.

Why a module of its own: every amount in cashapp is a ``Decimal`` quantized to its
currency's minor unit, and floats are refused at the door. Binary floats cannot hold
0.10 exactly, and a reconciliation engine that is off by a cent is worse than none.
Connectors, importers and the matcher all build amounts through :func:`parse_amount`
or :func:`from_minor_units`, so the rules live here once.

Amount text has one parser, and every source declares its decimal mark (``.`` or ``,``)
or asks for detection per file (:func:`detect_decimal`, which refuses a file that does not
say). A thousands separator is read only in valid groups of three: ``976,61`` from a
decimal-point source is refused naming the text, never read as 97,661 (issue 10).
Currencies are ISO 4217 with their real minor units, from the maintained ``iso4217``
package; an unknown code, or one without minor units (XAU, XDR, XXX), is refused.

The ``decimal.FloatOperation`` trap is switched on for the default context, so an
accidental ``Decimal + float`` raises instead of silently rounding.

DuckDB stores amounts as ``DECIMAL(18,4)`` beside a currency column; the database never
rounds because Python has already quantized (DuckDB rounds half away from zero where
Python rounds half-even, so letting the database round would disagree with us).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final, Literal

import iso4217

decimal.getcontext().traps[decimal.FloatOperation] = True


def _iso4217_minor_units() -> dict[str, int]:
    """Every ISO 4217 code that is money, with its minor units, from the ``iso4217`` package.

    Built once at import (``minor_units`` runs millions of times a run). Codes without
    minor units -- gold, silver, SDRs, the test and "no currency" codes (XAU, XDR, XTS,
    XXX, ...) -- are left out on purpose: they are not what an AR team invoices in.
    """
    return {
        str(c.code): int(c.exponent)
        for c in iso4217.Currency
        if c.exponent is not None and len(str(c.code)) == 3
    }


#: Withdrawn codes (ISO 4217 list three) that old statements still carry: the euro's
#: predecessors, real money with the minor units they had. The ``iso4217`` package holds
#: only current codes, so these few are listed here (a pre-2002 MT940 in DEM is real).
_WITHDRAWN: Final[dict[str, int]] = {
    "ATS": 2, "DEM": 2, "FIM": 2, "FRF": 2, "IEP": 2, "NLG": 2,
    "BEF": 0, "ESP": 0, "ITL": 0, "LUF": 0,
}  # fmt: skip

#: ISO 4217 "no currency". Refused by default; bank statements may pass
#: ``allow_no_currency`` (a named leniency: anonymised and test statements use it, and
#: ingest reports it as a warning). It is read with two decimals.
NO_CURRENCY: Final = "XXX"

#: ISO 4217 minor units of every currency cashapp accepts (JPY 0, USD 2, KWD 3, CLF 4).
_MINOR_UNITS: Final[dict[str, int]] = {
    **_iso4217_minor_units(),
    **_WITHDRAWN,
    NO_CURRENCY: 2,
}

#: Largest absolute amount DECIMAL(18,4) holds.
MAX_AMOUNT: Final = Decimal("99999999999999.9999")


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


class AmbiguousDecimal(MoneyError):
    """A file whose amounts do not tell its decimal mark; ``text`` is the amount that shows it."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text


def minor_units(currency: str) -> int:
    """Number of decimal places of ``currency`` (ISO 4217); refuses a code that is not money.

    An unknown code used to get two decimals silently; now it is a :class:`MoneyError`,
    so nothing is ever quantized with a guessed exponent.
    """
    places = _MINOR_UNITS.get(currency)
    if places is None:
        check_currency(currency)  # raises naming the code
        places = _MINOR_UNITS[currency.strip().upper()]
    return places


def sql_amount_text(amount: str, currency: str) -> str:
    """A DuckDB expression writing ``amount`` as ``str(quantize(amount, currency))`` does:
    the currency's own number of decimals (``588.79``, ``5000`` yen, ``1.250`` dinar).

    Exact decimal casts, never a float; ``amount`` and ``currency`` are column
    expressions of the query (a quantized amount loses nothing in the cast). Two decimals
    is the ``ELSE``: the stored currencies were all checked by :func:`check_currency`.
    """
    by_places: dict[int, list[str]] = {}
    for code, places in sorted(_MINOR_UNITS.items()):
        if places != 2:
            by_places.setdefault(places, []).append(f"'{code}'")
    cases = " ".join(
        f"WHEN {currency} IN ({', '.join(codes)})"
        f" THEN CAST({amount} AS DECIMAL(18,{places}))::VARCHAR"
        for places, codes in sorted(by_places.items())
    )
    # each branch is text already: a CASE over decimals would widen them to one scale
    return f"CASE {cases} ELSE CAST({amount} AS DECIMAL(18,2))::VARCHAR END"


def check_currency(currency: str, *, allow_no_currency: bool = False) -> str:
    """Return ``currency`` upper-cased if it is an ISO 4217 currency with minor units.

    The one currency check of cashapp: connectors, imports and config all call it.
    ``XYZ`` (no such code) and ``XAU`` (gold: ISO 4217, but no minor unit, not money an
    invoice is written in) are refused alike, and so is ``XXX`` ("no currency") unless
    a bank-statement reader passes ``allow_no_currency`` (see :data:`NO_CURRENCY`).
    """
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if code in _MINOR_UNITS and (code != NO_CURRENCY or allow_no_currency):
        return code
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise MoneyError(f"not a currency code: {currency!r}")
    try:
        iso4217.Currency(code)
    except ValueError:
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code") from None
    raise MoneyError(f"{code!r} has no minor unit in ISO 4217: not money for receivables")


_STEPS: dict[str, Decimal] = {}


def quantize(
    amount: Decimal, currency: str, *, exact: bool = True, bounded: bool = True
) -> Decimal:
    """Quantize ``amount`` to the currency's minor unit.

    With ``exact`` (the default) an amount with more precision than the currency has is
    refused rather than rounded: a bank that sends 10.005 USD has sent something wrong,
    and silently rounding hides it. Pass ``exact=False`` only where rounding is the
    business rule (e.g. computing a discount), and it rounds half-even.

    ``bounded`` (the default) refuses what ``DECIMAL(18,4)`` cannot store. A run's total
    over many payments is reported, never stored, so it passes ``bounded=False``: a sum
    past the column's range must not stop the run that produced it (issue 10, finding 6).
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
    if bounded and abs(result) > MAX_AMOUNT:
        raise MoneyError(f"amount out of range: {amount}")
    return result


#: How a source writes its decimal mark: declared (``.`` or ``,``), or ``auto`` = detected
#: per file by :func:`detect_decimal` (refusing a file that does not say).
DecimalMark = Literal[".", ","]
DECIMAL_MARKS: Final = (".", ",", "auto")

#: Grouping characters that are never a decimal mark, so either convention may use them:
#: apostrophe (Swiss ``1'234.56``), space, no-break space, thin and narrow no-break space
#: (French and SI ``1 234,56``). They are read only in valid groups of three, like ``,``.
_NEUTRAL_GROUPS: Final = "' \u00a0\u2009\u202f"

#: The common case, checked first: optional minus, digits, optional mark and digits.
_PLAIN: Final = {
    ".": re.compile(r"-?[0-9]+(?:\.[0-9]*)?"),
    ",": re.compile(r"-?[0-9]+(?:,[0-9]*)?"),
}


def _body_pattern(mark: str) -> re.Pattern[str]:
    group = re.escape("," if mark == "." else ".") + re.escape(_NEUTRAL_GROUPS)
    return re.compile(
        rf"(?P<int>[0-9]{{1,3}}(?P<sep>[{group}])[0-9]{{3}}(?:(?P=sep)[0-9]{{3}})*|[0-9]*)"
        rf"(?:{re.escape(mark)}(?P<frac>[0-9]*))?"
    )


_BODY: Final = {mark: _body_pattern(mark) for mark in (".", ",")}


def _number(text: str, currency: str, mark: str) -> Decimal:
    """The exact value of ``text`` read with decimal ``mark``, not yet quantized."""
    plain = _PLAIN[mark]
    if plain.fullmatch(text):  # the fast path: millions of amounts a run are like this
        return Decimal(text if mark == "." else text.replace(",", "."))
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
    code = raw[:3].upper()
    if code.isascii() and code.isalpha() and (code == currency.upper() or not currency):
        raw = raw[3:].strip()
    raw = raw.lstrip("$€£").strip()
    found = _BODY[mark].fullmatch(raw)
    if found is None or not (found["int"] or found["frac"]):
        other = "," if mark == "." else "."
        hint = (
            f" (decimal {mark!r} declared: {other!r} separates thousands only in groups of"
            f" three, as in {'1,234.56' if mark == '.' else '1.234,56'})"
            if other in raw
            else ""
        )
        raise MoneyError(f"not an amount: {text!r}{hint}")
    digits = found["int"]
    if found["sep"]:
        digits = digits.replace(found["sep"], "")
    frac = found["frac"]
    value = Decimal(f"{digits or '0'}.{frac}" if frac else digits)
    return -value if negative else value


def parse_amount(
    text: str | int | Decimal, currency: str, *, decimal: DecimalMark = "."
) -> Decimal:
    """Parse an amount written by a person or a file into an exact ``Decimal``.

    The one amount parser: every connector and import declares its source's decimal mark.
    With ``decimal="."`` it accepts ``1234.56``, ``1,234.56``, ``12,345,678``, ``-12``,
    ``(12.00)`` (accounting negative), a trailing or leading sign, the currency's code or
    ``$ € £`` in front, and apostrophe or space grouping (``1'234.56``, ``1 234.56``);
    with ``decimal=","`` the same with the roles swapped (``1.234,56``, ``1 234,56``,
    ``1000,`` as SWIFT writes it). A separator outside valid groups of three is refused,
    never reinterpreted: ``976,61`` with a declared ``.`` is a :class:`MoneyError`
    naming the text, as are ``1,23`` and the lakh grouping ``12,34,567``. Floats too.
    """
    if isinstance(text, bool | float):
        raise MoneyError("floats are not money; pass a str or Decimal")
    if isinstance(text, Decimal):
        return quantize(text, currency)
    if isinstance(text, int):
        return quantize(Decimal(text), currency)
    if decimal not in _PLAIN:
        raise MoneyError(f"decimal mark must be '.' or ',', not {decimal!r}")
    return quantize(_number(text, currency, decimal), currency)


def detect_decimal(texts: Iterable[str]) -> DecimalMark:
    """The decimal mark of one file's amounts (``decimal = "auto"``), or a MoneyError.

    Each text votes for the marks it reads under: ``976,61`` only reads with ``,``,
    ``1,234.56`` only with ``.``; ``100`` reads the same either way and says nothing;
    ``1,234`` or ``1.234`` read under both to different values and are ambiguous alone.
    A file with votes for one mark gets it (its ambiguous amounts follow it); a file with
    votes for both is refused, and so is a file whose only evidence is ambiguous -- a
    guess would be a thousandfold error. A file that never says either way is read with
    ``.`` (every amount reads the same under both). Texts neither mark reads are left for
    the parser to refuse with their line.
    """
    evidence: dict[str, str] = {}
    ambiguous = ""
    for text in texts:
        if _PLAIN["."].fullmatch(text) and "." not in text:
            continue  # plain digits: the same under both
        readings = {}
        for mark in (".", ","):
            try:
                readings[mark] = _number(text, "", mark)
            except MoneyError:
                continue
        if len(readings) == 1:
            evidence.setdefault(next(iter(readings)), text)
            if len(evidence) == 2:
                raise AmbiguousDecimal(
                    f"the amounts mix decimal marks ({evidence['.']!r} reads with '.',"
                    f" {evidence[',']!r} with ','): declare the source's decimal mark",
                    text,
                )
        elif len(readings) == 2 and readings["."] != readings[","] and not ambiguous:
            ambiguous = text
    if evidence:
        return "." if "." in evidence else ","
    if ambiguous:
        raise AmbiguousDecimal(
            f"{ambiguous!r} could be read with '.' or ',' as the decimal mark and nothing else"
            " in the file says which: declare the source's decimal mark",
            ambiguous,
        )
    return "."


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
