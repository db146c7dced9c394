"""The set-based master-data import is the row-by-row one, only faster (issue 12).

The oracle is the import as it was (``tests/masterdata_rowwise.py``: ``csv.reader``,
a dict per row, the rules one row at a time, one UPDATE per changed row). Generated
files -- messy amounts (grouped, decimal comma, symbols, excess decimals), declared
date formats, blank open amounts, due dates derived from terms, quoting, blank and
ragged lines, bad values of every kind -- are imported both ways, one after the other,
and must give the same summaries, warnings and refusals (text and order), the same
stored customers and invoices, and the same audit rows. The SQL accelerators are also
held equal to their Python rules one by one, and the fast CSV reading to ``csv.reader``.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import cashapp.masterdata as bulk
from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config, ImportProfile
from cashapp.keys import invoice_ref_key
from cashapp.masterdata.csvfile import without_whitespace
from cashapp.masterdata.rules import REQUIRED, ImportRefused, Kind
from cashapp.masterdata.shapes import (
    amount_sql,
    ref_key_is_sql,
    ref_key_sql,
    strip_sql,
    whitespace,
)
from cashapp.masterdata.staging import ROWS, stage_rows
from cashapp.money import MoneyError, minor_units, parse_amount
from cashapp.store import Store, open_store
from tests import masterdata_rowwise as rowwise

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _column(values: list[str], expr: Callable[[str], str], extra: str = "") -> list[Any]:
    con = _duckdb()
    con.register("v", pa.table({"i": list(range(len(values))), "s": pa.array(values, pa.string())}))
    try:
        return [
            r[0] for r in con.execute(f"SELECT {expr('s')} FROM v {extra} ORDER BY i").fetchall()
        ]
    finally:
        con.unregister("v")


# --- the accelerators, one by one ----------------------------------------------------------

_SPACES = whitespace() + "a,é\u200b\u0301"


def test_the_whitespace_is_every_character_str_strip_removes() -> None:
    assert "".join(c for c in map(chr, range(0x110000)) if c.strip() == "") == whitespace()


@settings(SLOW, max_examples=200)
@given(
    st.lists(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
        | st.text(_SPACES),
        max_size=30,
    )
)
def test_strip_sql_is_str_strip(values: list[str]) -> None:
    assert _column(values, strip_sql) == [v.strip() for v in values]


def test_a_line_called_plain_has_no_whitespace_to_strip() -> None:
    chars = [chr(c) for c in range(256)] + list(whitespace()) + ["é", "\u200b", ""]
    plain = without_whitespace(pa.array([f"a{c}b" for c in chars], pa.string())).to_pylist()
    assert [c for c, p in zip(chars, plain, strict=True) if p and c.isspace()] == []
    assert sum(plain) == 95  # printable ASCII but the space, and the empty text


_AMOUNT_CHARS = "0123456789" * 3 + ".,-+ $()'\u00a0USDEJPY"


@settings(SLOW, max_examples=300)
@given(
    st.lists(st.text(_AMOUNT_CHARS, max_size=14), max_size=30),
    st.sampled_from(["USD", "JPY", "KWD", "CLF"]),
    st.sampled_from([".", ","]),
)
@example(
    ["1234.5", "1,234.50", "0012", "1.234,5", "99999999999999.99", "100000000000000"], "USD", "."
)
@example(["1234,5", "1.234,50", "1.234", "12,345"], "KWD", ",")
def test_amount_sql_reads_what_parse_amount_reads(
    values: list[str], currency: str, mark: str
) -> None:
    places = str(minor_units(currency))
    got = _column(values, lambda s: amount_sql(s, places, mark))  # type: ignore[arg-type]
    for text, value in zip(values, got, strict=True):
        if value is None:
            continue  # not a common shape: Python reads it
        assert value == parse_amount(text, currency, decimal=mark), text  # type: ignore[arg-type]


def test_amount_sql_reads_the_common_shapes() -> None:
    values = ["1234.56", "1,234.56", "7", "0.5", "1,000,000.00"]
    assert _column(values, lambda s: amount_sql(s, "2", ".")) == [
        Decimal("1234.56"), Decimal("1234.56"), Decimal(7), Decimal("0.5"), Decimal(1000000),
    ]  # fmt: skip
    assert _column(["1.234,56", "12,5", "1234.56"], lambda s: amount_sql(s, "2", ",")) == [
        Decimal("1234.56"), Decimal("12.5"), None,  # 1234.56 with a decimal comma is refused
    ]  # fmt: skip
    with pytest.raises(MoneyError):
        parse_amount("1234.56", "USD", decimal=",")


@settings(SLOW, max_examples=200)
@given(st.lists(st.text("0123456789--AZaz #/.é", max_size=12), max_size=30))
@example(["INV-104523", "2026-0042", "ABC", "A1-B2", "12-", "-", "", "1--2", "x9y"])
def test_ref_key_sql_is_invoice_ref_key_where_it_applies(numbers: list[str]) -> None:
    keys = _column(numbers, lambda s: f"CASE WHEN {ref_key_is_sql(s)} THEN {ref_key_sql(s)} END")
    for number, key in zip(numbers, keys, strict=True):
        if key is not None:
            assert key == invoice_ref_key(number), number
    assert _column(["INV-7", "A1-B2"], ref_key_is_sql) == [True, False]


# --- the CSV reading -------------------------------------------------------------------


def _staged(path: Path) -> Any:
    store = Store(":memory:")
    try:
        stage_rows(store, path, "customers", CUSTOMER_FIELDS, {})
        rows = store.fetchall(
            f"SELECT line_no, {', '.join(CUSTOMER_FIELDS)} FROM {ROWS} ORDER BY 1"
        )
        return [(n, dict(zip(CUSTOMER_FIELDS, values, strict=True))) for n, *values in rows]
    except ImportRefused as exc:
        return str(exc)
    finally:
        store.close()


def _oracle_rows(path: Path) -> Any:
    try:
        rows = rowwise.read_rows(path)
        return rowwise.mapped(rows, CUSTOMER_FIELDS, {}, "customers", str(path))
    except ImportRefused as exc:
        return str(exc)


_CSV_CHARS = 'ab,,"" \t\r\n\n\x0b\x1c\u3000é'
_HEADERS = ["customer_id,name,email,currency,terms", "name,customer_id", " customer_id , name ,"]


@settings(SLOW, max_examples=300)
@given(
    st.sampled_from(_HEADERS) | st.text(_CSV_CHARS + "name_idcustomer", max_size=30),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.text(_CSV_CHARS, max_size=60),
    st.sampled_from([b"", b"\xef\xbb\xbf"]),
    st.sampled_from(["utf-8", "latin-1"]),
)
@example("customer_id,name", "\n", '"a","b"\n\n  ,\n"x""y",z', b"", "utf-8")
@example("customer_id,name", "\r\n", 'a,"b\nc"\nd,e', b"", "utf-8")
def test_the_bulk_csv_reading_is_csv_reader(
    tmp_path_factory: Any, header: str, end: str, body: str, bom: bytes, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("csv") / "c.csv"
    path.write_bytes(bom + (header + end + body).encode(encoding, errors="replace"))
    assert _staged(path) == _oracle_rows(path)


# --- whole imports, both ways ------------------------------------------------------------

_CUSTOMER_IDS = ["C1", "C2", "C3", " C4 ", "Ü5", "C6"]
_GOOD_TERMS = ["", "NET30", "2/10 NET30", "net 45", "N 10", "DUE ON RECEIPT", "NET 0",
               "1/10 NET20", "NET2900000"]  # fmt: skip
_BAD_TERMS = ["bogus", "150/10 NET30", "1/20 NET10", "NET2950000", "NET99999999999"]
_GOOD_CURRENCIES = ["USD", "USD", "usd", " EUR", "JPY", "KWD"]
_BAD_CURRENCIES = ["XYZ", "XXX", "XAU", "", "US D"]
_PO = ["", "PO-1", "PO, 2", 'say "hi"', "two\nlines", " padded ", "é"]
_GOOD_NAMES = ["Acme Corp", "Société Générale SA", "The Smith & Jones, LLC", '"Q" Inc',
               "Globex\nLLC", "ÆON Ltd", "Initech", " Hooli "]  # fmt: skip
_DATE_FORMATS = ["", "%d/%m/%Y", "%m/%d/%Y", "%Y%m%d"]
_INVOICE_NUMBERS = [f"INV-{n}" for n in range(12)] + ["2026-0042", "A1-B2", "ÄÖ-12", "١٢٣", "abc"]


def _now_and_then(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws (``integers`` would favour its bounds)."""
    return draw(st.sampled_from([False] * (one_in - 1) + [True]))


