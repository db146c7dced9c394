"""The CLI end to end on a temp database: the public contract of DESIGN §5."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from tests.conftest import CliRunner

VIEW_COLUMNS = {
    "v_payments": "payment_id, source, source_ref, kind, amount, currency, value_date, payer_name, remittance, status",
    "v_applications": "application_id, payment_id, invoice_number, customer_id, amount, kind, method, rule, confidence, status, created_at, created_by",
    "v_exceptions": "exception_id, payment_id, invoice_number, type, status, amount, reason_code, assignee, opened_at, resolved_at, suggestions",
    "v_invoices": "invoice_number, customer_id, customer_name, currency, amount, open_amount, invoice_date, due_date, status, days_past_due",
    "v_journal_lines": "entry_id, entry_date, account, debit, credit, currency, memo, payment_id, invoice_number, export_batch",
    "v_daily_totals": "day, source, currency, received, applied, unapplied, in_exception, fees, returns, chargebacks",
}


def _snapshot(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            "source_files",
            "payments",
            "remittance_lines",
            "applications",
            "exceptions",
            "invoices",
            "customers",
            "account_balances",
        ]
        # count(*) always returns one row: fetchall()[0] is it, typed without a None case
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in tables}
    finally:
        con.close()


def test_init_is_safe_to_rerun(cli: CliRunner) -> None:
    assert cli("init").code == 0
    again = cli("init")
    assert again.code == 0
    assert "schema version 6" in again.stdout


def test_demo_then_query_applications_as_csv(cli: CliRunner, tmp_path: Path) -> None:
    demo = cli("demo", "--folder", tmp_path / "demo")
    assert demo.code == 0, demo.stderr
    assert "applied" in demo.stdout
    result = cli("query", "select * from v_applications", "--format", "csv")
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) > 20
    assert {r["status"] for r in rows} <= {"active", "reversed"}
    assert all(Decimal(r["amount"]) > 0 for r in rows)


def test_all_six_views_exist_with_the_documented_columns(cli: CliRunner) -> None:
    cli("init")
    for view, columns in VIEW_COLUMNS.items():
        result = cli("query", f"select * from {view} limit 0", "--format", "json")
        assert result.code == 0, result.stderr
        described = cli("query", f"select column_name from (describe {view})", "--format", "csv")
        names = described.stdout.split()[1:]
        expected = [c.strip() for c in columns.split(",")]
        assert names[: len(expected)] == expected, view


def test_query_refuses_writes_and_file_access(cli: CliRunner) -> None:
    cli("init")
    for sql in (
        "delete from payments",
        "create table x(a int)",
        "copy payments to '/tmp/x.csv'",
        "select 1; select 2",
    ):
        result = cli("query", sql)
        assert result.code == 2, sql
        assert "error" in result.stderr
    assert cli("query", "select * from read_csv('/etc/passwd')").code == 2


def test_demo_is_idempotent(cli: CliRunner, tmp_path: Path, db: Path) -> None:
    assert cli("demo", "--folder", tmp_path / "d").code == 0
    first = _snapshot(db)
    assert cli("demo", "--folder", tmp_path / "d").code == 0
    assert _snapshot(db) == first


def _statement(amount: str = "100.00") -> bytes:
    account = Bai2Account(
        "987654321",
        "USD",
        (
            Bai2Transaction("195", Decimal(amount), "FW1", "", "ORG=ACME CORP OBI=INV-1001"),
            Bai2Transaction("165", Decimal("250.00"), "AC2", "", "ORIG CO NAME:GLOBEX"),
        ),
    )
    return write_bai2(
        [account],
        sender="021000021",
        receiver="OURCO",
        file_id="7",
        created=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
        as_of=date(2026, 11, 20),
    )


def test_ingesting_the_same_file_twice_adds_nothing(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "day.bai2"
    path.write_bytes(_statement())
    first = cli("ingest", path)
    assert first.code == 0
    counts = _snapshot(db)
    assert counts["payments"] == 2
    second = cli("ingest", path)
    assert second.code == 0
    assert "already known" in second.stdout
    assert _snapshot(db) == counts
    # the same records inside a different file (gzip'd copy with another name) add nothing
    import gzip

    other = tmp_path / "copy.bai2.gz"
    other.write_bytes(gzip.compress(_statement()))
    assert cli("ingest", other).code == 0
    assert _snapshot(db) == counts


def test_bad_files_are_refused_whole_and_leave_the_database_unchanged(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    cli("init")
    good = tmp_path / "good.bai2"
    good.write_bytes(_statement())
    assert cli("ingest", good).code == 0
    before = _snapshot(db)

    tampered = tmp_path / "tampered.bai2"
    tampered.write_bytes(_statement().replace(b"16,195,10000,", b"16,195,10001,"))
    truncated = tmp_path / "truncated.ach"
    from connectors.nacha.writer import AchBatch, AchEntry, write_nacha

    ach = write_nacha(
        [
            AchBatch(
                "ACME CORP",
                "1234567890",
                "CCD",
                "PAYMENT",
                date(2026, 11, 20),
                "09100001",
                (AchEntry("22", "021000021", "12345", Decimal("10.00"), "X", "US"),),
            )
        ],
        immediate_destination="021000021",
        immediate_origin="0910000019",
        created=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
    )
    truncated.write_bytes(ach[: ach.index(b"\n8") + 1])  # cut before the batch control
    empty = tmp_path / "empty.bai2"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.bin"
    noise.write_bytes(random.Random(2).randbytes(2048))
    for path, reason in ((tampered, "total"), (truncated, ""), (empty, "empty"), (noise, "")):
        result = cli("ingest", path)
        assert result.code == 2, path
        assert path.name in result.stderr
        assert reason in result.stderr.lower()
        assert "Traceback" not in result.stderr
        assert _snapshot(db) == before, path


def test_unknown_format_flag_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello")
    result = cli("ingest", path, "--format", "nosuch")
    assert result.code == 2
    assert "unknown format" in result.stderr


def test_match_is_idempotent_and_exceptions_list_as_json(cli: CliRunner, tmp_path: Path) -> None:
    assert cli("demo", "--folder", tmp_path / "d").code == 0
    again = cli("match")
    assert again.code == 0
    assert "decided 0 payments" in again.stdout
    listed = cli("exceptions", "list", "--format", "json")
    data = json.loads(listed.stdout)
    types = {row["type"] for row in data}
    assert {"short_payment", "over_payment", "duplicate_payment", "ach_return"} <= types
    assert all(isinstance(row["amount"], str) for row in data)
    shown = cli("exceptions", "show", data[0]["exception_id"])
    assert shown.code == 0
    assert data[0]["exception_id"] in shown.stdout
    # a short payment shows what was applied, by which rule, on what evidence
    (short,) = [row for row in data if row["type"] == "short_payment"]
    detail = cli("exceptions", "show", short["exception_id"]).stdout
    assert "applications of this payment" in detail
    assert "ref-short" in detail
    assert f"named '{short['invoice_number']}'" in detail


def test_bad_config_exits_2_naming_the_key(cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[matching]\nwrite_of_tolerance = '5'\n")
    result = cli("init", config=config)
    assert result.code == 2
    assert "matching.write_of_tolerance" in result.stderr


def test_error_messages_keep_bracketed_text(cli: CliRunner, tmp_path: Path) -> None:
    """Messages are text, not console markup: a section name like ``[ingest]`` or a
    bank's ``[ABC]`` in a refusal reaches the user whole."""
    config = tmp_path / "c.toml"
    config.write_text("[ingest]\nmax_expansion_ratio = 1\n")
    result = cli("init", config=config)
    assert result.code == 2
    assert "ingest.max_expansion_ratio" in result.stderr
    result = cli("ingest", "--format", "[bold]x[/bold]", str(tmp_path))
    assert result.code == 2
    assert "[bold]x[/bold]" in result.stderr
    bad = tmp_path / "weird[ABC].csv"
    bad.write_text("this is [bold]not[/bold] a bank file\n")
    result = cli("ingest", str(bad))
    assert result.code == 2
    assert "weird[ABC].csv" in result.stderr
