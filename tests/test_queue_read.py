"""Reading the queue: filters as a specification, short ids, and output that survives a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import CliRunner


@pytest.fixture
def day(cli: CliRunner, tmp_path: Path) -> list[dict[str, object]]:
    """The demo's day, matched: its open queue as JSON rows."""
    assert cli("demo", "--folder", tmp_path / "d").code == 0
    listed = cli("exceptions", "list", "--format", "json")
    assert listed.code == 0, listed.stderr
    rows: list[dict[str, object]] = json.loads(listed.stdout)
    assert len(rows) > 5
    return rows


def _ids(cli: CliRunner, *args: str) -> set[str]:
    result = cli("exceptions", "list", "--format", "json", *args)
    assert result.code == 0, result.stderr
    return {str(r["exception_id"]) for r in json.loads(result.stdout)}


def test_a_row_names_payer_customer_age_and_a_short_id(day: list[dict[str, object]]) -> None:
    row = next(r for r in day if r["customer_name"])
    assert str(row["short_id"]) == str(row["exception_id"])[:12]
    for key in ("payer_name", "value_date", "age_days", "assignee", "top_suggestion"):
        assert key in row
    assert isinstance(row["age_days"], int)
    suggested = [r for r in day if r["top_suggestion"]]
    assert suggested, "the demo's queue has suggestions"


def test_each_filter_narrows_the_queue(cli: CliRunner, day: list[dict[str, object]]) -> None:
    everything = {str(r["exception_id"]) for r in day}
    for type_ in {str(r["type"]) for r in day}:
        assert _ids(cli, "--type", type_) == {
            str(r["exception_id"]) for r in day if r["type"] == type_
        }
    amounts = sorted(Decimal(str(r["amount"])) for r in day)
    middle = str(amounts[len(amounts) // 2])
    low = _ids(cli, "--max-amount", middle)
    high = _ids(cli, "--min-amount", middle)
    assert low | high == everything
    assert all(Decimal(str(r["amount"])) <= Decimal(middle) for r in day
               if r["exception_id"] in low)  # fmt: skip
    customer = next(r for r in day if r["customer_id"])
    by_customer = _ids(cli, "--customer", str(customer["customer_id"]))
    assert customer["exception_id"] in by_customer
    assert by_customer < everything
    payer = next(r for r in day if r["payer_name"])
    assert payer["exception_id"] in _ids(cli, "--search", str(payer["payer_name"])[:6].lower())
    assert _ids(cli, "--search", "no such text anywhere") == set()
    assert _ids(cli, "--assignee", "spec1") == set()
    oldest = max(int(str(r["age_days"])) for r in day)
    assert _ids(cli, "--min-age", str(oldest + 1)) == set()
    assert _ids(cli, "--max-age", str(oldest)) == everything
    first = _ids(cli, "--limit", "2")
    rest = _ids(cli, "--offset", "2", "--limit", "10000")
    assert len(first) == 2
    assert first | rest == everything
    assert not first & rest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--type", "bogus"), "unknown --type 'bogus'; valid: unmatched"),
        (("--status", "closed"), "unknown --status 'closed'; valid: open"),
        (("--min-age", "-1"), "--min-age -1 is negative"),
        (("--min-amount", "ten"), "--min-amount 'ten' is not an amount"),
        (("--limit", "0"), "--limit 0"),
        (("--format", "xlsx"), "--format xlsx needs --out"),
    ],
)
def test_a_filter_that_means_nothing_is_refused(
    cli: CliRunner, day: list[dict[str, object]], args: tuple[str, ...], message: str
) -> None:
    assert day
    result = cli("exceptions", "list", *args)
    assert result.code == 2
    assert message in result.stderr


def test_show_takes_the_short_id_and_names_suggested_customers(
    cli: CliRunner, day: list[dict[str, object]]
) -> None:
    row = next(r for r in day if r["top_suggestion"])
    shown = cli("exceptions", "show", str(row["short_id"]), "--format", "json")
    assert shown.code == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["exception_id"] == row["exception_id"]
    assert view["suggestions"][0]["rank"] == 1
    assert view["suggestions"][0]["customers"]
    assert [h["action"] for h in view["history"]][:1] == ["raise"]
    unknown = cli("exceptions", "show", "exc_ffffffffffff")
    assert unknown.code == 2
    assert "no exception" in unknown.stderr
    assert cli("exceptions", "show", "zz").code == 2


def test_csv_json_and_xlsx_files(
    cli: CliRunner, day: list[dict[str, object]], tmp_path: Path
) -> None:
    sheet_path = tmp_path / "queue.xlsx"
    assert cli("exceptions", "list", "--format", "xlsx", "--out", sheet_path).code == 0
    sheet = openpyxl.load_workbook(sheet_path).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    amount_column = header.index("amount") + 1
    assert sheet.max_row == len(day) + 1
    cell = sheet.cell(row=2, column=amount_column)
    assert isinstance(cell.value, int | float | Decimal)
    assert cell.number_format == "#,##0.00"
    csv_path = tmp_path / "queue.csv"
    assert cli("exceptions", "list", "--format", "csv", "--out", csv_path).code == 0
    assert len(csv_path.read_text(encoding="utf-8").splitlines()) == len(day) + 1


def test_a_piped_queue_is_one_line_per_exception_at_80_columns(
    cli: CliRunner, day: list[dict[str, object]], db: Path, tmp_path: Path
) -> None:
    """A real process writing to a file, as ``cashapp exceptions list > queue.txt`` does."""
    assert cli("exceptions", "list").code == 0
    target = tmp_path / "queue.txt"
    with target.open("w", encoding="utf-8") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "cashapp.cli", "--db", str(db), "exceptions", "list"],
            stdout=handle, stderr=subprocess.PIPE, text=True, check=False,
            env={**os.environ, "COLUMNS": "80"}, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "exceptions (open)"
    assert lines[1].split()[:3] == ["short_id", "type", "status"]
    assert len(lines) == len(day) + 2
    assert {line.split()[0] for line in lines[2:]} == {str(r["short_id"]) for r in day}
    assert max(len(line) for line in lines) > 80
