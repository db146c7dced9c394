"""Configuration: one TOML file, validated in full before anything runs.

Why strict: a typo such as ``write_of_limit`` silently falling back to a default would
change what cashapp is allowed to write off. Every key is declared here once, with its
type and default; unknown keys and bad values are refused with the key's dotted name.
Secrets never live in the file: a key ending in ``_env`` names an environment variable.

Lookup order for the file: ``--config PATH``; else ``./cashapp.toml`` if present; else the
built-in defaults. ``--db PATH`` overrides ``[database] path``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from cashapp.domain import SettingsError, check_settings_keys, settings_str, settings_validators
from cashapp.money import MAX_AMOUNT, MoneyError, check_currency, parse_amount

DEFAULT_CONFIG_FILE = "cashapp.toml"


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    rules: str = ""  # path to a rules TOML; "" = the bundled matching_rules/default.toml
    fuzzy_threshold: int = 90  # 0-100 name similarity needed to consider a fuzzy payer match
    fuzzy_margin: int = 5  # two customers within this many points -> no identification
    amount_tolerance: Decimal = Decimal("0.00")  # difference still treated as "exact"
    write_off_tolerance: Decimal = Decimal("5.00")  # short pays up to this are written off
    max_subset_candidates: int = 25  # open invoices considered for a combination
    max_subset_size: int = 5  # invoices in one combination
    subset_time_limit_ms: int = 50  # per payment
    date_window_days: int = 5  # payout <-> deposit matching window
    #: decide the certain applications, strangers and crowds in bulk SQL (the engine's
    #: decisions, faster); false: the engine decides every payment
    set_based: bool = True
    #: the team's own invoice-reference shapes (Python regexes, one capture group holding
    #: the invoice number), tried before the built-in ones: e.g. "RECHNUNG\\s+(\\d+)"
    reference_patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """``[ingest]``: limits every file is held to before anything is written.

    Why ceilings: a 2 MB gzip bomb once grew to 20 GB of memory. Real bank files compress
    10-30x and a statement of repeated lines ~100x, so 200x leaves room for both while a
    bomb (~1000x) stops early; the ratio counts only past 16 MiB expanded
    (:mod:`cashapp.bounded_read`).
    """

    max_expanded_bytes: int = 2 << 30  # 2 GiB: a file's size once decompressed (or on disk)
    max_expansion_ratio: int = 200  # expanded size / size on disk, for a compressed file

    #: a record whose |amount| is larger refuses its whole file (an amount no AR team
    #: receives is a broken file or a typo, and one would overflow the run's totals)
    max_payment_amount: Decimal = Decimal("1000000000.00")


@dataclass(frozen=True, slots=True)
class ImportProfile:
    """``[import.invoices]`` (and the columns of ``[import.customers]``): how the ERP writes."""

    columns: Mapping[str, str] = field(default_factory=dict)
    #: strptime format of the dates; "" = ISO 8601 (YYYY-MM-DD) only, anything else refused
    date_format: str = ""
    #: the export's decimal mark: "." or ","
    decimal: str = "."


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration."""

    database_path: str = "cashapp.duckdb"
    company_name: str = "Our Company"
    ach_company_ids: frozenset[str] = frozenset()
    default_currency: str = "USD"
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    write_off_limit: Decimal = Decimal("50.00")
    refund_limit: Decimal = Decimal("500.00")
    sources: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    inbox_path: str = "inbox"
    inbox_archive: str = "inbox/archive"
    schedule_cron: str = "0 6 * * *"
    schedule_timezone: str = "UTC"
    accounts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACCOUNTS))
    customer_columns: Mapping[str, str] = field(default_factory=dict)
    invoice_columns: Mapping[str, str] = field(default_factory=dict)
    invoice_import: ImportProfile = field(default_factory=ImportProfile)
    query_timeout_seconds: int = 60  # `cashapp query` interrupts a statement after this
    #: how long a verb waits for another process holding the database file (DESIGN §5b)
    lock_timeout_seconds: int = 30
    #: the deduction reason codes a short pay or write-off is booked under, and the GL
    #: account of each (``[deductions]``)
    deductions: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DEDUCTIONS))
    source_path: str = ""  # the file this came from ("" = built-in defaults)


