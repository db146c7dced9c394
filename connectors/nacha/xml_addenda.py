"""ISO 20022 XML remittance carried in CTX addenda ("XML in CTX").

Design note. Besides X12 820 (:mod:`connectors.nacha.x12_820`), a CTX entry's 05 addenda may
carry an ISO 20022 remittance: a ``Document`` whose ``RmtInf`` holds ``Strd`` blocks with
``RfrdDocInf/Nb`` (the invoice number), its type code and ``RfrdDocAmt`` (remitted, due,
discount), as in camt and remt.001. The addenda are joined exactly as sent (80 characters
each, cut anywhere) before this module sees the payload.

Only the ``RmtInf`` blocks are parsed: senders' wrappers are sloppy (the dwilkins/nacha
sample loses a quote and a space in the ``Document`` start tag), and what follows
``RmtInf`` is the part that carries money facts. The blocks are read by the camt field
readers (:func:`connectors.camt_fields.read_remittance`), so a document type code maps to
the same qualifier (CINV -> IV, PUOR -> PO) and amounts are checked the same way.

Safety: a payload with ``<!DOCTYPE`` or ``<!ENTITY`` is never parsed (entity expansion is
what an XML bomb needs, and a remittance never has a DTD); such a payload, or one that is
not well-formed, stays readable text and a problem is returned for the caller's warning.
The money of the entry never depends on this text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Final

from cashapp.domain import Issue, RemittanceLine
from connectors.camt.fields import read_remittance

_OPEN: Final = re.compile(r"<(?:[\w.-]+:)?RmtInf[\s/>]")
_CLOSE: Final = re.compile(r"</(?:[\w.-]+:)?RmtInf\s*>")
_PREFIX: Final = re.compile(r"<(/?)[\w.-]+:")


@dataclass(frozen=True, slots=True)
class XmlRemittance:
    """What the XML payload says, as text and structured lines, plus any problems."""

    text: str
    lines: tuple[RemittanceLine, ...]
    problems: tuple[str, ...]


def looks_like_iso20022(payload: str) -> bool:
    """True when the payload is XML markup carrying an ISO 20022 ``RmtInf``."""
    return payload.lstrip().startswith("<") and _OPEN.search(payload) is not None


def parse_xml_remittance(payload: str, where: str = "") -> XmlRemittance:
    """Read the ``RmtInf`` blocks of ``payload`` (see the module note); never raises."""
    readable = " ".join(payload.split())
    if "<!DOCTYPE" in payload or "<!ENTITY" in payload:
        return XmlRemittance(
            readable,
            (),
            ("the XML remittance declares a DOCTYPE/ENTITY; not parsed, kept as text",),
        )
    first = _OPEN.search(payload)
    ends = list(_CLOSE.finditer(payload))
    if first is None or not ends or ends[-1].end() <= first.start():
        return XmlRemittance(
            readable, (), ("the XML remittance has no complete <RmtInf>; kept as text only",)
        )
    fragment = _PREFIX.sub(r"<\1", payload[first.start() : ends[-1].end()])
    try:
        holder = ET.fromstring(f"<CtxRemittance>{fragment}</CtxRemittance>")  # noqa: S314 - no DTD: checked above
    except ET.ParseError as exc:
        return XmlRemittance(
            readable, (), (f"the XML remittance is not well-formed ({exc}); kept as text only",)
        )
    for element in holder.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.rpartition("}")[2]
    issues: list[Issue] = []
    pieces, lines, _ = read_remittance(holder, where, issues)
    text = " | ".join(dict.fromkeys(pieces)) or readable
    return XmlRemittance(text, lines, tuple(issue.message for issue in issues))
