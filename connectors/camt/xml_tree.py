"""Safe loading of ISO 20022 camt.052 / camt.053 / camt.054 XML, namespace-agnostic.

Design note. ISO 20022 messages are UTF-8 XML (ISO 20022-4 XML design rules), wrapped in
``<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN">`` whose single child
names the message: ``BkToCstmrAcctRpt`` (camt.052, intraday report, blocks ``Rpt``),
``BkToCstmrStmt`` (camt.053, statement, blocks ``Stmt``) or ``BkToCstmrDbtCdtNtfctn``
(camt.054, debit/credit notification, blocks ``Ntfctn``). Each message requires at least
one such block (multiplicity 1..n in every version from .001.02 to .001.08).

The standard library parser expands entities, and ``defusedxml`` is not available, so this
module refuses what an XML bomb needs before the parser sees it:

* any ``<!DOCTYPE`` or ``<!ENTITY`` (a bank message never has a DTD);
* any encoding other than UTF-8 / ASCII / Latin-1, and UTF-16/32 byte streams, because
  the byte scan above is only reliable for ASCII-compatible encodings (a UTF-7 or UTF-16
  file could hide a DOCTYPE from it).

After parsing, every tag is reduced to its local name in one linear pass, so the rest of
the connector reads every version with plain ``find("Ntry")`` paths. The version is kept
from the namespace for messages (``camt.053.001.02``).
"""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Final
from xml.parsers import expat

from cashapp.domain import FileRefused

#: Message element -> (message family, name of its repeated report block).
MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "BkToCstmrAcctRpt": ("camt.052", "Rpt"),
    "BkToCstmrStmt": ("camt.053", "Stmt"),
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
}

#: What the report block is called in refusals (a person reads these).
_BLOCK_NAMES: Final = {"Rpt": "account report", "Stmt": "statement", "Ntfctn": "notification"}

#: Well-known ISO 20022 messages that are not bank-to-customer cash reports.
_OTHER_MESSAGES: Final = {
    "CstmrCdtTrfInitn": "a pain.001 credit transfer initiation",
    "CstmrDrctDbtInitn": "a pain.008 direct debit initiation",
    "CstmrPmtStsRpt": "a pain.002 payment status report",
    "FIToFICstmrCdtTrf": "a pacs.008 interbank credit transfer",
    "FIToFIPmtStsRpt": "a pacs.002 payment status report",
    "PmtRtr": "a pacs.004 payment return",
}

