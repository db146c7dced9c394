"""Books the queue tests work on: a generated day, its users, and snapshots of it.

The demo day (``cashapp demo``: 40 customers, a BAI2 statement and NACHA files) and the
quality bench's labelled book (every exception type the matcher raises, in every bank
format) are generated once per test module and copied per test, so each specification
starts from the same matched day.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb

from cashapp.config import Config
from cashapp.store import Store, open_store

#: The team of the tests: user id -> role.
TEAM: Final = {
    "spec1": "specialist",
    "spec2": "specialist",
    "lead1": "lead",
    "lead2": "lead",
    "acct1": "accountant",
    "gone1": "specialist",
}

#: The tables a refused action must leave exactly as they were.
SNAPSHOT_TABLES: Final = (
    "applications",
    "exceptions",
    "invoices",
    "payments",
    "audit_log",
    "approvals",
    "customer_aliases",
    "journal_entries",
    "journal_lines",
)


def add_team(store: Store) -> None:
    """The test team as users (``gone1`` disabled).

    INTEGRATOR: written against migration 0001's ``users`` table; with r4-users' module
    this becomes its ``add_user`` (and ``disable``) calls.
    """
    now = datetime.now(UTC)
    for user, role in TEAM.items():
        store.execute(
            "INSERT INTO users (user_id, name, role, active, created_at) VALUES (?, ?, ?, ?, ?)",
            [user, user, role, user != "gone1", now],
        )


def build_demo_book(folder: Path) -> Path:
    """The demo day, matched, with the team: the database's path."""
    from cashapp.demo import run_demo

    path = folder / "demo.duckdb"
    with open_store(str(path), create=True) as store:
        run_demo(store, Config(database_path=str(path)), folder / "files")
        add_team(store)
    return path


def build_quality_book(folder: Path) -> Path:
    """The quality bench's labelled book (seed 1, one payment per case), matched: every
    exception type the matcher raises. The database's path."""
    from cashapp.bench.quality.runner import run_quality_bench

    run_quality_bench(folder, seed=1, per_case=1)
    path = folder / "quality-seed-1.duckdb"
    with open_store(str(path)) as store:
        add_team(store)
    return path


def copy_book(source: Path, target: Path) -> Path:
    shutil.copy(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy(wal, target.with_name(target.name + ".wal"))
    return target


def snapshot(source: Store | duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of :data:`SNAPSHOT_TABLES`: "the database is unchanged" made checkable."""
    con = source.con if isinstance(source, Store) else source
    return {
        table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in SNAPSHOT_TABLES
    }


def exceptions_of(store: Store, type_: str, status: str = "open") -> list[str]:
    """The ids of the exceptions of ``type_`` in ``status``, oldest first."""
    rows = store.fetchall(
        "SELECT exception_id FROM exceptions WHERE type = ? AND status = ?"
        " ORDER BY opened_at, exception_id",
        [type_, status],
    )
    return [str(r[0]) for r in rows]


def audit_rows(store: Store, entity_id: str) -> list[tuple[str, str]]:
    """(actor, action) of every audit row of one entity, in order."""
    rows = store.fetchall(
        "SELECT actor, action FROM audit_log WHERE entity_id = ? ORDER BY audit_id", [entity_id]
    )
    return [(str(a), str(b)) for a, b in rows]
