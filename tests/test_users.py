"""Users and roles: who may do what is decided in the service, and passwords stay secret."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from cashapp.domain import ActionRefused, NotPermitted
from cashapp.store import Store, open_store
from cashapp.users import (
    ROLE_PERMISSIONS,
    ROLES,
    add_user,
    disable_user,
    list_users,
    require,
    set_password,
    verify_password,
)
from tests.conftest import CliRunner

SECRET = "correct horse battery staple"

#: The specification: which role holds which permission (everything else is refused).
EXPECTED = {
    ("specialist", "queue.resolve"), ("specialist", "queue.assign"),
    ("specialist", "aliases.manage"),
    ("lead", "queue.resolve"), ("lead", "queue.assign"), ("lead", "approvals.decide"),
    ("lead", "aliases.manage"), ("lead", "day.signoff"), ("lead", "export.post"),
    ("accountant", "export.post"),
    ("admin", "queue.resolve"), ("admin", "queue.assign"), ("admin", "aliases.manage"),
    ("admin", "users.manage"), ("admin", "export.post"),
}  # fmt: skip
PERMISSIONS = sorted({p for perms in ROLE_PERMISSIONS.values() for p in perms})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(str(tmp_path / "u.duckdb"), create=True)
    add_user(s, None, "root", "admin")
    for role in ROLES:
        add_user(s, "root", f"a-{role}", role)
    return s


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("permission", PERMISSIONS)
def test_each_role_holds_exactly_its_permissions(store: Store, role: str, permission: str) -> None:
    if (role, permission) in EXPECTED:
        assert require(store, f"a-{role}", permission).role == role
    else:
        with pytest.raises(NotPermitted, match=f"a-{role}.*{role}.*{re.escape(permission)}"):
            require(store, f"a-{role}", permission)


def test_an_unknown_or_disabled_user_may_do_nothing(store: Store) -> None:
    with pytest.raises(NotPermitted, match="unknown user 'nobody'"):
        require(store, "nobody", "queue.resolve")
    disable_user(store, "root", "a-specialist")
    with pytest.raises(NotPermitted, match="disabled"):
        require(store, "a-specialist", "queue.resolve")


def test_the_first_user_is_an_admin_and_needs_no_one_to_add_them(tmp_path: Path) -> None:
    s = open_store(str(tmp_path / "first.duckdb"), create=True)
    with pytest.raises(ActionRefused, match="first must be an admin"):
        add_user(s, None, "spec1", "specialist")
    add_user(s, None, "boss", "admin")
    with pytest.raises(NotPermitted, match="--user"):
        add_user(s, None, "spec1", "specialist")
    add_user(s, "boss", "spec1", "specialist")
    with pytest.raises(NotPermitted, match=r"users\.manage"):
        add_user(s, "spec1", "spec2", "specialist")
    assert [u.user_id for u in list_users(s)] == ["boss", "spec1"]


def test_the_last_active_admin_cannot_be_disabled(store: Store) -> None:
    disable_user(store, "root", "a-admin")
    with pytest.raises(ActionRefused, match="last active admin"):
        disable_user(store, "root", "root")


def test_bad_names_roles_and_duplicates_are_refused(store: Store) -> None:
    with pytest.raises(ActionRefused, match="unknown role 'boss'; valid: specialist"):
        add_user(store, "root", "x", "boss")
    with pytest.raises(ActionRefused, match="user name"):
        add_user(store, "root", "Robert'); DROP", "lead")
    with pytest.raises(ActionRefused, match="exists already"):
        add_user(store, "root", "a-lead", "lead")


def test_passwords_are_argon2id_hashes_and_never_stored_or_audited_in_clear(
    store: Store,
) -> None:
    add_user(store, "root", "web1", "specialist", password=SECRET)
    digest = store.scalar("SELECT password_hash FROM users WHERE user_id = 'web1'")
    assert str(digest).startswith("$argon2id$")
    assert verify_password(store, "web1", SECRET) == require(store, "web1", "queue.resolve")
    assert verify_password(store, "web1", SECRET + "!") is None
    assert verify_password(store, "nobody", SECRET) is None
    assert verify_password(store, "a-lead", SECRET) is None  # no password set
    everything = json.dumps(store.fetchall("SELECT * FROM audit_log"), default=str)
    everything += json.dumps(store.fetchall("SELECT * FROM users"), default=str)
    assert SECRET not in everything
    with pytest.raises(ActionRefused, match="at least 12"):
        add_user(store, "root", "web2", "lead", password="short")
    set_password(store, "a-lead", "a-lead", SECRET)  # one's own
    with pytest.raises(NotPermitted):
        set_password(store, "a-lead", "web1", SECRET)  # someone else's: admins only


def test_every_change_to_users_is_audited_with_who_did_it(store: Store) -> None:
    disable_user(store, "root", "a-accountant")
    rows = store.fetchall(
        "SELECT actor, action, entity_id FROM audit_log WHERE entity = 'user' ORDER BY audit_id"
    )
    assert rows[0] == ("root", "add", "root")
    assert ("root", "add", "a-lead") in rows
    assert rows[-1] == ("root", "disable", "a-accountant")


def test_cli_users_add_list_disable(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("users", "add", "boss", "--role", "admin").code == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    added = cli("--user", "boss", "users", "add", "spec1", "--role", "specialist",
                "--password-stdin")  # fmt: skip
    assert added.code == 0, added.stderr
    bad = cli("--user", "boss", "users", "add", "x", "--role", "boss")
    assert bad.code == 2
    assert "unknown role 'boss'" in bad.stderr
    refused = cli("--user", "spec1", "users", "disable", "boss")
    assert refused.code == 2
    assert "lacks the permission 'users.manage'" in refused.stderr
    assert cli("users", "disable", "spec1").code == 2  # no --user
    listed = cli("users", "list", "--format", "json")
    users = {u["user"]: u for u in json.loads(listed.stdout)}
    assert users["spec1"]["password"] == "set"
    assert SECRET not in listed.stdout
    assert "argon2" not in listed.stdout
    assert cli("--user", "boss", "users", "disable", "spec1").code == 0
    assert not json.loads(cli("users", "list", "--format", "json").stdout)[1]["active"]
