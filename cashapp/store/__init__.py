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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)
"""


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


def _connect(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
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
    try:
        return duckdb.connect(path, read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc


class Store:
    """A read-write connection to one cashapp database."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = _connect(path, read_only=False)

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
        self.con.execute(_views_sql())
        return applied

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
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def audit(
        self, actor: str, action: str, entity: str, entity_id: str, detail: dict[str, Any]
    ) -> None:
        """Append to the audit log (inside the caller's transaction)."""
        self.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [utcnow(), actor, action, entity, entity_id, json.dumps(detail, default=str)],
        )


def open_store(path: str, *, create: bool = False) -> Store:
    """Open and migrate a database for writing; ``create`` only for ``cashapp init``.

    Why refuse a missing file: DuckDB creates one on connect, so a typo in ``--db`` would
    silently start an empty book, ingest into it, and leave the real one untouched while
    the run reports success. Only ``init`` (and benchmarks building their own) create.
    """
    if not create and path != ":memory:" and not Path(path).exists():
        raise StoreError(f"database {path} does not exist; run `cashapp init` first")
    store = Store(path)
    try:
        store.migrate()
    except duckdb.Error as exc:
        store.close()
        raise StoreError(f"cannot migrate database {path}: {exc}") from exc
    return store


def open_reader(path: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection with no file or network access, for queries and reports."""
    if path != ":memory:" and not Path(path).exists():
        raise StoreError(f"database {path} does not exist; run `cashapp init` first")
    return _connect(path, read_only=True)
