"""Customers and invoices from the ERP: refused whole on any bad row, idempotent re-import."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import CliRunner

CUSTOMERS = """customer_id,name,email,currency,terms
C1,Acme Corp,ap@acme.example,USD,2/10 NET30
C2,Globex LLC,,USD,NET30
"""
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number,terms
INV-1001,C1,2026-11-01,2026-12-01,1000.00,1000.00,USD,PO-1,2/10 NET30
INV-1002,C1,2026-11-02,,500.00,,USD,,NET30
INV-2001,C2,2026-10-01,2026-10-31,"1,250.50",250.50,USD,,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_customers_and_invoices(cli: CliRunner, db: Path, tmp_path: Path) -> None:
    assert cli("import", "customers", _write(tmp_path, "c.csv", CUSTOMERS)).code == 0
    result = cli("import", "invoices", _write(tmp_path, "i.csv", INVOICES))
    assert result.code == 0, result.stderr
    assert "3 new" in result.stdout
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT invoice_number, amount, open_amount, due_date::VARCHAR, status FROM v_invoices ORDER BY 1"
    ).fetchall()
    con.close()
    assert [(r[0], str(r[1]), str(r[2]), r[3], r[4]) for r in rows] == [
        ("INV-1001", "1000.0000", "1000.0000", "2026-12-01", "open"),
        ("INV-1002", "500.0000", "500.0000", "2026-12-02", "open"),  # due date from NET30
        ("INV-2001", "1250.5000", "250.5000", "2026-10-31", "partially_paid"),
    ]


def test_reimporting_the_same_files_changes_nothing(cli: CliRunner, tmp_path: Path) -> None:
    customers = _write(tmp_path, "c.csv", CUSTOMERS)
    invoices = _write(tmp_path, "i.csv", INVOICES)
    cli("import", "customers", customers)
    cli("import", "invoices", invoices)
    again = cli("import", "invoices", invoices)
    assert again.code == 0
    assert "0 new, 0 updated, 3 unchanged" in again.stdout
    assert "0 new, 0 updated, 2 unchanged" in cli("import", "customers", customers).stdout


def test_one_bad_amount_refuses_the_whole_file_naming_the_line(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    cli("import", "customers", _write(tmp_path, "c.csv", CUSTOMERS))
    bad = INVOICES.replace("500.00,,USD", "5OO.00,,USD")
    result = cli("import", "invoices", _write(tmp_path, "bad.csv", bad))
    assert result.code == 2
    assert "line 3" in result.stderr
    assert "not an amount" in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM invoices").fetchone() == (0,)
    con.close()


def test_every_bad_line_is_named(cli: CliRunner, tmp_path: Path) -> None:
    cli("import", "customers", _write(tmp_path, "c.csv", CUSTOMERS))
    bad = INVOICES.replace("C2,2026-10-01", "C9,2026-10-01").replace(
        "2026-11-01,2026-12-01", "2026-13-01,2026-12-01"
    )
    result = cli("import", "invoices", _write(tmp_path, "bad.csv", bad))
    assert result.code == 2
    assert "line 2: bad date" in result.stderr
    assert "line 4: unknown customer 'C9'" in result.stderr


def test_column_mapping_from_config(cli: CliRunner, tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        "c.toml",
        '[import.customers.columns]\ncustomer_id = "Customer No"\nname = "Customer Name"\n',
    )
    text = "Customer No,Customer Name,currency\nK1,Initech Inc,USD\n"
    result = cli("import", "customers", _write(tmp_path, "k.csv", text), config=config)
    assert result.code == 0, result.stderr
    assert "1 new" in result.stdout


def test_xlsx_invoices_are_read(cli: CliRunner, tmp_path: Path) -> None:
    from openpyxl import Workbook

    cli("import", "customers", _write(tmp_path, "c.csv", CUSTOMERS))
    wb = Workbook()
    ws = wb.active
    ws.append(["invoice_number", "customer_id", "invoice_date", "due_date", "amount", "currency"])
    ws.append(["INV-9", "C1", "2026-11-01", "2026-12-01", "99.95", "USD"])
    path = tmp_path / "i.xlsx"
    wb.save(path)
    result = cli("import", "invoices", path)
    assert result.code == 0, result.stderr
    assert "1 new" in result.stdout


def test_a_header_naming_a_column_twice_is_refused_naming_line_1_and_the_column(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    """Two ``amount`` columns: the row kept the last one, a 0.00 that is not the invoice's
    total. The file is refused naming the header line and the repeated column."""
    cli("import", "customers", _write(tmp_path, "c.csv", CUSTOMERS))
    text = (
        "invoice_number,customer_id,invoice_date,due_date,amount,amount,currency\n"
        "INV-9,C1,2026-11-01,2026-12-01,99.95,0.00,USD\n"
    )
    result = cli("import", "invoices", _write(tmp_path, "dup.csv", text))
    assert result.code == 2
    assert "dup.csv" in result.stderr
    assert "line 1: the header names column 'amount' twice (columns 5 and 6)" in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM invoices").fetchone() == (0,)
    con.close()


def test_an_xlsx_header_naming_a_column_twice_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["customer_id", "name", "name", "currency"])
    ws.append(["K1", "Initech Inc", "Initrode", "USD"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    result = cli("import", "customers", path)
    assert result.code == 2
    assert "c.xlsx" in result.stderr
    assert "line 1: the header names column 'name' twice (columns 2 and 3)" in result.stderr
