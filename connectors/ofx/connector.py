"""OFX / QFX statements: bank (``STMTRS``) and credit-card (``CCSTMTRS``) transactions.

The connector seam over two modules: :mod:`connectors.ofx.markup` reads OFX 1.x SGML and
2.x XML (and QFX, OFX with Intuit ``INTU.*`` extras) into a tree of aggregates;
:mod:`connectors.ofx.statements` maps its statements to payments and balances, and
its module note holds the mapping, the refusals and the named leniencies.

Why not ``ofxparse`` in the hot path: measured here it reads ~3,200 transactions/s
(BeautifulSoup), converts ``DTPOSTED`` to UTC (a 23:00 ``[-5:EST]`` posting moves to the
next day), keeps only the first transaction response's ``STATUS`` and turns ``1,000``
into 1.000 by heuristics. We keep the raw ``TRNAMT`` text and build the amount exactly
(:func:`connectors.ofx.markup.parse_ofx_amount`: checked characters, then
``cashapp.money``); ``tests/test_ofx.py`` uses ofxparse as an independent oracle on the
conformance files.
"""

from __future__ import annotations

from cashapp.domain import FileRefused
from connectors.base import ExtractContext, ExtractResult, register
from connectors.ofx.statements import SOURCE, read_ofx


def looks_like_ofx(head: bytes) -> bool:
    """The OFX signatures: a 1.x header, a 2.x processing instruction, or a bare <OFX>."""
    upper = head[:4096].upper()
    return b"OFXHEADER:" in upper or b"<?OFX" in upper or b"<OFX>" in upper


class OfxConnector:
    """OFX 1.x/2.x and QFX bank and credit-card statements."""

    name = SOURCE

    def identify(self, head: bytes, filename: str) -> bool:  # noqa: ARG002 - the Connector protocol's signature
        return looks_like_ofx(head)

    def extract(self, data: bytes, filename: str, context: ExtractContext) -> ExtractResult:  # noqa: ARG002 - the Connector protocol's signature
        try:
            return read_ofx(data, context.default_currency)
        except FileRefused:
            raise
        except Exception as exc:  # the contract: no raw exception leaves a connector
            raise FileRefused(f"unreadable OFX file ({type(exc).__name__}: {exc})") from exc


register(OfxConnector())
