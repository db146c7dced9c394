"""The bad-input suite: every damaged file is refused whole, or kept under a named leniency.

The contract (issue 10, "Never wrong money"; README "Ingest"): whatever arrives, cashapp
either

* **refuses** it: exit 2, one message on stderr naming the file, where in it (a line or a
  record) and why, never a traceback nor an "internal error", and the database exactly as
  it was -- every row of every table, the audit log included, and the list of tables; or
* **accepts** it under a *named leniency* (a rule real banks break, e.g. blank OFX FITIDs):
  exit 0, and the warning is in every output format (table, json, csv) and on stderr, so a
  scheduled job reading JSON learns of it as a person reading the table does.

Each case starts from the same realistic book: customers, invoices, bank files ingested
and a match run (the seeded demo book), prepared once and copied per case. The damage is
made here in code from undamaged files (``tests/bad_inputs.py``), each of which is shown
to be accepted first -- so a refusal is the damage's doing, not the base file's.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from cashapp.config import load_config
from cashapp.demo import run_demo
from cashapp.store import open_store
from tests.bad_input_cases import CASES, INGEST_BASES, OTHER_BASES, Case
from tests.conftest import CliResult

# Where in a file a message may point: "line 12", "record 3 (batch 2)", "Stmt 1 / Ntry 2",
# "added[0]", "data[1]", "row 4", ... Whatever the format, a person must be able to find it.
LOCATION = re.compile(
    r"\b(line|lines|record|row|entry|ntry|bal|batch|transaction|stmttrn|addenda|segment|"
    r"sheet|offset|byte|position)\b\W{0,3}\d+|\[\d+\]",
    re.IGNORECASE,
)


# --- the database fingerprint ----------------------------------------------------------


def database_digest(path: Path) -> dict[str, str]:
    """Row count and a digest of every row, per table, plus one of the catalogue.

    Each table's rows are cast to text and hashed in order of that text (so all columns
    take part and storage order does not), in one query for every table. The catalogue --
    every table and view with its columns and types -- is hashed too, so a table a refusal
    created is caught as well as a row it wrote. The file's bytes are not compared: DuckDB
    rewrites blocks and the views are recreated whenever a store is opened, neither of
    which changes the book.
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        catalogue = con.execute(
            "SELECT t.table_schema, t.table_name, t.table_type, c.column_name, c.data_type"
            " FROM information_schema.tables t JOIN information_schema.columns c"
            " USING (table_catalog, table_schema, table_name)"
            " WHERE t.table_catalog = current_database() ORDER BY ALL"
        ).fetchall()
        tables = sorted({(s, n) for s, n, kind, _, _ in catalogue if kind == "BASE TABLE"})
        per_table = " UNION ALL ".join(
            f"SELECT '{s}.{n}', count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), chr(10)"
            f' ORDER BY CAST(t AS VARCHAR)), \'\')) FROM "{s}"."{n}" t'
            for s, n in tables
        )
        digests = {"<catalogue>": hashlib.sha256(repr(catalogue).encode()).hexdigest()[:16]}
        for name, count, digest in con.execute(per_table).fetchall():
            digests[name] = f"{count} rows {digest}"
        return digests
    finally:
        con.close()


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# --- the prepared book -----------------------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The seeded demo book (customers, invoices, BAI2 + NACHA files, a match run)."""
    folder = tmp_path_factory.mktemp("book")
    path = folder / "book.duckdb"
    config = load_config(None, str(path))
    with open_store(str(path), create=True) as store:
        result = run_demo(store, config, folder / "files")
    assert result.match.applied > 0
    assert not [o for o in result.outcomes if o.status == "refused"]
    return path, database_digest(path)


@pytest.fixture
def fresh_db(book: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A private copy of the prepared book for one case."""
    source, _ = book
    target = tmp_path / "case.duckdb"
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def run_cli(
    db: Path, args: list[str], capsys: pytest.CaptureFixture[str], config: Path | None = None
) -> CliResult:
    from cashapp.cli import main

    argv = ["--db", str(db)]
    if config is not None:
        argv += ["--config", str(config)]
    capsys.readouterr()
    try:
        main([*argv, *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def _write_case(case: Case, folder: Path) -> tuple[Path, Path | None]:
    path = folder / case.filename
    path.write_bytes(case.build())
    config = None
    if case.config:
        config = folder / "case-config.toml"
        config.write_text(case.config, encoding="utf-8")
    return path, config


def _argv(case: Case, path: Path, *extra: str) -> list[str]:
    return [*case.verb, str(path), *case.flags, *extra]


def _squeezed(text: str) -> str:
    """Output with the table's borders, wrapping and whitespace removed: text to search."""
    return re.sub(r"[\s│┃|─━┏┓┗┛┡┩└┘┌┐╇╈├┤┼═╭╮╰╯]+", "", text)


# --- the suite ---------------------------------------------------------------------------


def test_the_suite_covers_sixty_cases_across_every_format() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)
    prefixes = {c.name.split("-")[0] for c in CASES}
    assert {"bai2", "nacha", "ctx", "camt053", "camt054", "camt052", "mt940", "ofx", "csv",
            "stripe", "plastiq", "plaid", "invoices", "customers"} <= prefixes  # fmt: skip


