"""``cashapp bench quality|speed|fuzz``: the benchmarks, and the targets they must meet.

Why a module of its own: the benchmarks are imported only when run (they are large), and
their exit codes are CI's: 1 when a quality target is missed or the fuzzer crashed.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cashapp.cli.output import OutputFormat, err, out, print_rows
from cashapp.cli.state import EXIT_PROBLEMS, fail

if TYPE_CHECKING:
    from cashapp.bench.speed import SpeedReport

QUALITY_TARGETS = {"precision": 0.999, "auto_match_rate": 0.95}
FLAGS_THAT_MUST_NOT_BE_MISSED = ("short_payment", "over_payment", "ach_return", "chargeback")


def bench_quality(
    seeds: Annotated[int, typer.Option(help="Books to generate (seeds 1..N).")] = 20,
    per_case: Annotated[int, typer.Option(help="Payments per case and seed (1-6).")] = 6,
    workdir: Annotated[Path, typer.Option(help="Where books and databases go.")] = Path(
        "var/bench"
    ),
) -> None:
    """Labelled books in every bank format through ingest and match: precision, recall.

    Exits 1 if precision < 99.9 %, the auto-match rate < 95 % of the payments a careful
    person could apply, or any short/over payment, return or chargeback flag is missed.
    """
    from cashapp.bench.quality import combine, run_quality_bench

    if seeds < 1 or not 1 <= per_case <= 6:
        fail("--seeds must be >= 1 and --per-case 1..6")
    reports = [
        run_quality_bench(workdir, seed=seed, per_case=per_case) for seed in range(1, seeds + 1)
    ]
    report = combine(reports)
    out.print(report.render(), highlight=False, markup=False)
    missed = [
        f"{name} {getattr(report, name):.4f} < {target}"
        for name, target in QUALITY_TARGETS.items()
        if getattr(report, name) < target
    ]
    for flag in FLAGS_THAT_MUST_NOT_BE_MISSED:
        recall = report.recall(flag)
        if recall is not None and recall < 1:
            missed.append(f"{flag} recall {recall:.4f} < 1")
    if missed:
        err.print(f"[bold red]targets missed:[/] {'; '.join(missed)}", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS)


def bench_speed(
    payments: Annotated[int, typer.Option(help="Incoming payments.")] = 100_000,
    invoices: Annotated[int, typer.Option(help="Open invoices (>= payments).")] = 200_000,
    customers: Annotated[int, typer.Option(help="Customers.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 1,
    workdir: Annotated[Path, typer.Option(help="Where files and the database go.")] = Path(
        "var/bench/speed"
    ),
    runs: Annotated[
        int, typer.Option(help="Timed runs on the same files, each on a fresh database.")
    ] = 1,
) -> None:
    """Generate bank files for a large book, time import, ingest and match, report peak
    memory; with --runs N, each stage's min / median / max over N runs."""
    from cashapp.bench.speed import WHOLE_DAY, run_speed_bench

    try:
        report = run_speed_bench(
            workdir, payments=payments, invoices=invoices, customers=customers, seed=seed,
            runs=runs,
        )  # fmt: skip
    except ValueError as exc:
        fail(str(exc))
    if runs > 1:
        _print_spread(report)
        return
    rows = [
        (
            s.stage,
            f"{s.seconds:.2f}",
            s.rows,
            f"{s.rows / s.seconds:,.0f}" if s.rows else "",
            f"{s.peak_rss_mb:,.0f}",
        )
        for s in report.stages
    ]
    total = report.ingest_and_match_seconds
    rows.append(
        (
            "ingest + match + checkpoint",
            f"{total:.2f}",
            payments,
            f"{payments / total:,.0f}",
            f"{report.peak_rss_mb:,.0f}",
        )
    )
    day = sum(report.totals(WHOLE_DAY))
    rows.append(
        (
            "whole day (import + ingest + match + checkpoint)",
            f"{day:.2f}",
            payments,
            f"{payments / day:,.0f}",
            f"{report.peak(WHOLE_DAY):,.0f}",
        )
    )
    title = f"{payments:,} payments, {invoices:,} invoices, {customers:,} customers"
    print_rows(
        ("stage", "seconds", "rows", "rows/s", "peak RSS MB"), rows, OutputFormat.table, title
    )
    print_rows(
        ("match stage", "seconds"),
        list(report.match_stages.items()),
        OutputFormat.table,
        title=f"match: {report.applied:,} applied, {report.exceptions:,} exceptions",
    )


