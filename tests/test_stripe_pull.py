"""`cashapp pull stripe`: the real stripe client against a local server in Stripe's format."""

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

KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"


def _shape(name: str) -> dict[str, Any]:
    """A real object shape from Stripe's OpenAPI fixtures (../shared/conformance/stripe)."""
    data: dict[str, Any] = json.loads(
        (require_conformance() / "stripe" / f"{name}.json").read_text()
    )
    return data


def _charge_txn(n: int, amount: int, invoice: str, created: int) -> dict[str, Any]:
    charge = copy.deepcopy(_shape("charge"))
    charge.update(
        id=f"ch_pull{n}", amount=amount, metadata={"invoice_number": invoice},
        description=f"Payment {invoice}", customer=f"cus_{n}",
    )  # fmt: skip
    charge["billing_details"]["name"] = "Acme Plumbing Supply"
    txn = copy.deepcopy(_shape("balance_transaction"))
    txn.update(
        id=f"txn_pull{n}", amount=amount, fee=30 + n, net=amount - 30 - n, created=created,
        source=charge, reporting_category="charge", type="charge",
    )  # fmt: skip
    return txn


def _dispute_txn(created: int) -> dict[str, Any]:
    dispute = copy.deepcopy(_shape("dispute"))
    dispute.update(id="du_pull1", charge="ch_pull1", reason="fraudulent", amount=125000)
    txn = copy.deepcopy(_shape("balance_transaction"))
    txn.update(
        id="txn_pull9", amount=-125000, fee=1500, net=-126500, created=created,
        source=dispute, reporting_category="dispute", type="adjustment",
    )  # fmt: skip
    return txn


class FakeStripe:
    """Answers GET /v1/balance_transactions like Stripe: pages of `limit`, `starting_after`."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects
        self.requests: list[dict[str, str]] = []
        self.fail_first_with: int | None = None

    def __call__(self, request: Request) -> Response:
        self.requests.append(dict(request.args))
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            error = {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
            return Response(json.dumps(error), status=401, content_type="application/json")
        if self.fail_first_with is not None:
            status, self.fail_first_with = self.fail_first_with, None
            return Response('{"error": {"type": "api_error"}}', status=status)
        gte = int(request.args.get("created[gte]", "0"))
        matching = sorted(
            (o for o in self.objects if o["created"] >= gte), key=lambda o: -o["created"]
        )
        after = request.args.get("starting_after")
        if after:
            ids = [o["id"] for o in matching]
            matching = matching[ids.index(after) + 1 :]
        limit = 2  # small pages, so the client must follow has_more
        page = matching[:limit]
        body = {
            "object": "list",
            "url": "/v1/balance_transactions",
            "has_more": len(matching) > limit,
            "data": page,
        }
        return Response(json.dumps(body), status=200, content_type="application/json")


@pytest.fixture
def stripe_server(httpserver: HTTPServer) -> FakeStripe:
    fake = FakeStripe(
        [
            _charge_txn(1, 125000, "INV-204411", 1763600000),
            _charge_txn(2, 48000, "INV-204412", 1763600100),
            _charge_txn(3, 9900, "INV-204413", 1763600200),
        ]
    )
    httpserver.expect_request("/v1/balance_transactions", method="GET").respond_with_handler(fake)
    return fake


def _config(tmp_path: Path, httpserver: HTTPServer) -> Path:
    path = tmp_path / "cashapp.toml"
    path.write_text(
        "[sources.stripe]\n"
        f"api_base = {json.dumps(httpserver.url_for('').rstrip('/'))}\n"
        f"landing = {json.dumps(str(tmp_path / 'landing'))}\n"
    )
    return path


def test_pull_pages_through_saves_the_pages_and_ingests_them(
    cli: CliRunner,
    tmp_path: Path,
    db: Path,
    httpserver: HTTPServer,
    stripe_server: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    config = _config(tmp_path, httpserver)
    result = cli("pull", "stripe", config=config)
    assert result.code == 0, result.stderr
    assert "3 balance transactions" in result.stdout
    assert len(stripe_server.requests) == 2  # two pages: has_more was followed
    expand = {v for k, v in stripe_server.requests[0].items() if k.startswith("expand")}
    assert expand == {"data.source", "data.source.charge"}
    (landing,) = (tmp_path / "landing").iterdir()
    assert KEY not in landing.read_text()
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT source, source_ref, kind, amount, remittance FROM v_payments"
        " WHERE kind = 'payment' ORDER BY source_ref"
    ).fetchall()
    fees = con.execute("SELECT sum(amount) FROM payments WHERE kind = 'fee'").fetchone()
    stored = " ".join(str(v) for r in con.execute("SELECT * FROM payments").fetchall() for v in r)
    con.close()
    assert [r[:4] for r in rows] == [
        ("stripe", "ch_pull1", "payment", Decimal("1250.0000")),
        ("stripe", "ch_pull2", "payment", Decimal("480.0000")),
        ("stripe", "ch_pull3", "payment", Decimal("99.0000")),
    ]
    assert "invoice_number: INV-204411" in rows[0][4]
    assert fees == (Decimal("-0.9600"),)
    assert KEY not in stored

    # a re-pull asks from the high-water mark and adds nothing
    again = cli("pull", "stripe", config=config)
    assert again.code == 0, again.stderr
    assert stripe_server.requests[-1]["created[gte]"] == "1763600200"
    assert "0 new" in again.stdout

    # a dispute arrives later: the next pull brings it, the charge is reversed
    stripe_server.objects.append(_dispute_txn(1763700000))
    assert cli("pull", "stripe", config=config).code == 0
    con = duckdb.connect(str(db), read_only=True)
    kinds = con.execute("SELECT kind, reason_code FROM payments WHERE kind = 'chargeback'")
    assert kinds.fetchall() == [("chargeback", "fraudulent")]
    con.close()


@pytest.mark.usefixtures("stripe_server")
def test_a_bad_key_stops_with_a_clear_message_and_no_secret(
    cli: CliRunner,
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_wrong_key_123")
    result = cli("pull", "stripe", config=_config(tmp_path, httpserver))
    assert result.code == 2
    assert "refused the API key in STRIPE_API_KEY (401)" in result.stderr
    assert "sk_test_wrong" not in result.stderr + result.stdout
    monkeypatch.delenv("STRIPE_API_KEY")
    missing = cli("pull", "stripe", config=_config(tmp_path, httpserver))
    assert missing.code == 2
    assert "set the environment variable STRIPE_API_KEY" in missing.stderr


def test_a_server_error_is_retried(
    cli: CliRunner,
    tmp_path: Path,
    httpserver: HTTPServer,
    stripe_server: FakeStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    stripe_server.fail_first_with = 503
    result = cli("pull", "stripe", config=_config(tmp_path, httpserver))
    assert result.code == 0, result.stderr
    assert "3 balance transactions" in result.stdout
