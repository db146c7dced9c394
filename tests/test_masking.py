"""Account numbers and IBANs are masked in every report, view and label (issue 10, item 9).

The reported leak: ``report daily`` printed a camt statement id carrying the account's
full IBAN, and ``query`` could read ``payments.raw`` with every account number in clear.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashapp.masking import mask_account, mask_label, mask_text, sql_macros
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from tests.conftest import REPO, CliRunner

CAMT = REPO / "fixtures" / "camt053" / "sepa-statement-v02" / "input.xml"
MT940 = REPO / "fixtures" / "mt940" / "german_gvc_subfields" / "input.sta"
#: Every account number in those two files, as the bank wrote it.
CLEAR = (
    "DE44500105175407324931",
    "DE89370400440532013000",
    "DE02120300000000202051",
    "DE75512108001245126199",
    "DE12500105170648489890",
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Stmt 2024-03-05-DE44500105175407324931", "Stmt 2024-03-05-******4931"),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "IBAN ******3000 thanks"),
        ("NO93 8601 1117 947", "******7947"),
        ("GB29 NWBK 6016 1331 9268 19", "******6819"),
        ("GB29NWBK60161331926819.", "******6819."),
        ("ORIGINATOR ACCT 000123456789 REF: INV-1", "ORIGINATOR ACCT ******6789 REF: INV-1"),
        ("Konto-Nr. 1234567", "Konto-Nr. ******4567"),
        ("a/c#98765", "a/c#******8765"),
        # what must stay readable: references the specialist applies cash by
        ("INV 5100001234", "INV 5100001234"),
        ("RF18 5390 0754 7034", "RF18 5390 0754 7034"),
        ("RF18539007547034", "RF18539007547034"),
        ("Rechnung INV-1002 Kundennr 4711", "Rechnung INV-1002 Kundennr 4711"),
        ("", ""),
    ],
)
def test_free_text_masks_ibans_and_account_numbers(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_labels_also_mask_long_digit_runs_but_not_dates() -> None:
    assert mask_label("bai2-20261120-123456789012.txt") == "bai2-20261120-******9012.txt"
    assert mask_label(":20: at line 2") == ":20: at line 2"
    assert mask_text("INV 5100001234") == "INV 5100001234"
    assert mask_label("INV 5100001234") == "INV ******1234"


def test_a_compact_iban_is_masked_as_mask_account_masks_a_column() -> None:
    for iban in CLEAR:
        assert mask_text(iban) == mask_account(iban)


_PIECES = st.sampled_from(
    [
        *CLEAR,
        "DE89 3704 0044 0532 0130 00",
        "NO93 8601 1117 947",
        "RF18 5390 0754 7034",
        "ACCT ",
        "Konto-Nr. ",
        "a/c",
        "123456789012",
        "20240305",
        " ",
        "-",
        "/",
        "Ü",
    ]
)
_TEXT = st.lists(
    st.one_of(_PIECES, st.text(alphabet="ABCDEFZ0123456789 -./:#", max_size=12)), max_size=8
).map("".join)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(sql_macros())
    return connection


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_the_sql_maskers_agree_with_the_python_ones(
    con: duckdb.DuckDBPyConnection, text: str
) -> None:
    """The views mask in SQL (RE2), reports and the CLI in Python: one rule, two engines."""
    row = con.execute("SELECT mask_text(?), mask_label(?)", [text, text]).fetchone()
    assert row == (mask_text(text), mask_label(text))


def _ingest_bank_files(cli: CliRunner) -> None:
    result = cli("ingest", CAMT, MT940)
    assert result.code == 0, result.stderr


def test_report_daily_shows_no_iban(cli: CliRunner) -> None:
    """The reported leak: the tie-out's statement id was the camt Stmt/Id with the IBAN."""
    _ingest_bank_files(cli)
    for fmt in ("table", "json"):
        result = cli("report", "daily", "--date", "2024-03-05", "--format", fmt)
        assert result.code in (0, 1), result.stderr
        text = result.stdout + result.stderr
        assert "4931" in text  # the statement is there, recognisable
        for number in CLEAR:
            assert number not in text, (fmt, number)
    report = json.loads(cli("report", "daily", "--date", "2024-03-05", "--format", "json").stdout)
    assert {row["statement"] for row in report["bank_tie_out"]} == {"Stmt 2024-03-05-******4931"}


