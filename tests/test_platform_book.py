"""The payment-platform book end to end: Stripe and Plastiq money applied, the bank ties out.

Card money reaches the bank netted and bundled. This book has Stripe charges (one
refunded, one disputed, one dispute won), a Stripe payout, Plastiq payments and their
payout, and the bank statement that carries both deposits. After ingest and match: every
charge and Plastiq payment is applied to its invoice unless it was taken back, the taken
back ones leave the invoice open with a chargeback exception, both deposits are reconciled
to their payouts and never applied, and fees are their own records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from connectors.bai2.writer import Bai2Account, Bai2Transaction, movement, write_bai2
from tests.conftest import CliRunner

STRIPE_HEADER = (
    "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,"
    "description,customer_id,customer_name,charge_id,automatic_payout_id,dispute_reason,"
    "payment_metadata[invoice_number]"
)
CUSTOMERS = """customer_id,name,email,currency,terms
C1,Acme Plumbing Supply Inc,,USD,NET30
C2,Globex Logistics LLC,,USD,NET30
C3,Initech Software Inc,,USD,NET30
C4,Umbrella Medical Labs LLC,,USD,NET30
"""
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,currency
INV-300001,C1,2026-11-01,2026-12-01,1000.00,USD
INV-300002,C2,2026-11-01,2026-12-01,250.00,USD
INV-300003,C1,2026-11-01,2026-12-01,400.00,USD
INV-300004,C2,2026-11-01,2026-12-01,600.00,USD
INV-300005,C3,2026-11-01,2026-12-01,2400.00,USD
INV-300006,C4,2026-11-01,2026-12-01,815.50,USD
"""


def _stripe_day1() -> str:
    rows = [
        "txn_a1,2026-11-17 10:00:00,usd,1000.00,29.30,970.70,charge,ch_a1,,cus_1,"
        "Acme Plumbing Supply,ch_a1,po_s1,,INV-300001",
        "txn_a2,2026-11-17 11:00:00,usd,250.00,7.55,242.45,charge,ch_a2,,cus_2,"
        "Globex Logistics,ch_a2,po_s1,,INV-300002",
        "txn_a3,2026-11-17 12:00:00,usd,400.00,11.90,388.10,charge,ch_a3,,cus_1,"
        "Acme Plumbing Supply,ch_a3,po_s1,,INV-300003",
        "txn_a4,2026-11-17 13:00:00,usd,600.00,17.70,582.30,charge,ch_a4,,cus_2,"
        "Globex Logistics,ch_a4,po_s1,,INV-300004",
    ]
    return "\n".join([STRIPE_HEADER, *rows]) + "\n"


def _stripe_day2() -> str:
    rows = [  # a refund, two disputes, one of them won, and the payout of the net
        "txn_b1,2026-11-18 09:00:00,usd,-250.00,0.00,-250.00,refund,re_b1,,cus_2,"
        "Globex Logistics,ch_a2,po_s1,,",
        "txn_b2,2026-11-18 10:00:00,usd,-400.00,15.00,-415.00,dispute,du_b2,,cus_1,"
        "Acme Plumbing Supply,ch_a3,po_s1,fraudulent,INV-300003",
        "txn_b3,2026-11-18 10:30:00,usd,-600.00,15.00,-615.00,dispute,du_b3,,cus_2,"
        "Globex Logistics,ch_a4,po_s1,product_not_received,INV-300004",
        "txn_b4,2026-11-18 11:00:00,usd,600.00,-15.00,615.00,dispute_reversal,du_b3,,cus_2,"
        "Globex Logistics,ch_a4,po_s1,,INV-300004",
        "txn_b5,2026-11-19 00:00:00,usd,-1453.75,0.00,-1453.75,payout,po_s1,STRIPE PAYOUT,,,"
        ",po_s1,,",
    ]
    return "\n".join([STRIPE_HEADER, *rows]) + "\n"


PLASTIQ = """Payment ID,Payment Date,Payer Business Name,Payer Email,Amount,Currency,Invoice Number,Memo,Status,Payout ID,Payout Date
PQ-1,2026-11-17,Initech Software,ap@initech.example,2400.00,USD,INV-300005,,DEPOSITED,PQO-9,2026-11-19
PQ-2,2026-11-17,Umbrella Medical Labs,ap@umbrella.example,815.50,USD,INV-300006,,DEPOSITED,PQO-9,2026-11-19
"""


def _bank(path: Path) -> Path:
    tx = (
        Bai2Transaction("165", Decimal("1453.75"), "ACH1", "", "ORIG CO NAME:STRIPE DESC:TRANSFER"),
        Bai2Transaction("165", Decimal("3215.50"), "ACH2", "", "ORIG CO NAME:PLASTIQ INC"),
    )
    opening = Decimal("10000.00")
    closing = opening + sum((movement(t) for t in tx), Decimal(0))
    path.write_bytes(
        write_bai2(
            [Bai2Account("123456789", "USD", tx, opening, closing)],
            sender="021000021",
            receiver="OURCO",
            file_id="3",
            created=datetime(2026, 11, 20, 6, tzinfo=UTC),
            as_of=date(2026, 11, 19),
        )
    )
    return path


