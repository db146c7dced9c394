"""Every connector against its golden files: fixtures/<source>/<case>/input.* -> expected.jsonl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors import load_builtin
from connectors.base import ExtractContext
from tests.golden import result_jsonl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REGENERATE = os.environ.get("CASHAPP_REGENERATE_GOLDEN") == "1"
CONTEXT = ExtractContext(ach_company_ids=frozenset({"1234567890", "9876543210"}))


def _cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/*/expected.jsonl")) + (
        sorted(
            p.parent
            for p in FIXTURES.glob("*/*/input.*")
            if REGENERATE and not (p.parent / "expected.jsonl").exists()
        )
    )


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_connector_output_matches_golden_file(case: Path) -> None:
    connectors = load_builtin()
    source = case.parent.name
    (input_file,) = case.glob("input.*")
    result = connectors[source].extract(input_file.read_bytes(), input_file.name, CONTEXT)
    actual = result_jsonl(result)
    expected_file = case / "expected.jsonl"
    if REGENERATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")
