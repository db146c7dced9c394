"""The speed benchmark runs end to end at a small size (the full size is a manual run)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cashapp.bench.speed import generate_speed_book
from tests.conftest import CliRunner


def test_bench_speed_reports_every_stage(cli: CliRunner, tmp_path: Path) -> None:
    result = cli(
        "bench",
        "speed",
        "--payments",
        "3000",
        "--invoices",
        "6000",
        "--customers",
        "600",
        "--workdir",
        tmp_path / "speed",
    )
    assert result.code == 0, result.stderr
    stages = ("generate files", "import master data", "ingest", "match", "checkpoint")
    for stage in (*stages, "ingest + match + checkpoint"):
        assert stage in result.stdout
    con = duckdb.connect(str(tmp_path / "speed" / "bench.duckdb"), read_only=True)
    payments, decided = con.execute(
        "SELECT count(*), count(matched_at) FROM payments WHERE kind = 'payment'"
    ).fetchone() or (0, 0)
    applied = con.execute("SELECT count(DISTINCT payment_id) FROM applications").fetchone()
    con.close()
    assert payments == decided == 3000
    # a tenth are strangers and some names are shared: most, not all, are applied
    assert applied is not None
    assert 0.75 * 3000 < applied[0] < 0.95 * 3000


def test_bench_speed_reports_the_spread_over_runs(cli: CliRunner, tmp_path: Path) -> None:
    """With --runs the same files are timed on fresh databases: each stage's min, median
    and max, and the end-to-end and whole-day totals."""
    result = cli(
        "bench", "speed", "--payments", "800", "--invoices", "1600", "--customers", "200",
        "--runs", "2", "--workdir", tmp_path / "speed",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "2 runs" in result.stdout
    for label in ("median s", "import master data", "whole day", "ingest + match"):
        assert label in result.stdout
    bad = cli("bench", "speed", "--runs", "0", "--workdir", tmp_path / "zero")
    assert bad.code == 2
    assert "--runs must be at least 1" in bad.stderr


def test_speed_book_is_deterministic(tmp_path: Path) -> None:
    a = generate_speed_book(tmp_path / "a", payments=500, invoices=800, customers=100, seed=3)
    b = generate_speed_book(tmp_path / "b", payments=500, invoices=800, customers=100, seed=3)
    assert [p.read_bytes() for p in a.bank_files] == [p.read_bytes() for p in b.bank_files]
    assert a.invoices_csv.read_bytes() == b.invoices_csv.read_bytes()


def test_bench_speed_refuses_impossible_sizes(cli: CliRunner, tmp_path: Path) -> None:
    bad = cli("bench", "speed", "--payments", "10", "--invoices", "5", "--workdir", tmp_path)
    assert bad.code == 2
    assert "payments <= invoices" in bad.stderr
