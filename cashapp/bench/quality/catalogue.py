"""The quality bench's data: who pays, how they write it, which files carry which case.

Why data apart from code: a case says *what* happens (an invoice short paid, a parent
paying its subsidiary); this catalogue says *with what* -- the look-alike customers, the
groups, the strangers, the phrases remitters write, and the rotation of bank file shapes
each case is written in. Adding a phrase or a format to a case is an edit here.

Order matters everywhere: a seed's book is the sequence of its random draws, so a tuple
drawn from (``rng.choice``) or rotated through (``turn``) keeps its order, and
:data:`CASE_ORDER` is the order the cases draw from the book in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final

from cashapp.bench.synthetic.bankfiles import OUR_ROUTING

# --- who is who -------------------------------------------------------------------------

#: Customers whose names share their first words but not their trade.
LOOKALIKES: Final = (
    ("Acme Plumbing Supply Inc", "Acme Plumbing Services LLC"),
    ("Northstar Freight Lines Corp", "Northstar Freight Brokers Inc"),
    ("Summit Medical Supply Co", "Summit Medical Staffing LLC"),
    ("Great Lakes Paper Products Inc", "Great Lakes Paper Recycling LLC"),
)
#: A parent that pays its subsidiaries' invoices (and has its own account with us).
GROUPS: Final = (
    ("Harborview Holdings Inc", ("Harborview Cold Storage LLC", "Harborview Marine Services LLC")),
    ("Pemberton Industries Corp", ("Pemberton Plastics LLC", "Pemberton Tool and Die Inc")),
)
#: Payers no customer of ours is.
STRANGERS: Final = (
    "Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam Furniture", "Tailspin Toys",
    "Wingtip Toys Inc", "Adventure Works Cycles", "Litware Inc", "Proseware Inc",
    "Alpine Ski House", "Coho Winery", "Lucerne Publishing", "Fourth Coffee",
)  # fmt: skip
#: Payables outsourcers and shared-service centres: the bank shows them, not the customer.
PROCESSORS: Final = ("Corporate AP Services", "Payables Shared Svc Ctr", "AP Disbursement Svcs")
#: The customers' banks (routing numbers); the first 8 digits start their ACH traces.
ROUTINGS: Final = (
    "091000019", "026009593", "121000358", "011000138", "111000025", "061000104",
    "071000013", "122000247", "044000037", "031000503",
)  # fmt: skip
#: Payment terms of the customers that are not on 2/10 NET30 (drawn from, so NET30 twice).
TERMS: Final = ("NET30", "NET30", "NET45")
#: The ranges (whole dollars) an invoice amount is drawn from: many small, some large.
AMOUNT_RANGES: Final = ((85, 600), (600, 3000), (600, 3000), (3000, 15000), (15000, 48000))
#: Legal forms spelled another way by the payer's own bank or ERP.
SPELLED_FORMS: Final[Mapping[str, str]] = {
    "Inc": "Incorporated",
    "Inc.": "Incorporated",
    "Corp": "Corporation",
    "Co": "Company",
    "Ltd": "Limited",
    "LLC": "L.L.C.",
    "L.L.C.": "LLC",
    "Corporation": "Corp",
}

# --- our bank accounts ------------------------------------------------------------------

OUR_ACCOUNT: Final = "483920117"
OUR_ODFI: Final = OUR_ROUTING[:8]  # traces of our own debit collections
RETURNS_ODFI: Final = "09100001"  # the bank that sends our ACH returns back
CSV_PROFILE_NAME: Final = "firstcity"
CSV_HEADER: Final = (
    "Posting Date",
    "Transaction ID",
    "Counterparty",
    "Description",
    "Credit",
    "Debit",
    "Currency",
)
#: The ``[sources.csv.firstcity]`` profile that reads the bench's mapped CSV export.
CSV_PROFILE: Final[Mapping[str, str | list[str]]] = {
    "match_header": "Posting Date,Transaction ID,Counterparty",
    "date_column": "Posting Date",
    "date_format": "%m/%d/%Y",
    "credit_column": "Credit",
    "debit_column": "Debit",
    "currency_column": "Currency",
    "payer_column": "Counterparty",
    "remittance_columns": ["Description"],
    "reference_column": "Transaction ID",
    "account": "FIRSTCITY-OPERATING",
}
#: The characters of the SWIFT x set, all an MT940 statement may carry.
SWIFT_X: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ "
)

# --- what remitters write ---------------------------------------------------------------

#: Words before a single invoice reference.
LEADS: Final = ("", "", "PAYMENT ", "PMT ")
EARLY_DISCOUNT_TEXTS: Final = (
    "INV-{n} LESS 2PCT",
    "INV {n} 2PCT DISC",
    "INV-{n} EARLY PAY DISCOUNT",
)
WRITEOFF_TAILS: Final = ("", " LESS BANK FEE", " NET OF FEES")
SHORT_TEXTS: Final = ("INV-{n} PARTIAL", "INV {n} DISPUTED QTY", "INV-{n}")
PO_TEXTS: Final = ("PO {po}", "PO# {po}", "PO {raw}")
RESENT_TAILS: Final = ("PAYMENT", "AP RUN 47", "REMIT")
TYPO_TEXTS: Final = ("INV-{n}", "INV {n}", "Invoice {n}")
CUSTOMER_ID_TEXTS: Final = ("CUST NO {c}", "ACCT {c} NOV STMT", "CUSTOMER {c}")
STRANGER_TEXTS: Final = ("", "", "CONSULTING RETAINER", "SERVICES NOV")
#: ACH return reasons of our debits, in turn.
RETURN_REASONS: Final = ("R01", "R02", "R03", "R08", "R10")

# --- which bank file shapes carry each case (rotated by turn) ---------------------------

ROTATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "ref_exact_single": (
        "bai2-wire", "camt053", "mt940-dutch", "ofx-xml", "csv", "nacha-ccd", "bai2-ach",
        "camt054", "ofx-sgml", "mt940-german",
    ),
    "ref_multi_invoice": (
        "bai2-ach", "camt053", "csv", "mt940-dutch", "nacha-ccd", "ofx-xml", "bai2-wire",
    ),
    "ctx_820_remittance": ("nacha-ctx", "camt054", "nacha-ctx", "camt053"),
    "ctx_820_line_deduction": ("nacha-ctx", "camt054"),
    "early_payment_discount": (
        "bai2-wire", "nacha-ctx", "camt053", "csv", "mt940-dutch", "ofx-xml",
    ),
    "late_discount_taken": ("bai2-wire", "csv", "camt053", "ofx-xml"),
    "short_pay_writeoff": ("bai2-wire", "ofx-xml", "csv", "camt053", "mt940-dutch"),
    "short_payment": ("bai2-wire", "camt053", "nacha-ccd", "ofx-sgml", "csv"),
    "over_payment": ("bai2-wire", "mt940-dutch", "camt053", "csv", "ofx-xml"),
    "parent_pays_subsidiary": ("bai2-wire", "nacha-ccd", "camt053", "csv", "ofx-xml"),
    "po_reference": ("bai2-wire", "csv", "camt053", "ofx-xml"),
    "duplicate_payment": ("bai2-wire", "ofx-xml", "csv", "camt053"),
    "duplicate_resent": ("bai2-wire", "csv", "ofx-xml"),
    "currency_mismatch": ("camt053", "mt940-german"),
    "ambiguous_same_amount": ("bai2-wire", "camt053", "ofx-xml", "csv", "mt940-dutch"),
    "no_ref_name_single": (
        "bai2-wire", "camt053", "ofx-xml", "csv", "mt940-dutch", "ofx-sgml", "mt940-german",
    ),
    "misspelt_payer_name": ("bai2-wire", "camt053", "ofx-xml", "csv", "mt940-dutch"),
    "no_ref_name_combination": ("camt053", "bai2-wire", "csv", "ofx-xml", "mt940-dutch"),
    "ref_typo_fallback": ("bai2-wire", "csv", "ofx-xml", "mt940-dutch", "camt053"),
    "nacha_truncated_name": ("nacha-ccd", "bai2-ach"),
    "lookalike_names": ("bai2-wire", "camt053", "ofx-xml", "csv", "nacha-ccd", "mt940-dutch"),
    "customer_id_in_remittance": ("bai2-wire", "csv", "camt053", "ofx-xml"),
    "currency_mismatch_no_ref": ("camt053", "mt940-german"),
    "unknown_payer": (
        "bai2-wire", "nacha-ccd", "ofx-xml", "camt053", "csv", "mt940-german", "bai2-ach",
    ),
    "platform_deposit": ("bai2-ach", "nacha-ccd"),
}  # fmt: skip

#: The order the cases draw from the book. Cases that change or partly settle invoices come
#: first, so the cases that rely on an amount being unique for a customer check it against
#: the final book; platform money comes last, so the bank cases draw exactly the invoices
#: they always drew and their numbers stay comparable with earlier runs of the bench.
CASE_ORDER: Final = (
    "ref_exact_single",
    "ref_multi_invoice",
    "ctx_820_remittance",
    "ctx_820_line_deduction",
    "early_payment_discount",
    "late_discount_taken",
    "short_pay_writeoff",
    "short_payment",
    "over_payment",
    "parent_pays_subsidiary",
    "po_reference",
    "duplicate_payment",
    "own_collections_and_returns",
    "currency_mismatch",
    "ambiguous_same_amount",
    "no_ref_name_single",
    "misspelt_payer_name",
    "no_ref_name_combination",
    "ref_typo_fallback",
    "nacha_truncated_name",
    "repeat_payer_day2",
    "lookalike_names",
    "customer_id_in_remittance",
    "currency_mismatch_no_ref",
    "unknown_payer",
    "stripe_paid_out",
    "stripe_refunds",
    "stripe_disputes",
    "stripe_payouts",
    "plastiq_payouts",
    "plastiq_short_deposits",
)

# --- platform money ---------------------------------------------------------------------

#: The balance transactions each day's Stripe payout carries, by creation time: day 1's
#: payout is created Friday 13 and reaches the bank Monday 16, day 2's Tuesday 17 -> 18.
STRIPE_WINDOWS: Final[Mapping[int, tuple[datetime, datetime]]] = {
    1: (datetime(2026, 11, 9, 8, tzinfo=UTC), datetime(2026, 11, 13, 2, tzinfo=UTC)),
    2: (datetime(2026, 11, 13, 3, tzinfo=UTC), datetime(2026, 11, 17, 2, tzinfo=UTC)),
}
#: When the customers' Plastiq payments of each day's payout were made.
PLASTIQ_WINDOWS: Final[Mapping[int, tuple[datetime, datetime]]] = {
    1: (datetime(2026, 11, 10, 13, tzinfo=UTC), datetime(2026, 11, 12, 22, tzinfo=UTC)),
    2: (datetime(2026, 11, 13, 13, tzinfo=UTC), datetime(2026, 11, 17, 20, tzinfo=UTC)),
}
#: Platform invoices were raised before the first card payment of the book.
PLATFORM_INVOICED_BEFORE: Final = date(2026, 11, 9)
#: How each platform's payout reaches our bank by ACH: company name, company id, entry
#: description, and the first 8 digits of its bank's routing (its traces start so).
PLATFORM_ACH: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "stripe": ("STRIPE", "4270465600", "TRANSFER", "11100061"),
    "plastiq": ("PLASTIQ INC", "1462310118", "PAYOUT", "12100024"),
}
DISPUTE_REASONS: Final = (
    "fraudulent", "product_not_received", "duplicate", "unrecognized",
    "product_unacceptable", "credit_not_processed", "general",
)  # fmt: skip
#: What a card payment's description says when the metadata names the invoice.
CARD_DESCRIPTIONS: Final = ("Card payment", "Online payment", "")
#: Descriptions that name the invoice when the metadata does not.
CARD_INVOICE_TEXTS: Final = (
    "Payment for invoice {k}",
    "INV-{k}",
    "Invoice #{k}",
    "Inv {k} card payment",
)
#: Plastiq memos beside an invoice number, naming one, and naming none.
PLASTIQ_SIDE_MEMOS: Final = ("", "Nov services", "Net 30")
PLASTIQ_INVOICE_MEMOS: Final = (
    "Invoice {k}",
    "INV {k} - Nov services",
    "Payment for INV-{k}",
    "inv# {k}",
)
PLASTIQ_PLAIN_MEMOS: Final = ("", "Thank you", "Monthly account payment")
#: Charges that are refunded or disputed stay small enough for the payout to stay positive.
EVENT_CEILING: Final = Decimal(5000)
MIN_PAYOUT: Final = Decimal(250)
BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BASE36: Final = BASE62[:36]  # ids banks carry: upper case only
