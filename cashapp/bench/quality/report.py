"""The bench's numbers: each payment's outcome against its label, the per-case table,
the report as text, and several seeds' reports combined.

What is measured (:class:`QualityReport`):

* **precision** -- of the payments the matcher applied automatically (at least one active
  application), the share whose active applications are exactly the labelled ones. This is
  the number that must stay at 1: it counts the wrong applications.
* **auto-match rate** -- of the payments a careful person could apply from what the bank
  file says, the share applied exactly as labelled (header level); and of their invoice
  lines, the share whose applications are exactly as labelled (line level).
* **exception recall** per type -- of the payments labelled with an exception type, the
  share for which the matcher raised it. A payment counts as correct only with exactly the
  labelled exceptions, and -- where the label says -- the kind and status it must end in
  (a payout deposit: ``settlement``, ``reconciled``), the exceptions the matcher must
  have closed itself, and the reason code.
* a **per-case table** and the list of **mismatches** (payment, case, expected, got and
  the matcher's own explanation), so a failing number points at a fixable case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cashapp.bench.quality.labels import App, Label, sorted_apps


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """One labelled payment and what the matcher left on it after the run."""

    label: Label
    payment_id: str  # "" when the payment never reached the store
    applications: tuple[App, ...]  # active applications, sorted like the label's
    rules: tuple[str, ...]  # the rule behind each active application, in the same order
    exceptions: tuple[str, ...]  # types of the exceptions raised on it, sorted
    details: tuple[str, ...]  # the matcher's explanation of each exception
    kind: str = ""  # after the run: a bank credit recognised as a payout is a settlement
    status: str = ""
    resolved: tuple[str, ...] = ()  # types of its exceptions the matcher closed itself
    reason_codes: tuple[str, ...] = ()  # of its exceptions

    @property
    def found(self) -> bool:
        return bool(self.payment_id)

    @property
    def state_ok(self) -> bool:
        """Kind and (where labelled) status as labelled: a payout deposit is a settlement
        and tied, not a payment left waiting."""
        status_ok = not self.label.status or self.status == self.label.status
        return self.found and self.kind == self.label.kind and status_ok

    @property
    def applied(self) -> bool:
        """The matcher applied cash automatically (the precision denominator)."""
        return bool(self.applications)

    @property
    def applications_ok(self) -> bool:
        return self.found and self.applications == self.label.applications

    @property
    def exceptions_ok(self) -> bool:
        reason = self.label.reason_code
        return (
            self.found
            and self.label.accepts(self.exceptions)
            and frozenset(self.resolved) == self.label.resolved
            and (not reason or reason in self.reason_codes)
        )

    @property
    def correct(self) -> bool:
        return self.applications_ok and self.exceptions_ok and self.state_ok

    def lines(self) -> tuple[int, int]:
        """(invoice lines labelled, lines applied exactly as labelled)."""
        expected = _by_invoice(self.label.applications)
        got = _by_invoice(self.applications)
        return len(expected), sum(1 for n, apps in expected.items() if got.get(n) == apps)


def _by_invoice(apps: Iterable[App]) -> dict[str, tuple[App, ...]]:
    out: dict[str, list[App]] = defaultdict(list)
    for app in apps:
        if app[0] is not None:
            out[app[0]].append(app)
    return {k: sorted_apps(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the per-case table."""

    case: str
    formats: tuple[str, ...]
    n: int
    correct: int
    wrong_applications: int  # payments with active applications other than the labelled
    exceptions_as_expected: int
    expected: str  # what the case expects, in words
    status: str = ""  # "skipped: ..." for cases the book cannot contain yet


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A payment whose outcome differs from its label, with what is needed to debug it."""

    case: str
    fmt: str
    payment_id: str
    source_ref: str
    amount: Decimal
    currency: str
    expected: str
    got: str
    detail: str  # the matcher's exception details, the rules it applied with
    note: str  # what the generator knows about the case instance


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The bench's numbers for one seed; ratios are floats, counts and money exact."""

    seed: int
    payments: int  # labelled payments
    auto_applied: int  # ... the matcher applied (at least one active application)
    auto_applied_correct: int  # ... of those, exactly as labelled
    applicable: int  # labelled payments a careful person could apply
    applicable_correct: int  # ... the matcher applied exactly as labelled
    lines_applicable: int  # invoice lines of the applicable payments
    lines_correct: int  # ... applied exactly as labelled
    exception_counts: tuple[tuple[str, int, int], ...]  # (type, labelled, raised)
    outcomes: tuple[PaymentOutcome, ...]
    mismatches: tuple[Mismatch, ...]
    skipped_cases: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str, int, str], ...]  # (file, status, records, reason)
    unlabelled: tuple[str, ...]  # payments in the store no label explains (a bench bug)
    seeds: tuple[int, ...] = ()  # the books combined (:func:`combine`); () = just ``seed``

    @property
    def precision(self) -> float:
        """Share of auto-applied payments applied exactly as labelled (1.0 if none)."""
        return _ratio(self.auto_applied_correct, self.auto_applied)

    @property
    def auto_match_rate(self) -> float:
        """Header level: applicable payments applied exactly as labelled."""
        return _ratio(self.applicable_correct, self.applicable)

    @property
    def line_match_rate(self) -> float:
        """Line level: invoice lines of applicable payments applied exactly as labelled."""
        return _ratio(self.lines_correct, self.lines_applicable)

    def recall(self, exception_type: str) -> float | None:
        """Share of payments labelled with ``exception_type`` that got it; None if none."""
        for name, labelled, raised in self.exception_counts:
            if name == exception_type and labelled:
                return raised / labelled
        return None

    @property
    def refused_files(self) -> tuple[str, ...]:
        return tuple(
            f"{name}: {reason}" for name, status, _, reason in self.files if status == "refused"
        )

    def case_rows(self) -> list[CaseRow]:
        """The per-case table, in the order the cases were generated, skipped ones last."""
        grouped: dict[str, list[PaymentOutcome]] = defaultdict(list)
        for outcome in self.outcomes:
            grouped[outcome.label.case].append(outcome)
        rows = []
        for case, outcomes in grouped.items():
            rows.append(
                CaseRow(
                    case,
                    tuple(sorted({o.label.fmt for o in outcomes})),
                    len(outcomes),
                    sum(o.correct for o in outcomes),
                    sum(o.applied and not o.applications_ok for o in outcomes),
                    sum(o.exceptions_ok for o in outcomes),
                    " / ".join(dict.fromkeys(_expectation(o.label) for o in outcomes)),
                )
            )
        rows += [CaseRow(case, (), 0, 0, 0, 0, "", status) for case, status in self.skipped_cases]
        return rows

    def _books(self) -> str:
        if len(self.seeds) > 1:
            return f"{len(self.seeds)} books (seeds {min(self.seeds)}-{max(self.seeds)})"
        return f"seed {self.seed}"

    def render(self) -> str:
        """The report as text: headline numbers, recall, the case table, the mismatches."""
        out = [
            f"matching quality bench, {self._books()}: {self.payments} labelled payments",
            f"  precision        {self.precision:.4f}  "
            f"({self.auto_applied_correct}/{self.auto_applied} auto-applied payments as labelled)",
            f"  auto-match rate  {self.auto_match_rate:.4f}  "
            f"({self.applicable_correct}/{self.applicable} applicable payments, header level)",
            f"  line match rate  {self.line_match_rate:.4f}  "
            f"({self.lines_correct}/{self.lines_applicable} invoice lines)",
            "",
            "exception recall (type: raised/labelled)",
        ]
        for name, labelled, raised in self.exception_counts:
            if labelled:
                out.append(f"  {name:<20} {raised}/{labelled}  {raised / labelled:.2f}")
        out += [
            "",
            f"{'case':<26} {'n':>3} {'ok':>3} {'wrong':>5} {'exc ok':>6}  formats / expected",
        ]
        for row in self.case_rows():
            if row.status:
                out.append(f"{row.case:<26} {'-':>3} {'-':>3} {'-':>5} {'-':>6}  {row.status}")
                continue
            out.append(
                f"{row.case:<26} {row.n:>3} {row.correct:>3} {row.wrong_applications:>5} "
                f"{row.exceptions_as_expected:>6}  {', '.join(row.formats)} -> {row.expected}"
            )
        for problem in (*self.refused_files, *self.unlabelled):
            out.append(f"PROBLEM: {problem}")
        if self.mismatches:
            out += ["", f"mismatches ({len(self.mismatches)})"]
            for m in self.mismatches:
                out += [
                    f"- [{m.case}] {m.fmt} {m.source_ref} ({m.payment_id or 'not ingested'}) "
                    f"{m.amount} {m.currency}",
                    f"    expected: {m.expected}",
                    f"    got:      {m.got}",
                ]
                if m.detail:
                    out.append(f"    matcher:  {m.detail}")
                if m.note:
                    out.append(f"    note:     {m.note}")
        return "\n".join(out)


