"""Two people at once, for real: two ``cashapp`` processes on one database file.

DuckDB lets one process hold the file for writing; a cashapp verb holds it for its one
unit of work and a second one waits for the lock (``[database] lock_timeout_seconds``,
DESIGN §5b), then meets the first one's result. So two specialists resolving the same
exception at the same moment end with exactly one resolution: the other gets the
conflict naming who resolved it, and nothing is doubled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from cashapp.queue import checks
from cashapp.store import open_store
from tests.queue_books import copy_book, exceptions_of


@pytest.fixture
def db(demo_day: Path, tmp_path: Path) -> Path:
    return copy_book(demo_day, tmp_path / "day.duckdb")


def cashapp(db: Path, *args: str, config: Path | None = None) -> subprocess.Popen[str]:
    """``cashapp --db DB ARGS...`` as its own process."""
    argv = [sys.executable, "-m", "cashapp.cli", "--db", str(db)]
    if config is not None:
        argv += ["--config", str(config)]
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("CASHAPP_USER", None)
    return subprocess.Popen(
        [*argv, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def the_ambiguous_one(db: Path) -> tuple[str, str, str]:
    """(exception, its payment, the top suggestion's invoice) of the demo's ambiguous payment."""
    with open_store(str(db)) as store:
        (exc,) = exceptions_of(store, "ambiguous")
        payment, suggestions = store.fetchall(
            "SELECT payment_id, suggestions FROM exceptions WHERE exception_id = ?", [exc]
        )[0]
    return exc, payment, json.loads(suggestions)[0]["invoices"][0]


def manual_rows(db: Path, payment: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT invoice_number, amount, created_by FROM applications"
            " WHERE payment_id = ? AND method = 'manual'",
            [payment],
        ).fetchall()
    finally:
        con.close()


def test_two_processes_applying_the_same_version_one_wins_the_other_is_refused(db: Path) -> None:
    exc, payment, invoice = the_ambiguous_one(db)
    first = cashapp(db, "--user", "spec1", "exceptions", "apply", exc[:12], invoice,
                    "--version", "1", "--format", "json")  # fmt: skip
    second = cashapp(db, "--user", "spec2", "exceptions", "apply", exc[:12], invoice,
                     "--version", "1", "--format", "json")  # fmt: skip
    results = {"spec1": finish(first), "spec2": finish(second)}

    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 2], results
    winner = next(user for user, (code, _, _) in results.items() if code == 0)
    _, loser_out, loser_err = next(r for r in results.values() if r[0] == 2)
    assert json.loads(results[winner][1])["status"] == "resolved"
    assert loser_out == ""
    assert "changed since you read version 1" in loser_err
    assert f"apply by {winner} at" in loser_err
    assert "Traceback" not in loser_err
    rows = manual_rows(db, payment)
    assert [(r[0], r[2]) for r in rows] == [(invoice, winner)]
    with open_store(str(db)) as store:
        assert checks.book_breaks(store) == []
        assert checks.daily_breaks(store) == []


def test_two_processes_resolving_differently_one_wins_nothing_is_doubled(db: Path) -> None:
    exc, payment, _ = the_ambiguous_one(db)
    accept = cashapp(db, "--user", "spec1", "exceptions", "accept", exc)
    on_account = cashapp(db, "--user", "spec2", "exceptions", "on-account", exc)
    (a_code, _, a_err), (b_code, _, b_err) = finish(accept), finish(on_account)

    assert sorted([a_code, b_code]) == [0, 2], (a_err, b_err)
    refused = a_err if a_code == 2 else b_err
    winner = "accept by spec1" if a_code == 0 else "on-account by spec2"
    assert f"already resolved: {winner} at" in refused
    assert len(manual_rows(db, payment)) == 1


def test_a_process_waits_for_the_lock_and_then_acts(db: Path) -> None:
    exc, _, _ = the_ambiguous_one(db)
    holder = duckdb.connect(str(db))
    threading.Timer(1.5, holder.close).start()
    started = time.monotonic()
    code, out, err = finish(cashapp(db, "--user", "spec1", "exceptions", "note", exc, "called AP"))
    assert code == 0, err
    assert "note added" in out
    assert time.monotonic() - started >= 1.0


def test_a_lock_held_too_long_is_refused_naming_its_holder(db: Path, tmp_path: Path) -> None:
    config = tmp_path / "cashapp.toml"
    config.write_text("[database]\nlock_timeout_seconds = 1\n", encoding="utf-8")
    exc, _, _ = the_ambiguous_one(db)
    holder = duckdb.connect(str(db))
    try:
        code, _, err = finish(
            cashapp(db, "--user", "spec1", "exceptions", "note", exc, "x", config=config)
        )
    finally:
        holder.close()
    assert code == 2
    assert f"is in use by PID {os.getpid()}" in err
    assert "waited 1 s for it ([database] lock_timeout_seconds)" in err
