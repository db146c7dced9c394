"""Money is exact: Decimal only, quantized to the currency, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.money import (
    Money,
    MoneyError,
    allocate,
    from_minor_units,
    parse_amount,
    quantize,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("-12", "-12.00"),
        ("(12.50)", "-12.50"),
        ("+7.10", "7.10"),
        ("12.00-", "-12.00"),
        ("$1,000.00", "1000.00"),
    ],
)
def test_amounts_people_write_parse_exactly(text: str, expected: str) -> None:
    assert parse_amount(text, "USD") == Decimal(expected)


def test_decimal_comma_is_read_when_asked() -> None:
    assert parse_amount("1.234,56", "EUR", decimal_comma=True) == Decimal("1234.56")


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", "12,34.5x", "1e5"])
def test_text_that_is_not_an_amount_is_refused(bad: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(bad, "USD")


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(MoneyError):
        parse_amount(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        from_minor_units(1.5, "USD")  # type: ignore[arg-type]


def test_more_precision_than_the_currency_has_is_refused_not_rounded() -> None:
    with pytest.raises(MoneyError, match="decimal places"):
        parse_amount("10.005", "USD")
    assert parse_amount("10.005", "BHD") == Decimal("10.005")
    with pytest.raises(MoneyError):
        parse_amount("100.5", "JPY")


def test_minor_units_follow_the_currency() -> None:
    assert from_minor_units(12345, "USD") == Decimal("123.45")
    assert from_minor_units("12345", "JPY") == Decimal("12345")
    assert to_minor_units(Decimal("1.234"), "KWD") == 1234


def test_money_arithmetic_stays_within_one_currency() -> None:
    assert Money(Decimal("1.10"), "usd") + Money(Decimal("2.20"), "USD") == Money(
        Decimal("3.30"), "USD"
    )
    with pytest.raises(MoneyError, match="cannot combine"):
        Money(Decimal(1), "USD") + Money(Decimal(1), "EUR")


def test_allocation_example_from_the_docstring() -> None:
    assert allocate(Decimal("10.00"), [Decimal(1)] * 3, "USD") == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]


@given(
    total=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocation_parts_always_sum_to_the_total(total: int, weights: list[int]) -> None:
    amount = from_minor_units(total, "USD")
    parts = allocate(amount, [Decimal(w) for w in weights], "USD")
    assert sum(parts, Decimal(0)) == amount
    assert all(quantize(p, "USD") == p for p in parts)
    assert all(p == 0 for p, w in zip(parts, weights, strict=True) if w == 0)


def test_sql_amounts_are_written_with_their_currencys_decimals() -> None:
    import duckdb

    from cashapp.money import sql_amount_text

    rows = duckdb.sql(
        f"SELECT {sql_amount_text('a', 'c')} FROM (VALUES"
        " (588.79::DECIMAL(18,4), 'USD'), (5000::DECIMAL(18,4), 'JPY'),"
        " (1.25::DECIMAL(18,4), 'KWD'), (-13.45::DECIMAL(18,4), 'EUR')) t(a, c)"
    ).fetchall()
    assert [r[0] for r in rows] == ["588.79", "5000", "1.250", "-13.45"]
