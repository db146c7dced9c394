"""X12 820 (payment order / remittance advice) carried in CTX addenda.

Design note. A CTX entry carries an ANSI X12 820 transaction set in its 05 addenda
records (NACHA Operating Rules, Appendix Three, CTX; ASC X12 004010 820). The sender
cuts the X12 stream every 80 characters, often in the middle of a token, so the addenda
are joined *without* adding anything before this module sees the payload.

Delimiters are not fixed: the ISA interchange header declares them. The element
separator is the character right after ``ISA``; ISA has 16 elements, the last (ISA16,
the component separator) is one character, and the character after it terminates the
segment. ISA is fixed-width (106 characters) in the standard, but we count separators
instead of positions so an unpadded ISA still works. Separators may be non-ASCII
(``¦``, 0xA6 in Latin-1), which is why callers pass decoded text.

What we keep: every ``RMR`` (remittance advice accounts receivable open item reference)
as a :class:`RemittanceLine` -- RMR01 reference qualifier (IV invoice, OI original
invoice, IK, PO ...), RMR02 the reference, RMR04 amount paid, RMR05 invoice total,
RMR06 discount -- and the payer's name from ``N1*PR``. Worked example::

    ISA*00*...*P*>~GS*RA*...~ST*820*0001~BPR*C*150*C*ACH*CTX~N1*PR*ACME CORP~
    RMR*IV*INV-1001**100.00*120.00*20.00~RMR*IV*INV-1002**50~SE*...

gives payer ``ACME CORP`` and lines (IV, INV-1001, paid 100.00, total 120.00, discount
20.00) and (IV, INV-1002, paid 50.00). A payload cut short mid-segment keeps every
complete segment; the incomplete tail stays in the readable text and a problem is noted.

Amounts are X12 data type R: an optional minus sign, digits and at most one decimal
*point* -- no grouping, no decimal comma, no currency sign. Anything else (``1310,55``,
``1,310.55``) is an *error*, not a problem: the general amount parser would read
``1,310`` as one thousand three hundred and ten, and a European ``1310,55`` could be
either 1310.55 or 131055, so no reading is safe and the caller refuses the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from cashapp.domain import RemittanceLine
from cashapp.money import MoneyError, parse_amount

_ISA_ELEMENTS = 16
_X12_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")  # data type R


@dataclass(frozen=True, slots=True)
class Remittance820:
    """What an 820 payload says, plus a readable rendering (one segment per line).

    ``problems`` are warnings (the payload is still usable); ``errors`` mean a value in
    it cannot be read without guessing, and the caller must refuse the file.
    """

    text: str
    lines: tuple[RemittanceLine, ...]
    payer_name: str
    problems: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators an ISA header declares."""

    element: str
    component: str
    segment: str


def looks_like_x12(payload: str) -> bool:
    """True when the payload starts with an ISA interchange header."""
    return payload.lstrip().startswith("ISA")


def read_delimiters(payload: str) -> Delimiters | None:
    """Delimiters declared by the ISA segment at the start of ``payload``, or None."""
    text = payload.lstrip()
    if len(text) < 4 or not text.startswith("ISA"):
        return None
    element = text[3]
    if element.isalnum() or element.isspace():
        return None
    position = 3
    for _ in range(_ISA_ELEMENTS - 1):  # text[3] is the first of the 16 separators
        position = text.find(element, position + 1)
        if position < 0:
            return None
    if position + 2 >= len(text):
        return None
    component, segment = text[position + 1], text[position + 2]
    if segment in (element, component) or segment.isalnum():
        return None
    return Delimiters(element, component, segment)


def _amount(
    elements: list[str], index: int, reference: str, currency: str, errors: list[str]
) -> Decimal | None:
    if index >= len(elements) or not elements[index].strip():
        return None
    text = elements[index].strip()
    if _X12_DECIMAL.fullmatch(text):
        try:
            return parse_amount(text, currency, decimal=".")
        except MoneyError:  # more decimals than the currency has
            pass
    errors.append(
        f"RMR{index:02d} amount {text!r} for {reference!r} is not an X12 decimal amount "
        "(digits and a decimal point, no grouping or decimal comma)"
    )
    return None


def parse_820(payload: str, currency: str) -> Remittance820:
    """Parse an X12 820 payload (see the module note). Never raises for bad content.

    Content problems (undeclared delimiters, a truncated stream) come back in
    ``problems`` for the caller to report as warnings; an amount that is not X12 decimal
    form comes back in ``errors`` (the line is left out) for the caller to refuse.
    """
    delimiters = read_delimiters(payload)
    if delimiters is None:
        text = " ".join(payload.split())
        return Remittance820(
            text, (), "", ("the CTX addenda start with ISA but its delimiters are unreadable",)
        )
    problems: list[str] = []
    errors: list[str] = []
    pieces = payload.strip().split(delimiters.segment)
    tail = pieces.pop().strip()  # text after the last terminator: empty when complete
    segments = [piece.strip() for piece in pieces]
    segments = [segment for segment in segments if segment]
    lines: list[RemittanceLine] = []
    payer = ""
    for segment in segments:
        elements = segment.split(delimiters.element)
        tag = elements[0]
        if tag == "RMR":
            reference = elements[2].strip() if len(elements) > 2 else ""
            if not reference:
                problems.append(f"RMR segment without a reference: {segment!r}")
                continue
            known = len(errors)
            line = RemittanceLine(
                reference=reference,
                qualifier=elements[1].strip(),
                paid=_amount(elements, 4, reference, currency, errors),
                invoice_total=_amount(elements, 5, reference, currency, errors),
                discount=_amount(elements, 6, reference, currency, errors),
            )
            if len(errors) == known:  # a line with an unreadable amount is never kept
                lines.append(line)
        elif tag == "N1" and len(elements) > 2 and elements[1].strip() == "PR" and not payer:
            payer = elements[2].strip()
    rendered = segments + ([tail] if tail else [])
    if tail:
        problems.append(
            f"the X12 remittance ends inside a segment ({tail[:30]!r}); kept as text only"
        )
    elif not segments or segments[-1].split(delimiters.element)[0] != "IEA":
        problems.append("the X12 remittance has no IEA trailer; it may be incomplete")
    return Remittance820("\n".join(rendered), tuple(lines), payer, tuple(problems), tuple(errors))
