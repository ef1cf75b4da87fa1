"""Webhook subscriptions: create (the secret is returned once), list, deactivate."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.store import OUTBOX_KINDS

# A subscription to this word receives every kind the outbox carries.
ALL_KINDS = "*"


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription as listed: never its secret."""

    id: int
    url: str
    event_kinds: tuple[str, ...]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CreatedWebhook:
    webhook: Webhook
    # The signing secret. Stored in clear because signing needs it, but shown only here.
    secret: str


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be http(s)://host/…, got {url!r}")
    return url


def check_kinds(kinds: Sequence[str], known: Sequence[str] = OUTBOX_KINDS) -> list[str]:
    """The kinds, deduplicated in order: `*` or kinds the outbox carries, nothing else."""
    wanted = list(dict.fromkeys(kind.strip() for kind in kinds if kind.strip()))
    unknown = [kind for kind in wanted if kind != ALL_KINDS and kind not in known]
    if not wanted or unknown:
        raise ValueError(
            f"unknown event kind(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {ALL_KINDS}, {', '.join(known)}"
        )
    return wanted


def _webhook(row: Any) -> Webhook:
    webhook_id, url, kinds, active, created = row
    return Webhook(int(webhook_id), url, tuple(kinds), bool(active), created)


_COLUMNS = "id, url, event_kinds, active, created_at"


async def create_webhook(
    conn: AsyncConnection, url: str, event_kinds: Sequence[str]
) -> CreatedWebhook:
    """Raises ValueError for a URL that is not http(s) or an event kind the outbox never
    carries."""
    kinds = check_kinds(event_kinds)
    secret = new_secret()
    row = (
        await conn.execute(
            text(
                "INSERT INTO webhooks (url, secret, event_kinds) VALUES (:url, :secret, :kinds) "
                f"RETURNING {_COLUMNS}"
            ),
            {"url": check_url(url), "secret": secret, "kinds": kinds},
        )
    ).one()
    return CreatedWebhook(_webhook(row), secret)


async def list_webhooks(conn: AsyncConnection, *, include_inactive: bool = True) -> list[Webhook]:
    where = "" if include_inactive else "WHERE active"
    rows = await conn.execute(text(f"SELECT {_COLUMNS} FROM webhooks {where} ORDER BY id"))
    return [_webhook(row) for row in rows]


_DEACTIVATE = text("""
WITH gone AS (
    UPDATE webhooks SET active = false WHERE id = :id AND active RETURNING id
)
UPDATE webhook_deliveries d SET status = 'cancelled', last_error = 'subscription removed'
FROM gone WHERE d.webhook_id = gone.id AND d.status = 'pending'
RETURNING d.id
""")


async def deactivate_webhook(conn: AsyncConnection, webhook_id: int) -> bool:
    """Stops new deliveries and cancels pending ones; the delivery log is kept. False when
    there is no active subscription with this id."""
    found = await conn.scalar(
        text("SELECT active FROM webhooks WHERE id = :id FOR UPDATE"), {"id": webhook_id}
    )
    if not found:
        return False
    await conn.execute(_DEACTIVATE, {"id": webhook_id})
    return True
