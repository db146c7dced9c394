"""Mutations of the parsers' fuzzing (:mod:`cashapp.bench.fuzz`).

libFuzzer's own byte mutations know nothing of lines, numbers or JSON. These add the damage
real files suffer -- truncation, lines dropped, repeated, cut short or spliced from another
file, numbers, signs and currencies changed -- and for JSON inputs a value swapped for one
of another type, dropped or repeated. :class:`Mutator` mixes them with libFuzzer's.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any, Final

#: Most bytes one of our mutations may add (libFuzzer grows inputs gradually itself).
_MAX_GROWTH: Final = 512
_JSON_TARGETS: Final = frozenset({"stripe_api", "plaid", "plastiq"})


_DIGITS: Final = re.compile(rb"\d+")
_JSON_SWAPS: Final[tuple[object, ...]] = (
    None, True, 0, -1, 10**30, "", " ", "1,5", "-0", "NaN", "Infinity", "1e400", "XYZ",
    "2026-02-30", "9999-99-99", [], {}, [None], {"": None}, "x" * 300,
)  # fmt: skip
_TOKENS: Final = (
    b"-", b"+", b",", b".", b"0", b"9", b"99999999999999999999", b"USD", b"XYZ", b"JPY",
    b"KWD", b"EUR", b"NaN", b"\n", b"\r\n", b"\x00", b"-}", b"</", b"<", b">", b'"', b";",
    b"/", b"?", b"  ", b"\xff", b"1,234.56", b"976,61",
)  # fmt: skip


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def mutate_text(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """One damage of the kind real files suffer (see the module note)."""
    choice = rng.randrange(8)
    lines = lines_of(data)
    n = rng.randrange(len(lines))
    if choice == 0:  # truncate anywhere
        return data[: rng.randrange(len(data) + 1)]
    if choice == 1:  # delete a line
        return b"".join(lines[:n] + lines[n + 1 :])
    if choice == 2:  # duplicate a line
        return b"".join(lines[: n + 1] + lines[n:])
    if choice == 3:  # cut a line short (a row that lost its trailing columns)
        line = lines[n]
        lines[n] = line[: rng.randrange(len(line) + 1)] + (b"\n" if line.endswith(b"\n") else b"")
        return b"".join(lines)
    if choice == 4 and others:  # splice in lines of another seed
        other = lines_of(rng.choice(others))
        m = rng.randrange(len(other))
        return b"".join(lines[:n] + other[m : m + rng.randint(1, 3)] + lines[n:])
    if choice == 5:  # change a number
        numbers = list(_DIGITS.finditer(data))
        if numbers:
            hit = rng.choice(numbers)
            new = rng.choice(
                [b"", b"0", b"-" + hit.group(), hit.group() * 2, b"1,5", hit.group()[::-1]]
            )
            return data[: hit.start()] + new + data[hit.end() :]
    if choice == 6:  # swap two lines
        m = rng.randrange(len(lines))
        lines[n], lines[m] = lines[m], lines[n]
        return b"".join(lines)
    at = rng.randrange(len(data) + 1)  # insert a telling token
    return data[:at] + rng.choice(_TOKENS) + data[at:]


def _json_nodes(node: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _json_nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _json_nodes(value, (*path, index))


def mutate_json(data: bytes, rng: random.Random) -> bytes | None:
    """Swap one value of a JSON document for one of another type, or drop or repeat it."""
    from decimal import Decimal

    try:
        document = json.loads(data, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    paths = [p for p in _json_nodes(document) if p]
    if not paths:
        return None
    path = rng.choice(paths)
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    action = rng.randrange(4)
    if action == 0:
        del parent[key]
    elif action == 1 and isinstance(parent, list):
        index = int(str(key))
        parent.insert(index, parent[index])
    else:
        parent[key] = rng.choice(_JSON_SWAPS)
    return json.dumps(document, default=str).encode()


class Mutator:
    """libFuzzer's byte mutations, real-file damage, and JSON type swaps, mixed."""

    def __init__(self, parser: str, corpus: list[bytes]) -> None:
        self.parser = parser
        self.corpus = corpus

    def __call__(self, data: bytes, max_size: int, seed: int) -> bytes:
        import atheris

        rng = random.Random(seed)  # noqa: S311  (mutation, not secrecy: libFuzzer's seed)
        roll = rng.random()
        if data and roll < 0.35:
            out: bytes | None = mutate_text(data, rng, self.corpus)
        elif data and self.parser in _JSON_TARGETS and roll < 0.6:
            out = mutate_json(data, rng)
        else:
            out = None
        if out is not None and len(out) > len(data) + _MAX_GROWTH:
            out = None  # a repeated long line doubles a one-line format: growth is slow
        if out is None:
            out = atheris.Mutate(data, max_size)
        return out[:max_size]
