"""The matching quality bench as a regression guard.

Why these tests: the bench's numbers are the contract of the matcher with the AR team --
cash is applied only when it is applied right (precision), most of what a careful person
could apply is applied without them (auto-match rate), and short pays, over pays and ACH
returns always reach the queue (recall). A change to the matcher that lowers any of them
fails here with the list of payments it got wrong. Three small books (six payments per
case each, about five hundred payments) keep it to a few seconds; `cashapp bench quality`
runs twenty.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cashapp.bench.quality import (
    SKIPPED_CASES,
    SOURCE_OF_FORMAT,
    QualityReport,
    combine,
    run_quality_bench,
    write_book,
)
from cashapp.config import parse_config

SEED = 1


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> QualityReport:
    # three books of six payments per case: ~500 labelled payments, a few seconds
    folder = tmp_path_factory.mktemp("quality")
    return combine([run_quality_bench(folder, seed=s, per_case=6) for s in (SEED, 2, 3)])


def _why(report: QualityReport) -> str:
    return "\n" + report.render()


def test_every_file_is_ingested_and_every_payment_labelled(report: QualityReport) -> None:
    assert report.refused_files == ()
    assert report.unlabelled == ()
    assert all(outcome.found for outcome in report.outcomes), _why(report)
    assert {o.label.fmt for o in report.outcomes} == set(SOURCE_OF_FORMAT)
    assert report.payments == len(report.outcomes) > 90


def test_precision(report: QualityReport) -> None:
    assert report.auto_applied > 60
    precision = report.precision
    assert precision >= 0.999, _why(report)


def test_auto_match_rate(report: QualityReport) -> None:
    assert report.applicable > 60
    rate = report.auto_match_rate
    assert rate >= 0.95, _why(report)


@pytest.mark.parametrize("exception_type", ["short_payment", "over_payment", "ach_return"])
def test_exception_recall(report: QualityReport, exception_type: str) -> None:
    recall = report.recall(exception_type)
    assert recall == 1.0, _why(report)


def test_case_table_covers_every_case(report: QualityReport) -> None:
    rows = {row.case: row for row in report.case_rows()}
    for case in (
        "ref_exact_single",
        "ref_multi_invoice",
        "ctx_820_remittance",
        "early_payment_discount",
        "short_pay_writeoff",
        "short_payment",
        "over_payment",
        "ambiguous_same_amount",
        "unknown_payer",
        "lookalike_names",
        "ref_typo_fallback",
        "nacha_truncated_name",
        "parent_pays_subsidiary",
        "duplicate_payment",
        "ach_return",
        "camt_return_ac06",
        "currency_mismatch",
        "no_ref_name_single",
        "no_ref_name_combination",
        "misspelt_payer_name",
        "misspelt_name_no_invoice",
    ):
        assert rows[case].n >= 2, case
    for case, status in SKIPPED_CASES:
        assert rows[case].n == 0
        assert rows[case].status == status
    labelled = sum(row.n for row in rows.values())
    assert labelled == report.payments
    assert sum(row.correct for row in rows.values()) == report.payments - len(report.mismatches)


def test_scores_follow_the_configured_write_off_tolerance(tmp_path: Path) -> None:
    """A team's own tolerance changes the labels, not the verdict on a correct matcher."""
    config = parse_config({"matching": {"write_off_tolerance": "12.00"}})
    result = run_quality_bench(tmp_path, seed=SEED, config=config, per_case=2)
    writeoffs = [o for o in result.outcomes if o.label.case == "short_pay_writeoff"]
    assert writeoffs
    assert all(o.correct for o in writeoffs), _why(result)
    assert result.refused_files == ()
    assert result.unlabelled == ()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_writes_identical_files(tmp_path: Path) -> None:
    first = write_book(tmp_path / "a", seed=7)
    second = write_book(tmp_path / "b", seed=7)
    files = _files(first.folder)
    assert len(files) > 12
    assert files == _files(second.folder)
    assert first.labels == second.labels
    other = write_book(tmp_path / "c", seed=8)
    assert _files(other.folder) != files


def test_book_is_written_only_into_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "stale.bai").write_text("01,old/\n")
    with pytest.raises(RuntimeError, match="not empty"):
        write_book(tmp_path, seed=1)