def test_the_platform_book_ends_applied_reversed_and_reconciled(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "i.csv").write_text(INVOICES)
    (tmp_path / "stripe1.csv").write_text(_stripe_day1())
    (tmp_path / "stripe2.csv").write_text(_stripe_day2())
    (tmp_path / "plastiq.csv").write_text(PLASTIQ)
    cli("import", "customers", tmp_path / "c.csv")
    cli("import", "invoices", tmp_path / "i.csv")
    for batch in (
        [tmp_path / "stripe1.csv", tmp_path / "plastiq.csv"],
        [tmp_path / "stripe2.csv", _bank(tmp_path / "bank.bai2")],
    ):
        assert cli("ingest", *batch).code == 0
        assert cli("match").code == 0
    con = duckdb.connect(str(db), read_only=True)
    open_amounts = dict(con.execute("SELECT invoice_number, open_amount FROM invoices").fetchall())
    payments = dict(
        con.execute("SELECT source_ref, status FROM payments WHERE kind = 'payment'").fetchall()
    )
    settlements = sorted(
        con.execute("SELECT source, status FROM payments WHERE kind = 'settlement'").fetchall()
    )
    exceptions = sorted(con.execute("SELECT type, reason_code, status FROM exceptions").fetchall())
    fees = con.execute("SELECT sum(amount) FROM payments WHERE kind = 'fee'").fetchone()
    tie_out = con.execute("SELECT status FROM statement_checks").fetchall()
    con.close()
    assert open_amounts == {
        "INV-300001": Decimal("0.0000"),  # charged
        "INV-300002": Decimal("250.0000"),  # refunded: open again
        "INV-300003": Decimal("400.0000"),  # disputed: open again
        "INV-300004": Decimal("0.0000"),  # disputed, dispute won: applied again
        "INV-300005": Decimal("0.0000"),  # Plastiq
        "INV-300006": Decimal("0.0000"),  # Plastiq
    }
    assert payments == {
        "ch_a1": "applied", "ch_a2": "reversed", "ch_a3": "reversed", "ch_a4": "applied",
        "PQ-1": "applied", "PQ-2": "applied",
    }  # fmt: skip
    assert settlements == [
        ("bai2", "reconciled"), ("bai2", "reconciled"),
        ("plastiq", "reconciled"), ("stripe", "reconciled"),
    ]  # fmt: skip
    assert exceptions == [
        ("chargeback", "", "open"),
        ("chargeback", "fraudulent", "open"),
        ("chargeback", "product_not_received", "resolved"),
    ]
    # processing fees 66.45 and two dispute fees, one of them given back
    assert fees == (Decimal("-81.4500"),)
    assert tie_out == [("tied",)]


def test_the_platform_book_posts_balanced_journal_lines_with_fees_and_clearing(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    """Receipts, fees, take-backs, applications and payouts in the general ledger's terms.

    The Stripe clearing account ends holding what Stripe still owes us (charges less fees,
    refunds, disputes and the payout that reached the bank); Plastiq's is empty once its
    payout landed; accounts receivable fell by exactly the invoices that stayed paid.
    """
    test_the_platform_book_ends_applied_reversed_and_reconciled(cli, tmp_path, db)
    first = cli("export", "journal", "--out", tmp_path / "journal-1.csv")
    assert first.code == 0, first.stderr
    again = cli("export", "journal", "--out", tmp_path / "journal-2.csv")
    assert "posted 0 journal entries; nothing new to export" in again.stdout
    con = duckdb.connect(str(db), read_only=True)
    balances = dict(
        con.execute(
            "SELECT account, sum(debit) - sum(credit) FROM v_journal_lines GROUP BY account"
        ).fetchall()
    )
    unbalanced = con.execute(
        "SELECT entry_id FROM v_journal_lines GROUP BY entry_id, currency"
        " HAVING sum(debit) <> sum(credit)"
    ).fetchall()
    fee_lines = con.execute(
        "SELECT count(*), sum(debit) - sum(credit) FROM v_journal_lines WHERE account = '6100'"
    ).fetchone()
    batches = con.execute("SELECT DISTINCT export_batch FROM journal_entries").fetchall()
    con.close()
    assert unbalanced == []
    assert balances == {
        "1000": Decimal("4669.2500"),  # cash: both deposits
        "1110": Decimal("64.8000"),  # Stripe clearing: still with Stripe after the payout
        "1120": Decimal("0.0000"),  # Plastiq clearing: all paid out
        "1200": Decimal("-4815.5000"),  # receivables relieved: the four invoices still paid
        "2100": Decimal("0.0000"),  # unapplied cash: everything received was applied
        "6100": Decimal("81.4500"),  # fees: processing plus dispute fees, one given back
    }
    # 4 processing fees, 2 dispute fees and the dispute fee Stripe gave back
    assert fee_lines == (7, Decimal("81.4500"))
    assert len(batches) == 1
    assert batches[0][0].startswith("jb_")
    exported = (tmp_path / "journal-1.csv").read_text().splitlines()
    assert exported[0] == (
        "entry_id,entry_date,line_no,account,debit,credit,currency,memo,payment_id,invoice_number"
    )
    assert any(",6100,29.30,0.00,USD," in line for line in exported)
    assert len(exported) == 1 + 2 * len({line.split(",")[0] for line in exported[1:]})
    assert not (tmp_path / "journal-2.csv").exists()  # nothing new: no header-only file


def test_export_journal_refuses_a_bad_through_date_and_posts_nothing(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    test_the_platform_book_ends_applied_reversed_and_reconciled(cli, tmp_path, db)
    refused = cli("export", "journal", "--out", tmp_path / "j.csv", "--through", "2026-13-01")
    assert refused.code == 2
    assert "--through '2026-13-01' is not a date" in refused.stderr
    con = duckdb.connect(str(db), read_only=True)
    posted = con.execute("SELECT count(*) FROM journal_entries").fetchone()
    con.close()
    assert posted == (0,)
    assert not (tmp_path / "j.csv").exists()
