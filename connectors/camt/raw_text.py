"""The source text of each camt entry and transaction, kept as ``PaymentRecord.raw``.

A payment keeps the XML it was read from, for traceability. Cutting that text out of the
parsed bytes is a job apart from reading the entries: it works on bytes and tag positions,
never on element values, and falls back to serializing the element again whenever the
bytes cannot be trusted to line up with the tree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from connectors.base import decode_text
from connectors.camt.entries import Part


class RawText:
    """The source text of each entry / transaction, for ``PaymentRecord.raw``.

    ElementTree keeps no byte offsets and re-serializing every element costs more than
    parsing the file, so the text is cut out of the parsed bytes by scanning for the tags in
    document order (one forward pass). Used only when the tags carry no prefix and the
    number of ``<Ntry`` tags equals the number of entries parsed (a comment that mentions
    ``<Ntry>`` would break the count); otherwise each element is serialized again.
    """

    def __init__(self, source: bytes | None, entries: int) -> None:
        if source is not None and source.count(b"<Ntry>") + source.count(b"<Ntry ") != entries:
            source = None
        self.source = source
        self.cursor = 0

    def _span(self, tag: bytes, start: int, stop: int) -> tuple[int, int]:
        assert self.source is not None
        while True:
            at = self.source.find(b"<" + tag, start, stop)
            if at < 0:
                return -1, -1
            follows = self.source[at + len(tag) + 1 : at + len(tag) + 2]
            if follows in (b">", b" ", b"\t", b"\r", b"\n", b"/"):
                break
            start = at + len(tag) + 1
        open_end = self.source.find(b">", at, stop)
        if open_end > 0 and self.source[open_end - 1 : open_end] == b"/":
            return at, open_end + 1
        close = self.source.find(b"</" + tag + b">", open_end, stop)
        return (at, close + len(tag) + 3) if close >= 0 else (-1, -1)

    def next_entry(self) -> tuple[int, int]:
        """The span of the next ``Ntry`` in document order ((-1, -1) without a source)."""
        if self.source is None:
            return -1, -1
        span = self._span(b"Ntry", self.cursor, len(self.source))
        if span[0] >= 0:
            self.cursor = span[1]
        return span

    def parts(self, entry: tuple[int, int], parts: list[Part]) -> list[str]:
        """Source text for each part of the entry at ``entry``."""
        if self.source is None or entry[0] < 0:
            return [_serialize(p.element) for p in parts]
        out = []
        cursor = entry[0]
        for part in parts:
            if part.index == 0:
                out.append(decode_text(self.source[entry[0] : entry[1]]))
                continue
            start, end = self._span(b"TxDtls", cursor, entry[1])
            if start < 0:
                out.append(_serialize(part.element))
                continue
            cursor = end
            out.append(decode_text(self.source[start:end]))
        return out


def _serialize(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode").strip()