def test_query_cannot_read_the_raw_records_in_clear(cli: CliRunner) -> None:
    """The reported leak: ``payments.raw`` through ``query`` held full account numbers."""
    _ingest_bank_files(cli)
    masked = cli("query", "select raw, location from payments", "--format", "csv")
    assert masked.code == 0, masked.stderr
    assert "<IBAN>******3000</IBAN>" in masked.stdout  # still readable as the record
    for sql in (
        "select * from main.payments",
        "select (select max(raw) from main.payments) as r",
        "summarize main.payments",
        "select * from query_table('main.payments')",
        "select * from query('select raw from main.payments')",
    ):
        result = cli("query", sql)
        assert result.code == 2, sql
    for sql in (
        "select raw from payments",
        "summarize payments",
        "with payments as (select * from payments) select raw from payments",
        "select * from statement_checks",
        "select * from source_files",
        "select * from remittance_lines",
        "select * from audit_log",
    ):
        result = cli("query", sql, "--format", "csv")
        assert result.code == 0, (sql, result.stderr)
        for number in CLEAR:
            assert number not in result.stdout, (sql, number)


def test_no_view_shows_an_account_number_in_clear(cli: CliRunner) -> None:
    _ingest_bank_files(cli)
    listed = cli(
        "query", "select view_name from duckdb_views() where not internal", "--format", "json"
    )
    views = [row["view_name"] for row in json.loads(listed.stdout)]
    assert {"v_payments", "v_statement_checks", "v_source_files", "v_account_balances"} <= set(
        views
    )
    for view in views:  # the v_* views and the query mirrors of the tables
        result = cli("query", f"select * from {view}", "--format", "csv")
        assert result.code == 0, (view, result.stderr)
        for number in CLEAR:
            assert number not in result.stdout, (view, number)


def test_the_views_keep_what_a_person_needs(cli: CliRunner) -> None:
    """Masking must not cost the specialist the references cash is applied by."""
    _ingest_bank_files(cli)
    result = cli(
        "query",
        "select remittance, location from v_payments where source_ref = 'MUELLER-PAY-0311'",
        "--format",
        "json",
    )
    (row,) = json.loads(result.stdout)
    assert "INV-1001" in row["remittance"]
    assert row["location"] == "Stmt 2024-03-05-******4931 / Ntry 1 / TxDtls 1"


def test_the_raw_record_keeps_what_traceability_needs(cli: CliRunner, db: Path) -> None:
    """At rest the raw record is as the bank sent it; a person reaches it by file and line."""
    _ingest_bank_files(cli)
    con = duckdb.connect(str(db), read_only=True)
    try:
        raw = con.execute(
            "SELECT raw FROM payments WHERE source_ref = 'MUELLER-PAY-0311'"
        ).fetchone()
    finally:
        con.close()
    assert raw is not None
    assert "MUELLER-PAY-0311" in raw[0]
    located = cli(
        "query",
        "select f.name, p.location from v_payments p join v_source_files f using (file_id)"
        " where p.source_ref = 'MUELLER-PAY-0311'",
        "--format",
        "json",
    )
    (row,) = json.loads(located.stdout)
    assert row["name"].endswith("input.xml")


def test_the_exception_queue_masks_payer_text(cli: CliRunner, tmp_path: Path) -> None:
    """A specialist's screen is a view too: remittance with the payer's IBAN is masked."""
    account = Bai2Account(
        "987654321",
        "USD",
        (
            Bai2Transaction(
                "195",
                Decimal("100.00"),
                "FW1",
                "",
                "ORG=UNKNOWN PAYER LTD OBI=FROM IBAN GB29NWBK60161331926819 ACCT 000123456789",
            ),
        ),
    )
    path = tmp_path / "day.bai2"
    path.write_bytes(
        write_bai2(
            [account],
            sender="021000021",
            receiver="OURCO",
            file_id="9",
            created=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
            as_of=date(2026, 11, 20),
        )
    )
    assert cli("ingest", path).code == 0
    assert cli("match").code == 0
    listed = cli("exceptions", "list", "--format", "json")
    (exception,) = json.loads(listed.stdout)
    shown = cli("exceptions", "show", exception["exception_id"])
    assert shown.code == 0, shown.stderr
    for text in (listed.stdout, shown.stdout):
        assert "GB29NWBK60161331926819" not in text
        assert "000123456789" not in text
    assert "******6819" in shown.stdout


def test_refusals_and_warnings_of_ingest_are_masked_for_every_output() -> None:
    """A camt refusal quotes its statement id, which carries the IBAN: the outcome every
    output prints from (table, JSON, CSV, stderr, the daily job) masks it once."""
    from cashapp.domain import Issue
    from cashapp.ingest import FileOutcome

    iban = "DE44500105175407324931"
    outcome = FileOutcome(
        "x.xml",
        "refused",
        reason=f"Stmt 2024-03-05-{iban}: the account currency 'XYZ' is not an ISO 4217 code",
        warnings=(Issue("warning", f"account {iban} breaks", f"Stmt {iban}"),),
    )
    assert iban not in outcome.reason
    assert outcome.reason.endswith("4931: the account currency 'XYZ' is not an ISO 4217 code")
    assert iban not in outcome.warnings[0].message
    assert iban not in (outcome.warnings[0].location or "")
