"""Golden-file support: records as JSON lines, compared with ``expected.jsonl``.

Each case lives in ``fixtures/<source>/<case>/`` with one ``input.*`` file and the
``expected.jsonl`` the connector must produce (Decimals and dates as strings, so the file
diffs cleanly). Regenerate with ``CASHAPP_REGENERATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff: it is never rewritten silently.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

from cashapp.domain import PaymentRecord
from connectors.base import ExtractResult


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def record_json(record: PaymentRecord) -> str:
    """One record as a stable JSON line (the raw text is left out: it is the input)."""
    data = _plain(record)
    data.pop("raw", None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def result_jsonl(result: ExtractResult) -> str:
    """All records, then balances and issues, one JSON object per line."""
    lines = [record_json(r) for r in result.records]
    lines += [json.dumps({"balance": _plain(b)}, sort_keys=True) for b in result.balances]
    lines += [json.dumps({"issue": _plain(i)}, sort_keys=True) for i in result.issues]
    return "\n".join(lines) + "\n"
