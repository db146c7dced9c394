"""Shared test helpers: run the real CLI in-process against a temp database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cashapp.cli import main
from connectors import load_builtin

# Config validates each [sources.<name>] table with the connector that declared it, as the
# CLI does: tests that read a config directly need the built-in connectors loaded first.
load_builtin()

REPO = Path(__file__).resolve().parent.parent
CONFORMANCE = REPO.parent / "shared" / "conformance"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


CliRunner = Callable[..., CliResult]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "book.duckdb"


def _runner(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str | Path, config: Path | None = None) -> CliResult:
        argv = ["--db", str(db)]
        if config is not None:
            argv += ["--config", str(config)]
        argv += [str(a) for a in args]
        capsys.readouterr()
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """``cli("ingest", path)`` runs ``cashapp --db <temp> ingest path`` and captures it.

    The book exists, as after a person's ``cashapp init``: every verb but ``init`` refuses
    a database file that does not exist (see ``cli_without_book``).
    """
    run = _runner(db, capsys, monkeypatch)
    created = run("init")
    assert created.code == 0, created.stderr
    return run


@pytest.fixture
def cli_without_book(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """Like ``cli``, but ``--db`` names a file that does not exist yet."""
    return _runner(db, capsys, monkeypatch)


def require_conformance() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip(
            f"conformance corpus not found at {CONFORMANCE} (it sits beside the repo in CI)"
        )
    return CONFORMANCE


@pytest.fixture(scope="module")
def demo_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's day, matched, built once per test module (tests copy it before changing
    it: ``tests.queue_books.copy_book``)."""
    from tests.queue_books import build_demo_book

    return build_demo_book(tmp_path_factory.mktemp("demo-day"))
