"""The ``query`` verb's sandbox: one read-only SELECT over the public views, with a time limit.

Three walls, each sufficient for its own concern:

1. *Our own parse.* DuckDB's parser, through ``json_serialize_sql``, gives the statement's
   whole tree. A statement type of SELECT is not enough: ``WITH d AS (DELETE FROM
   payments RETURNING *) SELECT * FROM d`` is a SELECT whose CTE deletes. Every node of
   the tree is visited, so a write (``DELETE``/``INSERT``/``UPDATE`` query node) anywhere
   in it -- a CTE, a subquery, a set operation -- refuses the statement.
2. *The public views only.* Every table the statement names must be a view (``v_*``) or
   one of its own CTEs; a base table is refused. The views are the contract (DESIGN §5)
   and they are where masking happens: ``payments.raw`` keeps each record as the bank sent
   it, account numbers included, for traceability, and no view exposes it. Table functions
   are allowed from a short list (``range``, ``unnest``, catalog listings); ``query`` and
   ``query_table`` would name a table as a string, out of the parse's sight.
3. *The connection.* The reader is read-only with external access off, so even a check
   missed here could neither write nor touch a file.

A statement timeout (``[query] timeout_seconds``) interrupts a runaway query from a timer
thread (``con.interrupt()``): DuckDB has no statement timeout setting of its own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import duckdb

#: Table functions a query may call: generated rows and catalog listings, nothing that
#: reads a table by a name given as text.
ALLOWED_TABLE_FUNCTIONS: Final = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_tables",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_keywords",
    }
)

#: Query nodes that read; any other ``*_QUERY_NODE`` (DELETE, INSERT, UPDATE, ...) writes.
_READING_NODES: Final = frozenset(
    {"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"}
)


class QueryRefused(Exception):
    """The statement is not a read of the public views, or it ran too long."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object in the parse tree, depth first."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _base_tables(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    rows = con.execute("SELECT DISTINCT lower(table_name) FROM duckdb_tables()").fetchall()
    return frozenset(str(row[0]) for row in rows)


def _views(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND view_name LIKE 'v\\_%'"
        " ESCAPE '\\' ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def check_query(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT that reads the public views (see the module notes)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"bad SQL: {exc}") from None
    if len(statements) != 1:
        raise QueryRefused("give exactly one SQL statement")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"only read-only queries are allowed (got {statements[0].type.name})")
    row = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(row[0]) if row else {"error": True, "error_message": "no parse"}
    if tree.get("error"):
        raise QueryRefused(f"bad SQL: {tree.get('error_message', 'cannot be parsed')}")
    tables = _base_tables(con)
    for node in _nodes(tree):
        kind = node.get("type")
        if not isinstance(kind, str):
            continue
        if kind.endswith("_NODE") and kind not in _READING_NODES:
            verb = kind.removesuffix("_NODE").removesuffix("_QUERY")
            raise QueryRefused(f"only read-only queries are allowed ({verb} inside the query)")
        if kind == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if name.lower() in tables:
                views = ", ".join(_views(con))
                raise QueryRefused(
                    f"query reads the public views, not the table {name!r}: use one of {views}"
                )
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            called = str(function.get("function_name", "")).lower()
            if called not in ALLOWED_TABLE_FUNCTIONS:
                raise QueryRefused(f"the table function {called}() is not allowed in query")


def run_query(con: duckdb.DuckDBPyConnection, sql: str, *, timeout_seconds: int) -> QueryResult:
    """Check ``sql``, then run it, interrupting it after ``timeout_seconds``."""
    check_query(con, sql)
    timer = threading.Timer(timeout_seconds, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cursor = con.execute(sql)
        columns = tuple(d[0] for d in cursor.description or [])
        rows = cursor.fetchall()
    except duckdb.InterruptException:
        raise QueryRefused(
            f"query stopped after {timeout_seconds} s ([query] timeout_seconds)"
        ) from None
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {exc}") from None
    finally:
        timer.cancel()
    return QueryResult(columns, rows)
