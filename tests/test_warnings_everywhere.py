"""Warnings reach every output format and stderr (issue 10, finding 3).

A scheduled job reads ``--output json`` or ``csv``; a person reads the table. Either way a
warning (a padded record, a count that does not add up, a statement that does not tie
out) must be in front of them with its exact text and location, and on stderr as one line
naming the file, so a job that only logs stderr learns of it too.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CliRunner
from tests.test_cli import _statement
from tests.test_plaid_pull import _config, plaid_server

__all__ = ["plaid_server"]  # the fixture, imported to be used here

#: The BAI2 account trailer claims 5 records where the account has 4: a warning, not a refusal.
COUNT_WARNING = (
    "line 6 (49 trailer of account *****4321): the 49 record count says 5 but the file has 4"
)


def _warned(tmp_path: Path, name: str = "warned.bai2") -> Path:
    path = tmp_path / name
    path.write_bytes(_statement().replace(b"49,70000,4/", b"49,70000,5/"))
    return path


def _clean(tmp_path: Path) -> Path:
    path = tmp_path / "clean.bai2"
    path.write_bytes(_statement("123.00"))
    return path


def _stderr_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_json_output_lists_every_warning_of_every_file(cli: CliRunner, tmp_path: Path) -> None:
    warned, clean = _warned(tmp_path), _clean(tmp_path)
    result = cli("ingest", warned, clean, "--output", "json")
    assert result.code == 0, result.stderr
    rows = {Path(r["file"]).name: r for r in json.loads(result.stdout)}
    assert rows["warned.bai2"]["warnings"] == [COUNT_WARNING]
    assert rows["clean.bai2"]["warnings"] == []
    assert _stderr_warnings(result.stderr) == [f"warning: {warned}: {COUNT_WARNING}"]


def test_csv_output_has_a_warnings_column_with_the_exact_text(
    cli: CliRunner, tmp_path: Path
) -> None:
    warned = _warned(tmp_path)
    result = cli("ingest", warned, "--output", "csv")
    assert result.code == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert json.loads(row["warnings"]) == [COUNT_WARNING]
    assert _stderr_warnings(result.stderr) == [f"warning: {warned}: {COUNT_WARNING}"]


def test_the_table_output_also_puts_each_warning_on_stderr(cli: CliRunner, tmp_path: Path) -> None:
    warned = _warned(tmp_path)
    result = cli("ingest", warned)
    assert result.code == 0
    assert _stderr_warnings(result.stderr) == [f"warning: {warned}: {COUNT_WARNING}"]


def test_strict_exits_1_on_warnings_and_2_on_refusals(cli: CliRunner, tmp_path: Path) -> None:
    assert cli("ingest", "--strict", _clean(tmp_path)).code == 0
    warned = cli("ingest", "--strict", _warned(tmp_path), "--output", "json")
    assert warned.code == 1
    assert json.loads(warned.stdout)[0]["status"] == "new"  # accepted, and said so
    refused = tmp_path / "refused.bai2"
    refused.write_bytes(b"not a bank file\n")
    mixed = cli("ingest", "--strict", _warned(tmp_path, "again.bai2"), refused)
    assert mixed.code == 2  # a refusal outranks a warning


def test_without_strict_a_warning_does_not_change_the_exit_code(
    cli: CliRunner, tmp_path: Path
) -> None:
    assert cli("ingest", _warned(tmp_path)).code == 0


def test_import_warnings_reach_json_and_stderr(cli: CliRunner, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name,email,currency,terms\nC1,Acme,,USD,NET30\n")
    invoices = tmp_path / "invoices.csv"
    header = "invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency\n"
    invoices.write_text(header + "INV-1,C1,2026-11-01,2026-12-01,100.00,100.00,USD\n")
    assert cli("import", "customers", customers).code == 0
    assert cli("import", "invoices", invoices).code == 0
    invoices.write_text(header + "INV-1,C1,2026-11-01,2026-12-01,120.00,120.00,USD\n")
    result = cli("import", "invoices", invoices, "--output", "json")
    assert result.code == 0, result.stderr
    (summary,) = json.loads(result.stdout)
    expected = (
        "INV-1: amount/currency changed in the ERP (100.0000 USD -> 120.00 USD);"
        " cashapp kept its own"
    )
    assert summary["warnings"] == [expected]
    assert summary["unchanged"] == 1
    assert _stderr_warnings(result.stderr) == [f"warning: {invoices}: {expected}"]
    as_csv = cli("import", "invoices", invoices, "--output", "csv")
    (row,) = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert json.loads(row["warnings"]) == [expected]


@pytest.mark.usefixtures("plaid_server")
def test_pull_warnings_reach_json_and_stderr(
    cli: CliRunner,
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-1")
    monkeypatch.setenv("PLAID_SECRET", "plaid-secret")
    monkeypatch.setenv("PLAID_TOKEN_OPERATING", "access-sandbox-123")
    result = cli("pull", "plaid", "--output", "json", config=_config(tmp_path, httpserver))
    assert result.code == 0, result.stderr
    (pulled,) = json.loads(result.stdout)
    expected = (
        "removed[0]: Plaid removed transaction t-old; if it was stored, a person should reverse it"
    )
    assert pulled["warnings"] == [expected]
    assert _stderr_warnings(result.stderr) == [f"warning: {pulled['landing_file']}: {expected}"]
