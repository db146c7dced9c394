"""``--db`` naming a file that does not exist is refused by every verb but ``init``.

Issue 10: ``ingest --db <typo>`` silently created a new, empty database and reported
success, while the real book stayed untouched. Only ``init`` creates a database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.test_cli import _statement


@pytest.mark.parametrize(
    "verb",
    [
        ("ingest", "FILE"),
        ("import", "customers", "FILE"),
        ("import", "invoices", "FILE"),
        ("match",),
        ("match", "--dry-run"),
        ("pull", "stripe"),
        ("pull", "plaid"),
        ("export", "journal", "--out", "OUT"),
        ("demo", "--folder", "OUT"),
        ("exceptions", "list"),
        ("report", "daily"),
        ("query", "select 1"),
    ],
    ids=lambda v: " ".join(v),
)
def test_every_verb_but_init_refuses_a_missing_database(
    cli_without_book: CliRunner, db: Path, tmp_path: Path, verb: tuple[str, ...]
) -> None:
    bank_file = tmp_path / "day.bai2"
    bank_file.write_bytes(_statement())
    args = [
        str(bank_file) if a == "FILE" else str(tmp_path / "out") if a == "OUT" else a for a in verb
    ]
    result = cli_without_book(*args)
    assert result.code == 2, result.stderr
    assert f"database {db} does not exist" in result.stderr
    assert "cashapp init" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists()
    assert not (tmp_path / "out").exists()


def test_init_creates_the_database_and_then_ingest_writes_to_it(
    cli_without_book: CliRunner, db: Path, tmp_path: Path
) -> None:
    assert cli_without_book("init").code == 0
    assert db.exists()
    bank_file = tmp_path / "day.bai2"
    bank_file.write_bytes(_statement())
    assert cli_without_book("ingest", bank_file).code == 0
