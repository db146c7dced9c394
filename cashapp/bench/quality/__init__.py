"""The matching quality benchmark: is cash applied to the right invoices, and only then?

Why it exists. A wrong application is the expensive mistake of cash application: the
customer is dunned for an invoice they paid, and unwinding it takes two people. Unit tests
prove each matching rule does what it says; they cannot say how the rules fare *together*
on a morning's bank files written the way banks write them. This module builds such a
morning as a **labelled book** -- customers, open invoices, and payments whose correct
outcome is known -- writes the payments as real bank files with the project's own writers
(BAI2, NACHA with CCD+/CTX/returns, camt.053/054, MT940 in both ``:86:`` layouts, OFX 2.x
and 1.0.2, a mapped CSV export), runs the real pipeline against a fresh DuckDB file
(import, ingest, match; a second business day brings the returns and a re-sent payment),
and scores what the matcher did against the labels. Day 2 brings what only history can
explain: ACH returns and a camt AC06 return of day-1 collections, re-sent payments, and ACH
payers without a reference whom only their company ID (learned on day 1) identifies.

Platform money: customers pay by card through Stripe and Plastiq; each bank day brings
the payout that arrives that day as one ACH credit from STRIPE or PLASTIQ INC, which must
end ``reconciled`` to its payout and never be applied, and the platform's own records of
what it carries (:mod:`.cases.stripe`, :mod:`.cases.plastiq`).

Run it with ``python -m cashapp.bench.quality [--seed N] [--per-case K] [--workdir DIR]``;
``cashapp bench quality`` runs many seeds and combines them (:func:`combine`). What is
measured is described in :mod:`.report`.

The package, one job a module:

=====================  ==================================================================
``labels``             the truth a payment is scored on, the file shapes, the two days
``catalogue``          data: look-alikes, groups, strangers, phrases, format rotations,
                       the order the cases draw in
``carriers``           what each file shape carries (name cut, character set, length)
``book``               the book under construction; the one way every case ends
                       (:meth:`Book.expect`, usually via :meth:`Book.receive`)
``cases``              the cases by theme, registered with ``@case(name)``
``formats``            one day's payments as each bank's file
``writing``            :func:`write_book`: master files, config, each day's inbox
``scoring``, ``report``  the store against the labels; the numbers and their text
``runner``             :func:`run_quality_bench` and :func:`main`
=====================  ==================================================================

Customers, names, invoice numbers and the BAI2/NACHA pieces come from
:mod:`cashapp.bench.synthetic`, shared with the demo and the speed bench.

Labels are derived from the business rules (payment terms, the configured write-off
tolerance), never from the matcher's code: the bench must be able to disagree with it.
Determinism: everything comes from ``random.Random(seed)`` and fixed business days in
November 2026 (never the clock), and the writers are deterministic, so one seed always
writes byte-identical files and the numbers can be quoted and guarded by tests.
"""

from __future__ import annotations

from cashapp.bench.quality.labels import (
    DAY1,
    DAY2,
    DAYS,
    DEFAULT_WRITE_OFF_TOLERANCE,
    PLATFORM_CASES,
    SKIPPED_CASES,
    SOURCE_OF_FORMAT,
    App,
    BenchError,
    GeneratedBook,
    Label,
)
from cashapp.bench.quality.report import (
    CaseRow,
    Mismatch,
    PaymentOutcome,
    QualityReport,
    combine,
)
from cashapp.bench.quality.runner import main, run_quality_bench
from cashapp.bench.quality.writing import write_book

__all__ = [
    "DAY1",
    "DAY2",
    "DAYS",
    "DEFAULT_WRITE_OFF_TOLERANCE",
    "PLATFORM_CASES",
    "SKIPPED_CASES",
    "SOURCE_OF_FORMAT",
    "App",
    "BenchError",
    "CaseRow",
    "GeneratedBook",
    "Label",
    "Mismatch",
    "PaymentOutcome",
    "QualityReport",
    "combine",
    "main",
    "run_quality_bench",
    "write_book",
]
