"""Fuzzing every parser: nothing may come out of a connector but a refusal or valid records.

Design note. Each parser is a *target*: a function from bytes to a result, plus an oracle.
``connector.extract(data, name, context)`` must either raise :class:`FileRefused` or return
records that ingest would store (:func:`cashapp.ingest.validate.validate_record`, a real
``date``, a ``Decimal`` amount). Any other exception, a record that fails validation, a hang
or a memory blow-up is a *crash*. The connector is called directly, not through
``extract_file``: its blanket ``except Exception`` turns bugs into refusals, which is the
safety net we want in production and exactly what would hide them here.

The engine is atheris (libFuzzer, coverage-guided). libFuzzer owns its process and ends it
when done, so every parser runs in a worker process of its own
(``python -m cashapp.bench.fuzz PARSER ...``), with libFuzzer's per-input ``-timeout``
and ``-rss_limit_mb`` for hangs and memory. Python exceptions are caught in the worker, so
one run finds every distinct crash (type plus the innermost frame of our code) instead of
stopping at the first; each is written once to the crash folder with its traceback.

Seeds are the project's fixtures, inputs built with our writers, and -- read at run time,
never copied into the repository -- ``../shared/conformance`` and its ``peer/files``. The
mutator mixes libFuzzer's byte-level mutations with the damage real files suffer: lines
cut, dropped, repeated or spliced from another seed, digits, signs and currencies changed,
and for JSON targets values swapped for ones of another type.

Worked example::

    $ cashapp bench fuzz --parser plaid --executions 20000
    parser  executions  crashes  seconds  exec/s
    plaid        20000        0     14.1   1,418

Seeds live in :mod:`cashapp.bench.fuzz_seeds`, mutations in :mod:`cashapp.bench.fuzz_mutate`.
These three modules import only the standard library at the top: atheris instruments
modules as they are imported, so the connectors must be imported after it starts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cashapp.bench.fuzz_mutate import Mutator, lines_of
from cashapp.bench.fuzz_seeds import FIXTURES, MAX_LEN, seeds

#: Every fuzzed parser, in the order a full run takes them. ``x12_820`` is the X12 820
#: remittance parser NACHA CTX addenda go through, fuzzed on its own as well.
PARSERS: Final = (
    "bai2",
    "nacha",
    "x12_820",
    "camt",
    "mt940",
    "ofx",
    "csv",
    "stripe",
    "stripe_api",
    "plastiq",
    "plaid",
)

#: Per-input limits: a parse slower or bigger than this on a fuzz input is a crash. The
#: time is wall-clock and the parsers run instrumented (several times slower) on shared
#: cores, so it is set well above the 0.1 s the largest seed takes uninstrumented: a 2 s
#: limit reported a 31 kB MT940 statement that parses in 0.11 s alone.
TIMEOUT_SECONDS: Final = 10
RSS_LIMIT_MB: Final = 2048

_REPO: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Crash:
    """One distinct crash: what went wrong, where, and the input saved for it."""

    signature: str
    kind: str  # the exception type, "invalid record", "timeout" or "out of memory"
    message: str
    where: str
    input_file: str


@dataclass(frozen=True, slots=True)
class FuzzOutcome:
    """What one parser's run did."""

    parser: str
    executions: int
    seconds: float
    crashes: tuple[Crash, ...]

    @property
    def per_second(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True, slots=True)
class Target:
    """A parser under test: run it on bytes; ``check`` names what is wrong with its output."""

    name: str
    run: Callable[[bytes], object]
    check: Callable[[object], str | None]


def _csv_context() -> Any:
    import tomllib

    from connectors.base import ExtractContext

    profiles: dict[str, Any] = {}
    for path in sorted(FIXTURES.glob("csv/*/profile.toml")):
        profiles.update(tomllib.loads(path.read_text(encoding="utf-8"))["sources"]["csv"])
    return ExtractContext(sources={"csv": profiles})


