"""Worker processes for CPU-bound Python stages (parsing files, extracting references).

Two rules for every pool in cashapp. Never "fork": the parent holds a DuckDB connection
and its threads, and a forked copy of those is unsafe. And never re-run the caller's main
script: a plain "spawn" child imports it again (as ``__mp_main__``) so that objects defined
there unpickle, and a script without an ``if __name__ == "__main__":`` guard would then
regenerate its input or reopen its database in every worker. cashapp's workers need
nothing from ``__main__``, so they start as if the main module were empty.

And a worker never outlives its parent. A killed ``ingest`` or ``match`` (SIGKILL, the
OOM killer) once left its workers waiting on their task queue forever, each holding
hundreds of MB, the parent's stdout and the resource tracker's pipe open, so whatever
waited on the job hung. Every worker now dies with its parent (:func:`die_with_parent`),
and the resource tracker, whose pipe the workers inherit, then sees it close and exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
import types
from typing import Any, Final

#: ``prctl`` option: the signal the kernel sends this process when its parent dies.
PR_SET_PDEATHSIG: Final = 1


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

    def run(self) -> None:
        die_with_parent()
        super().run()


def die_with_parent() -> None:
    """Make this worker process end when the process that started it ends, however.

    Two mechanisms, because each covers the other's gap:

    * Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment
      its parent dies, even while the worker is busy in C code holding the GIL. (The
      signal follows the parent *thread* that started the worker; cashapp's pools are
      started and shut down by the same call, so that thread outlives its workers.)
    * A daemon thread blocked on the spawn pipe from the parent (the parent sentinel):
      the parent holds its write end, so the read ends when the parent is gone, on any
      OS; the thread then ends the worker at once.

    Either way the parent's death also closes the last copies of the resource tracker's
    pipe and of the parent's stdout held here, so the tracker exits and readers see EOF.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # not a spawned child: nothing to watch
        return
    _set_parent_death_signal()
    if os.getppid() != parent.pid:  # the parent died before the signal was armed
        os._exit(1)
    sentinel = getattr(parent, "_sentinel", None)
    if isinstance(sentinel, int):
        threading.Thread(
            target=_exit_at_eof, args=(sentinel,), name="parent-watch", daemon=True
        ).start()


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc or no prctl: the watcher thread remains
        pass


def _exit_at_eof(fd: int) -> None:
    """Read the pipe from the parent until it closes (the parent is gone), then exit."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
    os._exit(1)


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
