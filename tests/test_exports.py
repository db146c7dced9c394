"""Exports never destroy, and nothing a payer typed runs in a spreadsheet (issue 10, item 8).

The journal file is what accounting loads into the ERP: a run that finds nothing new must
not replace yesterday's file with a header, an existing file is replaced only on request,
a path that cannot be written is refused before anything is stamped, and a crash never
leaves half a file. Every CSV meant for people escapes cells a spreadsheet would run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import resource
import shutil
import signal
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from cashapp.csvsafe import safe_cell, safe_row, write_csv, write_xlsx
from cashapp.journal import ExportRefused, export_journal, post_journal
from cashapp.store import open_store
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from tests.conftest import CliRunner


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo database for the module; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.duckdb"
    from cashapp.config import Config
    from cashapp.demo import run_demo

    with open_store(str(path), create=True) as store:
        run_demo(store, Config(database_path=str(path)), folder / "files")
    return path


@pytest.fixture
def book(demo_book: Path, db: Path) -> Path:
    shutil.copy(demo_book, db)
    return db


def _unexported(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT count(*) FROM journal_entries WHERE export_batch IS NULL"
        ).fetchone()
        return int(row[0]) if row else -1
    finally:
        con.close()


def _tables_hash(db: Path) -> str:
    """A digest of every table's content: 'the database is unchanged' made checkable."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        digest = hashlib.sha256()
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        for table in sorted(tables):
            rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            digest.update(f"{table}:{rows!r}".encode())
        return digest.hexdigest()
    finally:
        con.close()


# --- export journal ----------------------------------------------------------------------


def test_a_first_export_writes_every_line_and_stamps_it(cli: CliRunner, book: Path) -> None:
    target = book.parent / "gl.csv"
    result = cli("export", "journal", "--out", target)
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) > 20
    assert sum(Decimal(r["debit"]) for r in rows) == sum(Decimal(r["credit"]) for r in rows)
    assert _unexported(book) == 0
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_an_existing_file_is_not_replaced_without_force(cli: CliRunner, book: Path) -> None:
    target = book.parent / "gl.csv"
    target.write_text("yesterday's lines\n", encoding="utf-8")
    before = _tables_hash(book)
    result = cli("export", "journal", "--out", target)
    assert result.code == 2
    assert str(target) in result.stderr
    assert "--force" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert target.read_text(encoding="utf-8") == "yesterday's lines\n"
    assert _tables_hash(book) == before  # not even posted


def test_force_replaces_an_existing_file(cli: CliRunner, book: Path) -> None:
    target = book.parent / "gl.csv"
    target.write_text("old\n", encoding="utf-8")
    result = cli("export", "journal", "--out", target, "--force")
    assert result.code == 0, result.stderr
    assert target.read_text(encoding="utf-8").startswith("entry_id,entry_date,")


def test_nothing_new_writes_nothing_and_says_so(cli: CliRunner, book: Path) -> None:
    """The reported bug: a second export replaced the day's GL file with a header."""
    target = book.parent / "gl.csv"
    assert cli("export", "journal", "--out", target).code == 0
    first = target.read_bytes()
    again = cli("export", "journal", "--out", target, "--force")
    assert again.code == 0, again.stderr
    assert "nothing new to export" in again.stdout
    assert target.read_bytes() == first
    other = book.parent / "empty.csv"
    assert cli("export", "journal", "--out", other).code == 0
    assert not other.exists()


def test_nothing_new_stamps_no_batch(book: Path, tmp_path: Path) -> None:
    with open_store(str(book)) as store:
        post_journal(store, {**_accounts()})
        export_journal(store, tmp_path / "a.csv")
        result = export_journal(store, tmp_path / "b.csv")
        audits = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'export'")
    assert result.entries == 0
    assert result.path is None
    assert result.batch == ""
    assert audits == 1


@pytest.mark.parametrize("where", ["missing folder", "a folder that is a file"])
def test_an_unwritable_path_is_refused_and_nothing_is_stamped(
    cli: CliRunner, book: Path, where: str
) -> None:
    if where == "missing folder":
        target = book.parent / "no" / "such" / "gl.csv"
    else:
        (book.parent / "plain").write_text("x", encoding="utf-8")
        target = book.parent / "plain" / "gl.csv"
    before = _tables_hash(book)
    result = cli("export", "journal", "--out", target)
    assert result.code == 2
    assert str(target) in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert _tables_hash(book) == before
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_folder_without_write_permission_is_refused(cli: CliRunner, book: Path) -> None:
    folder = book.parent / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    before = _tables_hash(book)
    try:
        result = cli("export", "journal", "--out", folder / "gl.csv")
    finally:
        folder.chmod(0o700)
    assert result.code == 2
    assert "cannot write" in result.stderr
    assert _tables_hash(book) == before


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_nobody_may_create_files_in_is_refused(cli: CliRunner, book: Path) -> None:
    """/proc refuses new files even to root: the permission case wherever the tests run."""
    before = _tables_hash(book)
    result = cli("export", "journal", "--out", "/proc/gl.csv")
    assert result.code == 2
    assert "cannot write /proc/gl.csv" in result.stderr
    assert "internal error" not in result.stderr
    assert _tables_hash(book) == before


