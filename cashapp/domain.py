"""The records, kinds and ids that connectors and the core share.

Every source becomes the same :class:`PaymentRecord` (and :class:`AccountBalance`) before
anything else sees it, so this module is the vocabulary of the whole system: the parsers
produce it, ingest validates and stores it, the matcher and the journal read it back from
the database. It depends on nothing but the standard library, which is what lets every
layer above use it without an upward import (see docs/ARCHITECTURE.md, "Layers").

Sign convention for every source: ``amount`` is signed from our point of view; money
into our account is positive, money out is negative.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

#: Payment kinds (DESIGN §5, ``v_payments.kind``).
KINDS: Final = (
    "payment",
    "settlement",
    "return",
    "chargeback",
    "dispute_reversal",
    "refund",
    "fee",
    "other",
)

Severity = Literal["warning", "error"]


class FileRefused(Exception):
    """The whole file is refused; nothing from it may be written.

    ``location`` is a human pointer such as ``line 12`` or ``record 3 (batch 2)``.
    """

    def __init__(self, reason: str, location: str | None = None) -> None:
        self.reason = reason
        self.location = location
        super().__init__(f"{location}: {reason}" if location else reason)


class ActionRefused(Exception):
    """A person's action on the queue, the users or the approvals is refused whole.

    The message is one line a person can act on; the CLI prints it and exits 2, the web
    UI answers 4xx with it. Nothing the action would have written has been written.
    """


class Conflict(ActionRefused):
    """Someone else changed the item since it was read (optimistic locking)."""


class NotPermitted(ActionRefused):
    """The acting user's role does not allow the action (enforced in the service)."""


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found while parsing; warnings keep the file, errors refuse it."""

    severity: Severity
    message: str
    location: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class RemittanceLine:
    """A structured remittance item: an invoice (or other document) and what was paid on it.

    Filled where the format says so explicitly (X12 820 RMR, camt ``RfrdDocInf`` with
    ``RfrdDocAmt``); free-text references are left to the matcher's parser.
    """

    reference: str
    qualifier: str = "IV"  # X12 RMR01: IV invoice, OI original invoice, PO purchase order
    paid: Decimal | None = None
    invoice_total: Decimal | None = None
    discount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One money movement as the source reported it, normalized.

    ``dedupe_key`` identifies the movement within its source more strongly than
    ``source_ref`` (bank references can be blank or repeat); ingest derives the
    deterministic ``payment_id`` from ``source`` and ``dedupe_key``.
    """

    source: str
    source_ref: str
    dedupe_key: str
    kind: str
    amount: Decimal
    currency: str
    value_date: date
    payer_name: str = ""
    payer_account: str = ""  # masked: never store a full account number
    remittance: str = ""
    remittance_lines: tuple[RemittanceLine, ...] = ()
    references: tuple[str, ...] = ()  # explicit references (end-to-end id, customer ref...)
    related_ref: str = ""  # original trace for a return, charge for a dispute, payout id...
    reason_code: str = ""  # R01, AC06, fraudulent ...
    account: str = ""  # our account the movement hit (masked)
    type_code: str = ""  # the source's own transaction type (BAI2 type, NACHA tx code)
    location: str = ""  # where in the file: "line 12"
    raw: str = ""  # the source text of the record, for traceability
    statement: str = ""  # the statement / account section it was listed in, for the tie-out

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown payment kind {self.kind!r}")
        if not isinstance(self.amount, Decimal):
            raise TypeError("PaymentRecord.amount must be a Decimal")


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """A balance the bank reported for one of our accounts on one day."""

    account: str
    currency: str
    as_of: date
    kind: Literal["opening", "closing", "available", "other"]
    amount: Decimal
    type_code: str = ""
    #: the statement / account section the balance closes; records listed in the same one
    #: carry the same value, so opening + their amounts = closing can be checked per statement
    statement: str = ""


def stable_key(*parts: object) -> str:
    """A short deterministic digest of ``parts``: used for dedupe keys and ids."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def occurrence_keys(keys: Iterable[str]) -> list[str]:
    """Make repeated keys unique by their occurrence number within the file.

    Two identical-looking lines in one file (same account, day, type, amount, blank
    reference) are two payments; the n-th one gets ``#n`` so a re-ingest of the same file
    yields the same keys and adds nothing.
    """
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(f"{key}#{n}" if n else key)
    return out


# --------------------------------------------------------------------------- source settings


class SettingsError(ValueError):
    """A ``[sources.<name>]`` table a connector cannot use; the message names the key.

    Config loading turns it into its own ``ConfigError``, so the user sees one kind of
    refusal whichever layer found the problem.
    """


SettingsValidator = Callable[[str, Mapping[str, object]], None]

_SETTINGS_VALIDATORS: dict[str, SettingsValidator] = {}


def register_settings(source: str, validate: SettingsValidator) -> None:
    """Declare that ``[sources.<source>]`` exists and how to check it.

    Connectors register here (through ``connectors.base.register``) rather than config
    importing them: config sits below the connectors, so it learns of their settings by
    registration, as it would of an outside plugin's.
    """
    _SETTINGS_VALIDATORS[source] = validate


def settings_validators() -> Mapping[str, SettingsValidator]:
    """Every registered ``[sources.<name>]`` validator, by source name."""
    return dict(_SETTINGS_VALIDATORS)


def check_settings_keys(prefix: str, table: Mapping[str, object], allowed: Set[str]) -> None:
    """Refuse a key of ``table`` that is not in ``allowed``, listing the known ones."""
    for name in table:
        if name not in allowed:
            hint = ", ".join(sorted(allowed))
            raise SettingsError(f"{prefix}.{name}: unknown key (known keys: {hint})")


def settings_str(key: str, value: object) -> str:
    """``value`` when it is a string; otherwise refuse ``key``."""
    if not isinstance(value, str):
        raise SettingsError(f"{key}: expected a string, got {type(value).__name__}")
    return value
