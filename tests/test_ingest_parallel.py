"""Parsing in worker processes: same outcomes and rows as one-after-another, in order."""

from __future__ import annotations

import gzip
import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import cashapp.ingest.parallel as parallel
from cashapp.config import Config
from cashapp.domain import RemittanceLine
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.store import Store, open_store
from connectors import base, load_builtin
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from connectors.base import ExtractContext, ExtractResult
from connectors.nacha.writer import AchBatch, AchEntry, ctx_820_addenda, write_nacha

DAY = date(2026, 11, 20)
CREATED = datetime(2026, 11, 20, 6, tzinfo=UTC)

#: Table contents compared between runs; timestamps are left out, everything else kept.
TABLES = {
    "payments": "SELECT * EXCLUDE (ingested_at) FROM payments ORDER BY payment_id",
    "remittance_lines": "SELECT * FROM remittance_lines ORDER BY payment_id, line_no",
    "account_balances": "SELECT * FROM account_balances ORDER BY ALL",
    "statement_checks": "SELECT * FROM statement_checks ORDER BY ALL",
    "source_files": "SELECT * EXCLUDE (received_at) FROM source_files ORDER BY file_id",
    "audit_log": "SELECT actor, action, entity, entity_id, detail FROM audit_log"
    " WHERE action = 'ingest' ORDER BY audit_id",
}


def _nacha(path: Path, first: int, count: int, modifier: str = "A") -> Path:
    """A CCD batch of ``count`` payments plus a CTX payment carrying an 820 (remittance lines)."""
    entries = tuple(
        AchEntry(
            "22",
            "091000019",
            "000123456789",
            Decimal(f"{100 + n}.25"),
            f"P{n:014d}",
            "OUR COMPANY",
            (f"RMR*IV*INV-{n}**{100 + n}.25\\",),
        )
        for n in range(first, first + count)
    )
    lines = (
        RemittanceLine(f"INV-{first}A", paid=Decimal("60.00"), invoice_total=Decimal("61.00")),
        RemittanceLine(f"INV-{first}B", paid=Decimal("40.00"), discount=Decimal("1.00")),
    )
    ctx = AchEntry(
        "22",
        "091000019",
        "000123456789",
        Decimal("100.00"),
        f"X{first:014d}",
        "OUR COMPANY",
        ctx_820_addenda("GLOBEX", lines),
    )
    batches = [
        AchBatch("ACME CORP", "1234567890", "CCD", "PAYMENT", DAY, "09100001", entries),
        AchBatch("GLOBEX", "1999999999", "CTX", "PAYMENT", DAY, "09100001", (ctx,)),
    ]
    path.write_bytes(
        write_nacha(
            batches,
            immediate_destination="091000019",
            immediate_origin="0910000019",
            created=CREATED,
            file_id_modifier=modifier,
        )
    )
    return path


def _bai2_bytes(opening: str, closing: str, amounts: list[str]) -> bytes:
    tx = tuple(
        Bai2Transaction("195", Decimal(a), f"FW{n}", "", f"ORG=ACME CORP OBI=INV-{n}")
        for n, a in enumerate(amounts)
    )
    account = Bai2Account("987654321", "USD", tx, Decimal(opening), Decimal(closing))
    return write_bai2(
        [account], sender="021000021", receiver="OURCO", file_id="7", created=CREATED, as_of=DAY
    )


