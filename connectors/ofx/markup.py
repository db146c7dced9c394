"""Reading OFX markup: SGML (1.x) or XML (2.x) bytes into a tree of aggregates, and the
OFX amount and date data types (OFX 2.1.1 ch. 2 structure, ch. 3 data types).

Design note. OFX 1.x is SGML (leaf elements need no end tag, a header of ``KEY:VALUE``
lines), OFX 2.x is XML (``<?OFX ...?>`` processing instruction, every element closed);
QFX is OFX with Intuit ``INTU.*`` extras. Real files mix the two (an XML header over an
SGML body, leading blank lines, empty elements, CDATA), so one tolerant reader covers
all of them: the body is cut at ``<`` into (tag, text) pairs, a tag followed by text is a
leaf (OFX 2.1.1 ch. 2, structure: aggregates never carry text, elements do), an end tag
closes the nearest open aggregate of that name. That is linear and allocation-light.

Why a module of its own: this is the part that knows SGML from XML, charsets, CDATA and
comments; :mod:`connectors.ofx.statements` reads the statements out of the tree and
never sees markup. The tree keeps each aggregate's offsets into the body, so a
transaction's source text is kept without re-serializing it.

A ``<!DOCTYPE`` or ``<!ENTITY`` declaration anywhere refuses the file, naming its line:
no OFX file carries one, and an entity is never expanded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from cashapp.domain import FileRefused
from cashapp.money import DecimalMark, MoneyError, parse_amount

#: Elements that hold text even when empty: read as empty leaves, never as aggregates.
_LEAVES: Final = frozenset(
    {
        "ACCTID", "ACCTTYPE", "BALAMT", "BANKID", "BRANCHID", "CHECKNUM", "CODE",
        "CORRECTACTION", "CORRECTFITID", "CURDEF", "CURRATE", "CURSYM", "DTASOF",
        "DTAVAIL", "DTEND", "DTPOSTED", "DTSERVER", "DTSTART", "DTUSER", "FITID",
        "LANGUAGE", "MEMO", "MESSAGE", "NAME", "PAYEEID", "REFNUM", "SEVERITY",
        "SIC", "SRVRTID", "TRNAMT", "TRNTYPE", "TRNUID",
    }
)  # fmt: skip
_OFX_START: Final = re.compile(r"<\s*ofx\s*>", re.IGNORECASE)
#: A DTD or entity declaration: no OFX file (1.x SGML or 2.x XML) carries one.
_DECLARATION: Final = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CDATA: Final = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_AMOUNT_CHARS: Final = frozenset("0123456789+-.,")
_CHARSETS: Final = {"1252": "cp1252", "8859-1": "latin-1", "ISO-8859-1": "latin-1"}
#: Real OFX nests about ten deep; far more means unclosed junk (and quadratic end-tag search).
_MAX_DEPTH: Final = 200


@dataclass(slots=True)
class Element:
    """An OFX aggregate as read: its leaf values and child aggregates (a parse tree node).

    ``start``/``end`` are offsets into the body, so a transaction's source text can be
    kept for traceability without re-serializing it.
    """

    name: str
    start: int
    values: dict[str, str]
    children: list[Element]
    end: int = -1
    #: closed by its own end tag (``</NAME>``), not implied by an ancestor's or the file end
    closed: bool = False

    def child(self, *names: str) -> Element | None:
        """The first child aggregate with one of ``names``."""
        for element in self.children:
            if element.name in names:
                return element
        return None

    def all(self, name: str) -> Iterator[Element]:
        """Child aggregates called ``name``, in file order."""
        return (element for element in self.children if element.name == name)

    def find(self, names: frozenset[str]) -> Iterator[Element]:
        """Aggregates with one of ``names`` anywhere below, in file order (not below a hit)."""
        for element in self.children:
            if element.name in names:
                yield element
            else:
                yield from element.find(names)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def decode_ofx(data: bytes) -> tuple[str, int]:
    """Decode ``data`` and return the body from ``<OFX>`` on, with the line it starts on.

    The OFX 1.x header names the charset (``CHARSET:1252``); files often lie, so UTF-8 is
    tried first and the declared single-byte charset is the fallback. 2.x is XML: UTF-8,
    else Latin-1.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise FileRefused("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        head = data[:2048].upper()
        charset = ""
        if b"CHARSET:" in head:
            charset = head.split(b"CHARSET:", 1)[1].split(b"\n", 1)[0].strip().decode("latin-1")
        text = data.decode(_CHARSETS.get(charset, "latin-1"), errors="replace")
    declaration = _DECLARATION.search(text)
    if declaration is not None:
        raise FileRefused(
            f"the file contains a {declaration.group(1).upper()} declaration; OFX files never "
            "do, and DTD/entity declarations are refused (never expanded) to guard against "
            "XML entity-expansion attacks",
            f"line {text.count(chr(10), 0, declaration.start()) + 1}",
        )
    start = _OFX_START.search(text)
    if start is None:
        raise FileRefused("not an OFX file: there is no <OFX> element")
    prefix = text[: start.start()]
    upper_prefix = prefix.upper()
    if prefix.strip() and not any(mark in upper_prefix for mark in ("OFXHEADER", "<?OFX", "<?XML")):
        raise FileRefused("not an OFX file: unexpected text before the <OFX> element")
    return text[start.start() :], prefix.count("\n") + 1


def unwrap_markup(body: str) -> str:
    """Turn CDATA sections into escaped text and drop comments, keeping line breaks."""
    if "<![CDATA[" in body:
        body = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), body)
    if "<!--" in body:
        body = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)
    return body


