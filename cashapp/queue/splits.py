"""How a person writes a split and its rest: ``INV-1=120.00 INV-2`` and ``short:freight``.

Why a module of its own: the CLI and the web form both hand the service text, and one
parser keeps them reading it alike. Pure: the amounts stay text here, because only the
service knows the payment's currency (and so how many decimals are exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from cashapp.domain import ActionRefused

RestKind = Literal["on-account", "short", "write-off"]
REST_KINDS: Final[tuple[RestKind, ...]] = ("on-account", "short", "write-off")


@dataclass(frozen=True, slots=True)
class SplitLine:
    """One invoice of a split and what to apply to it (None: its whole open amount)."""

    invoice: str
    amount: str | None = None

    def text(self) -> str:
        return self.invoice if self.amount is None else f"{self.invoice}={self.amount}"


@dataclass(frozen=True, slots=True)
class Rest:
    """What happens to what a split leaves: the payment's rest on account, or the
    invoices' rest kept open as a short pay or written off, with a deduction reason."""

    kind: RestKind
    reason: str | None = None  # short / write-off; None: the remittance's reason

    def text(self) -> str:
        return self.kind if self.reason is None else f"{self.kind}:{self.reason}"


def parse_split(tokens: Sequence[str]) -> tuple[SplitLine, ...]:
    """``["INV-1=120.00", "INV-2"]`` -> the split lines; a malformed token is refused."""
    lines = []
    for token in tokens:
        invoice, sep, amount = token.strip().rpartition("=")
        if not sep:
            invoice, amount = amount, ""
        invoice = invoice.strip()
        if not invoice:
            raise ActionRefused(
                f"{token!r}: write INVOICE=AMOUNT (or just INVOICE for all it has open)"
            )
        if sep and not amount.strip():
            raise ActionRefused(f"{token!r}: no amount after '='")
        lines.append(SplitLine(invoice, amount.strip() or None))
    return tuple(lines)


def parse_rest(text: str) -> Rest:
    """``on-account``, ``short:REASON`` or ``write-off:REASON`` (``short`` alone: the
    reason the remittance gives)."""
    kind, _, reason = text.strip().partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind == "writeoff":
        kind = "write-off"
    for known in REST_KINDS:
        if kind == known:
            if known == "on-account" and reason.strip():
                raise ActionRefused("--rest on-account takes no reason")
            return Rest(known, reason.strip() or None)
    raise ActionRefused(f"unknown rest {text!r}: on-account, short:REASON or write-off:REASON")