#: GL accounts the journal posts to; the keys are fixed, the values are the ERP's numbers.
DEFAULT_ACCOUNTS: Mapping[str, str] = {
    "cash": "1000",
    "accounts_receivable": "1200",
    "unapplied_cash": "2100",
    "discounts": "4900",
    "write_offs": "6800",
    "bank_fees": "6100",
    "refunds_payable": "2200",
    "stripe_clearing": "1110",
    "plastiq_clearing": "1120",
}

#: The deduction taxonomy: why a customer paid less, each code booked to its own GL
#: account when the difference is written off. The codes are fixed (reports and the
#: remittance reader use them); the accounts are the ERP's. ``other`` is the general
#: write-off account.
DEFAULT_DEDUCTIONS: Mapping[str, str] = {
    "pricing": "6810",
    "damaged_goods": "6820",
    "freight": "6830",
    "early_pay_discount": "4900",
    "tax": "2400",
    "promotion": "6840",
    "other": "6800",
}

#: An ERP account number or code: letters, digits and the separators charts of accounts use.
_ACCOUNT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,39}")

CUSTOMER_FIELDS = ("customer_id", "name", "email", "currency", "terms")
INVOICE_FIELDS = (
    "invoice_number",
    "customer_id",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "po_number",
    "terms",
)


# --- small typed readers: each names the key it complains about -----------------------


def _account_code(key: str, value: object) -> str:
    code = _str(key, value)
    if not _ACCOUNT_CODE.fullmatch(code):
        raise ConfigError(
            f"{key}: {code!r} is not an account code (letters, digits, space . _ : / -;"
            " up to 40 characters)"
        )
    return code


def _str(key: str, value: object) -> str:
    try:
        return settings_str(key, value)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None


def _int(lo: int, hi: int) -> Callable[[str, object], int]:
    def read(name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: expected a whole number, got {value!r}")
        if not lo <= value <= hi:
            raise ConfigError(f"{name}: {value} is outside {lo}..{hi}")
        return value

    return read


def _bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    return value


def _money(key: str, value: object) -> Decimal:
    """Amounts in config are strings (``"5.00"``) or integers; a TOML float is refused."""
    if isinstance(value, float):
        raise ConfigError(f'{key}: write amounts as strings, e.g. "{value}" (floats are not money)')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f'{key}: expected an amount such as "5.00", got {value!r}')
    try:
        amount = parse_amount(str(value), "USD", decimal=".")
    except MoneyError as exc:
        raise ConfigError(f"{key}: {exc}") from exc
    if amount < 0:
        raise ConfigError(f"{key}: must not be negative")
    return amount


def _ceiling(key: str, value: object) -> Decimal:
    amount = _money(key, value)
    if not Decimal(1) <= amount <= MAX_AMOUNT:
        raise ConfigError(f"{key}: must be between 1 and {MAX_AMOUNT} (DECIMAL(18,4))")
    return amount


def _date_format(key: str, value: object) -> str:
    """A strptime format that reads back a whole calendar date (day, month and year)."""
    fmt = _str(key, value)
    sample = date(2024, 12, 31)
    try:
        parsed = datetime.strptime(sample.strftime(fmt), fmt).date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        parsed = None
    if parsed != sample:
        raise ConfigError(
            f"{key}: {fmt!r} does not read back a full date (use strptime codes, e.g. %d/%m/%Y)"
        )
    return fmt


def _decimal_mark(key: str, value: object) -> str:
    mark = _str(key, value)
    if mark not in (".", ","):
        raise ConfigError(f'{key}: must be "." or ",", not {mark!r}')
    return mark


def _import_profile(prefix: str, value: object, fields: tuple[str, ...]) -> ImportProfile:
    table = _table(prefix, value)
    _check_keys(prefix, table, _import_keys(fields))
    return ImportProfile(
        columns=_column_map(f"{prefix}.columns", table.get("columns", {}), fields),
        date_format=(
            _date_format(f"{prefix}.date_format", table["date_format"])
            if "date_format" in table
            else ""
        ),
        decimal=_decimal_mark(f"{prefix}.decimal", table.get("decimal", ".")),
    )


def _import_keys(fields: tuple[str, ...]) -> frozenset[str]:
    """The keys of an ``[import.*]`` table: customers carry neither dates nor amounts, so
    only their columns are mapped."""
    return frozenset({"columns", "date_format", "decimal"} if "amount" in fields else {"columns"})