def _pick(draw: st.DrawFn, clean: bool, good: list[str], bad: list[str]) -> str:
    """A good value; in a dirty file, now and then a bad one."""
    if clean or not _now_and_then(draw, 6):
        return draw(st.sampled_from(good))
    return draw(st.sampled_from(bad))


@st.composite
def _amount(draw: st.DrawFn, mark: str, code: str, places: int, clean: bool) -> str:
    """Amount text of at most ``places`` decimals (more, or junk, only in a dirty file)."""
    group = "," if mark == "." else "."
    units = draw(st.integers(10**places, 10**10))
    shown = draw(st.integers(places if clean else 0, places + (0 if clean else 2)))
    whole, frac = divmod(units, 10**places)
    frac_text = f"{frac:0{places}d}" if places else ""
    if len(frac_text) > shown:
        frac_text = frac_text[:shown]
    else:
        frac_text += "0" * (shown - len(frac_text))
    digits = f"{whole:,}".replace(",", group) if draw(st.booleans()) else str(whole)
    text = digits + (f"{mark}{frac_text}" if frac_text else "")
    styles = ["plain"] * 6 + ["lead0", "dollar", "code", "space"]
    style = draw(st.sampled_from(styles + ([] if clean else ["neg", "junk", "zero", "huge"])))
    if style == "lead0":
        return "00" + text
    if style == "dollar":
        return "$" + text
    if style == "code":
        return f"{code} {text}"
    if style == "space":
        return f"  {text} "
    if style == "neg":
        return "-" + text
    if style == "zero":
        return "0"
    if style == "huge":
        return "123456789012345678"
    if style == "junk":
        return draw(st.text(_AMOUNT_CHARS, max_size=8))
    return text


