"""The DuckDB store: schema migrations, the public views, and the one writer.

Why one writer: DuckDB allows a single read-write process per database file, so every
change goes through a :class:`Store` opened for writing, and each logical change (one
ingested file, one import, one match run) is one transaction. Readers (reports, the
``query`` verb, later the web UI) open their own read-only connection with external
access switched off, so a query can neither write the database nor touch the disk.

Migrations are numbered SQL files in ``migrations/``; ``schema_migrations`` records what
ran, so ``cashapp init`` is safe to re-run and upgrades an older database in place.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from cashapp.masking import sql_macros

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


#: Where ``cashapp query`` finds the tables: masked views of them, one per table.
QUERY_SCHEMA = "cashapp_query"

#: Columns of the query mirrors that carry account numbers in text, and their masker.
MASKED_COLUMNS: dict[str, dict[str, str]] = {
    "payments": {"raw": "mask_label(raw)", "location": "mask_label(location)"},
    "statement_checks": {"statement": "mask_label(statement)"},
    "source_files": {"name": "mask_label(name)", "issues": "mask_text(issues)"},
    "exceptions": {"detail": "mask_text(detail)"},
    "audit_log": {"detail": "mask_label(detail)"},
}

#: Tables ``query`` never reads, not even masked: people and bookkeeping of the schema.
NOT_QUERYABLE = frozenset({"users", "schema_migrations"})


class StoreError(RuntimeError):
    """A database problem a person can act on (locked file, failed SQL with its text)."""


def utcnow() -> datetime:
    """Aware UTC timestamp; the only clock the store uses."""
    return datetime.now(UTC)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("cashapp.store").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _views_sql() -> str:
    return resources.files("cashapp.store").joinpath("views.sql").read_text(encoding="utf-8")


#: How long opening a database waits for another process's lock on it, by default
#: (``[database] lock_timeout_seconds``; DESIGN §5b).
LOCK_WAIT_SECONDS = 30.0

#: DuckDB's words for a file another process holds: the program and its PID.
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def _lock_holder(message: str) -> str | None:
    """``PID 1234 (python3.11)`` when ``message`` is DuckDB's lock refusal, else None."""
    found = _LOCK_HOLDER.search(message)
    if found is None:
        return "another process" if "Could not set lock" in message else None
    return f"PID {found['pid']} ({Path(found['program']).name})"