def check_extract(result: object) -> str | None:
    """What ingest would refuse in a connector's result, or ``None`` when it is valid.

    A result that carries an error issue is refused whole by ingest, so its records are
    not looked at (that is a clean refusal).
    """
    from datetime import date, datetime
    from decimal import Decimal

    from cashapp.domain import KINDS, FileRefused, Issue, PaymentRecord
    from cashapp.ingest.validate import validate_record
    from connectors.base import ExtractResult

    if not isinstance(result, ExtractResult):
        return f"extract returned {type(result).__name__}, not an ExtractResult"
    if not all(isinstance(i, Issue) and i.severity in ("warning", "error") for i in result.issues):
        return "an issue that is not a warning or an error"
    if any(i.severity == "error" for i in result.issues):
        return None
    records: tuple[object, ...] = result.records  # a buggy connector breaks its types
    for record in records:
        if not isinstance(record, PaymentRecord):
            return f"a record of type {type(record).__name__}"
        where = record.location or "a record"
        amount: object = record.amount
        day: object = record.value_date
        if not isinstance(amount, Decimal) or not amount.is_finite():
            return f"{where}: amount {amount!r} is not a finite Decimal"
        if not isinstance(day, date) or isinstance(day, datetime):
            return f"{where}: value_date {day!r} is not a date"
        if record.kind not in KINDS:
            return f"{where}: unknown kind {record.kind!r}"
        try:
            validate_record(record)
        except FileRefused as exc:
            return f"ingest would refuse a returned record: {exc.reason} ({exc.location})"
    return None


def check_820(result: object) -> str | None:
    """The 820 parser never raises; its lines carry a reference and exact amounts."""
    from decimal import Decimal

    from connectors.nacha.x12_820 import Remittance820

    if not isinstance(result, Remittance820):
        return f"parse_820 returned {type(result).__name__}"
    for line in result.lines:
        if not line.reference:
            return "a remittance line without a reference"
        for amount in (line.paid, line.invoice_total, line.discount):
            if amount is not None and not (isinstance(amount, Decimal) and amount.is_finite()):
                return f"remittance amount {amount!r} is not a finite Decimal"
    return None


def target(parser: str) -> Target:
    """The fuzz target for ``parser`` (imports the connectors: call after instrumenting)."""
    from connectors import load_builtin
    from connectors.base import ExtractContext, decode_text
    from connectors.nacha.x12_820 import parse_820

    if parser == "x12_820":
        return Target(parser, lambda data: parse_820(decode_text(data), "USD"), check_820)
    connectors = load_builtin()
    context = _csv_context() if parser == "csv" else ExtractContext()
    if parser == "camt":
        camt053, camt054 = connectors["camt053"], connectors["camt054"]

        def run_camt(data: bytes) -> object:
            # the two camt connectors share one parser; the name picks the message
            chosen = camt054 if b"camt.054" in data[:4096] else camt053
            return chosen.extract(data, "statement.xml", context)

        return Target(parser, run_camt, check_extract)
    connector = connectors[parser]
    filename = {"plaid": "plaid.json", "stripe_api": "stripe.json"}.get(parser, f"in.{parser}")

    def run(data: bytes) -> object:
        return connector.extract(data, filename, context)

    return Target(parser, run, check_extract)


# --------------------------------------------------------------------------- worker


_NOISE: Final = re.compile(r"'[^']*'|\"[^\"]*\"|[\d.,+-]+")


