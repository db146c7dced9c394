"""Undamaged source files for the bad-input suite (tests/test_bad_input.py), built in code.

Each ``base_*`` function returns the bytes of one well-formed file in one format, written
with the project's own writers (``connectors/*_writer.py``, ``cashapp/bench/platforms.py``)
or read from its ``fixtures/``. The suite damages them the way files really get damaged
(cut in transit, re-keyed by hand, exported by another tool) and checks each damage is
refused whole or accepted under a named leniency. ``../shared`` is never read here: the
suite must run wherever the repository does.

The dates are the week after the prepared book's business day (2026-11-20), so a base
file is always new to the book it is ingested into.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from cashapp.bench.platforms import (
    CardHolder,
    PlastiqPayment,
    StripeCharge,
    StripeTransaction,
    plastiq_csv,
    plastiq_json,
    stripe_landing_json,
    stripe_report_csv,
)
from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS
from cashapp.domain import RemittanceLine
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from connectors.camt.writer import (
    CamtEntry,
    CamtStatement,
    CamtTransaction,
    InvoiceRef,
    write_camt053,
    write_camt054,
)
from connectors.mt940.writer import Statement, StatementTransaction, write_mt940
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha
from connectors.ofx.writer import OfxStatement, OfxTransaction, write_ofx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DAY = date(2026, 11, 24)
CREATED = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
IBAN = "DE89370400440532013000"


def fixture(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


# --- bank formats ------------------------------------------------------------------------


def base_bai2() -> bytes:
    """A prior-day BAI2 file: a wire naming an invoice, an ACH credit, a fee."""
    account = Bai2Account(
        "987654321",
        "USD",
        (
            Bai2Transaction(
                "195", Decimal("4821.50"), "FW7701", "", "ORG=ACME CORP OBI=INV-100123"
            ),
            Bai2Transaction("165", Decimal("1250.00"), "AC7702", "", "ORIG CO NAME:GLOBEX"),
            Bai2Transaction("698", Decimal("35.00"), "SC7703", "", "WIRE FEE"),
        ),
    )
    return write_bai2(
        [account],
        sender="021000021",
        receiver="OURCO",
        file_id="24",
        created=CREATED,
        as_of=DAY,
    )


def _ccd_batch() -> AchBatch:
    entries = (
        AchEntry("22", "021000021", "123456789", Decimal("1250.00"), "CUST-00417", "OUR COMPANY",
                 addenda=("RMR*IV*INV-100123*PI*1250.00\\",)),
        AchEntry("22", "021000021", "123456789", Decimal("385.20"), "CUST-00988", "OUR COMPANY"),
    )  # fmt: skip
    return AchBatch("NORTHWIND SUPPLY", "1234567890", "CCD", "PAYMENT", DAY, "09100001", entries)


def _ctx_batch() -> AchBatch:
    lines = (
        RemittanceLine("INV-100130", paid=Decimal("4200.00")),
        RemittanceLine("INV-100131", paid=Decimal("1310.55")),
    )
    entry = AchEntry(
        "22", "021000021", "123456789", Decimal("5510.55"), "REM-77120", "OUR COMPANY",
        addenda=ctx_820_addenda("INITECH INC", lines),
    )  # fmt: skip
    return AchBatch("INITECH", "5556667778", "CTX", "EDI PAYMNT", DAY, "06100015", (entry,))


def _nacha(batches: list[AchBatch], modifier: str = "A") -> bytes:
    return write_nacha(
        batches,
        immediate_destination="021000021",
        immediate_origin="0910000019",
        created=CREATED,
        file_id_modifier=modifier,
    )


def base_nacha() -> bytes:
    """A NACHA receipt file: one CCD+ batch of two credits, the first with an addenda."""
    return _nacha([_ccd_batch()])


def base_nacha_ctx() -> bytes:
    """A CTX credit whose addenda carry an X12 820 naming two invoices."""
    return _nacha([_ctx_batch()], modifier="C")


def base_nacha_returns() -> bytes:
    """The fixture return/NOC file: 94-character records with no line breaks."""
    return fixture("nacha/returns_noc_no_newlines/input.ach")


def _camt(notification: bool = False) -> bytes:
    entries = (
        CamtEntry(
            (
                CamtTransaction(
                    Decimal("1234.56"),
                    end_to_end_id="E2E-7701",
                    debtor_name="Müller & Söhne GmbH",
                    debtor_iban="DE02120300000000202051",
                    invoices=(InvoiceRef("RE-2026-0117", paid=Decimal("1234.56")),),
                ),
            ),
            credit=True,
            booking_date=DAY,
            servicer_ref="ACSR-7701",
        ),
        CamtEntry(
            (
                CamtTransaction(
                    Decimal("89.90"), end_to_end_id="E2E-7702", creditor_name="Stadtwerke"
                ),
            ),
            credit=False,
            booking_date=DAY,
            servicer_ref="ACSR-7702",
        ),
    )
    statement = CamtStatement(
        account_iban=IBAN,
        currency="EUR",
        statement_id="STMT-2026-11-24",
        created=CREATED,
        entries=entries,
        opening_balance=None if notification else Decimal("10000.00"),
        closing_balance=None if notification else Decimal("11144.66"),
    )
    return write_camt054(statement) if notification else write_camt053(statement)


def base_camt053() -> bytes:
    """A camt.053.001.08 statement: one SEPA credit naming an invoice, one debit; tied out."""
    return _camt()


def base_camt054() -> bytes:
    """The same movements as a camt.054.001.08 notification (no balances)."""
    return _camt(notification=True)


def base_camt052() -> bytes:
    """The fixture intraday camt.052 report."""
    return fixture("camt053/intraday-report-v08/input.xml")


def base_mt940() -> bytes:
    """One MT940 statement, Dutch ``:86:`` layout: two credits and a debit."""
    statement = Statement(
        account="NL91ABNA0417164300",
        currency="EUR",
        number=42,
        opening_balance=Decimal("5000.00"),
        opening_date=date(2026, 11, 23),
        transactions=(
            StatementTransaction(DAY, Decimal("2100.00"), name="ACME BV", iban="NL20INGB0001234567",
                                 details="INV-100123", eref="E2E-9901"),
            StatementTransaction(DAY, Decimal("815.50"), name="GLOBEX BV", details="INV 100124"),
            StatementTransaction(DAY, Decimal("12.00"), mark="D", details="BANK COSTS"),
        ),
    )  # fmt: skip
    return write_mt940([statement])


def _ofx_statement() -> OfxStatement:
    return OfxStatement(
        account_id="000123456789",
        currency="USD",
        bank_id="021000021",
        transactions=(
            OfxTransaction("202611240001", DAY, Decimal("1250.00"), name="ACME CORP",
                           memo="INV-100123"),
            OfxTransaction("202611240002", DAY, Decimal("976.61"), name="GLOBEX", memo="INV 100124"),
            OfxTransaction("202611240003", DAY, Decimal("-15.00"), name="SERVICE FEE"),
        ),
        ledger_balance=Decimal("22211.61"),
    )  # fmt: skip


def base_ofx_sgml() -> bytes:
    """OFX 1.x SGML (what a QFX download is): three transactions."""
    return write_ofx([_ofx_statement()], sgml=True)


def base_ofx_xml() -> bytes:
    """The same statement as OFX 2.x XML."""
    return write_ofx([_ofx_statement()])


def base_mapped_csv() -> bytes:
    """The fixture US bank CSV export, read through its profile (``MAPPED_PROFILE``)."""
    return fixture("csv/us_bank_signed/bank_export.csv")


MAPPED_PROFILE = (FIXTURES / "csv/us_bank_signed/profile.toml").read_text(encoding="utf-8")


# --- payment platforms ---------------------------------------------------------------------

_ACME = CardHolder("cus_R1", "Acme Plumbing Supply", "ap@acme.example")
_GLOBEX = CardHolder("cus_R2", "Globex Logistics", "billing@globex.example")


def _stripe_transactions() -> list[StripeTransaction]:
    first = StripeCharge("ch_3QZz01", Decimal("1016.14"), _ACME, "Invoice INV-100123", "INV-100123")
    second = StripeCharge("ch_3QZz02", Decimal("480.00"), _GLOBEX, "Payment INV-100124", "")
    at = datetime(2026, 11, 24, 14, 2, 11, tzinfo=UTC)
    charges = [
        StripeTransaction("txn_1QZz01", at, "charge", first.amount, Decimal("29.77"), first.charge_id,
                          first, "po_1QZz99", "stripe-report"),
        StripeTransaction("txn_1QZz02", at, "charge", second.amount, Decimal("14.22"),
                          second.charge_id, second, "po_1QZz99", "stripe-report"),
    ]  # fmt: skip
    net = sum((t.net for t in charges), Decimal(0))
    payout = StripeTransaction(
        "txn_1QZz09", datetime(2026, 11, 26, tzinfo=UTC), "payout", -net, Decimal(0),
        "po_1QZz99", None, "po_1QZz99", "stripe-report",
    )  # fmt: skip
    return [*charges, payout]


def base_stripe_report() -> bytes:
    """A Stripe itemized balance-change report: two charges and the payout carrying them."""
    return stripe_report_csv(_stripe_transactions())


def base_stripe_api() -> bytes:
    """The landing file ``cashapp pull stripe`` writes for the same balance transactions."""
    return stripe_landing_json(_stripe_transactions())


def _plastiq_payments() -> list[PlastiqPayment]:
    holder = CardHolder("", "Initech Software", "ap@initech.example")
    other = CardHolder("", "Umbrella Medical Labs", "payables@umbrella.example")
    return [
        PlastiqPayment("PQ-99123401", datetime(2026, 11, 24, 9, tzinfo=UTC), holder,
                       Decimal("2400.00"), "INV-100123", "Nov services", "PO-771", date(2026, 11, 26),
                       "plastiq-csv"),
        PlastiqPayment("PQ-99123402", datetime(2026, 11, 24, 10, tzinfo=UTC), other,
                       Decimal("815.50"), "INV-100124", "", "PO-771", date(2026, 11, 26),
                       "plastiq-csv"),
    ]  # fmt: skip


def base_plastiq_csv() -> bytes:
    """A Plastiq receiver export: two deposited payments in one payout."""
    return plastiq_csv(_plastiq_payments())


def base_plastiq_json() -> bytes:
    """The same payments as Plastiq Connect objects (amounts as JSON numbers)."""
    return plastiq_json(_plastiq_payments())


def plaid_landing(
    added: list[dict[str, object]], removed: list[dict[str, str]] | None = None
) -> bytes:
    """A ``cashapp pull plaid`` landing file; amounts given as text become bare JSON numbers."""
    document = {
        "plaid_sync": {"item": "operating", "cursor": "c-1"},
        "added": added,
        "modified": [],
        "removed": removed or [],
        "accounts": [{"account_id": "acc-1", "mask": "0000"}],
    }
    text = json.dumps(document, indent=1)
    return text.replace('"@@', "").replace('@@"', "").encode("utf-8")


def plaid_transaction(txn_id: str, amount: str, name: str, **changes: object) -> dict[str, object]:
    """A posted Plaid transaction; ``amount`` is Plaid's (positive = money out).

    The amount is written as a bare JSON number, as Plaid sends it, unless it is given in
    double quotes (``'"12,50"'``): then it is a JSON string.
    """
    quoted = amount.startswith('"') and amount.endswith('"')
    txn: dict[str, object] = {
        "transaction_id": txn_id,
        "account_id": "acc-1",
        "amount": amount[1:-1] if quoted else f"@@{amount}@@",
        "iso_currency_code": "USD",
        "date": "2026-11-24",
        "name": name,
        "pending": False,
        "payment_channel": "other",
        "payment_meta": {"reference_number": "INV-100123", "payer": "ACME CORP"},
    }
    txn.update(changes)
    return txn


def base_plaid() -> bytes:
    """Two posted deposits and one card purchase, as Plaid's /transactions/sync gives them."""
    return plaid_landing(
        [
            plaid_transaction("plaid-t1", "-1250.00", "ACH DEPOSIT ACME CORP"),
            plaid_transaction("plaid-t2", "-976.61", "WIRE IN GLOBEX"),
            plaid_transaction("plaid-t3", "72.10", "PURCHASE OFFICE DEPOT"),
        ]
    )