def _spread(values: list[float]) -> tuple[str, str, str]:
    ordered = sorted(values)
    return f"{ordered[0]:.2f}", f"{statistics.median(ordered):.2f}", f"{ordered[-1]:.2f}"


def _print_spread(report: SpeedReport) -> None:
    """Each stage's min / median / max over the runs, and its highest peak RSS."""
    from cashapp.bench.speed import END_TO_END, WHOLE_DAY

    generate = report.stages[0]
    rows: list[tuple[str, ...]] = [
        (generate.stage, f"{generate.seconds:.2f}", "", "", f"{generate.peak_rss_mb:,.0f}")
    ]
    for stage in WHOLE_DAY:
        seconds = [s.seconds for run in report.runs for s in run if s.stage == stage]
        rows.append((stage, *_spread(seconds), f"{report.peak((stage,)):,.0f}"))
    for label, stages in (
        ("ingest + match + checkpoint", END_TO_END),
        ("whole day (import + ingest + match + checkpoint)", WHOLE_DAY),
    ):
        rows.append((label, *_spread(report.totals(stages)), f"{report.peak(stages):,.0f}"))
    title = (
        f"{report.payments:,} payments, {report.invoices:,} invoices,"
        f" {report.customers:,} customers: {len(report.runs)} runs"
    )
    print_rows(
        ("stage", "min s", "median s", "max s", "peak RSS MB"), rows, OutputFormat.table, title
    )
    names = list(report.match_runs[0])
    print_rows(
        ("match stage", "min s", "median s", "max s"),
        [(n, *_spread([m.get(n, 0.0) for m in report.match_runs])) for n in names],
        OutputFormat.table,
        title=f"match: {report.applied:,} applied, {report.exceptions:,} exceptions (each run)",
    )


def bench_fuzz(
    parser: Annotated[
        list[str] | None, typer.Option(help="A parser to fuzz (repeatable); default all.")
    ] = None,
    executions: Annotated[int, typer.Option(help="Executions per parser.")] = 1_000_000,
    seconds: Annotated[int, typer.Option(help="Time limit per parser, seconds.")] = 3600,
    out: Annotated[Path, typer.Option(help="Where crashing inputs are written.")] = Path(
        "var/bench/fuzz"
    ),
    seed: Annotated[int, typer.Option(help="libFuzzer's random seed.")] = 1,
    jobs: Annotated[int, typer.Option(help="Parsers fuzzed at once (one core each).")] = 1,
) -> None:
    """Fuzz every parser with atheris: only a clean refusal or valid records may come out.

    Prints executions, distinct crashes, seconds and exec/s per parser; each crash's input
    and traceback go to ``--out``. Exits 1 on any crash.
    """
    from cashapp.bench.fuzz import PARSERS, run_fuzz

    chosen = tuple(parser or PARSERS)
    unknown = [p for p in chosen if p not in PARSERS]
    if unknown:
        fail(f"unknown parser {unknown[0]!r}; known: {', '.join(PARSERS)}")
    if executions < 1 or seconds < 1 or jobs < 1:
        fail("--executions, --seconds and --jobs must be at least 1")
    try:
        import atheris  # noqa: F401
    except ImportError:
        fail("bench fuzz needs atheris: pip install -e '.[dev]'")
    outcomes = run_fuzz(
        chosen, executions=executions, seconds=seconds, out=out, seed=seed, jobs=jobs
    )
    rows = [
        (o.parser, o.executions, len(o.crashes), f"{o.seconds:.1f}", f"{o.per_second:,.0f}")
        for o in outcomes
    ]
    print_rows(("parser", "executions", "crashes", "seconds", "exec/s"), rows, OutputFormat.table)
    crashes = [(o.parser, c) for o in outcomes for c in o.crashes]
    for name, crash in crashes:
        err.print(
            f"crash: {name}: {crash.kind} at {crash.where}: {crash.message} ({crash.input_file})",
            highlight=False,
            markup=False,
        )
    if crashes:
        raise typer.Exit(EXIT_PROBLEMS)