def _connect(
    path: str, *, read_only: bool, wait_seconds: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open ``path``, waiting up to ``wait_seconds`` while another process holds its lock.

    Why wait: DuckDB allows one process to hold a file read-write, and every cashapp verb
    holds it only for its unit of work (DESIGN §5b). Two people acting at the same moment
    should see the second action run a moment later -- and meet the first one's result
    (a conflict, not a locked file) -- rather than fail at once. Past the bound the
    refusal names the holder, so a stuck process can be found.
    """
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    pause = 0.02
    while True:
        try:
            return _connect_once(path, read_only=read_only)
        except duckdb.IOException as exc:
            holder = _lock_holder(str(exc))
            remaining = deadline - time.monotonic()
            if holder is None:
                raise StoreError(f"cannot open database {path}: {exc}") from exc
            if remaining <= 0:
                raise StoreError(
                    f"database {path} is in use by {holder}; waited {wait_seconds:g} s for it"
                    " ([database] lock_timeout_seconds)"
                ) from exc
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.25)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc


def _connect_once(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {}
    if read_only:
        config["enable_external_access"] = False
    else:
        # Checkpoint (fold the write-ahead log into the file) every 2 GB, not every 16 MB:
        # a checkpoint rewrites the primary-key indexes whole, so with the default a day
        # of big bank files (1M payments: 11 files) spent 6.7 s of its 22 s ingest
        # checkpointing. The log is still written and synced on every commit; closing
        # the store checkpoints (~2 s for that day, counted in `cashapp bench speed`).
        config["wal_autocheckpoint"] = "2GB"
    return duckdb.connect(path, read_only=read_only, config=config)


class Store:
    """A read-write connection to one cashapp database."""

    def __init__(self, path: str, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(path, read_only=False, wait_seconds=wait_seconds)

    # --- lifecycle -------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply pending migrations and recreate the views; return the names applied."""
        self.con.execute(SCHEMA_VERSION_TABLE)
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        current = int(row[0]) if row else 0
        applied = []
        for version, name, sql in _migrations():
            if version <= current:
                continue
            with self.transaction():
                self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, utcnow()]
                )
            applied.append(name)
        self.con.execute(sql_macros())  # the maskers the views use
        self.con.execute(_views_sql())
        self._create_query_mirrors()
        return applied

    def _create_query_mirrors(self) -> None:
        """The tables as ``cashapp query`` sees them: masked views in :data:`QUERY_SCHEMA`.

        ``query`` resolves names there first (its search path), so ``select * from
        statement_checks`` reads the mirror, with labels masked and ``payments.raw``
        masked; the tables themselves keep the records as delivered, for traceability.
        Recreated on every open from the tables that exist, so a new table is mirrored
        (as is, unless :data:`MASKED_COLUMNS` names a column of it) without a migration.
        """
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {QUERY_SCHEMA}")
        tables = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            " AND NOT temporary ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            if table in NOT_QUERYABLE:
                continue
            masked = MASKED_COLUMNS.get(table, {})
            replace = ", ".join(f"{expr} AS {column}" for column, expr in masked.items())
            star = f"* REPLACE ({replace})" if replace else "*"
            self.con.execute(
                f"CREATE OR REPLACE VIEW {QUERY_SCHEMA}.{table} AS SELECT {star} FROM main.{table}"
            )

    def schema_version(self) -> int:
        self.con.execute(SCHEMA_VERSION_TABLE)
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit of work: everything inside commits together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # --- helpers -----------------------------------------------------------------------

    def execute(
        self, sql: str, params: Sequence[object] | None = None
    ) -> duckdb.DuckDBPyConnection:
        """Run SQL with bound parameters; a failure is re-raised with the SQL that failed."""
        try:
            return self.con.execute(sql, params or [])
        except duckdb.Error as exc:
            raise StoreError(f"{exc}\n-- while running:\n{sql.strip()}") from exc

    def fetchall(self, sql: str, params: Sequence[object] | None = None) -> list[tuple[Any, ...]]:
        return self.execute(sql, params).fetchall()

    def release(self, *names: str) -> None:
        """Unregister Arrow tables handed to DuckDB, even inside a failed transaction.

        DuckDB refuses ``unregister`` while a transaction is aborted; raising then would
        hide the error that aborted it, so the refusal is ignored (the registration ends
        with the connection anyway).
        """
        for name in names:
            with contextlib.suppress(duckdb.Error):
                self.con.unregister(name)

    def scalar(self, sql: str, params: Sequence[object] | None = None) -> Any:
        """The first column of the first row, or None.

        Fetches the whole result: DuckDB 2.0 counts a result read with ``fetchone`` as
        unfinished, and then refuses ``register`` on the connection (the next stage's
        Arrow table) until it is.
        """
        rows = self.execute(sql, params).fetchall()
        return rows[0][0] if rows else None

    def audit(
        self, actor: str, action: str, entity: str, entity_id: str, detail: dict[str, Any]
    ) -> None:
        """Append to the audit log (inside the caller's transaction)."""
        self.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [utcnow(), actor, action, entity, entity_id, json.dumps(detail, default=str)],
        )


def open_store(
    path: str, *, create: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Store:
    """Open and migrate a database for writing; ``create`` only for ``cashapp init``.

    Why refuse a missing file: DuckDB creates one on connect, so a typo in ``--db`` would
    silently start an empty book, ingest into it, and leave the real one untouched while
    the run reports success. Only ``init`` (and benchmarks building their own) create.
    Another process holding the file is waited for up to ``wait_seconds`` (``_connect``).
    """
    if not create and path != ":memory:" and not Path(path).exists():
        raise _missing(path)
    store = Store(path, wait_seconds=wait_seconds)
    try:
        store.migrate()
    except duckdb.Error as exc:
        store.close()
        raise StoreError(f"cannot migrate database {path}: {exc}") from exc
    return store


def _missing(path: str) -> StoreError:
    """The refusal of a missing database, naming the books beside it (the likely intent)."""
    others = sorted(p.name for p in Path(path).parent.glob("*.duckdb"))[:3]
    beside = f" (that folder holds {', '.join(others)})" if others else ""
    return StoreError(f"database {path} does not exist{beside}; run `cashapp init` first")


def starts_new_book(path: str) -> bool:
    """True when ``path`` is missing and its folder holds no other database.

    Why: ``ingest`` is also how a first book begins (an empty working folder, a fresh
    checkout, a test's temporary folder), while a typo in ``--db`` almost always sits
    beside the real book (``var/demo.duckbd`` next to ``var/demo.duckdb``). So ingest
    may start a book in a folder with no database, saying so on stderr, and is refused
    like every other verb when the folder already holds one.
    """
    target = Path(path)
    if path == ":memory:" or target.exists() or not target.parent.is_dir():
        return False
    return not any(p.is_file() for p in target.parent.glob("*.duckdb"))


def open_reader(path: str, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """A read-only connection with no file or network access, for queries and reports.

    A read-only open is refused too while another process writes the file, so it waits
    for the lock like a writer does.
    """
    if path != ":memory:" and not Path(path).exists():
        raise _missing(path)
    return _connect(path, read_only=True, wait_seconds=wait_seconds)