# --- master data ---------------------------------------------------------------------------

# Customers of the prepared book (cashapp.demo): C1001..C1040.
INVOICE_ROWS = [
    ["INV-900001", "C1001", "2026-11-02", "2026-12-02", "976.61", "976.61", "USD", "PO-1", "NET30"],
    ["INV-900002", "C1002", "2026-11-03", "2026-12-03", "1250.00", "1250.00", "USD", "", "NET30"],
    ["INV-900003", "C1003", "2026-11-04", "2026-12-04", "24000.00", "12000.00", "USD", "", "NET30"],
]
CUSTOMER_ROWS = [
    ["C9001", "Bluth Frozen Bananas Inc", "ap@bluth.example", "USD", "NET30"],
    ["C9002", "Vandelay Industries LLC", "ap@vandelay.example", "USD", "2/10 NET30"],
]


def csv_bytes(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def base_invoices_csv() -> bytes:
    return csv_bytes(INVOICE_FIELDS, INVOICE_ROWS)


def base_customers_csv() -> bytes:
    return csv_bytes(CUSTOMER_FIELDS, CUSTOMER_ROWS)


def xlsx_bytes(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> bytes:
    """A one-sheet workbook whose cells are all text, as an ERP export writes them."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def base_invoices_xlsx() -> bytes:
    return xlsx_bytes(INVOICE_FIELDS, INVOICE_ROWS)


def base_customers_xlsx() -> bytes:
    return xlsx_bytes(CUSTOMER_FIELDS, CUSTOMER_ROWS)
