"""Matching rules as data: ``matching_rules/*.toml`` parsed into frozen rules.

The engine implements a small set of primitives; a rules file picks which of them run, in
which order, with which tolerances and confidence. Everything is validated when the file
is loaded, so a typo stops the run with the rule id and key instead of silently matching
differently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

PRIMITIVES: Final = (
    "reference_exact",
    "reference_discount",
    "reference_writeoff",
    "reference_short",
    "reference_over",
    "reference_duplicate",
    "customer_single_invoice",
    "customer_combination",
)
REFERENCE_KINDS: Final = ("invoice", "po", "structured", "bare")
IDENTIFY_METHODS: Final = (
    "account",
    "customer_id",
    "exact_name",
    "truncated_name",
    "alias",
    "reference",
    "fuzzy_name",
)
_KEYS: Final = {
    "id", "primitive", "description", "references", "identify", "tolerance", "confidence",
    "enabled",
}  # fmt: skip

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "matching_rules" / "default.toml"


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, rule and key."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    primitive: str
    description: str = ""
    references: tuple[str, ...] = REFERENCE_KINDS
    identify: tuple[str, ...] = ("account", "customer_id", "exact_name", "truncated_name", "alias")
    tolerance: Decimal = Decimal("0.00")
    confidence: Decimal = Decimal("0.90")


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


def parse_rules(text: str, source: str = "<rules>") -> tuple[Rule, ...]:  # noqa: C901 - one check per rule key, each refusing by name
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
        rid = raw.get("id") if isinstance(raw.get("id"), str) else f"#{n}"
        where = f"{source}: rule {rid}"
        for key in raw:
            if key not in _KEYS:
                raise RulesError(f"{where}: unknown key {key!r}")
        if "id" not in raw or not isinstance(raw["id"], str) or not raw["id"]:
            raise RulesError(f"{where}: missing id")
        if rid in seen:
            raise RulesError(f"{where}: duplicate id")
        seen.add(rid)
        primitive = raw.get("primitive")
        if primitive not in PRIMITIVES:
            raise RulesError(
                f"{where}: unknown primitive {primitive!r} (known: {', '.join(PRIMITIVES)})"
            )
        if raw.get("enabled", True) is False:
            continue
        kwargs: dict[str, object] = {"id": rid, "primitive": primitive}
        if "description" in raw:
            kwargs["description"] = str(raw["description"])
        if "references" in raw:
            kwargs["references"] = _choices(
                f"{where}.references", raw["references"], REFERENCE_KINDS
            )
        if "identify" in raw:
            kwargs["identify"] = _choices(f"{where}.identify", raw["identify"], IDENTIFY_METHODS)
        if "tolerance" in raw:
            tolerance = _decimal(f"{where}.tolerance", raw["tolerance"])
            if tolerance < 0:
                raise RulesError(f"{where}.tolerance: must not be negative")
            kwargs["tolerance"] = tolerance
        if "confidence" in raw:
            confidence = _decimal(f"{where}.confidence", raw["confidence"])
            if not Decimal(0) <= confidence <= Decimal(1):
                raise RulesError(f"{where}.confidence: must be between 0 and 1")
            kwargs["confidence"] = confidence
        rules.append(Rule(**kwargs))  # type: ignore[arg-type]
    return tuple(rules)


def load_rules(path: str = "") -> tuple[Rule, ...]:
    """Load the configured rules file, or the bundled default."""
    file = Path(path) if path else DEFAULT_RULES_FILE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{file}: cannot read rules file: {exc.strerror}") from exc
    return parse_rules(text, str(file))
