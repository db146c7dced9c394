"""Any bank's CSV export, read through a declarative mapping (a ``[sources.csv.<profile>]``).

Design note. Every bank exports CSV differently, so the format is described in config, not
code, the way hledger's CSV rules files do it: which line is the header, which column is
the date and in what format, whether amounts are one signed column or a debit/credit
pair, which columns carry the payer and the remittance text. A profile is validated in
full before use (unknown keys and bad values are refused with the key's dotted name), and
a file is claimed only by a profile whose ``match_header`` fits its header line, so a
stray CSV is never read with the wrong mapping. A header naming a column twice is refused
(:mod:`connectors.csv_rows`): either cell could be the one the mapping means.

Connector seam: ``identify`` cannot decide without the configuration, so it returns
False; the ingest layer calls :func:`profile_for` (head bytes + context) instead, and
``extract`` picks the profile the same way from ``context.sources["csv"]``.

Rows: every bad row refuses the whole file naming its line (a half-read bank export is
worse than none: the day would not tie out). Blank lines are skipped; a UTF-8 BOM is
dropped; quoting follows the csv module (RFC 4180). Money in is positive: with
``sign = "inflow_negative"`` the amount column is negated; with debit/credit columns the
credit is money in and the debit money out, whatever sign the bank printed. Inflows are
``payment``, everything else ``other``. ``source_ref`` is the mapped reference column (or
""); ``dedupe_key`` hashes the profile, account, date, amount, currency and every mapped
text field, numbered per file with :func:`occurrence_keys` so two identical rows stay two
payments and a re-import adds nothing.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from cashapp.domain import FileRefused, PaymentRecord, SettingsError, occurrence_keys, stable_key
from cashapp.money import (
    DECIMAL_MARKS,
    AmbiguousDecimal,
    DecimalMark,
    MoneyError,
    check_currency,
    detect_decimal,
    parse_amount,
)
from connectors.base import ExtractContext, ExtractResult, register
from connectors.csv_rows import check_header

SOURCE: Final = "csv"
SIGNS: Final = ("inflow_positive", "inflow_negative")


class CsvProfileError(SettingsError):
    """A ``[sources.csv.<profile>]`` table that cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """How to read one bank's CSV export (one ``[sources.csv.<name>]`` table)."""

    name: str
    match_header: str
    date_column: str
    date_format: str = "%Y-%m-%d"
    skip_rows: int = 0
    delimiter: str = ","
    encoding: str = "utf-8"
    amount_column: str = ""
    debit_column: str = ""
    credit_column: str = ""
    sign: str = "inflow_positive"
    #: the export's decimal mark: "." or ",", or "auto" to detect it per file (a file that
    #: does not say is refused). ``decimal_comma = true`` is the older spelling of ",".
    decimal: str = "."
    currency: str = ""  # "" = the column, else the context's default currency
    currency_column: str = ""
    payer_column: str = ""
    remittance_columns: tuple[str, ...] = ()
    reference_column: str = ""
    account: str = ""  # our account's label, as the user wrote it

    @classmethod
    def from_mapping(
        cls, name: str, table: Mapping[str, object], prefix: str = "sources.csv"
    ) -> CsvProfile:
        """Validate one profile table; raise :class:`CsvProfileError` naming the bad key."""
        where = f"{prefix}.{name}"
        values: dict[str, object] = {"name": name}
        for key, value in table.items():
            kind = _KEY_TYPES.get(key)
            if kind is None:
                close = difflib.get_close_matches(key, _KEY_TYPES, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise CsvProfileError(f"{where}.{key}: unknown key{hint}")
            values[key] = _checked(f"{where}.{key}", value, kind)
        for key in ("match_header", "date_column"):
            if not values.get(key):
                raise CsvProfileError(f"{where}.{key}: required")
        if "decimal_comma" in values:  # the older key, still read: true means ","
            legacy = "," if values.pop("decimal_comma") else "."
            if values.setdefault("decimal", legacy) != legacy:
                raise CsvProfileError(
                    f"{where}.decimal_comma: contradicts {where}.decimal; keep only decimal"
                )
        profile = cls(**values)  # type: ignore[arg-type]
        profile._check(where)
        return profile

    def _check(self, where: str) -> None:  # noqa: C901 - one check per profile setting, each refusing by name
        if self.amount_column and (self.debit_column or self.credit_column):
            raise CsvProfileError(
                f"{where}.amount_column: set either amount_column or debit_column + "
                "credit_column, not both"
            )
        if not self.amount_column:
            for key in ("debit_column", "credit_column"):
                if not getattr(self, key):
                    raise CsvProfileError(
                        f"{where}.{key}: required (or set amount_column for signed amounts)"
                    )
        if len(self.delimiter) != 1 or self.delimiter in '"\r\n':
            raise CsvProfileError(f"{where}.delimiter: must be one character (not a quote)")
        if self.skip_rows < 0 or self.skip_rows > 1000:
            raise CsvProfileError(f"{where}.skip_rows: must be between 0 and 1000")
        if self.decimal not in DECIMAL_MARKS:
            raise CsvProfileError(
                f"{where}.decimal: must be one of {', '.join(map(repr, DECIMAL_MARKS))}"
            )
        if self.sign not in SIGNS:
            raise CsvProfileError(f"{where}.sign: must be one of {', '.join(SIGNS)}")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise CsvProfileError(f"{where}.encoding: unknown encoding {self.encoding!r}") from None
        if self.currency:
            try:
                check_currency(self.currency)
            except MoneyError as exc:
                raise CsvProfileError(f"{where}.currency: {exc}") from None
        sample = date(2024, 12, 31)
        try:
            parsed = datetime.strptime(sample.strftime(self.date_format), self.date_format)  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            parsed = None
        if parsed is None or parsed.date() != sample:
            raise CsvProfileError(
                f"{where}.date_format: {self.date_format!r} does not read back a full date "
                "(use strptime codes such as %d.%m.%Y)"
            )
        if any(not column for column in self.remittance_columns):
            raise CsvProfileError(f"{where}.remittance_columns: column names must not be empty")

    def columns(self) -> dict[str, str]:
        """Every mapped column by the key that maps it (for header checks)."""
        mapped = {
            key: getattr(self, key)
            for key in (
                "date_column",
                "amount_column",
                "debit_column",
                "credit_column",
                "currency_column",
                "payer_column",
                "reference_column",
            )
            if getattr(self, key)
        }
        for column in self.remittance_columns:
            mapped.setdefault(f"remittance_columns[{column}]", column)
        return mapped


_KEY_TYPES: Final[dict[str, type]] = {
    "match_header": str,
    "skip_rows": int,
    "delimiter": str,
    "encoding": str,
    "date_column": str,
    "date_format": str,
    "amount_column": str,
    "debit_column": str,
    "credit_column": str,
    "sign": str,
    "decimal": str,
    "decimal_comma": bool,
    "currency": str,
    "currency_column": str,
    "payer_column": str,
    "remittance_columns": tuple,
    "reference_column": str,
    "account": str,
}
#: Every key a profile table may set (tests/test_config.py wants each documented).
PROFILE_KEYS: Final = frozenset(_KEY_TYPES)
_TYPE_NAMES: Final = {str: "a string", int: "an integer", bool: "true or false"}


def _checked(key: str, value: object, kind: type) -> object:
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise CsvProfileError(f"{key}: must be a list of column names")
        return tuple(v.strip() for v in value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is bool and isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value if key.endswith((".delimiter", ".match_header")) else value.strip()
    raise CsvProfileError(f"{key}: must be {_TYPE_NAMES[kind]}, not {type(value).__name__}")


def validate_csv_profiles(
    sources_csv: Mapping[str, object], prefix: str = "sources.csv"
) -> dict[str, CsvProfile]:
    """Validate the whole ``[sources.csv]`` table; profiles in config order."""
    profiles = {}
    for name, table in sources_csv.items():
        if not isinstance(table, Mapping):
            raise CsvProfileError(f"{prefix}.{name}: must be a table of profile settings")
        profiles[name] = CsvProfile.from_mapping(name, table, prefix)
    return profiles


# --------------------------------------------------------------------------- detection


def _decode(data: bytes, encoding: str, *, strict: bool = True) -> str:
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    text = data.decode(codec, errors="strict" if strict else "replace")
    text = text.removeprefix("\ufeff")
    if "\r" in text and "\n" not in text:  # classic Mac line ends
        text = text.replace("\r", "\n")
    return text


def _skip(text: str, rows: int) -> int:
    """Offset just after the first ``rows`` lines."""
    offset = 0
    for _ in range(rows):
        newline = text.find("\n", offset)
        if newline < 0:
            return len(text)
        offset = newline + 1
    return offset


def _header_fits(line: str, profile: CsvProfile) -> bool:
    """The header line starts with ``match_header``, as written or once unquoted."""
    wanted = profile.match_header.strip().casefold()
    line = line.strip()
    if line.casefold().startswith(wanted):
        return True
    cells = next(csv.reader([line], delimiter=profile.delimiter), [])
    return profile.delimiter.join(c.strip() for c in cells).casefold().startswith(wanted)


def _header_line(text: str, profile: CsvProfile) -> str:
    offset = _skip(text, profile.skip_rows)
    for line in text[offset:].split("\n", 50)[:50]:
        if line.strip():
            return line
    return ""


def _profiles(context: ExtractContext) -> dict[str, CsvProfile]:
    return validate_csv_profiles(context.sources.get("csv", {}))


def profile_for(head: bytes, context: ExtractContext) -> CsvProfile | None:
    """The first configured profile whose ``match_header`` fits the file's header line.

    ``head`` is the start of the file (a few KB is plenty). Returns None when no profile
    fits or none is configured; raises :class:`CsvProfileError` if the configuration is
    invalid (the config loader normally refuses that earlier).
    """
    for profile in _profiles(context).values():
        text = _decode(head, profile.encoding, strict=False)
        if _header_fits(_header_line(text, profile), profile):
            return profile
    return None


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Layout:
    """Column positions of one file, resolved from its header."""

    date: int
    amount: int
    debit: int
    credit: int
    currency: int
    payer: int
    reference: int
    remittance: tuple[int, ...]
    width: int  # fields a row needs


def _layout(header: list[str], profile: CsvProfile, where: str) -> _Layout:
    cells = [cell.strip().removeprefix("\ufeff") for cell in header]
    check_header(header, cells, where)  # two "Amount" columns: which is the money?
    positions = {cell: index for index, cell in enumerate(cells)}
    for key, column in profile.columns().items():
        if column not in positions:
            raise FileRefused(
                f"column {column!r} ({key}) is not in the header; the header has "
                f"{', '.join(repr(h.strip()) for h in header)}",
                where,
            )

    def at(column: str) -> int:
        return positions[column] if column else -1

    remittance = tuple(positions[c] for c in profile.remittance_columns)
    layout = _Layout(
        date=at(profile.date_column),
        amount=at(profile.amount_column),
        debit=at(profile.debit_column),
        credit=at(profile.credit_column),
        currency=at(profile.currency_column),
        payer=at(profile.payer_column),
        reference=at(profile.reference_column),
        remittance=remittance,
        width=0,
    )
    widest = max(
        layout.date, layout.amount, layout.debit, layout.credit, layout.currency,
        layout.payer, layout.reference, *remittance,
    )  # fmt: skip
    return replace(layout, width=widest + 1)


def _names(header: list[str]) -> dict[int, str]:
    return {index: cell.strip() for index, cell in enumerate(header)}


def read_csv(data: bytes, profile: CsvProfile, default_currency: str = "USD") -> ExtractResult:  # noqa: C901 - the row loop: one refusal per way a row can be bad, each naming its line
    """Read one CSV export with ``profile``; raises :class:`FileRefused` naming the line."""
    try:
        text = _decode(data, profile.encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(f"the file is not valid {profile.encoding}", f"line {line}") from None
    start = _skip(text, profile.skip_rows)
    reader = csv.reader(
        io.StringIO(text[start:], newline=""), delimiter=profile.delimiter, strict=True
    )
    skipped = profile.skip_rows
    header: list[str] = []
    for header in reader:
        if any(cell.strip() for cell in header):
            break
    else:
        raise FileRefused("the file has no header line")
    header_line = skipped + reader.line_num
    if not _header_fits(profile.delimiter.join(header), profile):
        raise FileRefused(
            f"the header does not start with {profile.match_header!r} (profile {profile.name!r})",
            f"line {header_line}",
        )
    layout = _layout(header, profile, f"line {header_line}")
    names = _names(header)
    width = len(header)
    while width > layout.width and not header[width - 1].strip():
        width -= 1  # a trailing delimiter on the header line names no column
    mark = _decimal_mark(text[start:], profile, layout, skipped)
    fixed_currency = profile.currency.upper() or default_currency
    negate = profile.amount_column != "" and profile.sign == "inflow_negative"
    dates: dict[str, date] = {}
    currencies: dict[str, str] = {}
    records: list[PaymentRecord] = []
    keys: list[str] = []
    while True:
        first_line = skipped + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileRefused(
                f"unreadable CSV: {exc}", f"line {skipped + reader.line_num}"
            ) from None
        if not any(row) or not "".join(row).strip():
            continue
        where = f"line {first_line}"
        if len(row) != width and (len(row) < width or any(c.strip() for c in row[width:])):
            # Every column of the header, mapped or not: a row that lost cells is a cut or
            # damaged file, and extra cells mean a delimiter inside a value shifted the row
            # (see connectors.csv_rows). Blank cells past the header lose nothing.
            if len(row) < width:
                raise FileRefused(
                    f"missing column {names[len(row)]!r}: the row has {len(row)} fields, "
                    f"the header {width}",
                    where,
                )
            raise FileRefused(
                f"the row has {len(row)} fields but the header {width} (an unquoted "
                f"{profile.delimiter!r} inside a value?)",
                where,
            )
        date_text = row[layout.date].strip()
        posted = dates.get(date_text)
        if posted is None:
            try:
                posted = datetime.strptime(date_text, profile.date_format).date()  # noqa: DTZ007 - a calendar date, no time zone
            except ValueError:
                raise FileRefused(
                    f"bad date {date_text!r} in {profile.date_column!r} "
                    f"for date_format {profile.date_format!r}",
                    where,
                ) from None
            dates[date_text] = posted
        currency = fixed_currency
        if layout.currency >= 0 and row[layout.currency].strip():
            code = row[layout.currency].strip()
            currency = currencies.get(code, "")
            if not currency:
                try:
                    currency = currencies[code] = check_currency(code)
                except MoneyError as exc:
                    raise FileRefused(
                        f"bad currency in {profile.currency_column!r}: {exc}", where
                    ) from None
        amount = _amount(row, layout, profile, mark, currency, where)
        if negate or not amount:
            amount = abs(amount) if not amount else -amount  # never a "-0.00"
        payer = row[layout.payer].strip() if layout.payer >= 0 else ""
        reference = row[layout.reference].strip() if layout.reference >= 0 else ""
        parts = [row[i].strip() for i in layout.remittance]
        key = stable_key(
            profile.name, profile.account, posted, amount, currency, payer, reference, *parts
        )
        keys.append(key)
        records.append(
            PaymentRecord(
                source=SOURCE,
                source_ref=reference,
                dedupe_key=key,
                kind="payment" if amount > 0 else "other",
                amount=amount,
                currency=currency,
                value_date=posted,
                payer_name=payer,
                remittance=" ".join(part for part in parts if part),
                account=profile.account,
                location=where,
                raw=profile.delimiter.join(row),
            )
        )
    unique = occurrence_keys(keys)
    return ExtractResult(
        records=tuple(
            record if key == record.dedupe_key else replace(record, dedupe_key=key)
            for record, key in zip(records, unique, strict=True)
        ),
        record_count=len(records),
    )


def _decimal_mark(text: str, profile: CsvProfile, layout: _Layout, skipped: int) -> DecimalMark:
    """The profile's declared mark, or with ``decimal = "auto"`` the one this file uses.

    Detection reads every amount cell of the file first (a second pass over the text, only
    in auto mode) and refuses the file, naming the line, when the amounts do not say.
    """
    if profile.decimal != "auto":
        return "," if profile.decimal == "," else "."
    columns = [i for i in (layout.amount, layout.debit, layout.credit) if i >= 0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter, strict=True)
    cells: list[tuple[str, int]] = []
    seen_header = False
    try:
        for row in reader:
            if not "".join(row).strip():
                continue
            if not seen_header:
                seen_header = True
                continue
            cells += [(row[i].strip(), reader.line_num) for i in columns if i < len(row)]
    except csv.Error:
        pass  # the reading pass refuses it, naming the line
    try:
        return detect_decimal(cell for cell, _ in cells if cell)
    except AmbiguousDecimal as exc:
        line = next(n for cell, n in cells if cell == exc.text) + skipped
        raise FileRefused(f'decimal = "auto": {exc}', f"line {line}") from None


def _amount(
    row: list[str],
    layout: _Layout,
    profile: CsvProfile,
    mark: DecimalMark,
    currency: str,
    where: str,
) -> Decimal:
    """The signed amount of one row (money in positive), or FileRefused naming the column."""

    def parse(column: str, text: str) -> Decimal:
        try:
            return parse_amount(text, currency, decimal=mark)
        except MoneyError as exc:
            raise FileRefused(f"bad amount in {column!r}: {exc}", where) from None

    if layout.amount >= 0:
        return parse(profile.amount_column, row[layout.amount])
    debit_text = row[layout.debit].strip()
    credit_text = row[layout.credit].strip()
    debit = parse(profile.debit_column, debit_text) if debit_text else Decimal(0)
    credit = parse(profile.credit_column, credit_text) if credit_text else Decimal(0)
    if debit and credit:
        raise FileRefused(f"both debit ({debit_text}) and credit ({credit_text}) are filled", where)
    if not debit_text and not credit_text:
        raise FileRefused(
            f"neither {profile.debit_column!r} nor {profile.credit_column!r} has an amount", where
        )
    return abs(credit) - abs(debit)


class CsvMappedConnector:
    """Bank CSV exports described by ``[sources.csv.<profile>]`` tables."""

    name = SOURCE

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """``[sources.csv.<bank>]``: every profile, as :func:`validate_csv_profiles` reads it."""
        validate_csv_profiles(table, prefix)

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        """Always False: only :func:`profile_for` (which sees the config) can tell."""
        return False

    def profile_for(self, head: bytes, context: ExtractContext) -> CsvProfile | None:
        return profile_for(head, context)

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        try:
            profiles = _profiles(context)
            if not profiles:
                raise FileRefused("no [sources.csv] profile is configured for CSV files")
            head = data[:8192]
            profile = profile_for(head, context)
            if profile is None:
                text = _decode(head, next(iter(profiles.values())).encoding, strict=False)
                first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
                raise FileRefused(
                    f"no [sources.csv] profile matches header {first[:120]!r} "
                    f"(profiles: {', '.join(profiles)})"
                )
            return read_csv(data, profile, context.default_currency)
        except FileRefused:
            raise
        except CsvProfileError as exc:
            raise FileRefused(f"invalid CSV profile: {exc}") from exc
        except Exception as exc:  # the contract: no raw exception leaves a connector
            raise FileRefused(f"unreadable CSV file ({type(exc).__name__}: {exc})") from exc


register(CsvMappedConnector())
