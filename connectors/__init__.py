"""Source connectors. Importing this package registers the built-in ones.

Detection order is registration order: stricter formats first, so a file that could
look like two formats is claimed by the one whose signature is most specific.
"""

from __future__ import annotations

from importlib import import_module

from connectors.base import Connector, registered

#: Built-in connector modules, in detection order.
BUILTIN_MODULES = (
    "connectors.nacha.connector",
    "connectors.bai2.connector",
    "connectors.camt.connector",
    "connectors.ofx.connector",
    "connectors.stripe.report",
    "connectors.stripe.api",
    "connectors.plaid.connector",
    "connectors.plastiq.connector",
    "connectors.mapped_csv.connector",
    "connectors.mt940.connector",
)


def load_builtin() -> dict[str, Connector]:
    """Import the built-in connector modules (each registers itself) and return all."""
    for module in BUILTIN_MODULES:
        import_module(module)
    return dict(registered())
