"""``--db`` naming a file that does not exist is refused by every verb but ``init``.

Issue 10: ``ingest --db <typo>`` silently created a new, empty database and reported
success, while the real book stayed untouched. Only ``init`` creates a database, with one
named exception: ``ingest`` may start a first book in a folder that holds no database at
all (saying so on stderr), because a typo sits beside the real book.
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
    real_book = tmp_path / "books.duckdb"  # the book the typo missed
    real_book.write_bytes(b"")
    bank_file = tmp_path / "day.bai2"
    bank_file.write_bytes(_statement())
    args = [
        str(bank_file) if a == "FILE" else str(tmp_path / "out") if a == "OUT" else a for a in verb
    ]
    result = cli_without_book(*args)
    assert result.code == 2, result.stderr
    assert f"database {db} does not exist" in result.stderr
    assert "books.duckdb" in result.stderr  # the message points at the likely intended book
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


def test_ingest_starts_a_first_book_in_a_folder_without_one_and_says_so(
    cli_without_book: CliRunner, db: Path, tmp_path: Path
) -> None:
    bank_file = tmp_path / "day.bai2"
    bank_file.write_bytes(_statement())
    result = cli_without_book("ingest", "--output", "json", bank_file)
    assert result.code == 0, result.stderr
    assert f"{db}: no database here yet: created a new, empty one" in " ".join(
        result.stderr.split()
    )
    assert db.exists()


def test_other_verbs_never_start_a_book_even_in_an_empty_folder(
    cli_without_book: CliRunner, db: Path
) -> None:
    result = cli_without_book("match")
    assert result.code == 2
    assert not db.exists()
