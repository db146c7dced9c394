"""Scoring one book: read what the matcher left in the store and hold it to the labels.

Each label finds its record by ``(source, source_ref, kind)``; a stored record of a kind
the book must explain that no label claims is reported as unlabelled (a bench bug, not a
matcher's). The active applications, every exception raised (closed ones too: raising it
was right, and a won dispute's is closed by the matcher itself) and the kind and status
each record ended in make its :class:`~.report.PaymentOutcome`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from cashapp.bench.quality.labels import App, GeneratedBook, Label
from cashapp.bench.quality.report import (
    Mismatch,
    PaymentOutcome,
    QualityReport,
    apps_text,
    describe,
)
from cashapp.ingest import FileOutcome
from cashapp.matching.model import EXCEPTION_TYPES
from cashapp.money import quantize
from cashapp.store import Store

#: Kinds of stored records every one of which the book must explain (fees, bank charges
#: and other movements are not the matcher's to decide).
_LABELLED_KINDS: Final = frozenset(
    {"payment", "return", "settlement", "chargeback", "refund", "dispute_reversal"}
)
#: (payment id, kind, status) of a stored record
_Stored = tuple[str, str, str]


def _stored_payments(
    store: Store, labels: Sequence[Label]
) -> tuple[dict[tuple[str, str, str], _Stored], list[str]]:
    """Each label's record in the store, and the records no label explains.

    A bank deposit labelled ``settlement`` that the matcher did not recognise is still a
    ``payment``: it is found under that kind, so the outcome shows what went wrong (and
    counts against precision if it was applied to invoices) instead of "not ingested".
    """
    rows: dict[tuple[str, str], dict[str, _Stored]] = defaultdict(dict)
    for pid, source, ref, kind, status in store.fetchall(
        "SELECT payment_id, source, source_ref, kind, status FROM payments ORDER BY payment_id"
    ):
        rows[(source, ref)][kind] = (pid, kind, status)
    found: dict[tuple[str, str, str], _Stored] = {}
    for label in labels:
        kinds = rows.get((label.source, label.source_ref), {})
        hit = kinds.get(label.kind) or (
            kinds.get("payment") if label.kind == "settlement" else None
        )
        if hit:
            found[(label.source, label.source_ref, label.kind)] = hit
    claimed = {hit[0] for hit in found.values()}
    unlabelled = [
        f"unlabelled {kind} {pid} {source} {ref} ({status})"
        for (source, ref), kinds in rows.items()
        for pid, kind, status in kinds.values()
        if kind in _LABELLED_KINDS and pid not in claimed
    ]
    return found, unlabelled


def _active_applications(store: Store) -> dict[str, list[tuple[App, str]]]:
    apps: dict[str, list[tuple[App, str]]] = defaultdict(list)
    for pid, invoice, amount, currency, kind, rule in store.fetchall(
        "SELECT payment_id, invoice_number, amount, currency, kind, rule FROM applications"
        " WHERE status = 'active' ORDER BY application_id"
    ):
        apps[pid].append(((invoice, quantize(amount, currency), kind), rule))
    return apps


def _raised_exceptions(store: Store) -> dict[str, list[tuple[str, str, str, str]]]:
    """(type, detail, status, reason code) of every exception raised, by payment; closed
    ones too: raising it was right, and a won dispute's is closed by the matcher itself."""
    exceptions: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for pid, kind, detail, status, reason in store.fetchall(
        "SELECT payment_id, type, detail, status, coalesce(reason_code, '') FROM exceptions"
        " ORDER BY exception_id"
    ):
        exceptions[pid].append((kind, detail, status, reason))
    return exceptions


def _outcome(
    label: Label,
    stored: _Stored | None,
    apps: Mapping[str, list[tuple[App, str]]],
    exceptions: Mapping[str, list[tuple[str, str, str, str]]],
) -> PaymentOutcome:
    pid, kind, status = stored or ("", "", "")
    ordered = sorted(apps.get(pid, []), key=lambda a: (a[0][0] or "", a[0][2], a[0][1]))
    raised = sorted(exceptions.get(pid, []))
    return PaymentOutcome(
        label,
        pid,
        tuple(a for a, _ in ordered),
        tuple(r for _, r in ordered),
        tuple(t for t, _, _, _ in raised),
        tuple(f"{t}{f' ({r})' if r else ''}: {d}" for t, d, _, r in raised),
        kind,
        status,
        tuple(t for t, _, state, _ in raised if state == "resolved"),
        tuple(r for _, _, _, r in raised if r),
    )


def _got(o: PaymentOutcome) -> str:
    """What the matcher left on a payment, in the words of :func:`_describe`."""
    if not o.found:
        return "payment not in the store (file refused or not written)"
    got = apps_text(o.applications, o.rules) + f"; exceptions {{{', '.join(o.exceptions)}}}"
    if o.resolved:
        got += f", resolved {{{', '.join(o.resolved)}}}"
    return got + f"; {o.kind} {o.status}"


def score(
    store: Store,
    book: GeneratedBook,
    seed: int,
    files: Sequence[FileOutcome],
) -> QualityReport:
    stored, unlabelled = _stored_payments(store, book.labels)
    apps = _active_applications(store)
    exceptions = _raised_exceptions(store)
    outcomes = [
        _outcome(label, stored.get((label.source, label.source_ref, label.kind)), apps, exceptions)
        for label in book.labels
    ]

    mismatches = []
    for o in outcomes:
        if o.correct:
            continue
        got = _got(o)
        mismatches.append(
            Mismatch(
                o.label.case,
                o.label.fmt,
                o.payment_id,
                o.label.source_ref,
                o.label.amount,
                o.label.currency,
                describe(o.label),
                got,
                " | ".join(o.details),
                o.label.note,
            )
        )

    counts = []
    for name in EXCEPTION_TYPES:
        labelled = [o for o in outcomes if name in o.label.exceptions]
        counts.append((name, len(labelled), sum(name in o.exceptions for o in labelled)))
    applicable = [o for o in outcomes if o.label.applicable]
    lines = [o.lines() for o in applicable]
    auto = [o for o in outcomes if o.applied]
    return QualityReport(
        seed=seed,
        payments=len(outcomes),
        auto_applied=len(auto),
        auto_applied_correct=sum(o.applications_ok for o in auto),
        applicable=len(applicable),
        applicable_correct=sum(o.applications_ok for o in applicable),
        lines_applicable=sum(n for n, _ in lines),
        lines_correct=sum(k for _, k in lines),
        exception_counts=tuple(counts),
        outcomes=tuple(outcomes),
        mismatches=tuple(mismatches),
        skipped_cases=book.skipped_cases,
        files=tuple((Path(f.path).name, f.status, f.records, f.reason) for f in files),
        unlabelled=tuple(unlabelled),
    )
