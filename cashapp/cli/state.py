"""What every command shares: the global options, the database, refusals and exit codes.

Why a module of its own: the exit codes are a contract for scripts and the scheduler (0
fine, 1 problems found, 2 refused input or usage), and :func:`fail` is the one way a
command refuses: one message on stderr, never a traceback. The global ``--config`` and
``--db`` options are read once per invocation (:func:`main_options`) into :data:`state`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, NoReturn

import duckdb
import typer
from rich.markup import escape

from cashapp.cli.output import OutputFormat, err
from cashapp.config import Config, load_config
from cashapp.store import Store, open_reader, open_store
from connectors import load_builtin

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2


class _State:
    config_path: str | None = None
    user: str | None = None
    db_path: str | None = None
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            load_builtin()  # connectors declare their [sources.*] tables before config reads them
            self._config = load_config(self.config_path, self.db_path)
        return self._config


state = _State()


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    # the message is text, not markup: a key such as ``[ingest]`` must reach the user whole
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def writer(*, create: bool = False) -> Store:
    """The database for writing; a missing file is refused (exit 2) except by ``init``."""
    config = state.config()
    return open_store(config.database_path, create=create, wait_seconds=config.lock_timeout_seconds)


class _ReaderContext:
    def __enter__(self) -> duckdb.DuckDBPyConnection:
        config = state.config()
        self.con = open_reader(config.database_path, wait_seconds=config.lock_timeout_seconds)
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def reader() -> _ReaderContext:
    return _ReaderContext()


def main_options(
    config: Annotated[
        str | None,
        typer.Option("--config", help="Config TOML (default ./cashapp.toml if present)."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="DuckDB file (overrides [database] path).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="CASHAPP_USER",
            help="Who is acting (required by every verb that changes the queue).",
        ),
    ] = None,
) -> None:
    state.config_path = config
    state.user = user
    state.db_path = db
    state._config = None


#: One flag name for the output format on every verb (``--output``, its older name, still
#: works), except ``ingest``, whose ``--format`` names the input's format (DESIGN §5).
OutputOption = Annotated[
    OutputFormat, typer.Option("--format", "--output", help="table, csv or json")
]
IngestOutputOption = Annotated[
    OutputFormat, typer.Option("--output", help="table, csv or json (--format: the input's)")
]


def acting_user() -> str:
    """The ``--user`` (or ``CASHAPP_USER``) a changing verb acts as; refused when absent.

    Only the name is checked here; whether that user exists, is active and may do the
    action is the service's decision (roles are enforced there, not in the CLI).
    """
    if not state.user:
        fail("this verb changes the queue: say who you are with --user NAME or CASHAPP_USER")
    return state.user


def parse_day(text: str, option: str = "--date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date; use YYYY-MM-DD")
