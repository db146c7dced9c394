"""The connector seam: bytes in, normalized payment records out.

A connector parses one source format and knows nothing of the database, the matcher or
the clock. It is pure: ``extract(data, name, context)`` either returns an
:class:`ExtractResult` (records plus issues) or raises :class:`FileRefused` naming the
line/record and the reason. The ingest layer owns everything else: detection order,
hashing, deduplication and the one transaction per file.

Sign convention for every source: ``amount`` is signed from our point of view; money
into our account is positive, money out is negative.

Built-in connectors register with :func:`register` exactly as an outside plugin would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final, Literal, Protocol, runtime_checkable

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


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """What a connector found in one file."""

    records: tuple[PaymentRecord, ...]
    issues: tuple[Issue, ...] = ()
    balances: tuple[AccountBalance, ...] = ()
    control_total: Decimal | None = None  # the file trailer's total, when the format has one
    record_count: int | None = None  # physical/logical records read


@dataclass(frozen=True, slots=True)
class ExtractContext:
    """Configuration a connector may need; nothing else reaches it."""

    ach_company_ids: frozenset[str] = frozenset()
    default_currency: str = "USD"
    #: the ``[sources]`` table of the config, by source name (e.g. ``sources["csv"]``);
    #: each connector validates its own part.
    sources: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    #: ``[ingest] max_payment_amount``: a record whose |amount| is larger refuses its file
    #: (checked by ingest after extraction; None = no ceiling)
    max_payment_amount: Decimal | None = None


@runtime_checkable
class Connector(Protocol):
    """What every source implements (modelled on beangulp's importer)."""

    name: str  # the `source` value its records carry, e.g. "bai2"

    def identify(self, head: bytes, filename: str) -> bool:
        """True if the first bytes of a file look like this format."""
        ...

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:
        """Parse a whole file. Raise :class:`FileRefused` for a broken file."""
        ...


_REGISTRY: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    """Make a connector available to ``cashapp ingest`` (auto-detection and ``--format``)."""
    _REGISTRY[connector.name] = connector
    return connector


def registered() -> Mapping[str, Connector]:
    """All registered connectors by name, in registration order (detection order)."""
    return dict(_REGISTRY)


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


def mask_account(number: str) -> str:
    """Keep the last four characters of an account number: enough to recognise, not to use."""
    digits = number.strip()
    if len(digits) <= 4:
        return digits
    return "*" * min(len(digits) - 4, 6) + digits[-4:]


def decode_text(data: bytes) -> str:
    """Decode a bank file: UTF-8 when valid, else Latin-1 (which never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
