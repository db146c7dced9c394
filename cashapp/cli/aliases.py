"""``cashapp aliases list|remove``: the payer aliases learned from the queue and from runs.

Why a module of its own: aliases are the matcher's memory of who pays for whom, and a
team reviews them (``list``) and takes a wrong one back (``remove``) without touching
the database by hand. Only parsing and rendering here; :mod:`cashapp.aliases` decides.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cashapp.aliases import list_aliases, remove_alias
from cashapp.cli.output import OutputFormat, out, print_rows
from cashapp.cli.state import acting_user, reader, writer

ALIAS_COLUMNS = (
    "customer_id",
    "customer_name",
    "kind",
    "value",
    "source",
    "learned_from",
    "created_by",
    "created_at",
)


def aliases_list(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's aliases.")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Imported aliases too, not only learned ones.")
    ] = False,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List the payer aliases learned by people and by match runs."""
    with reader() as con:
        rows = list_aliases(con, customer=customer, learned_only=not everything)
    print_rows(
        ALIAS_COLUMNS,
        [
            (a.customer_id, a.customer_name, a.kind, a.value, a.source, a.learned_from,
             a.created_by, a.created_at)
            for a in rows
        ],
        format,
        title="payer aliases" + (f" of {customer}" if customer else ""),
    )  # fmt: skip


def aliases_remove(
    kind: Annotated[str, typer.Argument(help="name or account")],
    value: Annotated[str, typer.Argument(help="The name (or its key) or account fingerprint.")],
    customer: Annotated[str, typer.Option("--customer", help="Whose alias it is.")],
) -> None:
    """Remove a wrong alias; later runs stop using it, past applications stay as they are."""
    user = acting_user()
    with writer() as store:
        removed = remove_alias(store, user, kind, value, customer)
    out.print(
        f"removed {removed.kind} alias {removed.value!r} of {removed.customer_id}"
        f" (learned from {removed.learned_from or 'import'} by {removed.created_by});"
        " past applications keep their evidence",
        highlight=False,
    )
