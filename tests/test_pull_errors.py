"""A pull that cannot reach its platform, or gets something that is not the API, says so.

The reported case (issue 10, item 10): a Plaid pull against a refused port or a non-JSON
reply ended in ``internal error``. Every such failure is one line naming the platform,
the host and what went wrong, exit 2, nothing ingested and the cursor unmoved; the same
holds for Stripe.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import CliRunner

_HTML_500 = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def _refused_url() -> str:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _plaid_config(tmp_path: Path, host: str) -> Path:
    path = tmp_path / "cashapp.toml"
    path.write_text(
        "[sources.plaid]\n"
        f"host = {json.dumps(host)}\n"
        f"landing = {json.dumps(str(tmp_path / 'landing'))}\n"
        "[sources.plaid.items]\n"
        'operating = "PLAID_TOKEN_OPERATING"\n'
    )
    return path


def _stripe_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "cashapp.toml"
    path.write_text(
        "[sources.stripe]\n"
        f"api_base = {json.dumps(base)}\n"
        f"landing = {json.dumps(str(tmp_path / 'landing'))}\n"
    )
    return path


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "client-1")
    monkeypatch.setenv("PLAID_SECRET", "plaid-secret")
    monkeypatch.setenv("PLAID_TOKEN_OPERATING", "access-sandbox-123")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_pullerrors")


def _nothing_stored(db: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM payments").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM pull_cursors").fetchone() == (0,)
    finally:
        con.close()
    assert not (tmp_path / "landing").exists() or not list((tmp_path / "landing").iterdir())


def _one_clean_line(stderr: str, *parts: str) -> None:
    assert "internal error" not in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for part in parts:
        assert part in stderr, (part, stderr)
    for secret in ("plaid-secret", "access-sandbox-123", "sk_test_pullerrors"):
        assert secret not in stderr


@pytest.mark.usefixtures("credentials")
def test_plaid_on_a_refused_port(cli: CliRunner, db: Path, tmp_path: Path) -> None:
    url = _refused_url()
    result = cli("pull", "plaid", config=_plaid_config(tmp_path, url))
    assert result.code == 2
    _one_clean_line(result.stderr, "Plaid", url, "cannot connect")
    _nothing_stored(db, tmp_path)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("status", "body", "content_type", "said"),
    [
        (200, "<html>maintenance</html>", "text/html", "not JSON"),
        (200, '{"added": [', "application/json", "not JSON"),
        (200, "[1, 2]", "application/json", "not a /transactions/sync page"),
        (500, _HTML_500, "text/html", "HTTP 500"),
    ],
)
def test_plaid_with_a_reply_that_is_not_the_api(
    cli: CliRunner,
    db: Path,
    tmp_path: Path,
    httpserver: HTTPServer,
    status: int,
    body: str,
    content_type: str,
    said: str,
) -> None:
    httpserver.expect_request("/transactions/sync", method="POST").respond_with_data(
        body, status=status, content_type=content_type
    )
    host = httpserver.url_for("").rstrip("/")
    result = cli("pull", "plaid", config=_plaid_config(tmp_path, host))
    assert result.code == 2
    _one_clean_line(result.stderr, "Plaid", said)
    _nothing_stored(db, tmp_path)


@pytest.mark.usefixtures("credentials")
def test_stripe_on_a_refused_port(cli: CliRunner, db: Path, tmp_path: Path) -> None:
    url = _refused_url()
    result = cli("pull", "stripe", config=_stripe_config(tmp_path, url))
    assert result.code == 2
    _one_clean_line(result.stderr, "Stripe", url, "cannot connect")
    _nothing_stored(db, tmp_path)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize(
    ("status", "body", "content_type", "said"),
    [
        (200, "<html>maintenance</html>", "text/html", "not JSON"),
        (200, "[1, 2]", "application/json", "not a list of balance transactions"),
        (500, _HTML_500, "text/html", "HTTP 500"),
    ],
)
def test_stripe_with_a_reply_that_is_not_the_api(
    cli: CliRunner,
    db: Path,
    tmp_path: Path,
    httpserver: HTTPServer,
    status: int,
    body: str,
    content_type: str,
    said: str,
) -> None:
    httpserver.expect_request("/v1/balance_transactions", method="GET").respond_with_data(
        body, status=status, content_type=content_type
    )
    base = httpserver.url_for("").rstrip("/")
    result = cli("pull", "stripe", config=_stripe_config(tmp_path, base))
    assert result.code == 2
    _one_clean_line(result.stderr, "Stripe", said)
    _nothing_stored(db, tmp_path)