@st.composite
def _date_text(draw: st.DrawFn, day: date, fmt: str, clean: bool) -> str:
    if fmt and draw(st.booleans()):
        return day.strftime(fmt)
    if clean or not _now_and_then(draw, 6):
        return day.isoformat()
    return draw(st.sampled_from(["2026-02-30", "2026-13-01", "01/02/2026", "x", "", "0000-01-01"]))


@st.composite
def _invoice(draw: st.DrawFn, number: str, mark: str, fmt: str, clean: bool) -> dict[str, str]:
    currency = _pick(draw, clean, _GOOD_CURRENCIES, _BAD_CURRENCIES)
    places = minor_units(currency.strip().upper()) if currency.strip().upper() in (
        "USD", "EUR", "JPY", "KWD") else 2  # fmt: skip
    code = currency.strip().upper()
    amount = draw(_amount(mark, code, places, clean))
    day = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    terms = _pick(draw, clean, _GOOD_TERMS, _BAD_TERMS)
    due = ""
    if not terms or draw(st.booleans()):
        gap = draw(st.integers(0 if clean else -3, 60))
        due = draw(_date_text(day + timedelta(days=gap), fmt, clean))
    open_amount = draw(st.sampled_from(["", amount, "0"]))
    if not clean and _now_and_then(draw, 3):
        open_amount = draw(_amount(mark, code, places, clean))
    return {
        "invoice_number": number,
        "customer_id": _pick(draw, clean, _CUSTOMER_IDS[:4], ["C404", "", "Ü5", "C6"]),
        "invoice_date": draw(_date_text(day, fmt, clean)),
        "due_date": due,
        "amount": amount,
        "open_amount": open_amount,
        "currency": currency,
        "po_number": draw(st.sampled_from(_PO)),
        "terms": terms,
    }


