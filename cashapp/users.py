"""Who may do what: users, their roles, and the one check every changing service makes.

Why a module of its own: roles are enforced in the service layer, not in the CLI or the
web UI, so that every way into cashapp (the CLI, the web workbench, the daily job) meets
the same check -- :func:`require` -- before it changes anything. A user is a login name
(the ``--user`` a person gives), a role and, for the web, a password stored only as an
argon2id hash (a memory-hard KDF; the clear text is never stored, printed or logged).
Users are disabled, never deleted: the audit log names them for as long as it is kept.

The first user of a new book is added without ``--user`` (there is nobody to act yet) and
must be an admin; from then on, adding and disabling users needs ``users.manage``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cashapp.domain import ActionRefused, NotPermitted
from cashapp.store import Store, utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting: ``user_id`` is the login name given to ``--user``."""

    user_id: str
    role: str


ROLES: Final = ("specialist", "lead", "accountant", "admin")

#: What each role may do. A specialist clears the queue; a lead also decides approvals
#: (maker-checker) and signs off the day; accounting posts to the ERP; an admin manages
#: users (and may work the queue, but decides no approval: that stays with the leads).
ROLE_PERMISSIONS: Final[Mapping[str, frozenset[str]]] = {
    "specialist": frozenset({"queue.resolve", "queue.assign", "aliases.manage"}),
    "lead": frozenset(
        {
            "queue.resolve",
            "queue.assign",
            "approvals.decide",
            "aliases.manage",
            "day.signoff",
            "export.post",
        }
    ),
    "accountant": frozenset({"export.post"}),
    "admin": frozenset(
        {"queue.resolve", "queue.assign", "aliases.manage", "users.manage", "export.post"}
    ),
}

#: A login name: what a person types after ``--user`` and what the audit log shows.
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

#: argon2id with the library's current defaults (RFC 9106's second recommended profile).
_HASHER: Final = PasswordHasher()

MIN_PASSWORD_LENGTH: Final = 12


@dataclass(frozen=True, slots=True)
class User:
    """A user as listed: never the password hash, only whether there is one."""

    user_id: str
    role: str
    email: str
    active: bool
    has_password: bool
    created_at: datetime
    disabled_at: datetime | None
    disabled_by: str | None


def require(store: Store, user: str, permission: str) -> Actor:
    """The active user ``user`` if their role grants ``permission``; else NotPermitted."""
    rows = store.fetchall("SELECT role, active FROM users WHERE user_id = ?", [user])
    if not rows:
        raise NotPermitted(f"unknown user {user!r}: an admin adds users with `cashapp users add`")
    role, active = str(rows[0][0]), bool(rows[0][1])
    if not active:
        raise NotPermitted(f"user {user!r} is disabled")
    if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
        raise NotPermitted(f"user {user!r} ({role}) lacks the permission {permission!r}")
    return Actor(user, role)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (refused when shorter than 12 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ActionRefused(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(store: Store, user: str, password: str) -> Actor | None:
    """The user, when ``password`` is theirs and they are active; None otherwise (an
    unknown user, a wrong password and a user without a password look the same)."""
    rows = store.fetchall("SELECT role, active, password_hash FROM users WHERE user_id = ?", [user])
    if not rows or not rows[0][1] or rows[0][2] is None:
        return None
    try:
        _HASHER.verify(str(rows[0][2]), password)
    except (VerificationError, InvalidHashError):
        return None
    return Actor(user, str(rows[0][0]))


def add_user(
    store: Store,
    acting: str | None,
    user: str,
    role: str,
    *,
    email: str = "",
    password: str | None = None,
) -> User:
    """Add ``user`` with ``role``; ``acting`` needs ``users.manage`` unless the book has no
    user yet, when the first must be an admin. Audited; the password never is."""
    if not _NAME.fullmatch(user):
        raise ActionRefused(
            f"user name {user!r}: use 1-64 lower-case letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise ActionRefused(f"unknown role {role!r}; valid: {', '.join(ROLES)}")
    digest = hash_password(password) if password is not None else None
    with store.transaction():
        first = not store.scalar("SELECT count(*) FROM users")
        if first:
            if role != "admin":
                raise ActionRefused(
                    "the book has no users yet: the first must be an admin"
                    f" (cashapp users add {user} --role admin)"
                )
            actor = user
        else:
            if acting is None:
                raise NotPermitted("say who is adding the user with --user NAME (an admin)")
            actor = require(store, acting, "users.manage").user_id
        if store.scalar("SELECT count(*) FROM users WHERE user_id = ?", [user]):
            raise ActionRefused(f"user {user!r} exists already")
        now = utcnow()
        store.execute(
            "INSERT INTO users (user_id, name, email, role, active, created_at, password_hash)"
            " VALUES (?, ?, ?, ?, TRUE, ?, ?)",
            [user, user, email, role, now, digest],
        )
        store.audit(
            actor, "add", "user", user,
            {"role": role, "email": email, "password": digest is not None, "first": first},
        )  # fmt: skip
    return _user(store, user)


def set_password(store: Store, acting: str, user: str, password: str) -> None:
    """Set ``user``'s web password: their own, or anyone's with ``users.manage``."""
    digest = hash_password(password)
    with store.transaction():
        if acting != user:
            require(store, acting, "users.manage")
        elif not store.scalar("SELECT count(*) FROM users WHERE user_id = ? AND active", [user]):
            raise NotPermitted(f"unknown or disabled user {user!r}")
        _known(store, user)
        store.execute("UPDATE users SET password_hash = ? WHERE user_id = ?", [digest, user])
        store.audit(acting, "set_password", "user", user, {})


def disable_user(store: Store, acting: str, user: str) -> User:
    """Disable ``user`` (they keep their history); the last active admin stays."""
    with store.transaction():
        actor = require(store, acting, "users.manage")
        role, active = _known(store, user)
        if not active:
            raise ActionRefused(f"user {user!r} is disabled already")
        admins = store.scalar("SELECT count(*) FROM users WHERE role = 'admin' AND active")
        if role == "admin" and admins == 1:
            raise ActionRefused(f"{user!r} is the last active admin: add another admin first")
        store.execute(
            "UPDATE users SET active = FALSE, disabled_at = ?, disabled_by = ? WHERE user_id = ?",
            [utcnow(), actor.user_id, user],
        )
        store.audit(actor.user_id, "disable", "user", user, {"role": role})
    return _user(store, user)


def list_users(store: Store) -> list[User]:
    """Every user, active and disabled, by name."""
    return [
        User(str(u), str(r), str(e), bool(a), bool(h), c, d, db)
        for u, r, e, a, h, c, d, db in store.fetchall(
            "SELECT user_id, role, email, active, password_hash IS NOT NULL, created_at,"
            " disabled_at, disabled_by FROM users ORDER BY user_id"
        )
    ]


def _known(store: Store, user: str) -> tuple[str, bool]:
    rows = store.fetchall("SELECT role, active FROM users WHERE user_id = ?", [user])
    if not rows:
        raise ActionRefused(f"unknown user {user!r}")
    return str(rows[0][0]), bool(rows[0][1])


def _user(store: Store, user: str) -> User:
    return next(u for u in list_users(store) if u.user_id == user)