def _str_list(key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a list of strings")
    return [v.strip() for v in value]


def _table(key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table")
    return value


def _check_keys(prefix: str, table: Mapping[str, object], allowed: Set[str]) -> None:
    try:
        check_settings_keys(prefix, table, allowed)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None


def _column_map(prefix: str, value: object, fields: tuple[str, ...]) -> dict[str, str]:
    table = _table(prefix, value)
    _check_keys(prefix, table, set(fields))
    return {name: _str(f"{prefix}.{name}", header) for name, header in table.items()}


_MATCHING_KEYS: dict[str, Callable[[str, object], object]] = {
    "rules": _str,
    "fuzzy_threshold": _int(50, 100),
    "fuzzy_margin": _int(0, 50),
    "amount_tolerance": _money,
    "write_off_tolerance": _money,
    "max_subset_candidates": _int(2, 200),
    "max_subset_size": _int(1, 10),
    "subset_time_limit_ms": _int(1, 60_000),
    "date_window_days": _int(0, 60),
    "set_based": _bool,
    "reference_patterns": lambda key, value: _patterns(key, value),
}


#: ``[ingest]`` keys and their readers, one line per key (fields of :class:`IngestConfig`).
_INGEST_KEYS: dict[str, Callable[[str, object], object]] = {
    "max_expanded_bytes": _int(1024, 1 << 40),
    "max_expansion_ratio": _int(2, 10_000),
    "max_payment_amount": _ceiling,
}


def _patterns(key: str, value: object) -> tuple[str, ...]:
    import re

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a list of regular expressions (strings)")
    for n, text in enumerate(value):
        try:
            compiled = re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"{key}[{n}]: not a regular expression ({exc}): {text!r}") from None
        if compiled.groups != 1:
            raise ConfigError(
                f"{key}[{n}]: needs exactly one capture group (the invoice number): {text!r}"
            )
    return tuple(value)


#: The keys of the ``[sources.*]`` tables config checks itself (the pull settings); each
#: configurable connector declares and checks its own.
_STRIPE_KEYS: Final = frozenset({"api_key_env", "api_base", "landing"})
_PLAID_KEYS: Final = frozenset({"client_id_env", "secret_env", "host", "landing", "items"})


def _validate_stripe_source(prefix: str, table: Mapping[str, object]) -> None:
    _check_keys(prefix, table, _STRIPE_KEYS)
    for key in ("api_key_env", "api_base", "landing"):
        if key in table:
            _str(f"{prefix}.{key}", table[key])
    name = table.get("api_key_env", "STRIPE_API_KEY")
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ConfigError(
            f"{prefix}.api_key_env: the NAME of an environment variable, not a key: {name!r}"
        )
    if isinstance(name, str) and name.startswith(("sk_", "rk_")):
        raise ConfigError(f"{prefix}.api_key_env: put the key in the environment, not here")


def _env_name(key: str, value: object) -> str:
    name = _str(key, value)
    if not name.replace("_", "").isalnum() or name.startswith(("sk_", "rk_", "access-")):
        raise ConfigError(f"{key}: the NAME of an environment variable, not a secret: {name!r}")
    return name


def _validate_plaid_source(prefix: str, table: Mapping[str, object]) -> None:
    _check_keys(prefix, table, _PLAID_KEYS)
    for key in ("client_id_env", "secret_env"):
        if key in table:
            _env_name(f"{prefix}.{key}", table[key])
    for key in ("host", "landing"):
        if key in table:
            _str(f"{prefix}.{key}", table[key])
    items = table.get("items", {})
    if not isinstance(items, Mapping):
        raise ConfigError(f"{prefix}.items: expected a table of item name = access-token variable")
    for name, variable in items.items():
        _env_name(f"{prefix}.items.{name}", variable)


_SOURCE_VALIDATORS: dict[str, Callable[[str, Mapping[str, object]], None]] = {
    "stripe": _validate_stripe_source,
    "plaid": _validate_plaid_source,
}


def source_validators() -> dict[str, Callable[[str, Mapping[str, object]], None]]:
    """Every ``[sources.<name>]`` that may appear: the pull settings checked here, and each
    registered connector's own table (``connectors.load_builtin()`` registers them; config
    never imports a connector, see ``cashapp.domain.register_settings``)."""
    return {**settings_validators(), **_SOURCE_VALIDATORS}


def register_source_validator(
    name: str, validate: Callable[[str, Mapping[str, object]], None]
) -> None:
    """Let a connector validate its own ``[sources.<name>]`` table (raising ConfigError)."""
    _SOURCE_VALIDATORS[name] = validate


#: The keys of the sections :func:`parse_config` reads key by key. ``matching``, ``ingest``,
#: ``accounts`` and ``deductions`` have their own tables (``_MATCHING_KEYS``,
#: ``_INGEST_KEYS``, ``DEFAULT_ACCOUNTS``, ``DEFAULT_DEDUCTIONS``); ``import`` and
#: ``sources`` hold tables of their own.
_SECTION_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "database": frozenset({"path", "lock_timeout_seconds"}),
    "company": frozenset({"name", "ach_company_ids", "default_currency"}),
    "approval": frozenset({"write_off_limit", "refund_limit"}),
    "inbox": frozenset({"path", "archive"}),
    "schedule": frozenset({"cron", "timezone"}),
    "query": frozenset({"timeout_seconds"}),
}
_IMPORT_TABLES: Final = frozenset({"customers", "invoices"})
_SECTIONS: Final = frozenset(
    {*_SECTION_KEYS, "matching", "ingest", "accounts", "deductions", "import", "sources"}
)


