"""What one match run did: counts per outcome and exception type, amounts, stage timings.

Why a module of its own: every stage of the run (:mod:`cashapp.matching.events`, the bulk
stages, the engine) adds to one :class:`MatchSummary`; the CLI prints it, ``runs`` stores
it as JSON and ``cashapp bench speed`` reads its timings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(slots=True)
class MatchSummary:
    run_id: str
    payments: int = 0
    applied: int = 0
    partially_applied: int = 0
    unapplied: int = 0
    events: int = 0
    ignored: int = 0
    reconciled: int = 0  # platform payouts tied to their bank deposits
    rematched: int = 0  # open exceptions closed so their payments are decided again
    exceptions: dict[str, int] = field(default_factory=dict)
    amount_applied: dict[str, Decimal] = field(default_factory=dict)
    dry_run: bool = False
    #: wall seconds per stage, for `cashapp bench speed` and for anyone asking why a run is slow
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - started, 3)
        return now

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "payments": self.payments,
            "applied": self.applied,
            "partially_applied": self.partially_applied,
            "unapplied": self.unapplied,
            "events": self.events,
            "ignored": self.ignored,
            "reconciled": self.reconciled,
            "rematched": self.rematched,
            "exceptions": self.exceptions,
            "amount_applied": {k: str(v) for k, v in self.amount_applied.items()},
            "dry_run": self.dry_run,
        }