def test_a_failure_while_writing_leaves_no_file_and_no_stamp(book: Path, tmp_path: Path) -> None:
    """A disk that fills up half-way: no temporary file left, no target, nothing stamped.

    The process's file-size limit (RLIMIT_FSIZE) stands in for the full disk: the real
    writer fails with EFBIG after the first few kilobytes of the file.
    """
    folder = tmp_path / "gl"
    folder.mkdir()
    with open_store(str(book)) as store:
        post_journal(store, _accounts())
        before = store.scalar("SELECT count(*) FROM journal_entries WHERE export_batch IS NULL")
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
        try:
            with pytest.raises(ExportRefused, match=r"cannot write .*gl\.csv"):
                export_journal(store, folder / "gl.csv")
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)
        after = store.scalar("SELECT count(*) FROM journal_entries WHERE export_batch IS NULL")
        exports = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'export'")
    assert before > 0
    assert after == before
    assert exports == 0
    assert list(folder.iterdir()) == []


def test_export_refused_names_the_path(book: Path, tmp_path: Path) -> None:
    with open_store(str(book)) as store:
        post_journal(store, _accounts())
        with pytest.raises(ExportRefused, match=r"cannot write .*missing"):
            export_journal(store, tmp_path / "missing" / "gl.csv")


def _accounts() -> dict[str, str]:
    from cashapp.config import DEFAULT_ACCOUNTS

    return dict(DEFAULT_ACCOUNTS)


# --- CSV injection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://x","pay")', '\'=HYPERLINK("http://x","pay")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1e5", "'-1e5"),
        ("-", "'-"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("1000", "1000"),
        ("ACME =1", "ACME =1"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_escaped(cell: str, shown: str) -> None:
    assert safe_cell(cell) == shown


def test_rows_become_safe_strings() -> None:
    assert safe_row([None, Decimal("-5.00"), "=x", 3]) == ["", "-5.00", "'=x", "3"]


def test_write_csv_escapes_header_and_cells() -> None:
    buffer = io.StringIO()
    write_csv(buffer, ["name", "amount"], [["@evil", "-1.00"]])
    assert buffer.getvalue() == "name,amount\n'@evil,-1.00\n"


def test_xlsx_cells_are_text_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["name", "amount"], [["=1+1", Decimal("-12.50")], [None, 3]])
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].data_type == "n"
    assert sheet["A3"].value in ("", None)


def _bai2_with_hostile_text(path: Path) -> None:
    account = Bai2Account(
        "987654321",
        "USD",
        (
            Bai2Transaction(
                "195", Decimal("100.00"), "FW1", "", "ORG=@SUM(1+1) OBI==cmd|' /C calc'!A0"
            ),
        ),
    )
    path.write_bytes(
        write_bai2(
            [account],
            sender="021000021",
            receiver="OURCO",
            file_id="7",
            created=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
            as_of=date(2026, 11, 20),
        )
    )


def test_query_csv_escapes_payer_text(cli: CliRunner, tmp_path: Path) -> None:
    _bai2_with_hostile_text(tmp_path / "day.bai2")
    assert cli("ingest", tmp_path / "day.bai2").code == 0
    result = cli(
        "query", "select payer_name, remittance, amount from v_payments", "--format", "csv"
    )
    assert result.code == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["payer_name"].startswith("'@")
    assert row["remittance"][:1] not in ("=", "+", "-", "@")
    assert row["amount"] == "100.00"


def test_query_csv_leaves_negative_amounts_as_numbers(cli: CliRunner) -> None:
    cli("init")
    result = cli(
        "query", "select -12.5::DECIMAL(18,4) AS amount, '=1+1' AS memo", "--format", "csv"
    )
    assert result.code == 0, result.stderr
    assert result.stdout == "amount,memo\n-12.50,'=1+1\n"


def test_ingest_csv_output_is_escaped(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "=cmd.bai2"
    _bai2_with_hostile_text(path)
    result = cli("ingest", path, "--output", "csv")
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert not row["file"].startswith("=")


def test_exceptions_list_csv_is_escaped(cli: CliRunner, tmp_path: Path) -> None:
    _bai2_with_hostile_text(tmp_path / "day.bai2")
    cli("ingest", tmp_path / "day.bai2")
    assert cli("match").code == 0
    result = cli("exceptions", "list", "--format", "csv")
    assert result.code == 0, result.stderr
    for row in csv.reader(io.StringIO(result.stdout)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")) or cell.startswith("'"), cell


def test_the_journal_file_escapes_text_but_not_amounts(book: Path, tmp_path: Path) -> None:
    with open_store(str(book)) as store:
        post_journal(store, _accounts())
        store.execute(
            "UPDATE journal_lines SET invoice_number = '=HYPERLINK(1)' WHERE entry_id = ("
            "SELECT min(entry_id) FROM journal_entries)"
        )
        export_journal(store, tmp_path / "gl.csv")
    rows = list(csv.DictReader((tmp_path / "gl.csv").open(encoding="utf-8")))
    assert {r["invoice_number"] for r in rows} >= {"'=HYPERLINK(1)"}
    assert all(not r["debit"].startswith("'") for r in rows)
