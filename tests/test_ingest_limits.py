"""What one input file may cost: streamed gunzip with ceilings (issue 10, finding 4).

A 2 MB ``.gz`` once grew to 20 GB of memory before the host killed it. Now a file is
decompressed a few MB at a time and refused, by name, the moment it passes
``[ingest] max_expanded_bytes`` or ``max_expansion_ratio``; a plain file over the size
ceiling is refused before it is read.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from cashapp.config import ConfigError, IngestConfig, load_config
from cashapp.domain import FileRefused
from cashapp.ingest import read_content
from tests.conftest import REPO, CliRunner
from tests.test_cli import _snapshot, _statement

MB = 1 << 20


def _bomb(path: Path, expanded: int = 100 * MB) -> Path:
    """``expanded`` zero bytes as gzip (~1000x smaller), written without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    with path.open("wb") as handle:
        for _ in range(expanded // MB):
            handle.write(packer.compress(zeros))
        handle.write(packer.flush())
    return path


def _config(tmp_path: Path, **ingest: int) -> Path:
    path = tmp_path / "cashapp.toml"
    path.write_text("[ingest]\n" + "".join(f"{k} = {v}\n" for k, v in ingest.items()))
    return path


def test_a_gzip_bomb_is_refused_quickly_naming_the_file(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    bomb = _bomb(tmp_path / "statement.bai2.gz")
    assert bomb.stat().st_size < MB  # 100 MB of zeros in ~100 KB
    before = _snapshot(db)
    started = time.perf_counter()
    result = cli("ingest", bomb, config=_config(tmp_path, max_expanded_bytes=10 * MB))
    assert time.perf_counter() - started < 5
    assert result.code == 2
    assert f"refused: {bomb}: expands to more than [ingest] max_expanded_bytes" in result.stderr
    assert "gzip bomb" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(db) == before


def test_the_default_ratio_stops_a_bomb_long_before_the_size_ceiling(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli("ingest", _bomb(tmp_path / "day.ach.gz"))
    assert result.code == 2
    assert "max_expansion_ratio = 200x" in result.stderr


def test_the_bomb_is_never_held_in_memory(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "x.gz")
    limits = IngestConfig(max_expanded_bytes=8 * MB)
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused, match="max_expanded_bytes"):
            read_content(bomb, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * MB  # the ceiling plus one step, not the 100 MB it expands to


def test_a_plain_file_over_the_ceiling_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.bai2"
    with big.open("wb") as handle:
        handle.truncate(64 * MB)  # sparse: nothing to read, a size to refuse
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused, match="file too large: 67,108,864 bytes on disk"):
            read_content(big, IngestConfig(max_expanded_bytes=32 * MB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MB


def test_multi_member_gzip_reads_like_the_plain_file(cli: CliRunner, tmp_path: Path) -> None:
    data = _statement()
    cut = data.index(b"16,165")
    split = tmp_path / "members.bai2.gz"
    split.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]) + bytes(64))
    assert read_content(split) == data
    result = cli("ingest", split, "--output", "json")
    assert result.code == 0, result.stderr
    assert '"records": 2' in result.stdout


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda z: z[:-12], "ends inside a compressed member"),
        (lambda z: z[:-8] + bytes(8), "incorrect data check"),
        (lambda z: z + b"trailing junk", "incorrect header check"),
    ],
    ids=["truncated", "bad crc", "junk after the member"],
)
def test_a_damaged_gzip_is_refused_naming_the_file(
    cli: CliRunner, tmp_path: Path, damage: object, reason: str
) -> None:
    path = tmp_path / "day.bai2.gz"
    assert callable(damage)
    path.write_bytes(damage(gzip.compress(_statement())))
    result = cli("ingest", path)
    assert result.code == 2
    assert f"refused: {path}: not a valid gzip file" in result.stderr
    assert reason in result.stderr


