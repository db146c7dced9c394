"""Money is exact: Decimal only, quantized to the currency, floats refused."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.money import (
    DecimalMark,
    MoneyError,
    check_currency,
    detect_decimal,
    from_minor_units,
    minor_units,
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


def test_decimal_comma_is_read_when_declared() -> None:
    assert parse_amount("1.234,56", "EUR", decimal=",") == Decimal("1234.56")
    assert parse_amount("976,61", "EUR", decimal=",") == Decimal("976.61")
    assert parse_amount("1000,", "EUR", decimal=",") == Decimal("1000.00")  # SWIFT style


@pytest.mark.parametrize(
    "text", ["976,61", "1016,14", "2400,00", "1,23", "12,34,567", "1,2345.00", ",50", "1,,000"]
)
def test_a_comma_outside_groups_of_three_is_refused_in_a_decimal_point_source(
    text: str,
) -> None:
    with pytest.raises(MoneyError, match=re.escape(repr(text))):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["1,234.56", "1.234", "1.23", "12.34.567"])
def test_a_point_outside_groups_of_three_is_refused_in_a_decimal_comma_source(
    text: str,
) -> None:
    if text == "1.234":  # a valid group: one thousand two hundred thirty-four
        assert parse_amount(text, "EUR", decimal=",") == Decimal("1234.00")
        return
    with pytest.raises(MoneyError, match="not an amount"):
        parse_amount(text, "EUR", decimal=",")


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1'234.56", ".", "1234.56"),  # Swiss apostrophe
        ("1 234.56", ".", "1234.56"),
        ("1\u202f234,56", ",", "1234.56"),  # narrow no-break space (French, SI)
        ("1\u00a0234\u00a0567,00", ",", "1234567.00"),
    ],
)
def test_apostrophe_and_space_group_thousands_in_either_convention(
    text: str, decimal: DecimalMark, expected: str
) -> None:
    assert parse_amount(text, "EUR", decimal=decimal) == Decimal(expected)


@pytest.mark.parametrize("text", ["1'23.00", "1 23", "1,234 567.00", "12'34'567"])
def test_mixed_or_short_groups_are_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text, "USD")


def _written(amount: Decimal, decimal: DecimalMark, grouping: str) -> str:
    """``amount`` as a person or a bank would write it in the given convention."""
    places = format(abs(amount), "f")
    whole, _, frac = places.partition(".")
    if grouping:
        whole = f"{int(whole):,}".replace(",", grouping)
    text = whole + (decimal + frac if frac else "")
    return "-" + text if amount < 0 else text


@given(
    st.decimals(
        min_value=Decimal("-99999999999999.99"),
        max_value=Decimal("99999999999999.99"),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    ),
    st.sampled_from([".", ","]),
    st.sampled_from(["", "thousands", "'", " ", "\u202f"]),
)
def test_any_amount_written_in_a_convention_parses_back_exactly(
    amount: Decimal, decimal: DecimalMark, grouping: str
) -> None:
    if grouping == "thousands":
        grouping = "," if decimal == "." else "."
    text = _written(amount, decimal, grouping)
    assert parse_amount(text, "EUR", decimal=decimal) == amount
    assert detect_decimal([text, "1,234.56" if decimal == "." else "1.234,56"]) == decimal


@given(st.from_regex(r"-?[0-9]{0,7}(,[0-9]{0,4}){1,3}(\.[0-9]{0,3})?", fullmatch=True))
def test_any_comma_in_invalid_grouping_is_refused_in_a_decimal_point_source(text: str) -> None:
    head, _, _ = text.lstrip("-").partition(".")
    groups = head.split(",")
    valid = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    if valid:
        assert parse_amount(text, "KWD") == Decimal(text.replace(",", ""))
    else:
        with pytest.raises(MoneyError):
            parse_amount(text, "KWD")


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["100", "976,61", "1.234"], ","),
        (["1,234.56", "1,234", "7"], "."),
        (["100", "250"], "."),
        (["1.234,56", "1 000,00"], ","),
    ],
)
def test_detection_per_file_follows_the_amounts_that_can_only_be_read_one_way(
    texts: list[str], expected: str
) -> None:
    assert detect_decimal(texts) == expected


@pytest.mark.parametrize(
    ("texts", "says"),
    [(["1,234", "100"], "could be read"), (["1,234.56", "976,61"], "mix decimal marks")],
)
def test_detection_refuses_a_file_that_does_not_say_or_says_both(
    texts: list[str], says: str
) -> None:
    with pytest.raises(MoneyError, match=says):
        detect_decimal(texts)


@pytest.mark.parametrize(
    ("code", "places"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)]
)
def test_minor_units_come_from_iso_4217(code: str, places: int) -> None:
    assert minor_units(code) == places
    assert check_currency(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("XYZ", "not an ISO 4217"),
        ("XAU", "no minor unit"),
        ("XDR", "no minor unit"),
        ("XXX", "no minor unit"),
        ("XTS", "no minor unit"),
        ("US", "not a currency code"),
    ],
)
def test_unknown_codes_and_codes_without_minor_units_are_refused(code: str, says: str) -> None:
    with pytest.raises(MoneyError, match=says):
        check_currency(code)
    if code == "XXX":  # "no currency": a statement may carry it, as a named leniency
        assert check_currency(code, allow_no_currency=True) == "XXX"
        return
    with pytest.raises(MoneyError):
        minor_units(code)
    with pytest.raises(MoneyError):
        parse_amount("1.00", code)


def test_a_total_beyond_decimal_18_4_is_refused_unless_it_is_only_reported() -> None:
    with pytest.raises(MoneyError, match="out of range"):
        quantize(Decimal("120000000000000.00"), "USD")
    assert quantize(Decimal("120000000000000.00"), "USD", bounded=False) == Decimal(
        "120000000000000.00"
    )


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", "12,34.5x", "1e5", "NaN", "1_000", "٣"])
def test_text_that_is_not_an_amount_is_refused(bad: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(bad, "USD")


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(MoneyError):
        parse_amount(0.1, "USD")  # type: ignore[arg-type]
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


def test_sql_amounts_are_written_with_their_currencys_decimals() -> None:
    import duckdb

    from cashapp.money import sql_amount_text

    relation = duckdb.sql(
        f"SELECT {sql_amount_text('a', 'c')} FROM (VALUES"
        " (588.79::DECIMAL(18,4), 'USD'), (5000::DECIMAL(18,4), 'JPY'),"
        " (1.25::DECIMAL(18,4), 'KWD'), (-13.45::DECIMAL(18,4), 'EUR')) t(a, c)"
    )
    assert relation is not None  # a SELECT always gives a relation
    rows = relation.fetchall()
    assert [r[0] for r in rows] == ["588.79", "5000", "1.250", "-13.45"]
