"""Stripe itemized balance reports: charges applied, refunds and disputes reversed, fees kept."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cashapp.domain import FileRefused
from connectors.base import ExtractContext
from connectors.stripe.report import STRIPE_REPORT
from tests.conftest import CliRunner

FIXTURE = Path(__file__).parent.parent / "fixtures" / "stripe" / "balance_change_itemized"
CUSTOMERS = "customer_id,name,email,currency,terms\nC1,Acme Plumbing Supply Inc,,USD,NET30\n"
CUSTOMERS += "C2,Globex Logistics LLC,,USD,NET30\n"
INVOICES = "invoice_number,customer_id,invoice_date,due_date,amount,currency\n"
INVOICES += "INV-204411,C1,2026-11-01,2026-12-01,1250.00,USD\n"
INVOICES += "INV-204412,C2,2026-11-02,2026-12-02,480.00,USD\n"


def test_report_rows_become_payments_events_settlements_and_fees() -> None:
    data = (FIXTURE / "input.csv").read_bytes()
    assert STRIPE_REPORT.identify(data[:512], "export.csv")
    result = STRIPE_REPORT.extract(data, "export.csv", ExtractContext())
    kinds = [(r.kind, r.source_ref, r.amount) for r in result.records]
    assert ("payment", "ch_3QAa01", Decimal("1250.00")) in kinds
    assert ("refund", "re_3QAa03", Decimal("-480.00")) in kinds
    assert ("chargeback", "du_1QAa04", Decimal("-1250.00")) in kinds
    assert ("settlement", "po_1QBb99", Decimal("-1213.45")) in kinds
    fees = sorted(r.amount for r in result.records if r.kind == "fee")
    assert fees == [Decimal("-36.55"), Decimal("-15.00"), Decimal("-14.22")]
    dispute = next(r for r in result.records if r.kind == "chargeback")
    assert (dispute.related_ref, dispute.reason_code) == ("ch_3QAa01", "fraudulent")


def test_a_file_without_the_report_columns_is_refused() -> None:
    bad = b"balance_transaction_id,currency,gross\ntxn_1,usd,1.00\n"
    assert not STRIPE_REPORT.identify(bad, "x.csv")
    with pytest.raises(FileRefused, match=r"missing column\(s\) fee, reporting_category"):
        STRIPE_REPORT.extract(bad, "x.csv", ExtractContext())


def test_charges_applied_then_refund_and_dispute_reverse_them(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "i.csv").write_text(INVOICES)
    assert cli("import", "customers", tmp_path / "c.csv").code == 0
    assert cli("import", "invoices", tmp_path / "i.csv").code == 0
    # day 1 brings the two charges, day 2 the refund, the dispute and the payout
    header, *rows = (FIXTURE / "input.csv").read_text().splitlines()
    (tmp_path / "day1.csv").write_text("\n".join([header, *rows[:2]]) + "\n")
    (tmp_path / "day2.csv").write_text("\n".join([header, *rows[2:]]) + "\n")
    ingest = cli("ingest", tmp_path / "day1.csv", "--output", "json")
    assert json.loads(ingest.stdout)[0]["format"] == "stripe"
    assert cli("match").code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT sum(open_amount) FROM v_invoices").fetchone() == (0,)
    con.close()
    assert cli("ingest", tmp_path / "day2.csv").code == 0
    assert cli("match").code == 0
    again = cli("ingest", FIXTURE / "input.csv", "--output", "json")  # the same rows again
    assert json.loads(again.stdout)[0]["new"] == 0
    con = duckdb.connect(str(db), read_only=True)
    payments = dict(
        con.execute("SELECT source_ref, status FROM v_payments WHERE kind = 'payment'").fetchall()
    )
    assert payments == {"ch_3QAa01": "reversed", "ch_3QAa02": "reversed"}
    reopened = con.execute(
        "SELECT invoice_number, open_amount FROM v_invoices ORDER BY 1"
    ).fetchall()
    assert reopened == [("INV-204411", Decimal("1250.0000")), ("INV-204412", Decimal("480.0000"))]
    applied = con.execute(
        "SELECT invoice_number, amount, status FROM v_applications ORDER BY ALL"
    ).fetchall()
    assert ("INV-204411", Decimal("1250.0000"), "reversed") in applied
    assert ("INV-204411", Decimal("-1250.0000"), "reversed") in applied
    exceptions = con.execute("SELECT type, reason_code FROM v_exceptions ORDER BY ALL").fetchall()
    assert exceptions == [("chargeback", ""), ("chargeback", "fraudulent")]
    fees = con.execute("SELECT sum(fees) FROM v_daily_totals").fetchone()
    assert fees == (Decimal("65.7700"),)
    assert con.execute("SELECT count(*) FROM payments").fetchone() == (8,)
    con.close()


def _bank_file(path: Path, amount: str, text: str) -> Path:
    from datetime import UTC, date, datetime

    from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2

    deposit = Bai2Transaction("165", Decimal(amount), "ACH20261120", "", text)
    wire = Bai2Transaction("195", Decimal("99.00"), "FW1", "", "ORG=SOMEONE OBI=HELLO")
    path.write_bytes(
        write_bai2(
            [Bai2Account("123456789", "USD", (deposit, wire))],
            sender="021000021",
            receiver="OURCO",
            file_id="7",
            created=datetime(2026, 11, 21, 6, tzinfo=UTC),
            as_of=date(2026, 11, 21),
        )
    )
    return path


def _statuses(db: Path) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT source, kind, status FROM v_payments WHERE kind = 'settlement'"
    ).fetchall()
    con.close()
    return {(source, kind): status for source, kind, status in rows}


def test_the_payout_is_tied_to_the_bank_deposit_and_never_applied(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    text = "ORIG CO NAME:STRIPE ORIG ID:4270465600 DESC:TRANSFER ST-R8K2"
    cli("ingest", _bank_file(tmp_path / "bank.bai2", "1213.45", text))
    assert cli("match").code == 0  # the payout is not known yet: the deposit waits
    assert _statuses(db) == {("bai2", "settlement"): "unapplied"}
    cli("ingest", FIXTURE / "input.csv")
    result = cli("match")
    assert "1 payouts reconciled" in result.stdout
    assert _statuses(db) == {
        ("bai2", "settlement"): "reconciled",
        ("stripe", "settlement"): "reconciled",
    }
    con = duckdb.connect(str(db), read_only=True)
    applied = con.execute(
        "SELECT count(*) FROM applications a JOIN payments p USING (payment_id)"
        " WHERE p.source = 'bai2' AND p.amount = 1213.45"
    ).fetchone()
    con.close()
    assert applied == (0,)


def test_a_deposit_naming_its_payout_but_short_is_a_settlement_mismatch(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    cli("ingest", FIXTURE / "input.csv")
    text = "ORIG CO NAME:STRIPE ORIG ID:4270465600 DESC:TRANSFER PO_1QBB99"
    cli("ingest", _bank_file(tmp_path / "bank.bai2", "1200.00", text))
    cli("match")
    con = duckdb.connect(str(db), read_only=True)
    (row,) = con.execute(
        "SELECT type, amount, detail FROM exceptions WHERE type = 'settlement_mismatch'"
    ).fetchall()
    con.close()
    assert row[:2] == ("settlement_mismatch", Decimal("13.4500"))
    assert "po_1QBb99" in row[2]
    assert "difference -13.45" in row[2]


def test_a_won_dispute_applies_the_charge_again(cli: CliRunner, tmp_path: Path, db: Path) -> None:
    (tmp_path / "c.csv").write_text(CUSTOMERS)
    (tmp_path / "i.csv").write_text(INVOICES)
    cli("import", "customers", tmp_path / "c.csv")
    cli("import", "invoices", tmp_path / "i.csv")
    header, charge1, _charge2, _refund, dispute, _payout = (
        (FIXTURE / "input.csv").read_text().splitlines()
    )
    won = (
        "txn_1QAa09,2026-11-25 10:00:00,2026-11-25 00:00:00,usd,1250.00,-15.00,1265.00,"
        "dispute_reversal,du_1QAa04,Dispute won,cus_R1,ap@acme.example,Acme Plumbing Supply,"
        "ch_3QAa01,pi_3QAa01,,,INV-204411,SO-1001"
    )
    for day, rows in (("1", [charge1]), ("2", [dispute]), ("3", [won])):
        path = tmp_path / f"day{day}.csv"
        path.write_text("\n".join([header, *rows]) + "\n")
        assert cli("ingest", path).code == 0
        assert cli("match").code == 0
    con = duckdb.connect(str(db), read_only=True)
    active = con.execute(
        "SELECT invoice_number, amount FROM v_applications WHERE status = 'active'"
    ).fetchall()
    history = con.execute("SELECT count(*) FROM applications").fetchone()
    charge = con.execute("SELECT status FROM payments WHERE source_ref = 'ch_3QAa01'").fetchone()
    exception = con.execute(
        "SELECT status, resolution FROM exceptions WHERE type = 'chargeback'"
    ).fetchone()
    open_amount = con.execute(
        "SELECT open_amount FROM invoices WHERE invoice_number = 'INV-204411'"
    ).fetchone()
    con.close()
    assert active == [("INV-204411", Decimal("1250.0000"))]
    assert history == (3,)  # applied, its reversal, applied again: nothing deleted
    assert charge == ("applied",)
    assert exception == ("resolved", "dispute won: the charge is applied again")
    assert open_amount == (Decimal("0.0000"),)


def test_the_api_and_the_report_give_the_same_records() -> None:
    """A balance transaction pulled from the API reads exactly like its report row."""
    from datetime import UTC, datetime

    from connectors.stripe.api import STRIPE_API

    created = int(datetime(2026, 11, 18, 14, 2, 11, tzinfo=UTC).timestamp())
    charge = {
        "id": "ch_3QAa01", "object": "charge", "customer": "cus_R1",
        "billing_details": {"name": "Acme Plumbing Supply", "email": "ap@acme.example"},
        "metadata": {"invoice_number": "INV-204411", "order_id": "SO-1001"},
    }  # fmt: skip
    dispute = {"id": "du_1QAa04", "object": "dispute", "charge": charge,
               "reason": "fraudulent", "metadata": {}}  # fmt: skip
    api = [
        {"id": "txn_1QAa01", "object": "balance_transaction", "amount": 125000, "fee": 3655,
         "currency": "usd", "created": created, "reporting_category": "charge",
         "description": "Invoice INV-204411", "source": charge},
        {"id": "txn_1QAa04", "object": "balance_transaction", "amount": -125000, "fee": 1500,
         "currency": "usd", "created": created + 75229, "reporting_category": "dispute",
         "description": "Chargeback", "source": dispute},
    ]  # fmt: skip
    data = json.dumps({"object": "list", "data": api}).encode()
    assert STRIPE_API.identify(data[:200], "stripe-balance.json")
    from_api = STRIPE_API.extract(data, "stripe-balance.json", ExtractContext()).records
    from_report = STRIPE_REPORT.extract(
        (FIXTURE / "input.csv").read_bytes(), "report.csv", ExtractContext()
    ).records

    def facts(records: tuple[Any, ...]) -> set[tuple[object, ...]]:
        return {
            (r.source, r.dedupe_key, r.kind, r.source_ref, r.amount, r.value_date,
             r.related_ref, r.reason_code, r.references, r.payer_name)
            for r in records
            if r.dedupe_key.split(":")[0] in ("txn_1QAa01", "txn_1QAa04")
        }  # fmt: skip

    assert facts(from_api) == facts(from_report)
    assert len(facts(from_api)) == 4  # two transactions, each with its fee


def test_an_api_amount_that_is_not_whole_minor_units_refuses_the_page() -> None:
    from connectors.stripe.api import STRIPE_API

    txn = {"id": "txn_f", "object": "balance_transaction", "amount": 1250.5, "fee": 0,
           "currency": "usd", "created": 1763600000, "reporting_category": "charge",
           "source": "ch_f"}  # fmt: skip
    data = json.dumps({"object": "list", "data": [txn]}).encode()
    with pytest.raises(FileRefused, match="minor units"):
        STRIPE_API.extract(data, "page.json", ExtractContext())


# --- issue 10: a row that lost its trailing columns is refused, not stored as "other"


def _cut_last_row(data: bytes, cells: int) -> bytes:
    *rows, last = data.decode().rstrip("\n").split("\n")
    return ("\n".join([*rows, ",".join(last.split(",")[:cells])]) + "\n").encode()


def test_a_report_whose_last_row_lost_its_trailing_columns_is_refused() -> None:
    """The payout row cut after its gross: read as-is it became ``other`` (the category was
    gone), and the intact re-send then found its balance transaction "known" for good."""
    data = (FIXTURE / "input.csv").read_bytes()
    damaged = _cut_last_row(data, 5)  # the payout row keeps id, dates, currency, gross
    with pytest.raises(FileRefused, match=r"the row has 5 of the header's 19 columns") as refused:
        STRIPE_REPORT.extract(damaged, "x.csv", ExtractContext())
    assert refused.value.location == "line 6"
    assert "'fee'" in str(refused.value)


def test_a_row_with_cells_past_the_header_is_refused_but_a_trailing_comma_is_fine() -> None:
    data = (FIXTURE / "input.csv").read_text()
    header, first, *rest = data.rstrip("\n").split("\n")
    shifted = first.replace("Acme Plumbing Supply", "Acme, Plumbing Supply")
    with pytest.raises(FileRefused, match="20 cells; the header has 19") as refused:
        STRIPE_REPORT.extract(
            "\n".join([header, shifted, *rest]).encode(), "x.csv", ExtractContext()
        )
    assert refused.value.location == "line 2"
    trailing = "\n".join([header, first + ",", *rest]) + "\n"
    assert len(STRIPE_REPORT.extract(trailing.encode(), "x.csv", ExtractContext()).records) > 5


def test_a_header_naming_a_column_twice_is_refused() -> None:
    """Two ``gross`` columns (names compare case-blind): the row dict kept the last, so the
    money read depended on column order. Refused naming the header line and both cells."""
    header, *rows = (FIXTURE / "input.csv").read_text().rstrip("\n").split("\n")
    doubled = "\n".join([header + ",Gross", *(row + ",0.00" for row in rows)]) + "\n"
    with pytest.raises(
        FileRefused, match=r"as 'gross' and 'Gross' \(columns 5 and 20\)"
    ) as refused:
        STRIPE_REPORT.extract(doubled.encode(), "x.csv", ExtractContext())
    assert refused.value.location == "line 1"
