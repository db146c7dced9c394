"""Re-sends (issue 10): a damaged file is refused with the database untouched, and the bank's
corrected re-send is then accepted exactly once, so the journal's cash is what the bank paid.

Before the fix each damaged file below was accepted, and the corrected re-send was stored
as well (a NACHA entry without its trace, an OFX transaction whose FITID was cut, a Stripe
payout read as ``other``): the journal debited cash the bank never paid. Every damaged file
is cut, in the test, from a file the project's own writers produce.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors.nacha.writer import AchBatch, AchEntry, write_nacha
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx
from tests.conftest import CliRunner

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _nacha() -> bytes:
    entries = tuple(
        AchEntry("22", "011000015", "4455667788", Decimal(amount), f"INV-30{n}", "CONTOSO LLC")
        for n, amount in enumerate(("64796.23", "1250.00", "310.40"), 1)
    )
    batch = AchBatch("CONTOSO LLC", "5556667778", "CCD", "PAYMENT", date(2026, 11, 20),
                     "02100002", entries)  # fmt: skip
    return write_nacha([batch], immediate_destination="021000021",
                       immediate_origin="1234567890", created=datetime(2026, 11, 20, 9, 0))  # fmt: skip


def _nacha_cut(data: bytes) -> bytes:
    lines = data.decode().split("\n")
    entry = next(i for i, line in enumerate(lines) if line.startswith("6"))
    lines[entry] = lines[entry][:80]  # the trace number (80-94) is lost
    return "\n".join(lines).encode()


def _ofx() -> bytes:
    transactions = tuple(
        OfxTransaction(f"20240301000{n}", date(2024, 3, 1), Decimal(f"{n}00.25"),
                       name=f"CUSTOMER {n}", checknum=f"10{n}")
        for n in range(1, 5)
    )  # fmt: skip
    return write_ofx([OfxStatement("123456789", "USD", transactions)], sgml=True)


def _ofx_cut_in_half(data: bytes) -> bytes:
    return data[: data.index(b"<CHECKNUM>103") + 3]  # FITID 202403010003<CH


def _ofx_without_fitid(data: bytes) -> bytes:
    return data.replace(b"<FITID>202403010002", b"", 1)


def _stripe() -> bytes:
    return (FIXTURES / "stripe" / "balance_change_itemized" / "input.csv").read_bytes()


def _stripe_last_row_cut(data: bytes) -> bytes:
    *rows, last = data.decode().rstrip("\n").split("\n")
    return ("\n".join([*rows, ",".join(last.split(",")[:5])[:-1]]) + "\n").encode()


def _camt() -> bytes:
    return (FIXTURES / "camt053" / "sepa-statement-v02" / "input.xml").read_bytes()


def _camt_cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


CASES: dict[str, tuple[str, Callable[[], bytes], Callable[[bytes], bytes]]] = {
    "nacha entry cut to 80": ("resend.ach", _nacha, _nacha_cut),
    "ofx cut in half": ("resend.ofx", _ofx, _ofx_cut_in_half),
    "ofx without fitid": ("resend.ofx", _ofx, _ofx_without_fitid),
    "stripe last row cut": ("resend.csv", _stripe, _stripe_last_row_cut),
    "camt cut in half": ("resend.xml", _camt, _camt_cut_in_half),
}


def database_digest(db: Path) -> str:
    """A hash of every table's rows: "unchanged" means byte for byte the same content."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() ORDER BY table_name"
            ).fetchall()
        ]
        digest = hashlib.sha256()
        for table in tables:
            rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            digest.update(table.encode())
            for row in sorted(repr(r) for r in rows):
                digest.update(row.encode())
        return digest.hexdigest()
    finally:
        con.close()


def _ingest(cli: CliRunner, path: Path) -> tuple[int, dict[str, object], str]:
    result = cli("ingest", path, "--output", "json")
    rows = json.loads(result.stdout) if result.stdout.strip().startswith("[") else [{}]
    return result.code, rows[0], result.stdout + result.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_file_is_refused_and_its_corrected_resend_is_stored_once(
    case: str, cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    name, write, damage = CASES[case]
    good = write()
    damaged_path, good_path = tmp_path / f"damaged-{name}", tmp_path / name
    damaged_path.write_bytes(damage(good))
    good_path.write_bytes(good)
    assert cli("init").code == 0
    before = database_digest(db)

    code, row, output = _ingest(cli, damaged_path)
    assert code == 2, output
    assert "Traceback" not in output
    assert str(damaged_path.name) in output
    assert "line " in output
    assert database_digest(db) == before

    code, row, output = _ingest(cli, good_path)
    assert code == 0, output
    records = int(str(row["records"]))
    assert row["new"] == records > 0
    code, row, output = _ingest(cli, good_path)
    assert code == 0, output
    assert row["new"] == 0
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute("SELECT count(*) FROM payments").fetchone()
    con.close()
    assert stored == (records,)


CUSTOMERS = "customer_id,name,email,currency,terms\nC1,Contoso LLC,,USD,NET30\n"
INVOICES = (
    "invoice_number,customer_id,invoice_date,due_date,amount,currency\n"
    "INV-301,C1,2026-10-20,2026-11-19,64796.23,USD\n"
    "INV-302,C1,2026-10-21,2026-11-20,1250.00,USD\n"
    "INV-303,C1,2026-10-22,2026-11-21,310.40,USD\n"
)


def test_damaged_then_corrected_nacha_gives_a_journal_whose_cash_is_what_the_bank_paid(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "i.csv").write_text(INVOICES)
    assert cli("import", "customers", tmp_path / "c.csv").code == 0
    assert cli("import", "invoices", tmp_path / "i.csv").code == 0
    good = _nacha()
    (tmp_path / "monday.ach").write_bytes(_nacha_cut(good))
    (tmp_path / "monday-resend.ach").write_bytes(good)
    delivered = Decimal("64796.23") + Decimal("1250.00") + Decimal("310.40")

    assert _ingest(cli, tmp_path / "monday.ach")[0] == 2
    assert _ingest(cli, tmp_path / "monday-resend.ach")[0] == 0
    assert _ingest(cli, tmp_path / "monday-resend.ach")[1]["new"] == 0
    assert cli("match").code == 0
    exported = cli("export", "journal", "--out", tmp_path / "journal.csv")
    assert exported.code == 0, exported.stderr

    con = duckdb.connect(str(db), read_only=True)
    cash = con.execute(
        "SELECT sum(debit) - sum(credit) FROM v_journal_lines WHERE account = '1000'"
    ).fetchone()
    applied = con.execute(
        "SELECT sum(amount) FROM v_applications WHERE status = 'active' AND kind = 'payment'"
    ).fetchone()
    open_amounts = con.execute("SELECT sum(open_amount) FROM v_invoices").fetchone()
    con.close()
    assert cash == (delivered,)
    assert applied == (delivered,)
    assert open_amounts == (Decimal("0.00"),)
    lines = (tmp_path / "journal.csv").read_text().splitlines()[1:]
    cash_lines = [line.split(",") for line in lines if line.split(",")[3] == "1000"]
    assert sum(Decimal(c[4]) - Decimal(c[5]) for c in cash_lines) == delivered
