"""The ``cashapp`` command line. Thin: parse arguments, call a service, print, exit.

Exit codes are a contract for scripts and the scheduler: 0 everything fine, 1 the verb ran
but found problems (a file refused, exceptions left open), 2 refused input or usage (bad
config, bad file, bad SQL). Errors are one clear message on stderr, never a traceback.

The verbs live in one module per command group (:mod:`~cashapp.cli.admin`,
:mod:`~cashapp.cli.masterdata`, :mod:`~cashapp.cli.ingest`, :mod:`~cashapp.cli.pull`,
:mod:`~cashapp.cli.exceptions`, :mod:`~cashapp.cli.actions` (the verbs that change the
queue), :mod:`~cashapp.cli.aliases`, :mod:`~cashapp.cli.report`, :mod:`~cashapp.cli.query`,
:mod:`~cashapp.cli.bench`), over the shared :mod:`~cashapp.cli.state` and
:mod:`~cashapp.cli.output`. They are registered here, in one place, because the order of
registration is the order ``cashapp --help`` lists them: a new verb is added to its
module and to the tree below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from cashapp.cli import (
    actions,
    admin,
    aliases,
    bench,
    exceptions,
    ingest,
    masterdata,
    pull,
    query,
    report,
    users,
)
from cashapp.cli.output import err
from cashapp.cli.state import EXIT_PROBLEMS, EXIT_REFUSED, main_options
from cashapp.config import ConfigError
from cashapp.domain import ActionRefused
from cashapp.matching.rules import RulesError
from cashapp.store import StoreError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="cashapp: payment reconciliation and cash application for AR teams.",
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(no_args_is_help=True, help="Import master data from the ERP.")
exceptions_app = typer.Typer(no_args_is_help=True, help="The exception queue.")
applications_app = typer.Typer(no_args_is_help=True, help="Payment applications.")
approvals_app = typer.Typer(
    no_args_is_help=True, help="Write-offs and refunds over the limit (maker-checker)."
)
aliases_app = typer.Typer(no_args_is_help=True, help="Payer aliases learned from the queue.")
report_app = typer.Typer(no_args_is_help=True, help="Reports for the AR lead and accounting.")
bench_app = typer.Typer(no_args_is_help=True, help="Matching quality and speed benchmarks.")
pull_app = typer.Typer(no_args_is_help=True, help="Fetch from payment platforms' APIs.")
export_app = typer.Typer(no_args_is_help=True, help="Files for the ERP.")
users_app = typer.Typer(no_args_is_help=True, help="Who may work the queue, in which role.")
app.add_typer(import_app, name="import")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(applications_app, name="applications")
app.add_typer(approvals_app, name="approvals")
app.add_typer(aliases_app, name="aliases")
app.add_typer(report_app, name="report")
app.add_typer(bench_app, name="bench")
app.add_typer(pull_app, name="pull")
app.add_typer(export_app, name="export")
app.add_typer(users_app, name="users")

# --- the command tree, in help order ---------------------------------------------------

app.callback()(main_options)
app.command()(admin.init)
app.command()(ingest.ingest)
app.command()(ingest.match)
app.command()(query.query)
app.command()(admin.demo)
import_app.command("customers")(masterdata.import_customers_cmd)
import_app.command("invoices")(masterdata.import_invoices_cmd)
exceptions_app.command("list")(exceptions.exceptions_list)
exceptions_app.command("show")(exceptions.exceptions_show)
exceptions_app.command("accept")(actions.accept_cmd)
exceptions_app.command("apply")(actions.apply_cmd)
exceptions_app.command("write-off")(actions.write_off_cmd)
exceptions_app.command("refund")(actions.refund_cmd)
exceptions_app.command("on-account")(actions.on_account_cmd)
exceptions_app.command("duplicate")(actions.duplicate_cmd)
exceptions_app.command("link")(actions.link_cmd)
exceptions_app.command("ack")(actions.ack_cmd)
exceptions_app.command("re-present")(actions.re_present_cmd)
exceptions_app.command("dismiss")(actions.dismiss_cmd)
exceptions_app.command("assign")(actions.assign_cmd)
exceptions_app.command("note")(actions.note_cmd)
applications_app.command("reverse")(actions.reverse_cmd)
approvals_app.command("list")(actions.approvals_list_cmd)
approvals_app.command("approve")(actions.approve_cmd)
approvals_app.command("reject")(actions.reject_cmd)
aliases_app.command("list")(aliases.aliases_list)
aliases_app.command("remove")(aliases.aliases_remove)
report_app.command("daily")(report.report_daily)
bench_app.command("quality")(bench.bench_quality)
bench_app.command("speed")(bench.bench_speed)
bench_app.command("fuzz")(bench.bench_fuzz)
pull_app.command("stripe")(pull.pull_stripe_cmd)
pull_app.command("plaid")(pull.pull_plaid_cmd)
export_app.command("journal")(report.export_journal_file)
users_app.command("add")(users.users_add)
users_app.command("list")(users.users_list)
users_app.command("disable")(users.users_disable)
users_app.command("password")(users.users_password)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: errors become one message and an exit code, never a traceback.

    Known refusals (config, rules, database, a refused queue action) exit 2. Anything else
    is a bug in cashapp: it exits 1 with a one-line message; set ``CASHAPP_DEBUG=1`` to see
    the traceback.
    """
    try:
        app(args=list(argv) if argv is not None else None, standalone_mode=True)
    except (ConfigError, RulesError, StoreError, ActionRefused) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_REFUSED)
    except Exception as exc:
        if os.environ.get("CASHAPP_DEBUG") == "1":
            raise
        err.print(
            f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}"
            " (set CASHAPP_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(EXIT_PROBLEMS)


__all__ = ["app", "main"]
