"""Pulling from payment platforms' APIs: fetch to a landing file, then ingest that file.

Why fetch-then-extract (DESIGN): the raw pages are kept exactly as the platform sent them,
so a run can be replayed, audited or re-parsed after a parser fix without calling the
platform again, and the API path goes through the same atomic, idempotent ingest as a
bank file. Each source keeps a high-water mark in ``pull_cursors``; the next pull asks
from there on (inclusive: an object created in the same second is fetched again and
recognised as known by its id, never doubled).

Secrets: the API key is read from the environment variable named in config and is never
written to the landing file, the database, a log line or an error message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cashapp.config import Config
from cashapp.ingest import FileOutcome, ingest_paths
from cashapp.store import Store, utcnow


class PullRefused(Exception):
    """The pull cannot start or the platform refused it; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class PullOutcome:
    source: str
    fetched: int  # objects the platform returned
    landing_file: Path | None
    ingest: FileOutcome | None


def _cursor(store: Store, source: str) -> str | None:
    value = store.scalar("SELECT cursor FROM pull_cursors WHERE source = ?", [source])
    return None if value is None else str(value)


def _land_and_ingest(
    store: Store,
    config: Config,
    *,
    source: str,
    path: Path,
    document: Mapping[str, Any],
    fmt: str,
    cursor: str,
    detail: Mapping[str, Any],
    actor: str,
) -> FileOutcome:
    """Save the fetched document, ingest it, then move the source's high-water mark.

    The mark moves only after the file is stored: a crash in between makes the next pull
    fetch the same objects again, which ingest recognises by their ids.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, default=str, indent=1, sort_keys=True))
    (outcome,) = ingest_paths(store, [path], config, fmt=fmt, actor=actor)
    if outcome.status == "refused":
        raise PullRefused(f"the pulled page could not be ingested: {outcome.reason}")
    store.execute(
        "INSERT INTO pull_cursors VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE"
        " SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        [source, cursor, utcnow()],
    )
    store.audit(f"system:{actor}", "pull", "source", source, {**detail, "file": path.name})
    return outcome


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%S%f")


def _stripe_settings(config: Config) -> tuple[str, str | None, Path]:
    table = dict(config.sources.get("stripe", {}))
    env_name = str(table.get("api_key_env", "STRIPE_API_KEY"))
    base = table.get("api_base")
    landing = Path(str(table.get("landing", "var/landing/stripe")))
    return env_name, str(base) if base else None, landing


def pull_stripe(  # noqa: C901 - the fetch loop: paging, the high-water mark and each API error named
    store: Store, config: Config, *, since: date | None = None, actor: str = "cli"
) -> PullOutcome:
    """Fetch Stripe balance transactions (source expanded) since the high-water mark."""
    import stripe

    env_name, base, landing = _stripe_settings(config)
    key = os.environ.get(env_name, "")
    if not key:
        raise PullRefused(
            f"no Stripe API key: set the environment variable {env_name}"
            " (named by [sources.stripe] api_key_env)"
        )
    cursor = _cursor(store, "stripe")
    start = int(cursor) if cursor is not None else 0
    if since is not None:
        start = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp())
    client = stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=3,
    )
    params: dict[str, Any] = {
        "limit": 100,
        "created": {"gte": start},
        "expand": ["data.source", "data.source.charge"],
    }
    where = base or "https://api.stripe.com"
    try:
        page = client.v1.balance_transactions.list(params=params)  # type: ignore[arg-type]
        if not isinstance(page, stripe.ListObject):
            raise PullRefused(
                f"Stripe at {where} replied with something that is not a list of balance"
                " transactions; nothing was ingested"
            )
        objects = []
        for item in page.auto_paging_iter():
            if not isinstance(item, stripe.StripeObject):
                raise PullRefused(
                    f"Stripe at {where} replied with something that is not a list of"
                    " balance transactions; nothing was ingested"
                )
            objects.append(item.to_dict())
    except stripe.AuthenticationError:
        raise PullRefused(
            f"Stripe refused the API key in {env_name} (401): check the key and its mode"
        ) from None
    except stripe.APIConnectionError as exc:
        raise PullRefused(
            f"Stripe: cannot connect to {where} ({_connection_reason(exc)}); nothing was ingested"
        ) from None
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None)
        if "Invalid response body" in str(exc):
            raise PullRefused(
                f"Stripe at {where} replied with something that is not JSON"
                f" (HTTP {status}); nothing was ingested"
            ) from None
        raise PullRefused(
            f"Stripe API error{f' (HTTP {status})' if status else ''}:"
            f" {type(exc).__name__}; nothing was ingested"
        ) from None
    if not objects:
        return PullOutcome("stripe", 0, None, None)
    newest = max(int(o.get("created") or 0) for o in objects)
    path = landing / f"stripe-balance-{start}-{newest}-{_stamp()}.json"
    outcome = _land_and_ingest(
        store,
        config,
        source="stripe",
        path=path,
        document={"object": "list", "data": objects},
        fmt="stripe_api",
        cursor=str(max(newest, start)),
        detail={"objects": len(objects), "from": start, "to": newest},
        actor=actor,
    )
    return PullOutcome("stripe", len(objects), path, outcome)


def _plaid_settings(config: Config) -> dict[str, Any]:
    table = dict(config.sources.get("plaid", {}))
    return {
        "client_id_env": str(table.get("client_id_env", "PLAID_CLIENT_ID")),
        "secret_env": str(table.get("secret_env", "PLAID_SECRET")),
        "host": str(table.get("host", "https://production.plaid.com")),
        "landing": Path(str(table.get("landing", "var/landing/plaid"))),
        "items": dict(table.get("items", {})),  # type: ignore[call-overload]
    }


def _connection_reason(exc: BaseException) -> str:
    """A network failure in a few words, whatever client raised it."""
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "unknown host"),
        ("certificate", "TLS certificate problem"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


#: Seconds a Plaid request may take (connect, read) before the pull gives up on it.
PLAID_TIMEOUT = (10, 120)


def _plaid_page(response: Any, host: str) -> dict[str, Any]:
    """One /transactions/sync reply as a dict, or a refusal saying what came back instead."""
    try:
        page = json.loads(response.data, parse_float=Decimal)
    except ValueError:
        kind = (response.headers or {}).get("Content-Type") or "no content type"
        raise PullRefused(
            f"Plaid at {host} replied with something that is not JSON"
            f" (HTTP {response.status}, {kind}); nothing was ingested"
        ) from None
    lists_ok = isinstance(page, dict) and all(
        isinstance(page.get(key) or [], list) for key in ("added", "modified", "removed")
    )
    if not lists_ok:
        raise PullRefused(
            f"Plaid at {host} replied with something that is not a /transactions/sync page;"
            " nothing was ingested"
        )
    return dict(page)


def _plaid_sync(client: Any, token: str, cursor: str, host: str = "") -> tuple[dict[str, Any], str]:
    """One complete /transactions/sync run from ``cursor``; pages merged, amounts exact.

    The raw response body is parsed with ``Decimal`` for JSON numbers: the client's own
    models would hand amounts over as binary floats. A mutation during pagination restarts
    the run from the cursor it started with, as Plaid asks.
    """
    import plaid
    import urllib3
    from plaid.model.transactions_sync_request import TransactionsSyncRequest

    for _attempt in range(3):
        merged: dict[str, Any] = {"added": [], "modified": [], "removed": [], "accounts": []}
        position = cursor
        try:
            while True:
                request = (
                    TransactionsSyncRequest(access_token=token, cursor=position)
                    if position
                    else TransactionsSyncRequest(access_token=token)
                )
                response = client.transactions_sync(
                    request, _preload_content=False, _request_timeout=PLAID_TIMEOUT
                )
                page = _plaid_page(response, host)
                for key in ("added", "modified", "removed"):
                    merged[key] += page.get(key) or []
                merged["accounts"] = page.get("accounts") or merged["accounts"]
                position = page.get("next_cursor") or position
                if not page.get("has_more"):
                    return merged, position
        except urllib3.exceptions.HTTPError as exc:  # the client's transport: no reply at all
            raise PullRefused(
                f"Plaid: cannot connect to {host} ({_connection_reason(exc)}); nothing was ingested"
            ) from None
        except plaid.ApiException as exc:
            try:
                body = json.loads(exc.body or "{}")
            except ValueError:
                body = {}
            code = body.get("error_code", "")
            if code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
                continue
            if exc.status in (400, 401) and code in ("INVALID_API_KEYS", "INVALID_ACCESS_TOKEN"):
                raise PullRefused(f"Plaid refused the credentials ({code})") from None
            raise PullRefused(
                f"Plaid API error (HTTP {exc.status}) {code or ''}; nothing was ingested"
            ) from None
    raise PullRefused("Plaid kept changing the transactions during paging; try again later")


def pull_plaid(store: Store, config: Config, *, actor: str = "cli") -> list[PullOutcome]:
    """Sync every configured Item from its stored cursor; one landing file per Item."""
    import plaid
    from plaid.api import plaid_api

    settings = _plaid_settings(config)
    if not settings["items"]:
        raise PullRefused("no Plaid items configured: add [sources.plaid.items] name = VAR")
    client_id = os.environ.get(settings["client_id_env"], "")
    secret = os.environ.get(settings["secret_env"], "")
    if not client_id or not secret:
        raise PullRefused(
            f"no Plaid credentials: set {settings['client_id_env']} and {settings['secret_env']}"
        )
    configuration = plaid.Configuration(
        host=settings["host"], api_key={"clientId": client_id, "secret": secret}
    )
    client = plaid_api.PlaidApi(plaid.ApiClient(configuration))
    outcomes = []
    for item, variable in sorted(settings["items"].items()):
        token = os.environ.get(str(variable), "")
        if not token:
            raise PullRefused(f"no access token for Plaid item {item!r}: set {variable}")
        source = f"plaid:{item}"
        cursor = _cursor(store, source) or ""
        merged, next_cursor = _plaid_sync(client, token, cursor, settings["host"])
        if not (merged["added"] or merged["modified"] or merged["removed"]):
            outcomes.append(PullOutcome(source, 0, None, None))
            continue
        path = settings["landing"] / f"plaid-{item}-{_stamp()}.json"
        outcome = _land_and_ingest(
            store,
            config,
            source=source,
            path=path,
            document={"plaid_sync": {"item": item, "cursor_from": cursor}, **merged},
            fmt="plaid",
            cursor=next_cursor,
            detail={"added": len(merged["added"])},
            actor=actor,
        )
        fetched = len(merged["added"]) + len(merged["modified"]) + len(merged["removed"])
        outcomes.append(PullOutcome(source, fetched, path, outcome))
    return outcomes
