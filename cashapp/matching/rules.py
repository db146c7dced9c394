"""Matching rules as data: ``matching_rules/*.toml`` parsed into frozen rules.

The engine implements a small set of primitives (:mod:`cashapp.matching.registry`, the
only list of them); a rules file picks which of them run, in which order, with which
parameters. Why the rules are data and the primitives are not: an AR team's policy (try
the discount before the write-off, accept a fuzzy name only for an exact amount, a cent
of tolerance) changes per team and per quarter and must not need a release, while what a
primitive does has to be reviewed and tested once, in code. So the file may only say
what the registry declares: an unknown key, a key the rule's primitive does not take
(``tolerance`` on a primitive that never reads it) or a value out of its range stops the
load with one line naming the file, the rule id and the key -- a typo never silently
matches differently. The registry also says which orderings let the set-based path
stand in for the engine (:func:`~cashapp.matching.registry.bulk_rule`), so a team's
reordering is judged by what each primitive can do, not by position.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cashapp.matching.registry import (
    COMMON_KEYS,
    DEFAULT_CONFIDENCE,
    DEFAULT_IDENTIFY,
    DEFAULT_TOLERANCE,
    PARAMETERS,
    PRIMITIVES,
    REFERENCE_KINDS,
    Parameter,
    Primitive,
)

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "matching_rules" / "default.toml"
_KEYS = (*COMMON_KEYS, *(q.name for q in PARAMETERS))  # also the order keys are checked in

__all__ = [
    "DEFAULT_RULES_FILE",
    "PRIMITIVES",
    "REFERENCE_KINDS",
    "Rule",
    "RulesError",
    "load_rules",
    "parse_rules",
]


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, rule and key."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    primitive: str
    description: str = ""
    references: tuple[str, ...] = REFERENCE_KINDS
    identify: tuple[str, ...] = DEFAULT_IDENTIFY
    tolerance: Decimal = DEFAULT_TOLERANCE
    confidence: Decimal = DEFAULT_CONFIDENCE


def _decimal(where: str, value: object) -> Decimal:
    if isinstance(value, float | bool):
        raise RulesError(f'{where}: write numbers as strings, e.g. "{value}"')
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise RulesError(f"{where}: not a number: {value!r}") from exc


def _choices(where: str, value: object, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where}: expected a list of strings")
    for item in value:
        if item not in allowed:
            raise RulesError(f"{where}: unknown value {item!r} (allowed: {', '.join(allowed)})")
    return tuple(value)


def _value(where: str, parameter: Parameter, value: object) -> object:
    """One parameter's value, checked against what the registry declares."""
    if parameter.choices:
        return _choices(where, value, parameter.choices)
    number = _decimal(where, value)
    if parameter.low is not None and parameter.high is not None:
        if not parameter.low <= number <= parameter.high:
            raise RulesError(f"{where}: must be between {parameter.low} and {parameter.high}")
    elif parameter.low is not None and number < parameter.low:
        raise RulesError(
            f"{where}: must not be negative"
            if parameter.low == 0
            else f"{where}: must be at least {parameter.low}"
        )
    return number


def _parameters(where: str, raw: dict[str, object], primitive: Primitive) -> dict[str, object]:
    """The rule's keys beyond id/primitive/enabled, each one the primitive takes."""
    out: dict[str, object] = {}
    for key in sorted(raw, key=_KEYS.index):
        value = raw[key]
        if key in ("id", "primitive", "enabled"):
            continue
        if key == "description":
            out[key] = str(value)
            continue
        parameter = primitive.parameter(key)
        if parameter is None:
            takes = ", ".join(q.name for q in primitive.parameters) or "no parameters"
            raise RulesError(
                f"{where}: key {key!r} is not read by primitive {primitive.name}"
                f" (it takes: {takes})"
            )
        out[key] = _value(f"{where}.{key}", parameter, value)
    return out


def _rule(source: str, n: int, raw: dict[str, object], seen: set[str]) -> Rule | None:
    """The ``n``-th ``[[rules]]`` table checked whole; None when it is disabled."""
    rid = raw["id"] if isinstance(raw.get("id"), str) else f"#{n}"
    where = f"{source}: rule {rid}"
    for key in raw:
        if key not in _KEYS:
            raise RulesError(f"{where}: unknown key {key!r}")
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        raise RulesError(f"{where}: missing id")
    if rid in seen:
        raise RulesError(f"{where}: duplicate id")
    seen.add(str(rid))
    primitive = raw.get("primitive")
    if not isinstance(primitive, str) or primitive not in PRIMITIVES:
        raise RulesError(
            f"{where}: unknown primitive {primitive!r} (known: {', '.join(PRIMITIVES)})"
        )
    kwargs = _parameters(where, raw, PRIMITIVES[primitive])
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RulesError(f"{where}.enabled: must be true or false")
    if not enabled:
        return None
    return Rule(id=str(rid), primitive=primitive, **kwargs)  # type: ignore[arg-type]


def parse_rules(text: str, source: str = "<rules>") -> tuple[Rule, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"version", "rules"}
    if unknown:
        raise RulesError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    if data.get("version") != 1:
        raise RulesError(f"{source}: version must be 1")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RulesError(f"{source}: no [[rules]] defined")
    rules: list[Rule] = []
    seen: set[str] = set()
    for n, raw in enumerate(raw_rules, start=1):
        rule = _rule(source, n, raw, seen)
        if rule is not None:
            rules.append(rule)
    return tuple(rules)


def load_rules(path: str = "") -> tuple[Rule, ...]:
    """Load the configured rules file, or the bundled default."""
    file = Path(path) if path else DEFAULT_RULES_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{file}: cannot read rules file: {exc.strerror}") from exc
    return parse_rules(text, str(file))