def test_the_limits_come_from_config_and_are_validated_by_name(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, max_expanded_bytes=MB, max_expansion_ratio=50))
    assert config.ingest == IngestConfig(max_expanded_bytes=MB, max_expansion_ratio=50)
    assert load_config(None).ingest == IngestConfig(2 << 30, 200)
    for key, value, message in (
        ("max_expanded_bytes", "'2GB'", "ingest.max_expanded_bytes: expected a whole number"),
        ("max_expanded_bytes", "0", "ingest.max_expanded_bytes: 0 is outside"),
        ("max_expansion_ratio", "1", "ingest.max_expansion_ratio: 1 is outside"),
        ("max_expansion_ratio_", "5", "ingest.max_expansion_ratio_: unknown key"),
    ):
        path = tmp_path / "bad.toml"
        path.write_text(f"[ingest]\n{key} = {value}\n")
        with pytest.raises(ConfigError, match=message):
            load_config(path)
    example = (REPO / "config.example.toml").read_text()
    assert "max_expanded_bytes" in example
    assert "max_expansion_ratio" in example


#: Ingests with the address space capped a little above what the process uses once the
#: database is open (DuckDB's threads need theirs first), so parsing a big file runs out
#: of memory for real; prints one ``status path reason`` line per file.
_UNDER_A_MEMORY_CAP = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from cashapp.config import load_config
    from cashapp.ingest import ingest_paths
    from cashapp.store import open_store
    headroom, db, *files = sys.argv[1:]
    with open_store(db) as store:
        with open("/proc/self/status") as status:
            vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + int(headroom), resource.RLIM_INFINITY))
        for o in ingest_paths(store, files, load_config(None, db), workers=1):
            print(o.status, o.path, o.reason)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc")
def test_running_out_of_memory_refuses_the_file_by_name(tmp_path: Path) -> None:
    from cashapp.bench.speed import generate_speed_book

    book = generate_speed_book(tmp_path / "book", payments=12_000, invoices=12_000, customers=100)
    (ach,) = [p for p in book.bank_files if p.suffix == ".ach"]
    small = tmp_path / "small.bai2"
    small.write_bytes(_statement())
    db = tmp_path / "capped.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "cashapp.cli", "--db", db, "init"], check=True, env=env)
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_A_MEMORY_CAP, str(20 * MB), db, ach, small],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    refused, accepted = done.stdout.splitlines()
    assert refused.startswith(f"refused {ach} too large to parse: out of memory while")
    assert accepted == f"new {small} "  # the next file is still ingested


#: A pool worker's half of ingest (initialised as the pool does it), with the address space
#: capped once it is ready; prints what it hands back to the writer.
_WORKER_UNDER_A_MEMORY_CAP = textwrap.dedent(
    """
    import pickle, resource, sys
    from pathlib import Path
    from cashapp.config import load_config
    from cashapp.ingest import context_for, DEFAULT_LIMITS
    from cashapp.ingest.parallel import init_worker, picklable_context, prepare_in_worker
    from connectors import load_builtin
    headroom, path = sys.argv[1:]
    context = picklable_context(context_for(load_config(None)))
    init_worker(pickle.dumps(load_builtin()), context, frozenset(), DEFAULT_LIMITS)
    with open("/proc/self/status") as status:
        vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (vm + int(headroom), resource.RLIM_INFINITY))
    print(repr(prepare_in_worker(Path(path), None)))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc")
def test_a_worker_out_of_memory_hands_back_a_named_refusal(tmp_path: Path) -> None:
    from cashapp.bench.speed import generate_speed_book

    book = generate_speed_book(tmp_path / "book", payments=12_000, invoices=12_000, customers=100)
    (ach,) = [p for p in book.bank_files if p.suffix == ".ach"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _WORKER_UNDER_A_MEMORY_CAP, str(20 * MB), ach],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        # seen on a loaded 2-core machine: CPython under RLIMIT_AS can stall in its own
        # allocation failures; known and open, not the refusal this test is about
        pytest.xfail("the capped interpreter stalled (CPython under RLIMIT_AS, loaded host)")
    assert done.returncode == 0, done.stderr
    # the file's refusal, with its hash (so the writer can report it), not a dead pool.
    # Out of memory, CPython itself sometimes fails with SystemError ("error return
    # without exception set") instead of MemoryError: the file is still refused, named.
    assert done.stdout.startswith(
        ("_Refused(reason='too large to parse: out of memory while", "_Refused(reason='nacha")
    ), done.stdout
    assert "digest='" in done.stdout
