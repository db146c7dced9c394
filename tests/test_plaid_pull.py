"""`cashapp pull plaid`: the real plaid-python client against a local /transactions/sync."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import CliRunner, require_conformance


def _example_transaction() -> dict[str, Any]:
    """A real transaction shape from Plaid's API examples (../shared/conformance/plaid)."""
    folder = require_conformance() / "plaid"
    example = json.loads((folder / "transactions_sync_response.example.json").read_text())
    txn: dict[str, Any] = copy.deepcopy(example["added"][0])
    return txn


def _txn(txn_id: str, amount: str, name: str, **changes: Any) -> dict[str, Any]:
    txn = _example_transaction()
    txn.update({"transaction_id": txn_id, "name": name, "date": "2026-11-20", "pending": False})
    txn.update(changes)
    txn["amount"] = f"@@{amount}@@"  # replaced by a bare JSON number below
    return txn


def _body(page: dict[str, Any]) -> str:
    """JSON with the amounts as bare numbers, exactly as Plaid sends them."""
    text = json.dumps(page)
    return text.replace('"@@', "").replace('@@"', "")


class FakePlaid:
    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.mutate_once = False

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.data)
        self.requests.append(body)
        secret = request.headers.get("PLAID-SECRET") or body.get("secret")
        if secret != "plaid-secret":
            error = {"error_code": "INVALID_API_KEYS", "error_type": "INVALID_INPUT"}
            return Response(json.dumps(error), status=400, content_type="application/json")
        cursor = body.get("cursor", "")
        if self.mutate_once and cursor == "c1":
            self.mutate_once = False
            error = {"error_code": "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"}
            return Response(json.dumps(error), status=400, content_type="application/json")
        page = self.pages.get(cursor) or {
            "added": [], "modified": [], "removed": [], "accounts": [],
            "next_cursor": cursor, "has_more": False,
        }  # fmt: skip
        return Response(_body(page), status=200, content_type="application/json")


@pytest.fixture
def plaid_server(httpserver: HTTPServer) -> FakePlaid:
    fake = FakePlaid()
    account = {"account_id": "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp", "mask": "0000"}
    fake.pages[""] = {
        "added": [
            _txn("t-credit-1", "-1250.00", "ACH CREDIT ACME PLUMBING", payment_meta={
                "reference_number": "INV-204411", "payer": "ACME PLUMBING SUPPLY",
                "by_order_of": None, "payee": None, "payment_method": "ACH",
                "payment_processor": None, "ppd_id": None, "reason": None}),
            _txn("t-pending", "-99.00", "PENDING DEPOSIT", pending=True),
        ],
        "modified": [], "removed": [], "accounts": [account],
        "next_cursor": "c1", "has_more": True,
    }  # fmt: skip
    fake.pages["c1"] = {
        "added": [_txn("t-debit", "72.10", "PURCHASE WM SUPERCENTER #1700")],
        "modified": [], "removed": [{"transaction_id": "t-old"}], "accounts": [account],
        "next_cursor": "c2", "has_more": False,
    }  # fmt: skip
    httpserver.expect_request("/transactions/sync", method="POST").respond_with_handler(fake)
    return fake


def _config(tmp_path: Path, httpserver: HTTPServer) -> Path:
    path = tmp_path / "cashapp.toml"
    path.write_text(
        "[sources.plaid]\n"
        f"host = {json.dumps(httpserver.url_for('').rstrip('/'))}\n"
        f"landing = {json.dumps(str(tmp_path / 'landing'))}\n"
        "[sources.plaid.items]\n"
        'operating = "PLAID_TOKEN_OPERATING"\n'
    )
    return path


def test_sync_pages_restarts_on_mutation_and_stores_posted_money_in(
    cli: CliRunner,
    tmp_path: Path,
    db: Path,
    httpserver: HTTPServer,
    plaid_server: FakePlaid,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-1")
    monkeypatch.setenv("PLAID_SECRET", "plaid-secret")
    monkeypatch.setenv("PLAID_TOKEN_OPERATING", "access-sandbox-123")
    plaid_server.mutate_once = True
    config = _config(tmp_path, httpserver)
    result = cli("pull", "plaid", config=config)
    assert result.code == 0, result.stderr
    cursors = [r.get("cursor", "") for r in plaid_server.requests]
    assert cursors == ["", "c1", "", "c1"]  # the mutation restarted the run from the start
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT source_ref, kind, amount, payer_name, account FROM payments ORDER BY 1"
    ).fetchall()
    warnings = con.execute("SELECT issues FROM source_files").fetchone()
    stored = " ".join(str(v) for r in con.execute("SELECT * FROM payments").fetchall() for v in r)
    con.close()
    assert rows == [
        ("t-credit-1", "payment", Decimal("1250.0000"), "ACME PLUMBING SUPPLY", "0000"),
        ("t-debit", "other", Decimal("-72.1000"), "Walmart", "0000"),
    ]
    assert warnings is not None
    assert "t-old" in warnings[0]
    assert "access-sandbox-123" not in stored
    assert "plaid-secret" not in stored

    again = cli("pull", "plaid", config=config)  # from cursor c2: nothing new
    assert again.code == 0, again.stderr
    assert plaid_server.requests[-1]["cursor"] == "c2"
    assert "nothing new" in again.stdout


@pytest.mark.usefixtures("plaid_server")
def test_bad_credentials_stop_with_a_clear_message(
    cli: CliRunner,
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-1")
    monkeypatch.setenv("PLAID_SECRET", "wrong")
    monkeypatch.setenv("PLAID_TOKEN_OPERATING", "access-sandbox-123")
    result = cli("pull", "plaid", config=_config(tmp_path, httpserver))
    assert result.code == 2
    assert "Plaid refused the credentials (INVALID_API_KEYS)" in result.stderr
    assert "wrong" not in result.stderr


def test_landing_amounts_are_exact_whatever_json_number_shape() -> None:
    from connectors.base import ExtractContext
    from connectors.plaid.connector import PLAID

    def landing(amount: str) -> bytes:
        txn = {"transaction_id": "t1", "date": "2026-11-20", "pending": False,
               "iso_currency_code": "USD", "name": "DEPOSIT", "account_id": "a"}  # fmt: skip
        text = json.dumps({"plaid_sync": {}, "added": [txn], "accounts": []})
        return text.replace('"pending"', f'"amount": {amount}, "pending"').encode()

    for shape, expected in (("-100", "100.00"), ("-0.1", "0.10"), ('"-12.34"', "12.34")):
        (record,) = PLAID.extract(landing(shape), "x.json", ExtractContext()).records
        assert record.amount == Decimal(expected)
