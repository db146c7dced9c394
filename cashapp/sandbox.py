"""The ``query`` verb's sandbox: one read-only SELECT over masked relations, with a time limit.

Three walls, each sufficient for its own concern:

1. *Our own parse.* DuckDB's parser, through ``json_serialize_sql``, gives the statement's
   whole tree. A statement type of SELECT is not enough: ``WITH d AS (DELETE FROM
   payments RETURNING *) SELECT * FROM d`` is a SELECT whose CTE deletes. Every node of
   the tree is visited, so a write (``DELETE``/``INSERT``/``UPDATE`` query node) anywhere
   in it -- a CTE, a subquery, a set operation -- refuses the statement.
2. *Masked relations only.* A name resolves first in the query mirrors
   (:data:`cashapp.store.QUERY_SCHEMA`: one masked view per table, ``payments.raw`` and
   statement labels masked), then in ``main``, where the public ``v_*`` views are. A
   base table named past the mirror (``main.payments``, ``book.main.payments``) or one
   with no mirror (``users``) is refused. The tables themselves keep each record as the
   bank sent it, account numbers included, for traceability; ``query`` never reads them.
   Table functions are allowed from a short list (``range``, ``unnest``, catalog
   listings); ``query`` and ``query_table`` would name a table as a string, out of the
   parse's sight.
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

from cashapp.store import QUERY_SCHEMA

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


def _names(con: duckdb.DuckDBPyConnection, sql: str) -> frozenset[str]:
    return frozenset(str(row[0]).lower() for row in con.execute(sql).fetchall())


def _refused_table(node: dict[str, Any], tables: frozenset[str], mirrors: frozenset[str]) -> bool:
    """Whether a table reference could reach a base table rather than its masked mirror."""
    name = str(node.get("table_name", "")).lower()
    if name not in tables:
        return False  # a view, a CTE, or nothing (DuckDB then says so)
    schema = str(node.get("schema_name") or "").lower()
    catalog = str(node.get("catalog_name") or "").lower()
    if schema == QUERY_SCHEMA and not catalog:
        return False
    return bool(schema or catalog) or name not in mirrors


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Make unqualified names resolve to the masked mirrors first, then ``main``."""
    con.execute(f"SET search_path = '{QUERY_SCHEMA},main'")


def check_query(con: duckdb.DuckDBPyConnection, sql: str) -> None:  # noqa: C901 - one refusal per thing a sandboxed query may not do
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
    tables = _names(con, "SELECT table_name FROM duckdb_tables()")
    mirrors = _names(
        con, f"SELECT view_name FROM duckdb_views() WHERE schema_name = '{QUERY_SCHEMA}'"
    )
    for node in _nodes(tree):
        kind = node.get("type")
        if not isinstance(kind, str):
            continue
        if kind.endswith("_NODE") and kind not in _READING_NODES:
            verb = kind.removesuffix("_NODE").removesuffix("_QUERY")
            raise QueryRefused(f"only read-only queries are allowed ({verb} inside the query)")
        if kind == "BASE_TABLE" and _refused_table(node, tables, mirrors):
            name = ".".join(
                str(node.get(k))
                for k in ("catalog_name", "schema_name", "table_name")
                if node.get(k)
            )
            raise QueryRefused(
                f"query reads the masked views of the tables and the v_* views; {name!r}"
                " is not one of them (name a table unqualified, e.g. payments)"
            )
        if kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            called = str(function.get("function_name", "")).lower()
            if called not in ALLOWED_TABLE_FUNCTIONS:
                raise QueryRefused(f"the table function {called}() is not allowed in query")


def run_query(con: duckdb.DuckDBPyConnection, sql: str, *, timeout_seconds: int) -> QueryResult:
    """Check ``sql``, then run it, interrupting it after ``timeout_seconds``."""
    prepare(con)
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
