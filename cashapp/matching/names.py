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

from dataclasses import dataclass

from cashapp.keys import (
    LEGAL_SUFFIXES,
    full_name_key,
)

#: A truncated payer name must keep at least this many characters to be trusted.
MIN_TRUNCATED_LENGTH = 10


class TruncatedNameIndex:
    """Finds the one customer whose full name starts with a (truncated) payer name.

    Sorted keys plus binary search: O(log n) per distinct payer name, never a scan of
    every customer. Two customers sharing the prefix -> no answer (look-alikes such as
    ``GLOBEX LOGISTICS`` and ``GLOBEX LOGISTICS SOUTH`` must not be confused).

    A match run does the same test as one join over every payer name at once
    (:func:`cashapp.matching.bulk.customer_hits._name_hits`); this is the one-name form, and
    the reference that join is property-tested against.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self._keys = sorted(
            (full_name_key(name), customer_id) for customer_id, name in names.items()
        )
        self._only = [k for k, _ in self._keys]

    def lookup(self, payer_name: str) -> str | None:
        """The one customer the truncated name can be, else None."""
        found = self.lookup_all(payer_name, limit=2)
        return found[0] if len(found) == 1 else None

    def lookup_all(self, payer_name: str, limit: int = 5) -> list[str]:
        """Every customer whose name starts with the payer name; [] when more than ``limit``.

        Several candidates are still useful: the matcher applies only if exactly one of
        them has an open invoice of the amount paid.
        """
        import bisect

        prefix = full_name_key(payer_name)
        if len(prefix) < MIN_TRUNCATED_LENGTH:
            return []
        start = bisect.bisect_left(self._only, prefix)
        found: list[str] = []
        for key, customer_id in self._keys[start : start + limit + 1]:
            if not key.startswith(prefix):
                break
            if customer_id not in found:
                found.append(customer_id)
        return sorted(found) if len(found) <= limit else []


#: Blocking keys are the first characters of each word: a typo later in a word still
#: shares the block, and two payers share a block only if they share a word start.
BLOCK_PREFIX = 4
#: How many of a payer's blocks are scored (the smallest ones).
MAX_BLOCKS_SCORED = 2
#: A block this large says nothing (``SERV`` of SERVICES): it is not used for candidates.
MAX_BLOCK = 500


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    customer_id: str
    score: int  # 0-100, rapidfuzz ratio of the name keys
    runner_up: int  # the best score of any other customer (0 if none)


class FuzzyNameIndex:
    """Payer name -> the one customer whose name is nearly the same, or no answer.

    Never compares a payer with every customer: customers are blocked by the first
    :data:`BLOCK_PREFIX` letters of each word of their name key, and a payer is scored
    (rapidfuzz ``ratio``, cheap) only against the customers in its most selective blocks.
    The tie guard refuses an answer when another customer scores within ``margin``
    points: look-alikes such as ``ACME PLUMBING SUPPLY`` and ``ACME PLUMBING SERVICES``
    stay apart, and such a payer goes to the queue instead.

    A fuzzy hit is weak evidence (a stranger's name is always *similar* to someone): the
    default rules only use it together with an open invoice of exactly the paid amount.
    """

    def __init__(self, keys: dict[str, str], *, threshold: int, margin: int) -> None:
        self._threshold = threshold
        self._margin = margin
        self._ids: list[str] = []
        members: dict[str, list[int]] = {}
        keys_of: dict[str, list[str]] = {}
        for customer_id, key in sorted(keys.items()):
            if not key:
                continue
            position = len(self._ids)
            self._ids.append(customer_id)
            for block in _blocks(key):
                members.setdefault(block, []).append(position)
                keys_of.setdefault(block, []).append(key)
        # each block keeps its own list of keys, so a lookup hands rapidfuzz ready lists
        self._blocks = {b: (keys_of[b], m) for b, m in members.items() if len(m) <= MAX_BLOCK}

    def lookup(self, payer_key: str) -> FuzzyMatch | None:
        from rapidfuzz import fuzz, process

        payer_key = _without_misspelt_suffix(payer_key)
        if len(payer_key) < MIN_FUZZY_LENGTH:
            return None
        best: dict[int, float] = {}
        cutoff = max(self._threshold - self._margin - 1, 0)
        # the two most selective blocks: a typo in one word still leaves another, and the
        # rare words ("KALVAROS") narrow far more than the common ones ("PLUMBING")
        usable = [self._blocks[b] for b in _blocks(payer_key) if b in self._blocks]
        usable.sort(key=lambda found: len(found[1]))
        for keys, positions in usable[:MAX_BLOCKS_SCORED]:
            for _, score, at in process.extract(
                payer_key, keys, scorer=fuzz.ratio, limit=3, score_cutoff=cutoff
            ):
                position = positions[at]
                if score > best.get(position, -1.0):
                    best[position] = score
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda item: (-item[1], self._ids[item[0]]))
        top_at, top_score = ranked[0]
        runner_up = round(ranked[1][1]) if len(ranked) > 1 else 0
        score = round(top_score)
        if score < self._threshold or score - runner_up < self._margin:
            return None
        return FuzzyMatch(self._ids[top_at], score, runner_up)


#: Shorter payer names carry too little to be matched approximately.
MIN_FUZZY_LENGTH = 6


_LONG_SUFFIXES = tuple(sorted(s for s in LEGAL_SUFFIXES if len(s) >= 4))


def _without_misspelt_suffix(key: str) -> str:
    """Drop a trailing word that is a misspelt legal form (``COROPRATION``, ``LIMTED``).

    :func:`name_key` strips legal forms spelled right; a typo in one would otherwise stay
    in the key and cost a fuzzy score ten points for a word that says nothing.
    """
    from rapidfuzz import fuzz, process

    words = key.split()
    while len(words) > 1 and len(words[-1]) >= 5:
        last = words[-1]
        # the whole legal form, or its start when the bank cut the name (CROPORAT)
        forms = [suffix[: max(len(last), 5)] for suffix in _LONG_SUFFIXES]
        if process.extractOne(last, forms, scorer=fuzz.ratio, score_cutoff=80) is None:
            break
        words.pop()
    return " ".join(words)


def _blocks(key: str) -> set[str]:
    return {word[:BLOCK_PREFIX] for word in key.split() if len(word) >= 3}