def test_every_undamaged_bank_and_platform_file_is_accepted_new(
    fresh_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One ingest of every base file (both mapped-CSV profiles in one config)."""
    paths = [_write_case(case, tmp_path)[0] for case in INGEST_BASES]
    config = tmp_path / "profiles.toml"
    config.write_text("\n".join(c.config for c in INGEST_BASES if c.config), encoding="utf-8")
    result = run_cli(fresh_db, ["ingest", *map(str, paths), "--output", "json"], capsys, config)
    assert result.code == 0, result.stderr
    statuses = {Path(row["file"]).name: row["status"] for row in json.loads(result.stdout)}
    assert statuses == {p.name: "new" for p in paths}


@pytest.mark.parametrize("case", OTHER_BASES, ids=lambda c: c.name)
def test_the_undamaged_file_is_accepted(
    case: Case, fresh_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, config = _write_case(case, tmp_path)
    result = run_cli(fresh_db, _argv(case, path), capsys, config)
    assert result.code == 0, result.stderr
    assert "refused" not in result.stdout
    assert "Traceback" not in result.stderr


def test_the_digest_sees_one_changed_audit_row_and_one_new_table(
    book: tuple[Path, dict[str, str]], fresh_db: Path
) -> None:
    con = duckdb.connect(str(fresh_db))
    con.execute(
        "UPDATE audit_log SET actor = actor || 'x' WHERE audit_id = (SELECT min(audit_id) FROM audit_log)"
    )
    con.close()
    assert changed_tables(book[1], database_digest(fresh_db)) == ["main.audit_log"]
    con = duckdb.connect(str(fresh_db))
    con.execute("CREATE TABLE stray (a INTEGER)")
    con.close()
    assert changed_tables(book[1], database_digest(fresh_db)) == [
        "<catalogue>",
        "main.audit_log",
        "main.stray",
    ]


def test_the_digest_ignores_a_store_opened_and_closed(
    book: tuple[Path, dict[str, str]], fresh_db: Path
) -> None:
    """Opening the store migrates (nothing to do) and recreates the views: no change."""
    with open_store(str(fresh_db)) as store:
        assert store.schema_version() >= 4
    assert changed_tables(book[1], database_digest(fresh_db)) == []


REFUSALS = [c for c in CASES if c.expect == "refused"]
LENIENCIES = [c for c in CASES if c.expect == "leniency"]


def refusal_problems(case: Case, path: Path, result: CliResult) -> list[str]:
    """What is wrong with how ``result`` refused ``path`` (empty when nothing is)."""
    stderr = result.stderr
    if "Traceback" in stderr or "internal error" in stderr:
        return [f"a traceback or an internal error (exit {result.code})"]
    if result.code == 0:
        return ["accepted (exit 0)"]
    problems = [] if result.code == 2 else [f"exit {result.code}, not 2"]
    if path.name not in stderr:
        problems.append("the file is not named on stderr")
    message = stderr.replace(str(path), "<file>").replace(path.name, "<file>")
    if not re.search(case.reason, message, re.IGNORECASE):
        problems.append(f"the reason /{case.reason}/ is not given")
    if case.located and not LOCATION.search(message):
        problems.append("no line or record is named")
    return problems


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.name)
def test_damage_is_refused_whole_naming_file_place_and_reason(
    case: Case,
    book: tuple[Path, dict[str, str]],
    fresh_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, config = _write_case(case, tmp_path)
    result = run_cli(fresh_db, _argv(case, path), capsys, config)
    problems = refusal_problems(case, path, result)
    changed = changed_tables(book[1], database_digest(fresh_db))
    if changed:
        problems.append(f"the database changed: {', '.join(changed)}")
    assert not problems, f"{'; '.join(problems)}\nstdout: {result.stdout}\nstderr: {result.stderr}"


@pytest.mark.parametrize("case", LENIENCIES, ids=lambda c: c.name)
def test_leniency_is_accepted_with_its_warning_in_every_output(
    case: Case,
    book: tuple[Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, config = _write_case(case, tmp_path)
    problems = []
    for output in ("table", "json", "csv"):
        db = tmp_path / f"{output}.duckdb"
        shutil.copyfile(book[0], db)
        result = run_cli(db, _argv(case, path, "--output", output), capsys, config)
        if "Traceback" in result.stderr or "internal error" in result.stderr:
            problems.append(f"{output}: a traceback or an internal error")
        if result.code != 0 or "refused" in result.stdout:
            problems.append(f"{output}: not accepted (exit {result.code}): {result.stderr.strip()}")
            continue
        for where, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            flat = _squeezed(text)
            if not re.search("warning", flat, re.IGNORECASE) or not re.search(
                case.reason, flat, re.IGNORECASE
            ):
                problems.append(f"{output}: no warning /{case.reason}/ on {where}")
        if path.name not in result.stderr:
            problems.append(f"{output}: the file is not named on stderr")
        if not changed_tables(book[1], database_digest(db)):
            problems.append(f"{output}: nothing was stored")
    assert not problems, "; ".join(problems)
