"""Who may do what: the acting user's role, checked in the service, never in the CLI.

STAND-IN (branch r4-actions): the users helper (branch r4-users) owns this module --
``users add|list|disable``, password hashing, migration 0005. This minimal version has
exactly the agreed interface (:class:`Actor`, :data:`ROLES`, :data:`ROLE_PERMISSIONS`,
:func:`require`) over the ``users`` table of migration 0001, so the queue actions can
enforce roles; the integrator replaces it with r4-users' module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cashapp.domain import NotPermitted
from cashapp.store import Store


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting: ``user_id`` is the login name given to ``--user``."""

    user_id: str
    role: str


ROLES: Final = ("specialist", "lead", "accountant", "admin")

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