def combine(reports: Sequence[QualityReport]) -> QualityReport:
    """Several seeds' reports as one: counts add up, outcomes and mismatches concatenate.

    One seed's book holds a handful of payments per case; precision to 99.9 % needs
    thousands of decisions, so ``cashapp bench quality`` runs many seeds and combines them.
    """
    if not reports:
        raise ValueError("no reports to combine")
    labelled: dict[str, int] = defaultdict(int)
    raised: dict[str, int] = defaultdict(int)
    order: list[str] = []
    for report in reports:
        for name, n_labelled, n_raised in report.exception_counts:
            if name not in order:
                order.append(name)
            labelled[name] += n_labelled
            raised[name] += n_raised
    return QualityReport(
        seed=reports[0].seed,
        payments=sum(r.payments for r in reports),
        auto_applied=sum(r.auto_applied for r in reports),
        auto_applied_correct=sum(r.auto_applied_correct for r in reports),
        applicable=sum(r.applicable for r in reports),
        applicable_correct=sum(r.applicable_correct for r in reports),
        lines_applicable=sum(r.lines_applicable for r in reports),
        lines_correct=sum(r.lines_correct for r in reports),
        exception_counts=tuple((n, labelled[n], raised[n]) for n in order),
        outcomes=tuple(o for r in reports for o in r.outcomes),
        mismatches=tuple(m for r in reports for m in r.mismatches),
        skipped_cases=reports[0].skipped_cases,
        files=tuple(f for r in reports for f in r.files),
        unlabelled=tuple(u for r in reports for u in r.unlabelled),
        seeds=tuple(r.seed for r in reports),
    )


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def apps_text(apps: Sequence[App], rules: Sequence[str] = ()) -> str:
    if not apps:
        return "no application"
    parts = []
    for n, (invoice, amount, kind) in enumerate(apps):
        rule = f" ({rules[n]})" if n < len(rules) else ""
        parts.append(f"{invoice or 'on account'} {amount} {kind}{rule}")
    return "apply " + ", ".join(parts)


def _expectation(label: Label) -> str:
    exceptions = " or ".join(
        "+".join(sorted(s)) for s in (label.exceptions, *label.alternatives) if s
    )
    if label.resolved:
        exceptions += " (closed by the matcher)"
    if label.kind == "settlement":
        return f"settlement {label.status}".strip() + (f" + {exceptions}" if exceptions else "")
    if label.applications and exceptions:
        return f"apply + {exceptions}"
    if label.applications:
        return "apply"
    return exceptions or "nothing active"


def describe(label: Label) -> str:
    text = apps_text(label.applications)
    options = [sorted(s) for s in (label.exceptions, *label.alternatives)]
    raised = " or ".join("{" + ", ".join(o) + "}" for o in options)
    out = f"{text}; exceptions {raised or '{}'}"
    if label.resolved:
        out += f", resolved {{{', '.join(sorted(label.resolved))}}}"
    if label.reason_code:
        out += f" with reason {label.reason_code}"
    return out + f"; {label.kind} {label.status or '(any status)'}"
