"""The deduction taxonomy and the reason a remittance gives for paying less.

A customer who short-pays usually says why in the remittance: ``LESS DAMAGED GOODS``,
``SHORT FREIGHT``, ``PRICE DIFF INV 104523``, ``LESS 2% DISC``. :func:`suggest_reason`
reads that text into one of the ``[deductions]`` codes, so the specialist's write-off or
short pay starts with the code filled in (they may give another). Pure: no I/O.

Worked example::

    >>> suggest_reason("INV 104523 LESS DAMAGED GOODS")
    'damaged_goods'
    >>> suggest_reason("SHORT FRT 12.40")
    'freight'
    >>> suggest_reason("INV 104523") is None
    True

The earliest phrase in the text wins (``FREIGHT AND TAX`` is freight): a remittance names
its main reason first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from cashapp.config import DEFAULT_DEDUCTIONS
from cashapp.domain import ActionRefused

#: The reason codes, in the order people read them (README, ``[deductions]``).
DEDUCTION_CODES: Final = tuple(DEFAULT_DEDUCTIONS)

#: Remittance phrases and the code each suggests (case-insensitive, on word boundaries).
_PHRASES: Final[tuple[tuple[str, str], ...]] = (
    ("damaged_goods", r"DAMAGED?|DMG|BROKEN|DEFECTIVE|SPOILED"),
    ("freight", r"FREIGHT|FRT|SHIPPING|DELIVERY\s+CHARGES?|CARRIAGE"),
    ("pricing", r"PRICE|PRICING|PRC\s+DIFF|OVERCHARGED?"),
    (
        "early_pay_discount",
        r"EARLY\s+PAY(?:MENT)?|PROMPT\s+PAY(?:MENT)?|\d+(?:\.\d+)?\s*(?:%|PCT)(?:\s+DISC\w*)?"
        r"|DISCOUNT|DISC",
    ),
    ("tax", r"SALES\s+TAX|TAX|VAT|GST|HST|EXEMPT"),
    ("promotion", r"PROMO(?:TION(?:AL)?)?|CO-?OP|ADVERTISING|MARKETING|REBATE|MDF"),
)

_PATTERNS: Final = tuple(
    (code, re.compile(rf"(?<![A-Z0-9])(?:{pattern})(?![A-Z])", re.IGNORECASE))
    for code, pattern in _PHRASES
)


def suggest_reason(remittance: str) -> str | None:
    """The deduction code the remittance text gives as its reason, or None."""
    best: tuple[int, str] | None = None
    for code, pattern in _PATTERNS:
        found = pattern.search(remittance)
        if found is not None and (best is None or found.start() < best[0]):
            best = (found.start(), code)
    return best[1] if best else None


def check_reason(code: str, deductions: Mapping[str, str]) -> str:
    """``code`` if it is one of the team's deduction codes; otherwise refused, listing them."""
    cleaned = code.strip().lower().replace("-", "_").replace(" ", "_")
    if cleaned not in deductions:
        raise ActionRefused(
            f"unknown reason {code!r}; the [deductions] codes are {', '.join(deductions)}"
        )
    return cleaned
