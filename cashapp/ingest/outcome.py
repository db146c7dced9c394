"""What happened to one ingested file: the value the CLI, a pull and the daily job print.

Why a module of its own: the in-process path (:mod:`cashapp.ingest.file`), the worker pool
(:mod:`cashapp.ingest.parallel`) and the writer (:mod:`cashapp.ingest.write`) all end in an
outcome, and whatever an outcome quotes from the file is masked here, once, for every
output that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from cashapp.domain import Issue
from cashapp.masking import mask_text

Status = Literal["new", "known", "refused"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one file; the CLI prints one line per outcome."""

    path: str
    status: Status
    connector: str = ""
    records: int = 0
    new: int = 0
    known: int = 0
    reason: str = ""
    warnings: tuple[Issue, ...] = ()

    def __post_init__(self) -> None:
        # Refusals and warnings quote the file (a statement id, a :25: line), and they
        # reach stderr, JSON, the daily job's log: IBANs and account numbers are masked
        # here, once, for every output.
        object.__setattr__(self, "reason", mask_text(self.reason))
        object.__setattr__(
            self,
            "warnings",
            tuple(
                replace(
                    w,
                    message=mask_text(w.message),
                    location=mask_text(w.location) if w.location else w.location,
                )
                for w in self.warnings
            ),
        )


class UnknownFormat(ValueError):
    """``--format`` named a connector that does not exist (a usage error)."""
