"""A killed ``ingest`` or ``match`` leaves no process behind (issue 10, finding 7).

The run is started in a session of its own, like a scheduler's job; once its worker
processes exist the parent is SIGKILLed (as by the OOM killer). Two seconds later no
process of that session may be alive (workers, the multiprocessing resource tracker),
and the job's stdout must have reached EOF: nothing holds it open for a waiting reader.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from cashapp.bench.speed import generate_speed_book
from cashapp.workers import available_cpus
from tests.conftest import REPO

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
    pytest.mark.skipif(available_cpus() < 2, reason="workers are used with 2+ CPUs only"),
]


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, session id, state) of a process, from /proc; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[3]), fields[0]


def _alive_in_session(session: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[1] == session and stat[2] != "Z":
                found.append(int(entry))
    return found


def _cashapp(db: Path, *args: str | Path, config: Path | None = None) -> list[str]:
    options = ["--db", str(db)] + (["--config", str(config)] if config else [])
    return [sys.executable, "-m", "cashapp.cli", *options, *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _kill_once_workers_run(command: Sequence[str], workers: int, within: float) -> None:
    job = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=_env(),
    )
    try:
        deadline = time.monotonic() + within
        children: list[int] = []
        while time.monotonic() < deadline and len(children) < workers:
            assert job.poll() is None, job.communicate()[1].decode()
            children = [
                pid
                for pid in _alive_in_session(job.pid)
                if (stat := _stat(pid)) is not None and stat[0] == job.pid
                and "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode()
            ]  # fmt: skip
            time.sleep(0.05)
        assert len(children) >= workers, "the run never started its workers"
        time.sleep(0.3)  # let them take up their work
        os.kill(job.pid, signal.SIGKILL)
        job.wait(timeout=5)
        time.sleep(2)
        assert _alive_in_session(job.pid) == []
        # nothing left holds the job's output open: a waiting reader gets EOF at once
        job.communicate(timeout=1)
    finally:
        for pid in _alive_in_session(job.pid):  # clean up after a failure
            os.kill(pid, signal.SIGKILL)
        if job.poll() is None:
            job.kill()


def test_a_killed_ingest_leaves_no_worker_and_no_tracker(tmp_path: Path) -> None:
    book = generate_speed_book(tmp_path / "book", payments=30_000, invoices=30_000, customers=500)
    inbox = book.folder / "inbox"
    assert len(book.bank_files) >= 2
    assert sum(p.stat().st_size for p in book.bank_files) >= 8 << 20  # big enough for workers
    db = tmp_path / "book.duckdb"
    subprocess.run(_cashapp(db, "init"), check=True, env=_env(), capture_output=True)
    _kill_once_workers_run(_cashapp(db, "ingest", inbox), workers=2, within=60)


def test_a_killed_match_leaves_no_worker_and_no_tracker(tmp_path: Path) -> None:
    from cashapp.matching.references import PARALLEL_MIN_TEXTS

    payments = PARALLEL_MIN_TEXTS + 5_000
    book = generate_speed_book(
        tmp_path / "book", payments=payments, invoices=payments, customers=500
    )
    # with a team pattern every remittance text goes to the extractor: enough for workers
    config = tmp_path / "cashapp.toml"
    config.write_text('[matching]\nreference_patterns = ["ZZQ(\\\\d+)"]\n')
    db = tmp_path / "book.duckdb"
    for args in (
        ("init",),
        ("import", "customers", book.customers_csv),
        ("import", "invoices", book.invoices_csv),
        ("ingest", book.folder / "inbox"),
    ):
        subprocess.run(
            _cashapp(db, *args, config=config), check=True, env=_env(), capture_output=True
        )
    _kill_once_workers_run(_cashapp(db, "match", config=config), workers=2, within=120)