def _signature(exc: BaseException) -> tuple[str, str]:
    """Type and innermost frame of our code: two inputs with the same one are one crash."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [
        f for f in frames if ("/connectors/" in f.filename or "/cashapp/" in f.filename)
        and not f.filename.endswith("bench/fuzz.py")
    ]  # fmt: skip
    chosen = ours or frames
    where = f"{Path(chosen[-1].filename).name}:{chosen[-1].lineno}" if chosen else "?"
    return type(exc).__name__, where


def classify(fuzz_target: Target, data: bytes) -> tuple[str, str, str, str] | None:
    """``(kind, where, message, detail)`` of what ``data`` makes go wrong, or ``None``
    when the parser refuses it cleanly or returns valid records."""
    from cashapp.domain import FileRefused

    try:
        result = fuzz_target.run(data)
    except FileRefused:
        return None
    except Exception as exc:  # any other exception is what we are looking for
        kind, where = _signature(exc)
        return kind, where, str(exc)[:300], traceback.format_exc()
    problem = fuzz_target.check(result)
    if problem is None:
        return None
    # one bug, many amounts and places: the signature keeps only the words
    words = _NOISE.sub("_", problem.split(" (")[0])[:120]
    return "invalid record", words, problem[:300], problem


def minimise(fuzz_target: Target, data: bytes, *, budget: int = 20_000) -> bytes:
    """The shortest input found that fails the same way as ``data`` (delta debugging:
    drop ever smaller runs of lines, then of bytes, while the crash stays the same)."""
    first = classify(fuzz_target, data)
    if first is None:
        return data
    same = first[:2]
    tries = 0

    def still(candidate: bytes) -> bool:
        nonlocal tries
        tries += 1
        found = classify(fuzz_target, candidate)
        return found is not None and found[:2] == same

    for split in (lines_of, lambda d: [d[i : i + 1] for i in range(len(d))]):
        parts = split(data)
        size = max(len(parts) // 2, 1)
        while size >= 1 and tries < budget:
            at, shrunk = 0, False
            while at < len(parts) and tries < budget:
                candidate = parts[:at] + parts[at + size :]
                if candidate and still(b"".join(candidate)):
                    parts, shrunk = candidate, True
                else:
                    at += size
            if not shrunk:
                size //= 2
        data = b"".join(parts)
    return data


class Worker:
    """The test function libFuzzer calls: runs the target, records distinct crashes."""

    def __init__(self, target: Target, out: Path, stats: Path) -> None:
        self.target = target
        self.out = out
        self.stats = stats
        self.executions = 0
        self.crashes: dict[str, dict[str, str]] = {}
        self.started = time.monotonic()
        self.flushed = self.started

    def __call__(self, data: bytes) -> None:
        self.executions += 1
        found = classify(self.target, data)
        if found is not None:
            self._record(data, *found)
        if time.monotonic() - self.flushed > 1.0:
            self.flush()

    def _record(self, data: bytes, kind: str, where: str, message: str, detail: str) -> None:
        signature = hashlib.sha256(f"{kind}|{where}".encode()).hexdigest()[:12]
        if signature in self.crashes:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        stem = self.out / f"{self.target.name}-{signature}"
        stem.with_suffix(".bin").write_bytes(data)
        stem.with_suffix(".txt").write_text(f"{kind} at {where}\n\n{detail}\n", encoding="utf-8")
        self.crashes[signature] = {
            "signature": signature,
            "kind": kind,
            "message": message,
            "where": where,
            "input_file": str(stem.with_suffix(".bin")),
        }
        self.flush()

    def flush(self) -> None:
        self.flushed = time.monotonic()
        state = {
            "executions": self.executions,
            "seconds": self.flushed - self.started,
            "crashes": list(self.crashes.values()),
        }
        tmp = self.stats.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        tmp.replace(self.stats)


def max_len(corpus: list[bytes]) -> int:
    """Longest input libFuzzer may build: twice the longest seed, within [1 kB, MAX_LEN].

    The parsers are linear but Python is slow per byte: an X12 payload grown from 300 bytes
    to 12 kB ran at 47 executions a second instead of several hundred, and found nothing
    the short ones did not."""
    longest = max((len(data) for data in corpus), default=0)
    return min(MAX_LEN, max(1024, 2 * longest))


def _worker_main(argv: list[str]) -> None:
    """Entry point of one parser's worker process (see the module note)."""
    import atheris

    parser = argparse.ArgumentParser(prog="python -m cashapp.bench.fuzz")
    parser.add_argument("parser", choices=PARSERS)
    parser.add_argument("--executions", type=int, required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    # atheris selects by top-level package: every connector and every cashapp module the
    # oracle imports (money, ingest) from here on is instrumented for coverage
    with atheris.instrument_imports(include=["connectors", "cashapp"]):
        import cashapp.ingest  # noqa: F401  (instrumented import)
        import connectors  # noqa: F401

    fuzz_target = target(args.parser)
    corpus_dir = args.work / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    corpus = seeds(args.parser)
    for data in corpus:
        (corpus_dir / hashlib.sha1(data).hexdigest()).write_bytes(data)  # noqa: S324
    worker = Worker(fuzz_target, args.out, args.work / "stats.json")
    worker.flush()
    libfuzzer = [
        "cashapp-fuzz",
        f"-runs={args.executions}",
        f"-max_total_time={args.seconds}",
        f"-timeout={TIMEOUT_SECONDS}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={max_len(corpus)}",
        f"-seed={args.seed}",
        f"-artifact_prefix={args.out}/{args.parser}-",
        "-print_final_stats=1",
        str(corpus_dir),
    ]
    atheris.Setup(libfuzzer, worker, custom_mutator=Mutator(args.parser, corpus))
    atheris.Fuzz()


# --------------------------------------------------------------------------- driver

_EXECUTED: Final = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_DONE: Final = re.compile(r"Done (\d+) runs in")


def fuzz_parser(
    parser: str,
    *,
    executions: int,
    seconds: int,
    out: Path,
    seed: int = 1,
    nice: int = 0,
) -> FuzzOutcome:
    """Fuzz one parser in a worker process until ``executions`` or ``seconds`` is reached."""
    if parser not in PARSERS:
        raise ValueError(f"unknown parser {parser!r}; known: {', '.join(PARSERS)}")
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"cashapp-fuzz-{parser}-"))
    try:
        command = [
            sys.executable, "-m", "cashapp.bench.fuzz", parser,
            "--executions", str(executions), "--seconds", str(seconds),
            "--out", str(out), "--work", str(work), "--seed", str(seed),
        ]  # fmt: skip
        if nice:
            command = ["nice", "-n", str(nice), *command]
        log = work / "libfuzzer.log"
        started = time.monotonic()
        with log.open("wb") as sink:
            code = subprocess.call(  # noqa: S603  (our own interpreter and module)
                command, stdout=sink, stderr=subprocess.STDOUT, cwd=_REPO
            )
        elapsed = time.monotonic() - started
        text = log.read_text(encoding="utf-8", errors="replace")
        stats_file = work / "stats.json"
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
        crashes = [Crash(**c) for c in stats.get("crashes", [])]
        counted = _EXECUTED.findall(text) or _DONE.findall(text)
        done = int(counted[-1]) if counted else int(stats.get("executions", 0))
        if code != 0:  # libFuzzer stopped it: a hang, memory or a fatal error
            crashes.append(_fatal(parser, text, out, code))
        return FuzzOutcome(parser, done, elapsed, tuple(crashes))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fatal(parser: str, log: str, out: Path, code: int) -> Crash:
    if "ERROR: libFuzzer: timeout" in log:
        kind = "timeout"
    elif "out-of-memory" in log:
        kind = "out of memory"
    else:
        kind = f"worker exited {code}"
    artifacts = re.findall(r"Test unit written to (\S+)", log)
    keep = out / f"{parser}-{kind.replace(' ', '-')}.log"
    keep.write_text(log[-20_000:], encoding="utf-8")
    where = artifacts[-1] if artifacts else str(keep)
    message = log.strip().splitlines()[-1][:300] if log else ""
    if kind == "timeout" and artifacts:  # a hang, or only a slow instrumented run?
        message = f"{message}; {_time_alone(parser, Path(artifacts[-1]))}"
    signature = hashlib.sha256(f"{parser}|{kind}".encode()).hexdigest()[:12]
    return Crash(signature, kind, message, where, where)


