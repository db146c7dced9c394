"""The matching quality bench as a regression guard.

Why these tests: the bench's numbers are the contract of the matcher with the AR team --
cash is applied only when it is applied right (precision), most of what a careful person
could apply is applied without them (auto-match rate), short pays, over pays, ACH returns,
card chargebacks and short payout deposits always reach the queue (recall), and a
platform's payout deposit is tied to its payout, never applied to invoices. A change to the
matcher that lowers any of them fails here with the list of payments it got wrong. Three
small books (six payments per case each, about 650 labelled records) keep it to a few
seconds; `cashapp bench quality` runs twenty.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.bench.platforms import (
    CardHolder,
    PlastiqPayment,
    StripeCharge,
    StripeTransaction,
    card_fee,
    plastiq_csv,
    plastiq_json,
    stripe_landing_json,
    stripe_report_csv,
)
from cashapp.bench.quality import (
    PLATFORM_CASES,
    SKIPPED_CASES,
    SOURCE_OF_FORMAT,
    QualityReport,
    combine,
    run_quality_bench,
    write_book,
)
from cashapp.bench.quality.cases import registered
from cashapp.bench.quality.catalogue import CASE_ORDER
from cashapp.config import parse_config
from cashapp.domain import PaymentRecord
from connectors.base import ExtractContext
from connectors.plastiq.connector import PLASTIQ
from connectors.stripe.api import STRIPE_API
from connectors.stripe.report import STRIPE_REPORT

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


@pytest.mark.parametrize(
    "exception_type",
    ["short_payment", "over_payment", "ach_return", "chargeback", "settlement_mismatch"],
)
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
        *PLATFORM_CASES,
    ):
        assert rows[case].n >= 2, case
    for case, status in SKIPPED_CASES:
        assert rows[case].n == 0
        assert rows[case].status == status
    labelled = sum(row.n for row in rows.values())
    assert labelled == report.payments
    assert sum(row.correct for row in rows.values()) == report.payments - len(report.mismatches)


def test_platform_cases_are_at_target(report: QualityReport) -> None:
    """Card money applied through the platforms' records, every chargeback queued (a won
    dispute's closed again), and every payout deposit tied to its payout, never applied."""
    platform = [o for o in report.outcomes if o.label.case in PLATFORM_CASES]
    assert {o.label.fmt for o in platform} >= {
        "stripe-report", "stripe-api", "plastiq-csv", "plastiq-json", "bai2-ach", "nacha-ccd",
    }  # fmt: skip
    assert all(o.correct for o in platform), _why(report)
    deposits = [
        o
        for o in platform
        if o.label.kind == "settlement" and o.label.source not in ("stripe", "plastiq")
    ]
    assert len(deposits) >= 12
    assert all(o.kind == "settlement" and not o.applications for o in deposits)
    tied = [o for o in deposits if o.label.case != "settlement_mismatch"]
    assert tied
    assert all(o.status == "reconciled" for o in tied)
    won = [o for o in platform if o.label.resolved]
    assert won
    assert all(o.resolved == ("chargeback",) for o in won)
    disputes = [o for o in platform if o.label.kind == "chargeback"]
    assert all(o.label.reason_code in o.reason_codes for o in disputes)


def _records(records: tuple[PaymentRecord, ...]) -> set[tuple[object, ...]]:
    return {
        (r.source, r.dedupe_key, r.kind, r.source_ref, r.amount, r.value_date, r.related_ref,
         r.reason_code, r.references, r.payer_name, r.payer_account, r.remittance)
        for r in records
    }  # fmt: skip


def test_both_stripe_carriers_of_the_bench_read_alike() -> None:
    """The bench's report CSV and landing JSON of the same transactions are one set of
    records, so splitting a payout between them changes nothing but the carrier."""
    holder = CardHolder("cus_B1", "Acme Plumbing Supply", "ap@acme.example")
    charge = StripeCharge("ch_3B1", Decimal("1000.00"), holder, "Card payment", "INV-104511")
    at = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
    txns = [
        StripeTransaction(
            "txn_1", at, "charge", Decimal("1000.00"), card_fee(Decimal("1000.00")),
            "ch_3B1", charge, "po_1", "stripe-report",
        ),
        StripeTransaction(
            "txn_2", at.replace(hour=15), "dispute", Decimal("-1000.00"), Decimal("15.00"),
            "du_1B1", charge, "po_1", "stripe-report", "fraudulent",
        ),
        StripeTransaction(
            "txn_3", at.replace(day=12), "dispute_reversal", Decimal("1000.00"),
            Decimal("-15.00"), "du_1B1", charge, "po_1", "stripe-report",
        ),
        StripeTransaction(
            "txn_4", at.replace(day=13), "payout", Decimal("-955.00"), Decimal("0.00"), "po_1",
            None, "po_1", "stripe-report",
        ),
    ]  # fmt: skip
    assert card_fee(Decimal("1000.00")) == Decimal("29.30")
    context = ExtractContext()
    report = STRIPE_REPORT.extract(stripe_report_csv(txns), "report.csv", context).records
    api = STRIPE_API.extract(stripe_landing_json(txns), "landing.json", context).records
    assert _records(report) == _records(api)
    assert len(report) == 7  # four transactions, three with a fee of their own


def test_both_plastiq_carriers_of_the_bench_read_alike() -> None:
    holder = CardHolder("", "Initech Software", "ap@initech.example")
    payments = [
        PlastiqPayment(
            f"PQ-1000000{n}", datetime(2026, 11, 11, 10 + n, tzinfo=UTC), holder, amount,
            number, memo, "PQO-AAAAAAAAAA", date(2026, 11, 16), "plastiq-csv",
        )
        for n, (amount, number, memo) in enumerate(
            [(Decimal("2400.10"), "INV-104501", ""), (Decimal("815.50"), "", "Invoice 104502")]
        )
    ]  # fmt: skip
    context = ExtractContext()
    exported = PLASTIQ.extract(plastiq_csv(payments), "payments.csv", context).records
    saved = PLASTIQ.extract(plastiq_json(payments), "payments.json", context).records
    assert _records(exported) == _records(saved)
    payouts = [(r.amount, r.value_date) for r in saved if r.kind == "settlement"]
    assert payouts == [(Decimal("-3215.60"), date(2026, 11, 16))]
    assert b"2400.10" in plastiq_json(payments)  # a JSON number with its exact digits


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


def test_every_registered_case_is_drawn_in_the_catalogue_order() -> None:
    """A seed's book is the order of its draws: a case must be both registered (with
    ``@case``) and placed in ``CASE_ORDER``, or the book refuses to build."""
    assert set(registered()) == set(CASE_ORDER)
    assert len(CASE_ORDER) == len(set(CASE_ORDER))
