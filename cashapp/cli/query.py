"""``cashapp query``: one read-only SQL statement against the public views.

Why a module of its own: the checks live in :mod:`cashapp.sandbox`; this is only the
verb, reading through a read-only connection and printing in any ``--format``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, print_rows
from cashapp.cli.state import fail, reader, state


def query(
    sql: Annotated[
        str, typer.Argument(help="One read-only SQL statement, e.g. select * from v_payments")
    ],
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Run one read-only SQL query against the public views (v_*); writes are refused.

    Base tables are not reachable: the views are the contract, and they mask account
    numbers. A statement running past [query] timeout_seconds is stopped (exit 2).
    """
    from cashapp.sandbox import QueryRefused, run_query

    timeout = state.config().query_timeout_seconds
    with reader() as con:
        try:
            result = run_query(con, sql, timeout_seconds=timeout)
        except QueryRefused as exc:
            fail(str(exc))
    print_rows(result.columns, result.rows, format)
