"""The connector seam: bytes in, normalized payment records out.

A connector parses one source format and knows nothing of the database, the matcher or
the clock. It is pure: ``extract(data, name, context)`` either returns an
:class:`ExtractResult` (records plus issues) or raises ``FileRefused`` naming the
line/record and the reason. The ingest layer owns everything else: detection order,
hashing, deduplication and the one transaction per file.

Sign convention for every source: ``amount`` is signed from our point of view; money
into our account is positive, money out is negative.

Built-in connectors register with :func:`register` exactly as an outside plugin would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from cashapp.domain import AccountBalance, Issue, PaymentRecord, register_settings


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


@runtime_checkable
class ConfigurableConnector(Connector, Protocol):
    """A connector with a ``[sources.<name>]`` table of its own."""

    def validate_settings(self, prefix: str, table: Mapping[str, object]) -> None:
        """Raise ``cashapp.domain.SettingsError`` naming the first key it cannot use."""
        ...


_REGISTRY: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    """Make a connector available to ``cashapp ingest`` (auto-detection and ``--format``).

    A :class:`ConfigurableConnector` also declares its ``[sources.<name>]`` table, so
    config validates it without importing the connector.
    """
    _REGISTRY[connector.name] = connector
    if isinstance(connector, ConfigurableConnector):
        register_settings(connector.name, connector.validate_settings)
    return connector


def registered() -> Mapping[str, Connector]:
    """All registered connectors by name, in registration order (detection order)."""
    return dict(_REGISTRY)


def decode_text(data: bytes) -> str:
    """Decode a bank file: UTF-8 when valid, else Latin-1 (which never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
