"""``cashapp users add|list|disable``: who may work the queue, and in which role.

Why a module of its own: the CLI only parses and prints; whether the acting user may add
or disable anyone is :mod:`cashapp.users`' decision. A password (for the web workbench)
is read from stdin, never from an argument, so it stays out of shell history and ``ps``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, out, print_rows
from cashapp.cli.state import acting_user, state, writer
from cashapp.users import ROLES, User, add_user, disable_user, list_users, set_password

_COLUMNS = ("user", "role", "email", "active", "password", "created_at", "disabled_by")


def _row(u: User) -> tuple[object, ...]:
    return (
        u.user_id, u.role, u.email, u.active, "set" if u.has_password else "",
        u.created_at, u.disabled_by or "",
    )  # fmt: skip


def _password_from_stdin() -> str:
    """The first line of stdin, without its line ending."""
    return sys.stdin.readline().rstrip("\r\n")


def users_add(
    name: Annotated[str, typer.Argument(help="Login name (what --user names).")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    email: Annotated[str, typer.Option(help="Where notifications go.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read a web password from stdin.")
    ] = False,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Add a user. The first user of a book is added without --user and is an admin."""
    password = _password_from_stdin() if password_stdin else None
    with writer() as store:
        user = add_user(store, state.user, name, role, email=email, password=password)
    if format is OutputFormat.table:
        out.print(f"added {user.user_id} ({user.role})", highlight=False)
    else:
        print_rows(_COLUMNS, [_row(user)], format)


def users_list(
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Every user, active and disabled (never a password or its hash)."""
    with writer() as store:
        users = list_users(store)
    print_rows(_COLUMNS, [_row(u) for u in users], format, title="users")


def users_disable(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Disable a user: they can no longer act; their history stays."""
    acting = acting_user()
    with writer() as store:
        user = disable_user(store, acting, name)
    if format is OutputFormat.table:
        out.print(f"disabled {user.user_id}", highlight=False)
    else:
        print_rows(_COLUMNS, [_row(user)], format)


def users_password(
    name: Annotated[str, typer.Argument(help="Whose web password to set.")],
) -> None:
    """Set a web password, read from stdin: your own, or anyone's as an admin."""
    acting = acting_user()
    password = _password_from_stdin()
    with writer() as store:
        set_password(store, acting, name, password)
    out.print(f"password set for {name}", highlight=False)