@st.composite
def _invoice_rows(
    draw: st.DrawFn, mark: str, fmt: str, clean: bool, before: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Invoices; a re-import keeps some rows, changes some cells, and adds some rows."""
    rows = [dict(row) for row in before if not _now_and_then(draw, 4)]
    for index, row in enumerate(rows):
        change = draw(st.sampled_from(["same", "same", "row", "po_number", "due_date"]))
        if change != "same":
            changed = draw(_invoice(row["invoice_number"], mark, fmt, clean))
            rows[index] = changed if change == "row" else {**row, change: changed[change]}
    used = {row["invoice_number"] for row in rows}
    fresh = [n for n in _INVOICE_NUMBERS if n not in used]
    count = draw(st.sampled_from([3, 1, 2, 4, 5]))
    if clean:
        numbers = draw(
            st.lists(st.sampled_from(fresh), min_size=count, max_size=count, unique=True)
        )
    else:
        numbers = draw(
            st.lists(st.sampled_from([*fresh, " INV-1", ""]), min_size=1, max_size=count)
        )
    rows += [draw(_invoice(n, mark, fmt, clean)) for n in numbers]
    return draw(st.permutations(rows))


@st.composite
def _customer_rows(draw: st.DrawFn, clean: bool) -> list[dict[str, str]]:
    if clean:  # every customer the clean invoices name, and maybe some more
        extra = draw(st.lists(st.sampled_from(_CUSTOMER_IDS[4:]), max_size=2, unique=True))
        chosen = draw(st.permutations([*_CUSTOMER_IDS[:4], *extra]))
    else:
        chosen = draw(st.lists(st.sampled_from([*_CUSTOMER_IDS, "", "C1"]), max_size=6))
    return [
        {
            "customer_id": cid,
            "name": _pick(draw, clean, _GOOD_NAMES, ["", "  "])
            if not _now_and_then(draw, 5)
            else draw(st.text("ab &.,é", min_size=1, max_size=6).filter(str.strip)),
            "email": draw(st.sampled_from(["", "ap@x.example"])),
            "currency": _pick(draw, clean, ["", "USD", "eur", "JPY"], ["XYZ", "XAU"]),
            "terms": _pick(draw, clean, _GOOD_TERMS, _BAD_TERMS[:2]),
        }
        for cid in chosen
    ]


@st.composite
def _file(
    draw: st.DrawFn,
    rows: list[dict[str, str]],
    kind: Kind,
    names: dict[str, str],
    clean: bool,
) -> tuple[str, bytes]:
    """One file of ``rows``: CSV (quoting, line ends, blank and ragged lines) or XLSX."""
    fields = CUSTOMER_FIELDS if kind == "customers" else INVOICE_FIELDS
    keep = {*names.values(), *(REQUIRED[kind] if clean else ())}
    columns = [f for f in fields if f in keep or not _now_and_then(draw, 10)]
    header = [next((h for h, f in names.items() if f == c), c) for c in columns]
    cells = [[row[c] for c in columns] for row in rows]
    if _now_and_then(draw, 8):
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(header)
        for line in cells:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        return "xlsx", out.getvalue()
    quote_all = _now_and_then(draw, 3)
    end = draw(st.sampled_from(["\r\n", "\n"]))
    lines = []
    for values in [header, *cells]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=end)
        if quote_all:
            writer = csv.writer(buffer, lineterminator=end, quoting=csv.QUOTE_ALL)
        writer.writerow(values)
        lines.append(buffer.getvalue()[: -len(end)])
    extras = ["", "  ", " , ,"] + ([] if clean else ["x,y", 'a,"b'])
    for _ in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(extras)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1"]))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    return "csv", text.encode(encoding, errors="replace")


@st.composite
def _scenario(draw: st.DrawFn) -> tuple[Config, list[tuple[str, str, bytes]]]:
    """A config, and customers then invoices imported once or twice (clean or dirty files)."""
    mark = draw(st.sampled_from([".", ","]))
    fmt = draw(st.sampled_from(_DATE_FORMATS))
    invoice_names = draw(st.sampled_from([{}, {"Total": "amount", "Open": "open_amount"}]))
    customer_names = draw(st.sampled_from([{}, {"Customer No": "customer_id"}]))
    config = Config(
        default_currency=draw(st.sampled_from(["USD", "EUR"])),
        customer_columns={f: h for h, f in customer_names.items()},
        invoice_columns={f: h for h, f in invoice_names.items()},
        invoice_import=ImportProfile(
            columns={f: h for h, f in invoice_names.items()}, date_format=fmt, decimal=mark
        ),
    )
    steps = []
    invoices: list[dict[str, str]] = []
    for _ in range(draw(st.sampled_from([1, 2, 2]))):
        clean = not _now_and_then(draw, 4)
        rows = draw(_customer_rows(clean))
        steps.append(("customers", *draw(_file(rows, "customers", customer_names, clean))))
        clean = not _now_and_then(draw, 4)
        invoices = draw(_invoice_rows(mark, fmt, clean, invoices))
        steps.append(("invoices", *draw(_file(invoices, "invoices", invoice_names, clean))))
    return config, steps


@pytest.fixture(scope="module")
def stores() -> Any:
    both = (open_store(":memory:"), open_store(":memory:"))
    yield both
    for store in both:
        store.close()


def _outcome(
    importer: Callable[[Store, Path, Config], Any], store: Store, path: Path, config: Config
) -> Any:
    try:
        return ("ok", importer(store, path, config))
    except ImportRefused as exc:
        return ("refused", str(exc), exc.problems)
    except Exception as exc:  # what the loop raised, the bulk import must raise too
        return ("error", type(exc).__name__, str(exc))


def _book(store: Store) -> Any:
    customers = store.fetchall(
        "SELECT customer_id, name, email, currency, terms, name_key, created_at = updated_at"
        " FROM customers ORDER BY rowid"
    )
    invoices = store.fetchall(
        "SELECT * EXCLUDE (created_at, updated_at), created_at = updated_at FROM invoices"
        " ORDER BY rowid"
    )
    audit = store.fetchall(
        "SELECT actor, action, entity, entity_id, detail FROM audit_log ORDER BY audit_id"
    )
    return customers, invoices, audit


@settings(SLOW, max_examples=150)
@given(_scenario())
def test_the_bulk_import_is_the_row_by_row_import(
    stores: Any, tmp_path_factory: Any, scenario: tuple[Config, list[tuple[str, str, bytes]]]
) -> None:
    config, steps = scenario
    folder = tmp_path_factory.mktemp("files")
    fast, slow = stores
    for store in stores:
        for table in ("invoices", "customers", "audit_log"):
            store.execute(f"DELETE FROM {table}")
    for number, (what, kind, data) in enumerate(steps):
        path = folder / f"{what}-{number}.{kind}"
        path.write_bytes(data)
        ours = getattr(bulk, f"import_{what}")
        theirs = getattr(rowwise, f"import_{what}")
        got = _outcome(ours, fast, path, config)
        assert got == _outcome(theirs, slow, path, config)
        event(f"{what} {got[0]}")
        if got[0] == "ok" and (got[1].updated or got[1].warnings):
            event(f"{what} updated or warned")
        assert _book(fast) == _book(slow)
        assert not fast.fetchall(  # no staging table or registered Arrow view outlives it
            "SELECT table_name FROM duckdb_tables() WHERE temporary UNION ALL"
            " SELECT view_name FROM duckdb_views() WHERE temporary AND view_name LIKE 'md_%'"
        )
