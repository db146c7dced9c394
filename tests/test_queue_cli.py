"""The queue's verbs on the command line: the shapes of the README, ``--format json``,
``--user`` required, a refusal is one line and exit 2 with the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CliRunner
from tests.queue_books import copy_book, snapshot


@pytest.fixture
def cli(demo_day: Path, db: Path, cli_without_book: CliRunner) -> CliRunner:
    copy_book(demo_day, db)
    return cli_without_book


def exc_of(db: Path, type_: str) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT exception_id FROM exceptions WHERE type = ? AND status = 'open'", [type_]
        ).fetchall()
    finally:
        con.close()
    return str(rows[0][0])


def state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return snapshot(con)
    finally:
        con.close()


def test_a_verb_that_changes_the_queue_needs_a_user(cli: CliRunner, db: Path) -> None:
    result = cli("exceptions", "accept", exc_of(db, "ambiguous"))
    assert result.code == 2
    assert "say who you are with --user NAME or CASHAPP_USER" in result.stderr


def test_accept_with_a_short_id_as_json(cli: CliRunner, db: Path) -> None:
    exc = exc_of(db, "ambiguous")
    result = cli("--user", "spec1", "exceptions", "accept", exc[4:12], "--format", "json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["exception_id"], data["status"], data["version"]) == (exc, "resolved", 2)
    assert len(data["applications"]) == 1
    assert data["approval_id"] is None


def test_a_refusal_is_one_line_exit_2_and_changes_nothing(cli: CliRunner, db: Path) -> None:
    before = state(db)
    result = cli(
        "--user", "spec1", "exceptions", "apply", exc_of(db, "ambiguous"), "INV-100461=19372.031"
    )
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "error: INV-100461: 19372.031 has more decimal places than USD allows (2)"
    ]
    assert result.stdout == ""
    assert state(db) == before


def test_a_user_without_the_role_is_refused(cli: CliRunner, db: Path) -> None:
    result = cli("--user", "acct1", "exceptions", "on-account", exc_of(db, "over_payment"))
    assert result.code == 2
    assert "user 'acct1' (accountant) lacks the permission 'queue.resolve'" in result.stderr


def test_the_split_and_its_rest(cli: CliRunner, db: Path) -> None:
    exc = exc_of(db, "ambiguous")
    result = cli(
        "--user", "spec1", "exceptions", "apply", exc, "INV-100461=100.00", "--rest", "on-account"
    )
    assert result.code == 0, result.stderr
    assert "applied 100.00 to INV-100461; 19272.03 on account" in result.stdout


def test_write_off_over_the_limit_then_approvals_list_and_approve(cli: CliRunner, db: Path) -> None:
    exc = exc_of(db, "short_payment")
    made = cli(
        "--user", "spec1", "exceptions", "write-off", exc, "--amount", "1000.00",
        "--reason", "damaged_goods", "--format", "json",
    )  # fmt: skip
    assert made.code == 0, made.stderr
    approval = json.loads(made.stdout)["approval_id"]
    listed = cli("approvals", "list", "--format", "json")
    assert [a["approval_id"] for a in json.loads(listed.stdout)] == [approval]
    table = cli("approvals", "list")
    assert approval in table.stdout
    assert "1000.00 USD" in table.stdout
    own = cli("--user", "spec1", "approvals", "approve", approval)
    assert own.code == 2
    assert "lacks the permission 'approvals.decide'" in own.stderr
    done = cli("--user", "lead1", "approvals", "approve", approval, "--format", "json")
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "resolved"
    assert json.loads(cli("approvals", "list", "--format", "json").stdout) == []


def test_reject_needs_a_note(cli: CliRunner, db: Path) -> None:
    exc = exc_of(db, "duplicate_payment")
    made = cli("--user", "spec1", "exceptions", "refund", exc, "--format", "json")
    approval = json.loads(made.stdout)["approval_id"]
    rejected = cli("--user", "lead1", "approvals", "reject", approval, "--note", "keep credit")
    assert rejected.code == 0, rejected.stderr
    assert "nothing was posted" in rejected.stdout


def test_the_other_verbs(cli: CliRunner, db: Path) -> None:
    unidentified = exc_of(db, "unidentified")
    ret = exc_of(db, "ach_return")
    short = exc_of(db, "short_payment")
    steps = [
        ("exceptions", "assign", unidentified, "--to", "spec2"),
        ("exceptions", "note", unidentified, "called AP"),
        ("exceptions", "link", unidentified, "--customer", "C1005"),
        ("exceptions", "on-account", unidentified),
        ("exceptions", "re-present", ret, "--note", "debit again on the 25th"),
        ("exceptions", "dismiss", short, "--note", "collections will chase it"),
    ]
    for step in steps:
        result = cli("--user", "spec1", *step, "--format", "json")
        assert result.code == 0, (step, result.stderr)
    over = exc_of(db, "over_payment")
    dup = cli("--user", "spec1", "exceptions", "duplicate", exc_of(db, "ambiguous"))
    assert dup.code == 0, dup.stderr
    ack = cli("--user", "spec1", "exceptions", "ack", over)
    assert ack.code == 2
    assert "only a return or chargeback" in ack.stderr


def test_applications_reverse(cli: CliRunner, db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        app = con.execute(
            "SELECT application_id FROM applications WHERE kind = 'payment' AND status = 'active'"
            " ORDER BY 1 LIMIT 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    missing = cli("--user", "spec1", "applications", "reverse", app)
    assert missing.code == 2  # --note is required
    result = cli(
        "--user", "spec1", "applications", "reverse", app, "--note", "wrong customer",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["action"] == "reverse"
    assert len(data["reversals"]) == 1
    again = cli("--user", "spec1", "applications", "reverse", app, "--note", "again")
    assert again.code == 2
    assert "already reversed: reverse by spec1" in again.stderr
