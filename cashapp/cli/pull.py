"""``cashapp pull stripe|plaid``: the platforms' API pages saved, then ingested like files.

Why a module of its own: a pull's line names the landing file it wrote, and its ingest's
warnings are reported against that file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, out, print_rows, warn, warning_text
from cashapp.cli.state import OutputOption, fail, parse_day, state, writer
from cashapp.pull import PullOutcome, PullRefused, pull_plaid, pull_stripe

PULL_COLUMNS = ("source", "fetched", "landing_file", "new", "known", "warnings")


def _print_pull(
    results: Sequence[PullOutcome], what: str, fmt: OutputFormat = OutputFormat.table
) -> None:
    """Each pull's line (or row), then its ingest's warnings on stderr naming the page file."""
    if fmt is not OutputFormat.table:
        rows = [
            (
                r.source,
                r.fetched,
                "" if r.landing_file is None else str(r.landing_file),
                0 if r.ingest is None else r.ingest.new,
                0 if r.ingest is None else r.ingest.known,
                [] if r.ingest is None else [warning_text(w) for w in r.ingest.warnings],
            )
            for r in results
        ]
        print_rows(PULL_COLUMNS, rows, fmt)
    for result in results:
        if fmt is OutputFormat.table and result.ingest is None:
            out.print(f"{result.source}: nothing new", highlight=False)
        elif fmt is OutputFormat.table and result.ingest is not None:
            out.print(
                f"{result.source}: {result.fetched} {what} -> {result.landing_file};"
                f" {result.ingest.new} new, {result.ingest.known} already known",
                highlight=False,
            )
        if result.ingest is not None:
            for warning in result.ingest.warnings:
                warn(result.landing_file or result.source, warning_text(warning))


def pull_stripe_cmd(
    since: Annotated[
        str | None, typer.Option("--since", help="YYYY-MM-DD; default: where the last pull ended.")
    ] = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Stripe balance transactions (charges, fees, refunds, disputes, payouts) since the last pull.

    The pages are saved to [sources.stripe] landing first, then ingested like any file.
    The API key comes from the environment variable named by [sources.stripe] api_key_env.
    """
    day = parse_day(since) if since else None
    with writer() as store:
        try:
            result = pull_stripe(store, state.config(), since=day)
        except PullRefused as exc:
            fail(str(exc))
    _print_pull([result], "balance transactions", output)


def pull_plaid_cmd(output: OutputOption = OutputFormat.table) -> None:
    """Bank-feed transactions of every Plaid item in [sources.plaid.items] (/transactions/sync).

    Each item's sync runs from its stored cursor; the pages go to [sources.plaid] landing
    first, then through ingest. Credentials come from the environment only.
    """
    with writer() as store:
        try:
            results = pull_plaid(store, state.config())
        except PullRefused as exc:
            fail(str(exc))
    _print_pull(results, "transactions", output)
