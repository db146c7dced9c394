"""Config is validated whole: unknown keys and bad values are refused by name."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parent.parent


def test_defaults_apply_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.database_path == "cashapp.duckdb"
    assert config.matching.write_off_tolerance == Decimal("5.00")
    assert config.accounts["cash"] == "1000"


def test_the_example_config_is_valid_and_documents_every_key() -> None:
    config = load_config(REPO / "config.example.toml")
    assert config.write_off_limit == Decimal("50.00")
    text = (REPO / "config.example.toml").read_text()
    for key in (
        "ach_company_ids",
        "write_off_tolerance",
        "refund_limit",
        "cron",
        "unapplied_cash",
        "reference_patterns",
        "max_payment_amount",
        "date_format",
    ):
        assert key in text


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[matching]\nwrite_of_tolerance = '5'\n", "matching.write_of_tolerance: unknown key"),
        (
            "[approval]\nwrite_off_limit = 50.5\n",
            "approval.write_off_limit: write amounts as strings",
        ),
        ("[matching]\nfuzzy_threshold = 150\n", "matching.fuzzy_threshold: 150 is outside"),
        ("[schedule]\ncron = 'daily'\n", "schedule.cron"),
        ("[company]\ndefault_currency = 'dollars'\n", "company.default_currency"),
        ("[company]\ndefault_currency = 'XYZ'\n", "company.default_currency: 'XYZ' is not an ISO"),
        ("[company]\ndefault_currency = 'XAU'\n", "company.default_currency: 'XAU' has no minor"),
        ("[company]\ndefault_currency = 'XXX'\n", "company.default_currency"),
        ("[ingest]\nmax_payment_amount = 1e9\n", "ingest.max_payment_amount: write amounts"),
        ("[ingest]\nmax_payment_amount = '0'\n", "ingest.max_payment_amount: must be between"),
        (
            "[ingest]\nmax_payment_amount = '100000000000000'\n",
            "ingest.max_payment_amount: amount out of range",
        ),
        ("[ingest]\nmax_payment = '5'\n", "ingest.max_payment: unknown key"),
        ("[import.invoices]\ndate_format = '%d/%m'\n", "import.invoices.date_format"),
        ("[import.invoices]\ndecimal = ';'\n", "import.invoices.decimal: must be"),
        ("[import.customers]\ndate_format = '%d/%m/%Y'\n", "import.customers.date_format: unknown"),
        ("[import.invoices]\ndate_formt = '%d/%m/%Y'\n", "import.invoices.date_formt: unknown"),
        ("[databse]\npath = 'x'\n", "config.databse: unknown key"),
        ("[sources.nosuch]\nx = 1\n", "sources.nosuch: unknown source"),
        (
            "[matching]\nreference_patterns = ['BILL (']\n",
            "not a regular expression",
        ),
        (
            "[matching]\nreference_patterns = ['BILL \\\\d+']\n",
            "needs exactly one capture group",
        ),
    ],
)
def test_bad_config_is_refused_naming_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "cashapp.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


def test_db_flag_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[database]\npath = 'a.duckdb'\n")
    assert load_config(path, "b.duckdb").database_path == "b.duckdb"


def test_secrets_are_not_a_config_value() -> None:
    with pytest.raises(ConfigError):
        parse_config({"company": {"api_key": "sk_live_123"}})


def test_the_ingest_ceiling_and_import_profiles_are_read() -> None:
    assert parse_config({}).ingest.max_payment_amount == Decimal("1000000000.00")
    config = parse_config(
        {
            "ingest": {"max_payment_amount": "250000.00"},
            "import": {"invoices": {"date_format": "%d/%m/%Y", "decimal": ","}},
        }
    )
    assert config.ingest.max_payment_amount == Decimal("250000.00")
    assert config.invoice_import.date_format == "%d/%m/%Y"
    assert config.invoice_import.decimal == ","
    assert parse_config({}).invoice_import.date_format == ""  # ISO only