_SAFE_ENCODINGS: Final = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin-1", "latin1"}
)
_ENCODING_DECL: Final = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_ISO_NAMESPACE: Final = re.compile(r"([a-z]{4}\.\d{3}\.\d{3}\.\d{2})$")
_DEFAULT_XMLNS: Final = re.compile(rb"""\sxmlns\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PREFIX_XMLNS: Final = re.compile(rb"\sxmlns:([\w.-]+)\s*=")
NEWLINE: Final = b"\n"


@dataclass(frozen=True, slots=True)
class CamtMessage:
    """A parsed camt message: its family, exact version and report blocks."""

    family: str  # "camt.052", "camt.053" or "camt.054"
    version: str  # from the namespace, e.g. "camt.053.001.02"; "" without a namespace
    header: ET.Element | None  # GrpHdr
    block_tag: str  # "Rpt", "Stmt" or "Ntfctn"
    blocks: tuple[ET.Element, ...]
    #: the parsed bytes when every tag in them is written without a prefix, so an
    #: element's source text can be cut out of them (see :mod:`connectors.camt.raw_text`)
    plain_source: bytes | None = None


_SPLIT_PATHS: dict[str, tuple[str, ...]] = {}


def _steps(path: str) -> tuple[str, ...]:
    steps = _SPLIT_PATHS.get(path)
    if steps is None:
        steps = _SPLIT_PATHS[path] = tuple(path.split("/"))
    return steps


def find(element: ET.Element, path: str) -> ET.Element | None:
    """``element.find(path)`` for a plain ``a/b/c`` path, one C-level step at a time.

    ElementTree sends any path with a ``/`` through its pure-Python ElementPath engine,
    which is ~20x slower than a single-tag ``find``; on a 100k-entry file that is most of
    the parse time.
    """
    node = element
    for step in _steps(path):
        found = node.find(step)
        if found is None:
            return None
        node = found
    return node


def findall(element: ET.Element, path: str) -> list[ET.Element]:
    """``element.findall(path)`` for a plain ``a/b/c`` path (document order)."""
    *parents, last = _steps(path)
    nodes = [element]
    for step in parents:
        nodes = [child for node in nodes for child in node.findall(step)]
    return [found for node in nodes for found in node.findall(last)]


def text(element: ET.Element, path: str) -> str:
    """The stripped text at ``path`` below ``element``; "" when absent or empty."""
    if "/" not in path:
        found = element.findtext(path)
        return found.strip() if found else ""
    steps = _SPLIT_PATHS.get(path) or _steps(path)
    node = element
    for step in steps[:-1]:
        child = node.find(step)
        if child is None:
            return ""
        node = child
    found = node.findtext(steps[-1])
    return found.strip() if found else ""


def child_texts(element: ET.Element | None) -> dict[str, str]:
    """Stripped text of each direct child by tag (the last wins when a tag repeats)."""
    if element is None:
        return {}
    return {child.tag: (child.text or "").strip() for child in element}


def _refuse_unsafe(data: bytes) -> bytes:
    """Return the document bytes (BOM removed) or refuse what we will not parse."""
    if not data.strip():
        raise FileRefused("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise FileRefused(
            "the file is not UTF-8 encoded (it looks like UTF-16/32); "
            "ISO 20022 camt messages are UTF-8"
        )
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    body = body.lstrip()
    if not body.startswith(b"<"):
        raise FileRefused("not an XML document: a camt file starts with '<'", "line 1")
    declared = _ENCODING_DECL.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _SAFE_ENCODINGS:
        raise FileRefused(
            f"unsupported XML encoding {declared.group(1).decode('ascii', 'replace')!r}; "
            "ISO 20022 camt messages are UTF-8",
            "line 1",
        )
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        found = min(at for at in (data.find(b"<!DOCTYPE"), data.find(b"<!ENTITY")) if at >= 0)
        raise FileRefused(
            "the file contains a DOCTYPE/ENTITY declaration; bank messages never do, and "
            "entity declarations are refused to guard against XML entity-expansion attacks",
            f"line {data.count(NEWLINE, 0, found) + 1}",
        )
    return body


def _parse(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)  # noqa: S314 - DOCTYPE/ENTITY and exotic encodings refused
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FileRefused(f"not well-formed XML: {exc}", f"line {line}" if line else None) from exc


def _root_start(body: bytes) -> tuple[int, int]:
    """Byte span of the root element's start tag (after the declaration and comments)."""
    at = 0
    while at >= 0:
        at = body.find(b"<", at)
        if at < 0:
            break
        following = body[at + 1 : at + 2]
        if following == b"?":
            close = body.find(b"?>", at)
            at = close + 2 if close >= 0 else -1
        elif following == b"!":
            close = body.find(b"-->", at)
            at = close + 3 if close >= 0 else -1
        else:
            return at, body.find(b">", at)
    return -1, -1


def _without_default_namespace(body: bytes) -> tuple[bytes, str] | None:
    """Fast path: drop the root's ``xmlns="..."`` so every tag parses as its local name.

    Taken only for the usual bank file: an unprefixed root, no namespace declared below
    it, and no element using a prefix the root declares (``xmlns:xsi`` is only ever used
    for attributes). Anything else goes the general way, :func:`_strip_namespaces`.
    """
    start, end = _root_start(body)
    if start < 0 or end < 0:
        return None
    tag = body[start:end]
    name = tag[1:].split(None, 1)[0] if len(tag) > 1 else b""
    if b":" in name or body.find(b"xmlns", end) >= 0:
        return None
    for prefix in _PREFIX_XMLNS.findall(tag):
        if body.find(b"<" + prefix + b":", end) >= 0:
            return None
    found = _DEFAULT_XMLNS.search(tag)
    if found is None:
        return body, ""
    namespace = (found.group(1) or found.group(2) or b"").decode("utf-8", "replace")
    return body[: start + found.start()] + body[start + found.end() :], namespace


def _strip_namespaces(root: ET.Element) -> str:
    """Reduce every tag to its local name; return the root's namespace URI."""
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag.startswith("{"):
            element.tag = tag.rpartition("}")[2]
    return namespace


def load_message(data: bytes) -> CamtMessage:
    """Parse ``data`` as a camt.052/053/054 message or raise :class:`FileRefused`."""
    body = _refuse_unsafe(data)
    fast = _without_default_namespace(body)
    if fast is not None:
        plain_source, namespace = fast
        root = _parse(plain_source)
    else:
        plain_source = None
        root = _parse(body)
        namespace = _strip_namespaces(root)
    found = _ISO_NAMESPACE.search(namespace)
    version = found.group(1) if found else ""
    if root.tag == "Document":
        message = next(iter(root), None)
        if message is None:
            raise FileRefused("the ISO 20022 Document element is empty: no message inside it")
    else:
        message = root  # some banks omit the Document wrapper
    if message.tag not in MESSAGES:
        what = _OTHER_MESSAGES.get(message.tag)
        label = f"{what} ({version})" if what and version else what or f"<{message.tag}>"
        raise FileRefused(
            f"not a camt bank statement or notification: the file holds {label}; expected "
            "BkToCstmrStmt (camt.053), BkToCstmrDbtCdtNtfctn (camt.054) or "
            "BkToCstmrAcctRpt (camt.052)"
        )
    family, block_tag = MESSAGES[message.tag]
    if version and not version.startswith("camt.05"):
        raise FileRefused(
            f"the namespace says {version} but the message is {message.tag}; "
            "the file is not a valid camt message"
        )
    blocks = tuple(message.findall(block_tag))
    if not blocks:
        raise FileRefused(
            f"the {family} message ({message.tag}) contains no {_BLOCK_NAMES[block_tag]} "
            f"({block_tag}) block: the schema requires at least one, and this file has only "
            "a group header"
        )
    return CamtMessage(family, version, message.find("GrpHdr"), block_tag, blocks, plain_source)


#: The steps of a refusal's XML path below a report block, as the parser names them.
_PATH_STEP: Final = re.compile(r" / (Ntry|Bal|TxDtls) (\d+)(?= / |$)")
#: Where each step's element sits relative to the one before it.
_STEP_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "Ntry": ("Ntry",),
    "Bal": ("Bal",),
    "TxDtls": ("NtryDtls", "TxDtls"),
}


