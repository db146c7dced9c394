"""Running the bench: a fresh database per seed, the book's two days through the pipeline.

Day 1's files are ingested and matched, then day 2's (returns, re-sent payments, repeat
ACH payers), as the daily job would; the store is then scored against the labels.
``python -m cashapp.bench.quality [--seed N] [--per-case K] [--workdir DIR]`` runs one
seed; ``cashapp bench quality`` runs many and combines them.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from time import perf_counter

from cashapp.bench.quality.catalogue import CSV_PROFILE, CSV_PROFILE_NAME
from cashapp.bench.quality.report import QualityReport
from cashapp.bench.quality.scoring import score
from cashapp.bench.quality.writing import write_book
from cashapp.bench.synthetic.bankfiles import OUR_ACH_COMPANY_ID
from cashapp.config import Config, MatchingConfig, load_config
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.masterdata import import_customers, import_invoices
from cashapp.matching.pipeline import run_match
from cashapp.store import open_store
from connectors import load_builtin


def _bench_config(config: Config | None, toml: Path, db: Path) -> Config:
    """The config to run with: the caller's (plus what the book needs), else the book's."""
    if config is None:
        load_builtin()  # the connectors' [sources.*] tables, before config is read
        return load_config(toml, str(db))
    existing = config.sources.get("csv", {})
    profiles: dict[str, object] = dict(existing) if isinstance(existing, Mapping) else {}
    profiles[CSV_PROFILE_NAME] = dict(CSV_PROFILE)
    return replace(
        config,
        database_path=str(db),
        ach_company_ids=config.ach_company_ids | {OUR_ACH_COMPANY_ID},
        sources={**config.sources, "csv": profiles},
    )


def run_quality_bench(
    workdir: Path, *, seed: int = 1, config: Config | None = None, per_case: int = 4
) -> QualityReport:
    """Generate the book for ``seed`` under ``workdir``, run the pipeline, score it.

    Writes ``workdir/quality-seed-<seed>/`` (the book; replaced if present) and a fresh
    ``workdir/quality-seed-<seed>.duckdb``. Day 1's files are ingested and matched, then
    day 2's (returns, re-sent payments, repeat ACH payers), as the daily job would.
    ``config`` defaults to cashapp's built-in defaults plus the book's ``cashapp.toml``;
    a given config keeps its matching settings (the labels follow its write-off
    tolerance) and gets the bench's ACH company id and CSV profile added.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    folder = workdir / f"quality-seed-{seed}"
    db = workdir / f"quality-seed-{seed}.duckdb"
    if folder.exists():
        shutil.rmtree(folder)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    tolerance = (config.matching if config else MatchingConfig()).write_off_tolerance
    book = write_book(folder, seed=seed, per_case=per_case, write_off_tolerance=tolerance)
    run_config = _bench_config(config, book.config_toml, db)
    store = open_store(str(db), create=True)
    try:
        import_customers(store, book.customers_csv, run_config, actor="bench")
        import_invoices(store, book.invoices_csv, run_config, actor="bench")
        files: list[FileOutcome] = []
        for day in book.day_folders:
            files += ingest_paths(store, [day], run_config, actor="bench")
            run_match(store, run_config)
        return score(store, book, seed, files)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cashapp.bench.quality [--seed N] [--per-case K] [--workdir DIR]``."""
    from cashapp.bench import quality  # the package's docstring describes the bench

    doc = quality.__doc__
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-case", type=int, default=4)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    started = perf_counter()
    report = run_quality_bench(args.workdir, seed=args.seed, per_case=args.per_case)
    print(report.render())
    print(f"\nruntime {perf_counter() - started:.2f} s")
    return 0
