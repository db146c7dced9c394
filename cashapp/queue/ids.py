"""Short ids a person types: ``exc_0a1b2c3d`` or just ``0a1b2c``, resolved to the full id.

STAND-IN (branch r4-actions): the read helper (branch r4-read) owns this module, with the
agreed interface (:func:`resolve_exception`, :func:`resolve_application`); this minimal
version lets the actions accept short ids until the integrator takes r4-read's.

A token is the full id, or any unique prefix of at least six hex characters of the part
after ``exc_`` / ``app_`` (with or without the prefix). Unknown or ambiguous -> refused.
"""

from __future__ import annotations

import re
from typing import Final

import duckdb

from cashapp.domain import ActionRefused
from cashapp.store import Store

_HEX: Final = re.compile(r"[0-9a-f]{6,40}")


def _resolve(source: Store | duckdb.DuckDBPyConnection, token: str, table: str, prefix: str) -> str:
    con = source.con if isinstance(source, Store) else source
    text = token.strip().lower()
    digits = text.removeprefix(prefix)
    noun = "exception" if prefix == "exc_" else "application"
    if not _HEX.fullmatch(digits):
        raise ActionRefused(
            f"{token!r} is not a {noun} id: give {prefix}... or at least 6 of its hex characters"
        )
    column = f"{noun}_id"
    rows = con.execute(
        f"SELECT {column} FROM {table} WHERE starts_with({column}, ?) ORDER BY 1 LIMIT 3",
        [prefix + digits],
    ).fetchall()
    if not rows:
        raise ActionRefused(f"no {noun} {token!r}")
    if len(rows) > 1:
        shown = ", ".join(str(r[0]) for r in rows[:2])
        raise ActionRefused(f"{token!r} names more than one {noun} ({shown}, ...): give more of it")
    return str(rows[0][0])


def resolve_exception(source: Store | duckdb.DuckDBPyConnection, token: str) -> str:
    """The full id of the exception ``token`` names."""
    return _resolve(source, token, "exceptions", "exc_")


def resolve_application(source: Store | duckdb.DuckDBPyConnection, token: str) -> str:
    """The full id of the application ``token`` names."""
    return _resolve(source, token, "applications", "app_")


def short_id(full: str) -> str:
    """The id as lists show it: the prefix and the first 8 hex characters."""
    head, _, digits = full.partition("_")
    return f"{head}_{digits[:8]}" if digits else full
