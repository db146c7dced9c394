"""Plastiq receiver exports: each payment applied to its invoice, the payout tied to the bank."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cashapp.domain import FileRefused
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from connectors.base import ExtractContext
from connectors.plastiq.connector import PLASTIQ
from tests.conftest import CliRunner

FIXTURE = Path(__file__).parent.parent / "fixtures" / "plastiq" / "receiver_export"
CUSTOMERS = """customer_id,name,email,currency,terms
C1,Initech Software Inc,,USD,NET30
C2,Umbrella Medical Labs LLC,,USD,NET30
"""
INVOICES = """invoice_number,customer_id,invoice_date,due_date,amount,currency
INV-204501,C1,2026-11-01,2026-12-01,2400.00,USD
INV-204502,C2,2026-11-01,2026-12-01,815.50,USD
INV-204503,C1,2026-11-02,2026-12-02,120.00,USD
"""


def test_rows_become_payments_a_refund_and_one_payout() -> None:
    data = (FIXTURE / "input.csv").read_bytes()
    assert PLASTIQ.identify(data[:300], "payments.csv")
    result = PLASTIQ.extract(data, "payments.csv", ExtractContext())
    kinds = [(r.kind, r.source_ref, r.amount) for r in result.records]
    assert kinds == [
        ("payment", "PQ-88123401", Decimal("2400.00")),
        ("payment", "PQ-88123402", Decimal("815.50")),
        ("payment", "PQ-88123403", Decimal("120.00")),
        ("refund", "PQ-88123403:refund", Decimal("-120.00")),
        ("settlement", "PO-551", Decimal("-3215.50")),
    ]
    (warning,) = result.issues
    assert "UNDER_REVIEW" in warning.message


def test_an_unknown_status_or_missing_column_refuses_the_file() -> None:
    header = b"Payment ID,Payment Date,Payer Business Name,Amount,Status\n"
    with pytest.raises(FileRefused, match="unknown status"):
        PLASTIQ.extract(header + b"P1,2026-11-17,Acme,10.00,LOST\n", "x.csv", ExtractContext())
    with pytest.raises(FileRefused, match="missing column"):
        PLASTIQ.extract(b"Payment ID,Amount\nP1,10.00\n", "x.csv", ExtractContext())


def test_payments_applied_refund_reversed_payout_reconciled(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "i.csv").write_text(INVOICES)
    cli("import", "customers", tmp_path / "c.csv")
    cli("import", "invoices", tmp_path / "i.csv")
    bank = tmp_path / "bank.bai2"
    deposit = Bai2Transaction(
        "165", Decimal("3215.50"), "ACH1119", "", "ORIG CO NAME:PLASTIQ INC ORIG ID:1234"
    )
    bank.write_bytes(
        write_bai2(
            [Bai2Account("123456789", "USD", (deposit,))],
            sender="021000021",
            receiver="OURCO",
            file_id="9",
            created=datetime(2026, 11, 19, 6, tzinfo=UTC),
            as_of=date(2026, 11, 19),
        )
    )
    assert cli("ingest", FIXTURE / "input.csv", bank).code == 0
    assert cli("match").code == 0
    con = duckdb.connect(str(db), read_only=True)
    applied = con.execute(
        "SELECT invoice_number, amount FROM v_applications WHERE status = 'active' ORDER BY 1"
    ).fetchall()
    assert applied == [("INV-204501", Decimal("2400.0000")), ("INV-204502", Decimal("815.5000"))]
    statuses = dict(
        con.execute("SELECT source || ':' || kind, status FROM v_payments WHERE kind <> 'payment'"
                    " AND kind <> 'refund'").fetchall()
    )  # fmt: skip
    assert statuses == {"bai2:settlement": "reconciled", "plastiq:settlement": "reconciled"}
    assert con.execute(
        "SELECT open_amount FROM invoices WHERE invoice_number = 'INV-204503'"
    ).fetchone() == (Decimal("120.0000"),)
    con.close()


def test_connect_api_payment_objects_read_like_the_export() -> None:
    """The same payments saved from Plastiq Connect come out as from the CSV export."""
    objects = [
        {
            "id": "PQ-88123401",
            "createdAt": "2026-11-17T15:04:05Z",
            "status": "DEPOSITED",
            "sourceAmount": {"value": 2472.00, "currency": "USD"},
            "targetAmount": {"value": 2400.00, "currency": "USD"},
            "payer": {"businessName": "Initech Software", "email": "AP@initech.example"},
            "details": {"invoiceNumber": "INV-204501", "memo": "Nov services"},
            "payout": {"id": "PO-551", "date": "2026-11-19"},
        },
        {
            "id": "PQ-88123402",
            "createdAt": "2026-11-17T16:00:00Z",
            "status": "DEPOSITED",
            "sourceAmount": {"value": 839.97, "currency": "USD"},
            "targetAmount": {"value": 815.50, "currency": "USD"},
            "payer": {
                "businessName": "Umbrella Medical Labs",
                "email": "payables@umbrella.example",
            },
            "details": {"invoiceNumber": "204502"},
            "payout": {"id": "PO-551", "date": "2026-11-19"},
        },
    ]
    data = json.dumps({"data": objects}).encode()
    assert PLASTIQ.identify(data[:400], "plastiq-payments.json")
    api = PLASTIQ.extract(data, "plastiq-payments.json", ExtractContext()).records
    csv_records = PLASTIQ.extract(
        (FIXTURE / "input.csv").read_bytes(), "payments.csv", ExtractContext()
    ).records

    def facts(records: tuple[Any, ...]) -> set[tuple[object, ...]]:
        return {
            (r.kind, r.source_ref, r.amount, r.value_date, r.payer_name, r.payer_account,
             r.references)
            for r in records
            if r.source_ref in ("PQ-88123401", "PQ-88123402")
        }  # fmt: skip

    assert facts(api) == facts(csv_records)
    (payout,) = [r for r in api if r.kind == "settlement"]
    assert payout.amount == Decimal("-3215.50")  # what we receive, not what cards paid


def test_another_export_layout_is_read_through_the_configured_headers(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    config = tmp_path / "cashapp.toml"
    config.write_text(
        "[sources.plastiq.columns]\n"
        'payment_id = "Transaction Reference"\n'
        'payment_date = "Date Paid"\n'
        'payer_business_name = "Company"\n'
        'amount = "Net Amount"\n'
    )
    export = tmp_path / "plastiq-other.csv"
    export.write_text(
        "Transaction Reference,Date Paid,Company,Net Amount,Invoice Number,Status\n"
        "TX-1,2026-11-17,Initech Software,2400.00,INV-204501,DEPOSITED\n"
    )
    result = cli("ingest", export, "--format", "plastiq", config=config)
    assert result.code == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute("SELECT source, source_ref, amount, payer_name FROM payments").fetchone()
    con.close()
    assert row == ("plastiq", "TX-1", Decimal("2400.0000"), "Initech Software")
    bad = tmp_path / "bad.toml"
    bad.write_text('[sources.plastiq.columns]\npayment_idd = "X"\n')
    refused = cli("ingest", export, "--format", "plastiq", config=bad)
    assert refused.code == 2
    assert "sources.plastiq.columns.payment_idd: unknown column" in refused.stderr


def test_a_row_that_lost_its_trailing_columns_is_refused() -> None:
    """Issue 10's Stripe hole, in the Plastiq export: a cut row read its missing payout
    columns as blanks."""
    lines = (FIXTURE / "input.csv").read_text().rstrip("\n").split("\n")
    lines[2] = ",".join(lines[2].split(",")[:6])
    with pytest.raises(FileRefused, match="the row has 6 of the header's 11 columns") as refused:
        PLASTIQ.extract(("\n".join(lines) + "\n").encode(), "p.csv", ExtractContext())
    assert refused.value.location == "line 3"


def test_a_connect_api_amount_with_a_decimal_comma_is_refused_not_read_100x() -> None:
    """Issue 10: "2400,00" as text in a JSON object is not 240,000.00."""
    payment = {
        "id": "PQ-1",
        "createdAt": "2026-11-17T15:04:05Z",
        "status": "DEPOSITED",
        "targetAmount": {"value": "2400,00", "currency": "USD"},
        "payer": {"businessName": "Initech Software"},
        "payout": {"id": "PO-1", "date": "2026-11-19"},
    }
    data = json.dumps({"data": [payment]}).encode()
    with pytest.raises(FileRefused, match="2400,00"):
        PLASTIQ.extract(data, "plastiq-payments.json", ExtractContext())


def test_a_header_naming_a_column_twice_is_refused() -> None:
    header, *rows = (FIXTURE / "input.csv").read_text().rstrip("\n").split("\n")
    doubled = "\n".join([header + ",amount", *(row + ",1.00" for row in rows)]) + "\n"
    with pytest.raises(
        FileRefused, match=r"as 'Amount' and 'amount' \(columns 5 and 12\)"
    ) as refused:
        PLASTIQ.extract(doubled.encode(), "p.csv", ExtractContext())
    assert refused.value.location == "line 1"


def test_a_configured_header_that_also_appears_under_our_name_is_refused() -> None:
    """``amount = "Net Amount"`` with an ``Amount`` column left in the file: two columns
    would both be the amount, so the file is refused naming both."""
    context = ExtractContext(sources={"plastiq": {"columns": {"amount": "Net Amount"}}})
    text = (
        "Payment ID,Payment Date,Payer Business Name,Net Amount,Amount,Invoice Number,Status\n"
        "TX-1,2026-11-17,Initech Software,2400.00,2500.00,INV-204501,DEPOSITED\n"
    )
    with pytest.raises(FileRefused, match=r"'Net Amount' and 'Amount'") as refused:
        PLASTIQ.extract(text.encode(), "p.csv", context)
    assert refused.value.location == "line 1"