class _Found(Exception):
    """Stops the line scan once the element is reached."""


def with_line(refusal: FileRefused, data: bytes, message: CamtMessage) -> FileRefused:
    """``refusal`` with the physical line of the element its XML path names prepended.

    Why: camt refusals name an XML path (``Stmt 1 / Ntry 3``), which a person cannot jump
    to in an editor, and the issue-10 rule is that every refusal names a line. ElementTree
    keeps no line numbers, so -- only on this refusal path, never while parsing -- the
    bytes are scanned again with expat (already shown well-formed and free of any DOCTYPE)
    and the n-th block / entry / balance / transaction is counted in document order. The
    result reads ``line 42 (Stmt 1 / Ntry 3)``; a location that is already a line, or a
    path that cannot be resolved, is left as it was.
    """
    location = refusal.location
    if not location or location.startswith("line "):
        return refusal
    labels = [
        (f"{message.block_tag} {text(block, 'Id') or number}", number)
        for number, block in enumerate(message.blocks, 1)
    ]
    matches = [(label, n) for label, n in labels if location.startswith(label)]
    if not matches:
        return refusal
    label, number = max(matches, key=lambda m: len(m[0]))
    steps = [(_STEP_TAGS[tag], int(n)) for tag, n in _PATH_STEP.findall(location[len(label) :])]
    line = _element_line(data, message.block_tag, number, steps)
    if line is None:
        return refusal
    return FileRefused(refusal.reason, f"line {line} ({location})")


def _element_line(
    data: bytes, block_tag: str, block: int, steps: list[tuple[tuple[str, ...], int]]
) -> int | None:
    """Line of the ``block``-th report block's element reached by ``steps`` (or the
    deepest one of them found); None when not even the block is."""
    targets = [((block_tag,), block), *steps]
    stack: list[str] = []
    state = {"level": 0, "anchor": 0, "count": 0, "line": 0}
    parser = expat.ParserCreate()

    def start(name: str, _attributes: dict[str, str]) -> None:
        stack.append(name.rpartition(":")[2])
        if not state["anchor"]:  # the message element: Document's child, or the root
            if len(stack) == 2 or (len(stack) == 1 and stack[0] in MESSAGES):
                state["anchor"] = len(stack)
            return
        tags, index = targets[state["level"]]
        depth = len(stack)
        if depth == state["anchor"] + len(tags) and tuple(stack[-len(tags) :]) == tags:
            state["count"] += 1
            if state["count"] == index:
                state.update(level=state["level"] + 1, anchor=depth, count=0)
                state["line"] = parser.CurrentLineNumber
                if state["level"] == len(targets):
                    raise _Found

    def end(_name: str) -> None:
        if state["level"] and len(stack) == state["anchor"]:
            raise _Found  # left the deepest element found without reaching the next step
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    stripped = body.lstrip()  # expat wants the XML declaration first, as load_message does
    before = body[: len(body) - len(stripped)].count(NEWLINE)
    with contextlib.suppress(_Found, expat.ExpatError):
        parser.Parse(stripped, True)
    return state["line"] + before if state["line"] else None
