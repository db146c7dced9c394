"""The deduction taxonomy, the reason a remittance gives, and how a split is written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashapp.config import DEFAULT_DEDUCTIONS, ConfigError, parse_config
from cashapp.domain import ActionRefused
from cashapp.queue.deductions import DEDUCTION_CODES, check_reason, suggest_reason
from cashapp.queue.splits import Rest, SplitLine, parse_rest, parse_split


@pytest.mark.parametrize(
    ("remittance", "code"),
    [
        ("INV 104523 LESS DAMAGED GOODS", "damaged_goods"),
        ("SHORT FREIGHT", "freight"),
        ("SHORT FRT 12.40 INV-88", "freight"),
        ("PRICE DIFF INV 104523", "pricing"),
        ("OVERCHARGED ON PO 4471", "pricing"),
        ("INV 100123 LESS 2PCT", "early_pay_discount"),
        ("LESS 2% DISC", "early_pay_discount"),
        ("TAX EXEMPT CERT ON FILE", "tax"),
        ("CO-OP ADVERTISING DEDUCTION", "promotion"),
        ("PROMO ALLOWANCE Q3", "promotion"),
        ("FREIGHT AND TAX", "freight"),  # the earliest phrase wins
        ("tax on freight", "tax"),
        ("DMG", "damaged_goods"),
    ],
)
def test_the_remittance_suggests_a_reason(remittance: str, code: str) -> None:
    assert suggest_reason(remittance) == code


@pytest.mark.parametrize(
    "remittance",
    ["INV 104523", "", "PAYMENT THANK YOU", "TAXI SERVICES INV 55", "DISCOVERY LLC", "PROMOTER"],
)
def test_no_reason_is_suggested_without_one(remittance: str) -> None:
    assert suggest_reason(remittance) is None


@given(st.text(max_size=80))
def test_a_suggestion_is_always_one_of_the_codes(text: str) -> None:
    assert suggest_reason(text) in (None, *DEDUCTION_CODES)


def test_reason_codes_are_checked_against_the_teams_taxonomy() -> None:
    assert check_reason("Damaged-Goods", DEFAULT_DEDUCTIONS) == "damaged_goods"
    with pytest.raises(ActionRefused, match=r"unknown reason 'weather'; the \[deductions\] codes"):
        check_reason("weather", DEFAULT_DEDUCTIONS)


def test_the_deduction_accounts_are_config() -> None:
    config = parse_config({"deductions": {"freight": "7100"}})
    assert config.deductions == {**DEFAULT_DEDUCTIONS, "freight": "7100"}
    with pytest.raises(ConfigError, match=r"deductions\.weather: unknown key"):
        parse_config({"deductions": {"weather": "7100"}})
    with pytest.raises(ConfigError, match=r"deductions\.freight: .* is not an account code"):
        parse_config({"deductions": {"freight": "71'00"}})


def test_the_lock_wait_is_config() -> None:
    assert parse_config({}).lock_timeout_seconds == 30
    assert parse_config({"database": {"lock_timeout_seconds": 0}}).lock_timeout_seconds == 0
    with pytest.raises(ConfigError, match=r"database\.lock_timeout_seconds: 5000 is outside"):
        parse_config({"database": {"lock_timeout_seconds": 5000}})


def test_a_split_is_invoice_equals_amount_or_an_invoice_alone() -> None:
    assert parse_split(["INV-1=120.00", " INV-2 ", "A=B=3"]) == (
        SplitLine("INV-1", "120.00"),
        SplitLine("INV-2"),
        SplitLine("A=B", "3"),
    )
    for bad in ("=5", "INV-1=", " "):
        with pytest.raises(ActionRefused):
            parse_split([bad])


def test_the_rest_is_on_account_short_or_write_off() -> None:
    assert parse_rest("on-account") == Rest("on-account")
    assert parse_rest("short:freight") == Rest("short", "freight")
    assert parse_rest("write-off:pricing") == Rest("write-off", "pricing")
    assert parse_rest("writeoff:other").text() == "write-off:other"
    assert parse_rest("short") == Rest("short")
    with pytest.raises(ActionRefused, match="on-account takes no reason"):
        parse_rest("on-account:freight")
    with pytest.raises(ActionRefused, match="unknown rest 'later'"):
        parse_rest("later")
