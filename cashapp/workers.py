"""Worker processes for CPU-bound Python stages (parsing files, extracting references).

Two rules for every pool in cashapp. Never "fork": the parent holds a DuckDB connection
and its threads, and a forked copy of those is unsafe. And never re-run the caller's main
script: a plain "spawn" child imports it again (as ``__mp_main__``) so that objects defined
there unpickle, and a script without an ``if __name__ == "__main__":`` guard would then
regenerate its input or reopen its database in every worker. cashapp's workers need
nothing from ``__main__``, so they start as if the main module were empty.
"""

from __future__ import annotations

import multiprocessing.context
import os
import sys
import types
from typing import Any


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A freshly spawned interpreter that does not re-run the caller's ``__main__``.

    Relies on ``SpawnProcess._Popen`` reading ``sys.modules["__main__"]`` when it builds
    the child's preparation data; the swap lasts only while the child starts.
    """

    @staticmethod
    def _Popen(process_obj: multiprocessing.process.BaseProcess) -> Any:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            return multiprocessing.context.SpawnProcess._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


class _WorkerContext(multiprocessing.context.SpawnContext):
    """The "spawn" start method with :class:`_WorkerProcess`: never "fork", because forking
    a process that holds a DuckDB connection (and its threads) is unsafe."""

    Process = _WorkerProcess


def worker_context() -> multiprocessing.context.SpawnContext:
    """The start method for every cashapp process pool."""
    return _WorkerContext()


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    sched_getaffinity = getattr(os, "sched_getaffinity", None)
    if sched_getaffinity is not None:
        return len(sched_getaffinity(0))
    return os.cpu_count() or 1