def accepted_keys() -> tuple[str, ...]:
    """Every key of the config file that config itself reads, dotted
    (``matching.fuzzy_threshold``), sorted; ``*`` stands for a name the file chooses (a
    Plaid item).

    Read from the same allow-lists :func:`parse_config` checks against, so a key added
    there is listed here, and ``tests/test_config.py`` then wants it documented in
    ``config.example.toml``. A connector's own ``[sources.<format>]`` table is not listed:
    config does not import connectors; each declares its keys (``SETTINGS_KEYS``).
    """
    keys = [f"{section}.{key}" for section, names in _SECTION_KEYS.items() for key in names]
    keys += [f"matching.{key}" for key in _MATCHING_KEYS]
    keys += [f"ingest.{key}" for key in _INGEST_KEYS]
    keys += [f"accounts.{key}" for key in DEFAULT_ACCOUNTS]
    keys += [f"deductions.{key}" for key in DEFAULT_DEDUCTIONS]
    for table, fields in (("customers", CUSTOMER_FIELDS), ("invoices", INVOICE_FIELDS)):
        keys += [f"import.{table}.{key}" for key in _import_keys(fields) - {"columns"}]
        keys += [f"import.{table}.columns.{name}" for name in fields]
    keys += [f"sources.stripe.{key}" for key in _STRIPE_KEYS]
    keys += [f"sources.plaid.{key}" for key in _PLAID_KEYS - {"items"}] + ["sources.plaid.items.*"]
    return tuple(sorted(keys))


