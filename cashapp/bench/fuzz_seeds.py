"""Seeds of the parsers' fuzzing (:mod:`cashapp.bench.fuzz`): real inputs to mutate.

Each parser starts from the project's fixtures, inputs built with the project's writers
(the Stripe and Plastiq ones of the platform bench, an X12 820 in a NACHA CTX entry), and,
read at run time and never copied into the repository, ``../shared/conformance`` with its
``peer/files``. A fuzzer that starts from files its parser reads gets past the header
checks at once; one that starts from random bytes spends its time being refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Final

_REPO: Final = Path(__file__).resolve().parents[2]
FIXTURES: Final = _REPO / "fixtures"

#: Inputs longer than this are cut (a truncated seed is one more damaged file): long
#: inputs slow every execution and add little the short ones do not reach.
MAX_LEN: Final = 12_288


def shared_conformance() -> Path:
    """The shared corpus beside the project (``../shared/conformance``), if present."""
    return _REPO.parent / "shared" / "conformance"


def _files(folder: Path, patterns: tuple[str, ...]) -> list[bytes]:
    if not folder.is_dir():
        return []
    found = sorted({p for pattern in patterns for p in folder.rglob(pattern) if p.is_file()})
    return [p.read_bytes() for p in found]


def seeds(parser: str) -> list[bytes]:
    """Seed inputs for ``parser``: fixtures, writer outputs and the shared files."""
    shared = shared_conformance()
    peer = shared / "peer" / "files"
    by_parser: dict[str, Callable[[], list[bytes]]] = {
        "bai2": lambda: [
            *_files(FIXTURES / "bai2", ("input.*",)),
            *_files(shared / "bai2", ("*.bai*", "*.txt")),
            *_files(peer / "bai2", ("*",)),
        ],
        "nacha": lambda: [
            *_files(FIXTURES / "nacha", ("input.*",)),
            _nacha_ctx_seed(),
            *_files(shared / "nacha", ("*.ach", "*.txt")),
            *_files(peer / "nacha", ("*",)),
        ],
        "x12_820": _x12_seeds,
        "camt": lambda: [
            *_files(FIXTURES / "camt053", ("input.*",)),
            *_files(FIXTURES / "camt054", ("input.*",)),
            *_files(shared / "camt", ("*.xml",)),
            *_files(peer / "camt052", ("*",)),
            *_files(peer / "camt053", ("*",)),
            *_files(peer / "camt054", ("*",)),
        ],
        "mt940": lambda: [
            *_files(FIXTURES / "mt940", ("input.*",)),
            *_files(shared / "mt940", ("*",)),
            *_files(peer / "mt940", ("*",)),
            *_files(peer / "mt942", ("*",)),
        ],
        "ofx": lambda: [
            *_files(FIXTURES / "ofx", ("input.*",)),
            *_files(shared / "ofx", ("*",)),
            *_files(peer / "ofx", ("*",)),
        ],
        "csv": lambda: _files(FIXTURES / "csv", ("bank_export.csv",)),
        "stripe": lambda: [*_files(FIXTURES / "stripe", ("input.*",)), _stripe_seeds()[0]],
        "stripe_api": lambda: [_stripe_seeds()[1], *_files(shared / "stripe", ("*.json",))],
        "plastiq": lambda: [*_files(FIXTURES / "plastiq", ("input.*",)), *_plastiq_seeds()],
        "plaid": lambda: [_plaid_seed(), *_files(shared / "plaid", ("*.json",))],
    }
    found = [data for data in by_parser[parser]() if data]
    return [data[:MAX_LEN] for data in found]


def _stripe_seeds() -> tuple[bytes, bytes]:
    from datetime import UTC, datetime
    from decimal import Decimal

    from cashapp.bench.platforms import (
        CardHolder,
        StripeCharge,
        StripeTransaction,
        card_fee,
        stripe_landing_json,
        stripe_report_csv,
    )

    holder = CardHolder("cus_F1", "Acme Plumbing Supply", "ap@acme.example")
    charge = StripeCharge("ch_3F1", Decimal("1000.00"), holder, "Card payment", "INV-104511")
    at = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
    fee = card_fee(Decimal("1000.00"))
    txns = [
        StripeTransaction(
            "txn_1", at, "charge", Decimal("1000.00"), fee, "ch_3F1", charge, "po_1", "stripe"
        ),
        StripeTransaction(
            "txn_2", at.replace(hour=15), "refund", Decimal("-100.00"), Decimal("0.00"),
            "re_1F1", charge, "po_1", "stripe",
        ),
        StripeTransaction(
            "txn_3", at.replace(hour=16), "dispute", Decimal("-900.00"), Decimal("15.00"),
            "du_1F1", charge, "po_1", "stripe", "fraudulent",
        ),
        StripeTransaction(
            "txn_4", at.replace(day=12), "dispute_reversal", Decimal("900.00"),
            Decimal("-15.00"), "du_1F1", charge, "po_1", "stripe",
        ),
        StripeTransaction(
            "txn_5", at.replace(day=13), "payout", Decimal("-770.70"), Decimal("0.00"), "po_1",
            None, "po_1", "stripe",
        ),
    ]  # fmt: skip
    return stripe_report_csv(txns), stripe_landing_json(txns)


def _plastiq_seeds() -> tuple[bytes, bytes]:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from cashapp.bench.platforms import CardHolder, PlastiqPayment, plastiq_csv, plastiq_json

    holder = CardHolder("", "Initech Software", "ap@initech.example")
    payments = [
        PlastiqPayment(
            f"PQ-2000000{n}", datetime(2026, 11, 11, 10 + n, tzinfo=UTC), holder, amount,
            number, memo, "PQO-FFFFFFFFFF", date(2026, 11, 16), "plastiq-csv",
        )
        for n, (amount, number, memo) in enumerate(
            [(Decimal("2400.10"), "INV-104501", ""), (Decimal("815.50"), "", "Invoice 104502")]
        )
    ]  # fmt: skip
    return plastiq_csv(payments), plastiq_json(payments)


def _plaid_seed() -> bytes:
    document = {
        "plaid_sync": {"cursor": "c1", "item_id": "item_1"},
        "accounts": [{"account_id": "acc_1", "mask": "0000", "name": "Checking"}],
        "added": [
            {
                "transaction_id": "tx_1",
                "account_id": "acc_1",
                "amount": "-1250.00",
                "iso_currency_code": "USD",
                "date": "2026-11-10",
                "name": "ACH CREDIT NORTHWIND INV-104523",
                "pending": False,
                "payment_channel": "other",
                "payment_meta": {"reference_number": "INV-104523", "payer": "Northwind"},
                "counterparties": [{"name": "Northwind Inc"}],
            },
            {
                "transaction_id": "tx_2",
                "account_id": "acc_1",
                "amount": 15,
                "iso_currency_code": "USD",
                "date": "2026-11-11",
                "name": "SERVICE FEE",
                "pending": False,
            },
            {"transaction_id": "tx_3", "amount": "-5.00", "date": "2026-11-12", "pending": True},
        ],
        "modified": [],
        "removed": [{"transaction_id": "tx_0"}],
    }
    return json.dumps(document, indent=1).encode()


def _x12_payloads() -> list[str]:
    from decimal import Decimal

    from cashapp.domain import RemittanceLine
    from connectors.nacha.writer import ctx_820_addenda

    lines = [
        RemittanceLine("INV-1001", "IV", Decimal("100.00"), Decimal("120.00"), Decimal("20.00")),
        RemittanceLine("INV-1002", "IV", Decimal("50.00")),
        RemittanceLine("PO-77", "PO", Decimal("-5.00")),
    ]
    return [
        "".join(ctx_820_addenda("ACME CORP", lines)),
        "".join(ctx_820_addenda("GLOBEX", lines[:1], element_sep="|", segment_term="\n")),
    ]


def _x12_seeds() -> list[bytes]:
    return [payload.encode("latin-1") for payload in _x12_payloads()]


def _nacha_ctx_seed() -> bytes:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    from connectors.nacha.writer import AchBatch, AchEntry, write_nacha

    payload = _x12_payloads()[0]
    addenda = tuple(payload[i : i + 80] for i in range(0, len(payload), 80))
    entry = AchEntry(
        transaction_code="22",
        rdfi_routing="021000021",
        account="12345678",
        amount=Decimal("145.00"),
        individual_id="ACME",
        name="ACME CORP",
        addenda=addenda,
    )
    batch = AchBatch(
        company_name="ACME CORP",
        company_id="1234567890",
        sec_code="CTX",
        entry_description="PAYMENT",
        effective_date=date(2026, 11, 10),
        originating_dfi="02100002",
        entries=(entry,),
    )
    return write_nacha(
        [batch],
        immediate_destination="091000019",
        immediate_origin="021000021",
        created=datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
    )