def parse_tree(body: str) -> Element:  # noqa: C901 - the one-pass SGML/XML tag loop (hot: one branch per tag form)
    """Read an OFX body (SGML or XML) into a tree of aggregates; see the module note.

    ``body`` has been through :func:`unwrap_markup`. One pass over ``body.split("<")``;
    per tag only a partition, a cached name lookup and a strip, because a
    million-transaction file is fourteen million tags.
    """
    root = Element("#document", 0, {}, [])
    stack = [root]
    top = root
    leaves = _LEAVES
    names: dict[str, str] = {}  # raw tag -> upper-case element name
    leaf_end = ""  # the end tag that may follow the leaf just read ("/NAME")
    leaf_name = ""
    pos = 0
    for piece in body.split("<"):
        start = pos
        pos += len(piece) + 1
        tag, gt, text = piece.partition(">")
        if not gt:  # a stray "<" inside text: keep it in the leaf it belongs to
            if leaf_name and start:
                top.values[leaf_name] = (top.values[leaf_name] + "<" + piece).strip()
            continue
        first = tag[:1]
        if first == "/":
            if tag != leaf_end:
                name = tag[1:].strip().upper()
                for depth in range(len(stack) - 1, 0, -1):
                    if stack[depth].name == name:
                        stack[depth].closed = True
                        for closed in stack[depth:]:
                            closed.end = start + len(tag) + 1
                        del stack[depth:]
                        top = stack[-1]
                        break
            leaf_end = leaf_name = ""
        elif not first or first in "?!":
            leaf_end = leaf_name = ""
        else:
            name = names.get(tag, "")
            if not name:
                name = names[tag] = tag.rstrip("/").strip().upper()
            value = text.strip()
            if value or name in leaves or tag[-1] == "/":
                if "&" in value:
                    value = html.unescape(value)
                if name not in top.values:
                    top.values[name] = value
                leaf_end = "/" + tag
                leaf_name = name
            else:
                element = Element(name, start - 1, {}, [])
                top.children.append(element)
                stack.append(element)
                if len(stack) > _MAX_DEPTH:
                    raise FileRefused(f"elements nest more than {_MAX_DEPTH} deep: not a statement")
                top = element
                leaf_end = leaf_name = ""
    for unclosed in stack:
        unclosed.end = len(body)
    return root


def parse_ofx_amount(text: str, currency: str) -> Decimal:
    """An OFX amount (ch. 3 data types: optional sign, digits, ``.`` or ``,`` as decimal mark).

    No currency symbols: ``$120`` is refused; ``-200,00`` is -200.00 (the comma variant
    some European banks send). The mark is chosen from the text and then read by the one
    amount parser (:func:`cashapp.money.parse_amount`), which checks the grouping: the
    last of ``.``/``,`` is the decimal mark when both appear (``1.234,56``,
    ``1,234.56``), and ``1.23,45`` is refused. ``1,000`` alone is refused as ambiguous
    whatever the currency: the spec reads 1.000, a person reads a thousand, and guessing
    wrong is a thousandfold error.
    """
    raw = text.replace(" ", "")
    if not raw:
        raise MoneyError("the amount is empty")
    if not _AMOUNT_CHARS.issuperset(raw):
        raise MoneyError(f"{text.strip()!r} is not an OFX amount")
    comma = raw.rfind(",")
    if comma < 0:
        mark: DecimalMark = "."
    else:
        point = raw.rfind(".")
        if point < 0 and raw.count(",") == 1 and len(raw) - comma == 4:
            raise MoneyError(f"{text.strip()!r} is ambiguous: thousands or decimal comma?")
        mark = "," if comma > point else "."
    try:
        return parse_amount(raw, currency, decimal=mark)
    except MoneyError as exc:
        if "decimal places" in str(exc) or "currency" in str(exc):
            raise
        raise MoneyError(f"{text.strip()!r} is not an OFX amount") from None


def parse_ofx_date(text: str) -> date:
    """The calendar date of an OFX datetime (``YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]``).

    The date part is taken as written: it is the date in the sender's time zone.
    """
    raw = text.strip()
    if len(raw) < 8 or not raw[:8].isdigit():
        raise ValueError(f"{raw!r} is not an OFX date (YYYYMMDD...)")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise ValueError(f"{raw!r} is not a valid date") from None
