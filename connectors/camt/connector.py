"""ISO 20022 bank-to-customer cash reports: camt.052, camt.053 and camt.054.

Design note. DESIGN's ``source`` vocabulary has ``camt053`` and ``camt054``, so two
connector objects share one parser (:mod:`connectors.camt.xml_tree` loads the XML safely,
:mod:`connectors.camt.fields` reads one transaction, :mod:`connectors.camt.parse` turns
entries into payments, with :mod:`connectors.camt.entries` and :mod:`connectors.camt.balances`):

* ``camt053`` takes camt.053 statements and camt.052 account reports. camt.052 is the
  intraday sibling of the statement (same ``ReportEntry`` structure, same account, the
  same transactions booked again in the evening's camt.053), so it belongs to the
  statement family; keeping both in one source lets their dedupe keys meet, and a
  report's pending entries are skipped because only booked entries are payments.
* ``camt054`` takes debit/credit notifications (no balances). A transaction notified in a
  camt.054 and later listed in a camt.053 is two records in two sources; the matcher, not
  the parser, decides they are one movement.

``identify`` looks at the first bytes: the ``camt.05x`` namespace or the message element.
``extract`` refuses the other family by name (so ``--format camt053`` on a notification
says what the file is) and turns every unexpected exception into :class:`FileRefused`.
"""

from __future__ import annotations

import re
from typing import Final

from cashapp.domain import FileRefused
from connectors.base import ExtractContext, ExtractResult, register
from connectors.camt.parse import parse_message
from connectors.camt.xml_tree import MESSAGES, load_message, with_line

_SIGNATURE: Final = re.compile(
    rb"camt\.05([234])\.|<(?:[\w.-]+:)?(BkToCstmrStmt|BkToCstmrAcctRpt|BkToCstmrDbtCdtNtfctn)\b"
)
_FAMILY_NAMES: Final = {
    "camt.052": "a camt.052 account report",
    "camt.053": "a camt.053 bank statement",
    "camt.054": "a camt.054 debit/credit notification",
}


def detect_family(head: bytes) -> str | None:
    """``camt.052``/``camt.053``/``camt.054`` when the first bytes are such a message."""
    start = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not start.lstrip().startswith(b"<"):
        return None
    found = _SIGNATURE.search(head)
    if found is None:
        return None
    if found.group(1):
        return f"camt.05{found.group(1).decode()}"
    return MESSAGES[found.group(2).decode()][0]


class CamtConnector:
    """One ``source`` of the camt family; which messages it takes is fixed at creation."""

    def __init__(self, name: str, families: frozenset[str]) -> None:
        self.name = name
        self.families = families

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        """True when the file starts like a camt message of this connector's family."""
        return detect_family(head) in self.families

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        """Parse one camt file; a broken file raises :class:`FileRefused`."""
        try:
            message = load_message(data)
            if message.family not in self.families:
                other = "camt054" if message.family == "camt.054" else "camt053"
                raise FileRefused(
                    f"this is {_FAMILY_NAMES[message.family]}, not what the {self.name} "
                    f"format reads; ingest it as {other}"
                )
            try:
                return parse_message(message, self.name)
            except FileRefused as refusal:
                raise with_line(refusal, data, message) from refusal
        except FileRefused:
            raise
        except Exception as exc:  # any parser surprise must not escape as a raw exception
            raise FileRefused(
                f"the camt file could not be read ({type(exc).__name__}: {exc})"
            ) from exc


CAMT053: Final = register(CamtConnector("camt053", frozenset({"camt.052", "camt.053"})))
CAMT054: Final = register(CamtConnector("camt054", frozenset({"camt.054"})))
