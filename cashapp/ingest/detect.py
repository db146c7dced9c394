"""Which connector reads a file: each connector sniffs the file's head, first claim wins.

Why a module of its own: detection is the one step that asks every connector, including a
plugin's, about a file it may know nothing of. A faulty ``identify()`` must not stop the
others from being asked, and a file nobody claims is refused with the list of formats
tried, so the person knows to pass ``--format``.
"""

from __future__ import annotations

from cashapp.domain import FileRefused
from connectors.base import Connector, ExtractContext

#: How much of a file the connectors see when they sniff it.
HEAD_BYTES = 8192


def detect(
    data: bytes, name: str, connectors: dict[str, Connector], context: ExtractContext
) -> Connector:
    """Pick the connector that claims the file; the first in detection order wins."""
    head = data[:HEAD_BYTES]
    for connector in connectors.values():
        try:
            if connector.identify(head, name):
                return connector
        except Exception:  # noqa: S112 - a faulty identify() must not stop detection
            continue
    for connector in connectors.values():
        # Connectors driven by config (mapped CSV) claim a file only through a profile.
        profile_for = getattr(connector, "profile_for", None)
        if profile_for is not None and profile_for(head, context) is not None:
            return connector
    names = ", ".join(connectors)
    raise FileRefused(f"format not recognised (tried {names}); use --format to force one")