def _time_alone(parser: str, path: Path, limit: int = 60) -> str:
    """How long the input takes uninstrumented, in a process of its own."""
    try:
        done = subprocess.run(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "cashapp.bench.fuzz", "--time", parser, str(path)],
            capture_output=True,
            text=True,
            timeout=limit,
            cwd=_REPO,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"uninstrumented it still runs after {limit} s"
    return f"uninstrumented it takes {done.stdout.strip() or done.stderr.strip()[-200:]}"


def time_input(parser: str, path: Path) -> float:
    """Seconds ``parser`` takes on the input in ``path`` (whatever the outcome)."""
    fuzz_target = target(parser)
    data = path.read_bytes()
    classify(fuzz_target, b"")  # lazy imports (parser and oracle) are not the parse's time
    fuzz_target.check(None)
    started = time.perf_counter()
    classify(fuzz_target, data)
    return time.perf_counter() - started


def run_fuzz(
    parsers: tuple[str, ...] = PARSERS,
    *,
    executions: int,
    seconds: int,
    out: Path,
    seed: int = 1,
    nice: int = 0,
    jobs: int = 1,
) -> list[FuzzOutcome]:
    """Fuzz each parser, ``jobs`` worker processes at a time; one outcome per parser, in
    the order given (libFuzzer uses one core per worker)."""
    from concurrent.futures import ThreadPoolExecutor

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")

    def one(parser: str) -> FuzzOutcome:
        return fuzz_parser(
            parser, executions=executions, seconds=seconds, out=out, seed=seed, nice=nice
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each thread waits on a process
        return list(pool.map(one, parsers))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--time"]:
        print(f"{time_input(sys.argv[2], Path(sys.argv[3])):.2f} s")
        sys.exit(0)
    _worker_main(sys.argv[1:])
    os._exit(0)