@pytest.fixture
def batch(tmp_path: Path) -> list[Path]:
    """Several files: good ones, a refused one, a duplicate, an overlap, an empty one."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    first = _nacha(folder / "a.ach", 0, 40)
    second = _nacha(folder / "b.ach", 100, 25)
    # the closing says 1300 but the lines only explain 1250: kept, with a warning
    statement = folder / "day.bai2"
    statement.write_bytes(_bai2_bytes("1000.00", "1300.00", ["200.00", "50.00"]))
    tampered = folder / "tampered.bai2"
    good = _bai2_bytes("0", "30.00", ["10.00", "20.00"])
    tampered.write_bytes(good.replace(b"16,195,1000,", b"16,195,1001,"))
    assert tampered.read_bytes() != good
    duplicate = folder / "a-copy.ach.gz"  # same content as a.ach: an already known file
    duplicate.write_bytes(gzip.compress(first.read_bytes()))
    resent = _nacha(folder / "a-resent.ach", 0, 40, modifier="B")  # same payments, new file
    empty = folder / "empty.txt"
    empty.write_bytes(b"  \n")
    return [first, tampered, second, duplicate, statement, resent, empty]


@pytest.fixture
def store() -> Iterator[Store]:
    with open_store(":memory:") as opened:
        yield opened


def _contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {name: store.fetchall(sql) for name, sql in TABLES.items()}


def _ingest(store: Store, paths: list[Path], workers: int) -> list[FileOutcome]:
    return ingest_paths(store, paths, Config(), workers=workers)


def test_parallel_and_sequential_ingest_give_the_same_outcomes_and_rows(
    batch: list[Path], store: Store
) -> None:
    parallel = _ingest(store, batch, workers=2)
    with open_store(":memory:") as other:
        sequential = _ingest(other, batch, workers=1)
        assert parallel == sequential
        assert _contents(store) == _contents(other)
    summary = [(o.status, o.records, o.new, o.known, len(o.warnings)) for o in parallel]
    assert summary == [
        ("new", 41, 41, 0, 0),
        ("refused", 0, 0, 0, 0),
        ("new", 26, 26, 0, 0),
        ("known", 0, 0, 0, 0),  # identical content, written by a.ach just before
        ("new", 2, 2, 0, 1),  # the statement break is a warning
        ("new", 41, 0, 41, 0),  # every payment already arrived in a.ach
        ("refused", 0, 0, 0, 0),
    ]
    assert "does not tie out" in parallel[4].warnings[0].message
    assert parallel[6].reason == "file is empty"
    contents = _contents(store)
    assert len(contents["remittance_lines"]) == 4  # the two CTX payments' 820 lines
    names = {row[3] for row in contents["source_files"]}
    assert names == {"a.ach", "b.ach", "day.bai2", "a-resent.ach"}
    assert len(contents["account_balances"]) == 2
    assert [row[11] for row in contents["statement_checks"]] == ["break"]


def test_a_refused_file_in_a_parallel_batch_leaves_no_rows_and_names_the_file(
    batch: list[Path], store: Store
) -> None:
    tampered = batch[1]
    outcomes = _ingest(store, batch, workers=2)
    (refused,) = [o for o in outcomes if o.path == str(tampered)]
    assert refused.status == "refused"
    assert "line" in refused.reason
    assert "total" in refused.reason.lower()
    names = {row[0] for row in store.fetchall("SELECT name FROM source_files")}
    assert tampered.name not in names
    # no payment, balance or check from it: everything present belongs to an accepted file
    for table in ("payments", "account_balances", "statement_checks"):
        orphans = store.scalar(
            f"SELECT count(*) FROM {table} WHERE file_id NOT IN (SELECT file_id FROM source_files)"
        )
        assert orphans == 0, table
    assert store.scalar("SELECT count(*) FROM payments WHERE source_ref LIKE 'FW%'") == 2
    assert store.scalar("SELECT count(*) FROM payments") == 41 + 26 + 2


def test_reingesting_a_parallel_batch_is_a_no_op(batch: list[Path], store: Store) -> None:
    first = _ingest(store, batch, workers=2)
    before = _contents(store)
    again = _ingest(store, batch, workers=2)
    assert [o.status for o in again] == [
        "refused" if o.status == "refused" else "known" for o in first
    ]
    assert [o.reason for o in again] == [o.reason for o in first]
    assert _contents(store) == before


# --- a worker that dies, a failure past the parser ------------------------------------


class _Delegating:
    """Parses NACHA, misbehaving as told; importable by the worker processes."""

    def __init__(self, name: str, mode: str) -> None:
        self.name = name
        self.mode = mode

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        return False

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:
        result = load_builtin()["nacha"].extract(data, filename, context)
        if self.mode == "die" and multiprocessing.parent_process() is not None:
            os._exit(3)  # a worker killed mid-file (OOM killer, segfault in an extension)
        if self.mode == "odd" and filename.startswith("odd"):
            # a value the table builder cannot convert: a failure outside the parser
            odd = replace(result.records[0], references=(object(),))  # type: ignore[arg-type]
            result = replace(result, records=(odd, *result.records[1:]))
        if self.mode == "odd" and filename.startswith("twice"):
            # one movement listed twice in a file: stored once, counted as known
            result = replace(result, records=(*result.records, result.records[0]))
        return result


def test_a_dead_worker_falls_back_to_ingesting_in_this_process(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(base._REGISTRY, "dying", _Delegating("dying", "die"))
    paths = [_nacha(tmp_path / f"f{n}.ach", 100 * n, 5) for n in range(3)]
    outcomes = ingest_paths(store, paths, Config(), fmt="dying", workers=2)
    assert [(o.status, o.new) for o in outcomes] == [("new", 6)] * 3
    assert store.scalar("SELECT count(*) FROM source_files") == 3


def test_a_failure_past_the_parser_is_a_refusal_and_duplicates_count_as_known(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(base._REGISTRY, "odd", _Delegating("odd", "odd"))
    paths = [
        _nacha(tmp_path / "good.ach", 0, 3),
        _nacha(tmp_path / "odd.ach", 10, 3),
        _nacha(tmp_path / "twice.ach", 20, 3),
    ]
    parallel = ingest_paths(store, paths, Config(), fmt="odd", workers=2)
    with open_store(":memory:") as other:
        sequential = ingest_paths(other, paths, Config(), fmt="odd", workers=1)
        assert _contents(store) == _contents(other)
    assert parallel == sequential
    assert [(o.status, o.records, o.new, o.known) for o in parallel] == [
        ("new", 4, 4, 0),
        ("refused", 0, 0, 0),
        ("new", 5, 4, 1),
    ]
    assert parallel[1].reason.startswith("could not prepare the file: ")
    assert store.scalar("SELECT count(*) FROM source_files") == 2


# --- when workers are used ------------------------------------------------------------


def test_workers_are_used_only_for_several_big_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "available_cpus", lambda: 8)

    def files(*sizes: int) -> list[Path]:
        out = []
        for n, size in enumerate(sizes):
            path = tmp_path / f"{len(sizes)}-{n}.ach"
            with path.open("wb") as handle:
                handle.truncate(size)  # sparse: no bytes written
            out.append(path)
        return out

    big = parallel.PARALLEL_MIN_BYTES
    assert parallel.worker_count(files(big * 2)) == 1  # one file: nothing to overlap
    assert parallel.worker_count(files(1000, 1000, 1000)) == 1  # small: start-up would dominate
    assert parallel.worker_count(files(big // 2, big // 2)) == 2
    assert parallel.worker_count(files(*[big] * 6)) == parallel.MAX_WORKERS
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    assert parallel.worker_count(files(*[big] * 7)) == 1


def test_workers_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="workers"):
        ingest_paths(store, [], Config(), workers=0)


def test_a_record_listed_twice_with_remittance_lines_is_stored_once() -> None:
    from cashapp.domain import PaymentRecord, RemittanceLine
    from cashapp.ingest.write import write_result
    from cashapp.store import open_store
    from connectors.base import ExtractResult

    line = RemittanceLine("INV-1", "IV", Decimal("10.00"))
    record = PaymentRecord(
        "nacha", "T1", "k1", "payment", Decimal("10.00"), "USD", date(2026, 11, 20),
        remittance_lines=(line,),
    )  # fmt: skip
    store = open_store(":memory:")
    write_result(store, "d" * 64, "twice.ach", "nacha", ExtractResult((record, record)), "test")
    assert store.scalar("SELECT count(*) FROM remittance_lines") == 1
    assert store.scalar("SELECT count(*) FROM payments") == 1
    store.close()
