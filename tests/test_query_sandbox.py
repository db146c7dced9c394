"""``cashapp query``: our own parse refuses writes anywhere in the tree; a statement timeout.

The reported hole (issue 10, item 10): ``WITH d AS (DELETE ... RETURNING *) SELECT ...``
is a SELECT to the statement-type check, and only the read-only connection stopped it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cashapp.sandbox import QueryRefused, check_query, prepare
from cashapp.store import open_reader, open_store
from tests.conftest import CliRunner


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """A migrated, empty book opened as ``query`` opens it."""
    path = tmp_path_factory.mktemp("sandbox") / "book.duckdb"
    open_store(str(path), create=True).close()
    return open_reader(str(path))


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("WITH d AS (DELETE FROM payments RETURNING *) SELECT * FROM d", "DELETE inside"),
        ("WITH d AS (UPDATE runs SET run_id = 'x' RETURNING *) SELECT * FROM d", "UPDATE inside"),
        (
            "WITH d AS (INSERT INTO runs SELECT * FROM runs RETURNING *) SELECT count(*) FROM d",
            "INSERT inside",
        ),
        (
            "SELECT * FROM v_payments WHERE payment_id IN"
            " (WITH d AS (DELETE FROM applications RETURNING payment_id) SELECT * FROM d)",
            "DELETE inside",
        ),
    ],
)
def test_a_write_hidden_in_a_select_is_refused_by_our_check(
    reader: duckdb.DuckDBPyConnection, sql: str, why: str
) -> None:
    """Refused before DuckDB runs it: the message is ours, not the read-only connection's."""
    with pytest.raises(QueryRefused, match=why):
        check_query(reader, sql)


def test_the_cli_refuses_the_reported_statement_with_exit_2(cli: CliRunner) -> None:
    cli("init")
    result = cli("query", "WITH d AS (DELETE FROM payments RETURNING *) SELECT * FROM d")
    assert result.code == 2
    assert "only read-only queries are allowed (DELETE inside the query)" in result.stderr
    assert "read-only mode" not in result.stderr  # not DuckDB's own refusal


@pytest.mark.parametrize(
    "sql",
    [
        "select * from v_payments",
        "select count(*) from v_payments p join v_applications a using (payment_id)",
        "with t as (select * from v_daily_totals) select * from t",
        "select column_name from (describe v_payments)",
        "select * from range(3)",
        "select 1 union all select 2",
        "select view_name from duckdb_views()",
        "select 'delete from payments' as text_that_mentions_a_write",
        "select count(*) from statement_checks",
        "select status, difference from statement_checks",
        "select * from cashapp_query.payments",
    ],
)
def test_reads_of_the_views_pass(reader: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Views, and tables by their plain name (which the search path makes the mirrors)."""
    prepare(reader)
    check_query(reader, sql)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("select * from main.payments", "'main.payments' is not one of them"),
        ("select * from MAIN.PAYMENTS", "'MAIN.PAYMENTS' is not one of them"),
        ("select * from book.main.payments", "is not one of them"),
        ("select * from users", "'users' is not one of them"),
        ("select * from schema_migrations", "is not one of them"),
        ("select * from query_table('payments')", "query_table"),
        ("select 1; select 2", "exactly one"),
        ("selec 1", "bad SQL"),
        ("pivot v_payments on kind using count(*)", "only read-only"),
    ],
)
def test_base_tables_and_table_functions_are_refused(
    reader: duckdb.DuckDBPyConnection, sql: str, why: str
) -> None:
    with pytest.raises(QueryRefused, match=why):
        check_query(reader, sql)


def test_a_runaway_query_is_stopped_after_the_timeout(cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "cashapp.toml"
    config.write_text("[query]\ntimeout_seconds = 1\n", encoding="utf-8")
    cli("init")
    result = cli(
        "query",
        "select count(*) from range(100000000) a(i), range(100000000) b(j) where i * j = -1",
        config=config,
    )
    assert result.code == 2
    assert "query stopped after 1 s ([query] timeout_seconds)" in result.stderr


def test_the_timeout_is_validated(cli: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "cashapp.toml"
    config.write_text("[query]\ntimeout_seconds = 0\n", encoding="utf-8")
    result = cli("init", config=config)
    assert result.code == 2
    assert "query.timeout_seconds" in result.stderr
