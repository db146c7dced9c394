"""Payer and customer names, normalized so that equal companies compare equal.

Banks and customers write the same company many ways: ``ACME CORP.``, ``Acme
Corporation``, ``The Acme Co``, ``ACME & SONS`` vs ``Acme and Sons``. The *name key*
strips what does not identify the company (case, punctuation, legal suffixes, a leading
``THE``) and canonicalises ``&`` to ``AND``. Two names with the same key are the same
payer for exact matching; fuzzy matching works on the keys too.

Worked example: ``"The Acme Holdings, Inc."`` -> ``"ACME"``;
``"Smith & Jones LLC"`` -> ``"SMITH AND JONES"``.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    {
        "INC", "INCORPORATED", "LLC", "LLP", "LP", "LTD", "LIMITED", "CORP", "CORPORATION",
        "CO", "COMPANY", "HOLDINGS", "HOLDING", "PLC", "GMBH", "AG", "SA", "SAS", "SARL",
        "BV", "NV", "PTY", "PC", "PLLC", "LLLP", "ULC",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[^A-Z0-9& ]+")
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The comparable form of a company or person name ("" for an empty name)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = text.upper().replace("&", " AND ")
    text = _NON_WORD.sub(" ", text.replace(".", "").replace("'", ""))
    words = _SPACES.split(text.strip())
    if words and words[0] == "THE":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(w for w in words if w)


def full_name_key(name: str) -> str:
    """Like :func:`name_key` but keeping legal suffixes: the form a bank truncates.

    NACHA cuts company names at 16 or 22 characters, so ``HOOLI SUPPLY COR`` is a
    truncated ``Hooli Supply Corp``; only a prefix test on the unstripped form sees it.
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _NON_WORD.sub(" ", text.upper().replace("&", " AND ").replace(".", "").replace("'", ""))
    words = _SPACES.split(text.strip())
    if words and words[0] == "THE":
        words = words[1:]
    return " ".join(w for w in words if w)


#: A truncated payer name must keep at least this many characters to be trusted.
MIN_TRUNCATED_LENGTH = 10


class TruncatedNameIndex:
    """Finds the one customer whose full name starts with a (truncated) payer name.

    Sorted keys plus binary search: O(log n) per distinct payer name, never a scan of
    every customer. Two customers sharing the prefix -> no answer (look-alikes such as
    ``GLOBEX LOGISTICS`` and ``GLOBEX LOGISTICS SOUTH`` must not be confused).
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._keys = sorted(
            (full_name_key(name), customer_id) for customer_id, name in names.items()
        )
        self._only = [k for k, _ in self._keys]

    def lookup(self, payer_name: str) -> str | None:
        import bisect

        prefix = full_name_key(payer_name)
        if len(prefix) < MIN_TRUNCATED_LENGTH:
            return None
        start = bisect.bisect_left(self._only, prefix)
        found: set[str] = set()
        for key, customer_id in self._keys[start : start + 3]:
            if not key.startswith(prefix):
                break
            found.add(customer_id)
        return found.pop() if len(found) == 1 else None
