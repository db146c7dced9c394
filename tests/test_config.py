"""Config is validated whole: unknown keys and bad values are refused by name."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.config import (
    _SECTIONS,
    ConfigError,
    IngestConfig,
    MatchingConfig,
    accepted_keys,
    load_config,
    parse_config,
    source_validators,
)
from connectors.bai2 import connector as bai2
from connectors.mapped_csv import connector as mapped_csv
from connectors.mt940 import connector as mt940
from connectors.plastiq import connector as plastiq

REPO = Path(__file__).resolve().parent.parent


def test_defaults_apply_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.database_path == "cashapp.duckdb"
    assert config.matching.write_off_tolerance == Decimal("5.00")
    assert config.accounts["cash"] == "1000"


def test_the_example_config_is_valid() -> None:
    config = load_config(REPO / "config.example.toml")
    assert config.write_off_limit == Decimal("50.00")


#: ``[table]`` or ``key = value``, written as is or commented out (``# [import.invoices]``).
_TABLE = re.compile(r"^[#\s]*\[([\w.]+)\]")
_KEY = re.compile(r"(?<![\w.])(\w+)\s*=\s*\S")


def _documented_keys(text: str) -> set[str]:
    """Every ``table.key`` that ``config.example.toml`` shows with a value, commented or not:
    the key written ``key = ...`` anywhere under its table's header."""
    table = ""
    found: set[str] = set()
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header:
            table = header.group(1)
            line = line[header.end() :]
        found.update(f"{table}.{key}" for key in _KEY.findall(line) if table)
    return found


def _all_keys() -> list[str]:
    """Every key of the file, from the code: what config reads (:func:`accepted_keys`) and
    the ``[sources.<format>]`` keys each configurable connector declares (``*``: a name the
    file chooses)."""
    return [
        *accepted_keys(),
        *(f"sources.bai2.{key}" for key in bai2.SETTINGS_KEYS),
        *(f"sources.mt940.{key}" for key in mt940.SETTINGS_KEYS),
        *(f"sources.csv.*.{key}" for key in mapped_csv.PROFILE_KEYS),
        *(f"sources.plastiq.{key}" for key in plastiq.SETTINGS_KEYS - {"columns"}),
        *(f"sources.plastiq.columns.{name.replace(' ', '_')}" for name in plastiq.COLUMNS),
    ]


def test_every_accepted_key_is_documented() -> None:
    """Derived from the code: each key of :func:`_all_keys` (the allow-lists
    ``parse_config`` and the connectors check against) must appear under its table in the
    example config, and each section in the README's Configuration list."""
    documented = _documented_keys((REPO / "config.example.toml").read_text(encoding="utf-8"))
    missing = [key for key in _all_keys() if not fnmatch.filter(documented, key)]
    assert not missing, f"undocumented in config.example.toml: {', '.join(missing)}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    sections = readme[readme.index("## Configuration") :].split("\n## ")[0]
    for section in sorted({key.split(".")[0] for key in _all_keys()}):
        assert f"`[{section}" in sections, f"README's Configuration does not list [{section}]"


#: How parse_config refuses a key it does not know (as opposed to a bad value).
_UNKNOWN = re.compile(r": unknown (key|source|column)")


def _document(key: str, value: object) -> dict[str, object]:
    """``"a.b.c"`` -> ``{"a": {"b": {"c": value}}}``, a parsed TOML document."""
    head, _, rest = key.partition(".")
    return {head: _document(rest, value) if rest else value}


def test_the_key_list_is_what_parse_config_accepts() -> None:
    keys = _all_keys()
    assert {key.split(".")[0] for key in keys} == _SECTIONS
    # every [sources.<name>] that may appear (config's and the registered connectors')
    assert {key.split(".")[1] for key in keys if key.startswith("sources.")} == set(
        source_validators()
    )
    # the keys of a dataclass section are its fields: each field can be set
    for section, kind in (("matching", MatchingConfig), ("ingest", IngestConfig)):
        listed = {key.split(".")[1] for key in keys if key.startswith(f"{section}.")}
        assert listed == {f.name for f in fields(kind)}, section
    # and no listed key is refused as unknown (a bad value may be: "x" is not a number)
    unknown = []
    for key in keys:
        try:
            parse_config(_document(key.replace("*", "chosen"), "x"))
        except ConfigError as exc:
            if _UNKNOWN.search(str(exc)):
                unknown.append(str(exc))
    assert not unknown


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