def parse_config(data: Mapping[str, object], source_path: str = "") -> Config:  # noqa: C901 - one flat block per config section, in file order
    """Validate a parsed TOML document and build the :class:`Config`."""
    _check_keys("config", data, _SECTIONS)
    kwargs: dict[str, Any] = {"source_path": source_path}

    database = _table("database", data.get("database", {}))
    _check_keys("database", database, _SECTION_KEYS["database"])
    if "path" in database:
        kwargs["database_path"] = _str("database.path", database["path"])
    if "lock_timeout_seconds" in database:
        kwargs["lock_timeout_seconds"] = _int(0, 3600)(
            "database.lock_timeout_seconds", database["lock_timeout_seconds"]
        )

    company = _table("company", data.get("company", {}))
    _check_keys("company", company, _SECTION_KEYS["company"])
    if "name" in company:
        kwargs["company_name"] = _str("company.name", company["name"])
    if "ach_company_ids" in company:
        ids = _str_list("company.ach_company_ids", company["ach_company_ids"])
        for ident in ids:
            if not ident or len(ident) > 10:
                raise ConfigError(f"company.ach_company_ids: {ident!r} is not a 1-10 character ID")
        kwargs["ach_company_ids"] = frozenset(ids)
    if "default_currency" in company:
        try:
            kwargs["default_currency"] = check_currency(
                _str("company.default_currency", company["default_currency"])
            )
        except MoneyError as exc:
            raise ConfigError(f"company.default_currency: {exc}") from exc

    matching = _table("matching", data.get("matching", {}))
    _check_keys("matching", matching, set(_MATCHING_KEYS))
    matching_values: dict[str, Any] = {
        name: _MATCHING_KEYS[name](f"matching.{name}", value) for name, value in matching.items()
    }
    kwargs["matching"] = MatchingConfig(**matching_values)

    ingest = _table("ingest", data.get("ingest", {}))
    _check_keys("ingest", ingest, set(_INGEST_KEYS))
    ingest_values: dict[str, Any] = {
        name: _INGEST_KEYS[name](f"ingest.{name}", value) for name, value in ingest.items()
    }
    kwargs["ingest"] = IngestConfig(**ingest_values)

    approval = _table("approval", data.get("approval", {}))
    _check_keys("approval", approval, _SECTION_KEYS["approval"])
    for name in ("write_off_limit", "refund_limit"):
        if name in approval:
            kwargs[name] = _money(f"approval.{name}", approval[name])

    sources = _table("sources", data.get("sources", {}))
    for name, table in sources.items():
        section = _table(f"sources.{name}", table)
        validators = source_validators()
        validate = validators.get(name)
        if validate is None:
            known = ", ".join(sorted(validators)) or "none"
            raise ConfigError(f"sources.{name}: unknown source (configurable sources: {known})")
        try:
            validate(f"sources.{name}", section)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from exc
    kwargs["sources"] = sources

    inbox = _table("inbox", data.get("inbox", {}))
    _check_keys("inbox", inbox, _SECTION_KEYS["inbox"])
    if "path" in inbox:
        kwargs["inbox_path"] = _str("inbox.path", inbox["path"])
    if "archive" in inbox:
        kwargs["inbox_archive"] = _str("inbox.archive", inbox["archive"])

    schedule = _table("schedule", data.get("schedule", {}))
    _check_keys("schedule", schedule, _SECTION_KEYS["schedule"])
    if "cron" in schedule:
        cron = _str("schedule.cron", schedule["cron"])
        if len(cron.split()) != 5:
            raise ConfigError(f"schedule.cron: {cron!r} is not a 5-field cron expression")
        kwargs["schedule_cron"] = cron
    if "timezone" in schedule:
        kwargs["schedule_timezone"] = _str("schedule.timezone", schedule["timezone"])

    accounts = _table("accounts", data.get("accounts", {}))
    _check_keys("accounts", accounts, set(DEFAULT_ACCOUNTS))
    kwargs["accounts"] = {
        **DEFAULT_ACCOUNTS,
        **{k: _account_code(f"accounts.{k}", v) for k, v in accounts.items()},
    }

    deductions = _table("deductions", data.get("deductions", {}))
    _check_keys("deductions", deductions, set(DEFAULT_DEDUCTIONS))
    kwargs["deductions"] = {
        **DEFAULT_DEDUCTIONS,
        **{k: _account_code(f"deductions.{k}", v) for k, v in deductions.items()},
    }

    query = _table("query", data.get("query", {}))
    _check_keys("query", query, _SECTION_KEYS["query"])
    if "timeout_seconds" in query:
        kwargs["query_timeout_seconds"] = _int(1, 86_400)(
            "query.timeout_seconds", query["timeout_seconds"]
        )

    imports = _table("import", data.get("import", {}))
    _check_keys("import", imports, _IMPORT_TABLES)
    if "customers" in imports:
        profile = _import_profile("import.customers", imports["customers"], CUSTOMER_FIELDS)
        kwargs["customer_columns"] = profile.columns
    if "invoices" in imports:
        profile = _import_profile("import.invoices", imports["invoices"], INVOICE_FIELDS)
        kwargs["invoice_import"] = profile
        kwargs["invoice_columns"] = profile.columns
    return Config(**kwargs)


def load_config(path: str | Path | None = None, db_override: str | None = None) -> Config:
    """Read and validate the configuration; see the module docstring for the lookup order."""
    candidate = Path(path) if path else Path(DEFAULT_CONFIG_FILE)
    if path and not candidate.is_file():
        raise ConfigError(f"{candidate}: config file not found")
    data: Mapping[str, object] = {}
    source = ""
    if candidate.is_file():
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{candidate}: not valid TOML: {exc}") from exc
        source = str(candidate)
    try:
        config = parse_config(data, source)
    except ConfigError as exc:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}{exc}") from exc
    if db_override:
        config = replace(config, database_path=db_override)
    return config
