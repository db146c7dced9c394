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
from dataclasses import dataclass
from datetime import UTC, date, datetime
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


def _stripe_settings(config: Config) -> tuple[str, str | None, Path]:
    table = dict(config.sources.get("stripe", {}))
    env_name = str(table.get("api_key_env", "STRIPE_API_KEY"))
    base = table.get("api_base")
    landing = Path(str(table.get("landing", "var/landing/stripe")))
    return env_name, str(base) if base else None, landing


def pull_stripe(
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
    cursor = store.scalar("SELECT cursor FROM pull_cursors WHERE source = 'stripe'")
    start = int(cursor) if cursor is not None else 0
    if since is not None:
        start = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp())
    client = stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=3,
    )
    params: dict[str, Any] = {"limit": 100, "created": {"gte": start}, "expand": ["data.source"]}
    try:
        page = client.v1.balance_transactions.list(params=params)  # type: ignore[arg-type]
        objects = [item.to_dict() for item in page.auto_paging_iter()]
    except stripe.AuthenticationError:
        raise PullRefused(
            f"Stripe refused the API key in {env_name} (401): check the key and its mode"
        ) from None
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None)
        raise PullRefused(
            f"Stripe API error{f' (HTTP {status})' if status else ''}:"
            f" {type(exc).__name__}; nothing was ingested"
        ) from None
    if not objects:
        return PullOutcome("stripe", 0, None, None)
    newest = max(int(o.get("created") or 0) for o in objects)
    landing.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = landing / f"stripe-balance-{start}-{newest}-{stamp}.json"
    path.write_text(json.dumps({"object": "list", "data": objects}, indent=1, sort_keys=True))
    (outcome,) = ingest_paths(store, [path], config, fmt="stripe_api", actor=actor)
    if outcome.status == "refused":
        raise PullRefused(f"the pulled page could not be ingested: {outcome.reason}")
    store.execute(
        "INSERT INTO pull_cursors VALUES ('stripe', ?, ?)"
        " ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor,"
        " updated_at = excluded.updated_at",
        [str(max(newest, start)), utcnow()],
    )
    store.audit(
        f"system:{actor}",
        "pull",
        "source",
        "stripe",
        {"objects": len(objects), "from": start, "to": newest, "file": path.name},
    )
    return PullOutcome("stripe", len(objects), path, outcome)
