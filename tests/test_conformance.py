"""Every bank file in ../shared/conformance behaves as its EXPECT.csv says, through the CLI.

accept -> exit 0; reject -> non-zero exit, a message naming the file, nothing written;
either -> one of the two. Never a traceback. A second ingest of an accepted file adds
nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CONFORMANCE, CliRunner, require_conformance


def _rows() -> list[tuple[str, str]]:
    expect = CONFORMANCE / "EXPECT.csv"
    if not expect.is_file():
        return []
    with expect.open(newline="") as fh:
        return [(r["file"], r["expect"]) for r in csv.DictReader(fh)]


def _payment_count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM payments").fetchall()[0][0])
    finally:
        con.close()


@pytest.mark.parametrize(("name", "expect"), _rows() or [("-", "skip")], ids=lambda v: str(v))
def test_conformance_file_behaves_as_expected(
    cli: CliRunner, db: Path, name: str, expect: str
) -> None:
    root = require_conformance()
    path = root / name
    assert cli("init").code == 0
    result = cli("ingest", path)
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error" not in result.stderr
    if expect == "accept":
        assert result.code == 0, result.stderr
    elif expect == "reject":
        assert result.code == 2
        assert path.name in result.stderr
        assert _payment_count(db) == 0
    else:
        assert result.code in (0, 2)
        if result.code == 2:
            assert _payment_count(db) == 0
    if result.code == 0:
        before = _payment_count(db)
        again = cli("ingest", path)
        assert again.code == 0
        assert _payment_count(db) == before
