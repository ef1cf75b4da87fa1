"""Due deliveries → signed POSTs → delivered, retried later, or failed.

A worker *claims* a batch in a short transaction (SKIP LOCKED, so two workers take different
rows): the claim counts the attempt and pushes `next_attempt_at` a lease ahead, then commits.
The POSTs run with no transaction open, and each result is recorded only if the delivery is
still the one claimed (same attempt number, still pending), so a worker that overran its
lease cannot overwrite a newer attempt. A worker that dies mid-POST leaves the delivery to be
claimed again when the lease ends: at-least-once, which the event id lets receivers absorb.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tracker.webhooks.backoff import RetryPolicy
from tracker.webhooks.signing import delivery_headers


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    delivery_id: int
    attempt: int  # 1-based: this claim's attempt
    url: str
    secret: str
    event_kind: str
    event_id: str
    body: bytes


@dataclass(frozen=True, slots=True)
class AttemptResult:
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class LoggedAttempt:
    """One attempt as the delivery log recorded it."""

    delivery_id: int
    attempt: int
    outcome: str  # delivered, pending (will retry), failed, or stale (lease overrun)
    status_code: int | None
    error: str | None
    retry_at: datetime | None


@dataclass
class DeliveryReport:
    attempts: list[LoggedAttempt] = field(default_factory=list)
    expired: int = 0  # pending past their last attempt with no result (a worker died)

    def count(self, outcome: str) -> int:
        return sum(1 for attempt in self.attempts if attempt.outcome == outcome)


_CLAIM = text("""
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.attempts < :max_attempts
    ORDER BY d.next_attempt_at, d.id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1,
    next_attempt_at = now() + make_interval(secs => CAST(:lease_s AS double precision))
FROM due, webhooks w, outbox o
WHERE d.id = due.id AND w.id = d.webhook_id AND o.id = d.outbox_id
RETURNING d.id, d.attempts, w.url, w.secret, o.event_kind,
    COALESCE(o.asset_event_id::text, 'outbox-' || o.id), o.payload::text
""")


async def claim_due(
    conn: AsyncConnection, policy: RetryPolicy, limit: int
) -> list[ClaimedDelivery]:
    async with conn.begin():
        rows = await conn.execute(
            _CLAIM,
            {"max_attempts": policy.max_attempts, "limit": limit, "lease_s": policy.lease_s},
        )
        return [
            ClaimedDelivery(int(d_id), int(attempt), url, secret, kind, event_id, body.encode())
            for d_id, attempt, url, secret, kind, event_id, body in rows
        ]


async def post_event(
    client: httpx.AsyncClient, claimed: ClaimedDelivery, timeout_s: float
) -> AttemptResult:
    """One signed POST. Only the status code matters; the response body is never read."""
    timestamp = str(int(time.time()))
    headers = delivery_headers(
        claimed.secret, claimed.event_id, claimed.event_kind, timestamp, claimed.body
    )
    started_at, clock = datetime.now(UTC), time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    try:
        # httpx's timeout bounds each read; this bounds the whole exchange, so a receiver
        # that trickles its answer cannot hold the worker either.
        async with asyncio.timeout(timeout_s):
            async with client.stream(
                "POST", claimed.url, content=claimed.body, headers=headers, timeout=timeout_s
            ) as response:
                status_code = response.status_code
    except (TimeoutError, httpx.TimeoutException):
        error = f"no answer within {timeout_s:g} s"
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    duration_ms = round((time.perf_counter() - clock) * 1000)
    return AttemptResult(started_at, duration_ms, status_code, error)


_RECORD = text("""
WITH updated AS (
    UPDATE webhook_deliveries SET
        status = CAST(:status AS text),
        last_status_code = CAST(:status_code AS integer),
        last_error = CAST(:error AS text),
        delivered_at = CASE WHEN CAST(:status AS text) = 'delivered' THEN now() END,
        next_attempt_at = CASE WHEN CAST(:status AS text) = 'pending'
            THEN now() + make_interval(secs => CAST(:retry_in_s AS double precision))
            ELSE next_attempt_at END
    WHERE id = :delivery_id AND attempts = :attempt AND status = 'pending'
    RETURNING status, next_attempt_at
)
INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code,
    error, retry_at)
SELECT :delivery_id, :attempt, :started_at, :duration_ms, CAST(:status_code AS integer),
    CAST(:error AS text), (SELECT next_attempt_at FROM updated WHERE status = 'pending')
RETURNING (SELECT count(*) FROM updated), retry_at
""")


def next_status(policy: RetryPolicy, attempt: int, result: AttemptResult) -> str:
    if result.succeeded:
        return "delivered"
    return "failed" if attempt >= policy.max_attempts else "pending"


async def record_attempt(
    conn: AsyncConnection, policy: RetryPolicy, claimed: ClaimedDelivery, result: AttemptResult
) -> LoggedAttempt:
    """Logs the attempt whatever happens, and updates the delivery if this worker still owns
    it; `stale` when it did not (the lease ran out, or the subscription was removed)."""
    status = next_status(policy, claimed.attempt, result)
    parameters: dict[str, Any] = {
        "delivery_id": claimed.delivery_id,
        "attempt": claimed.attempt,
        "status": status,
        "status_code": result.status_code,
        "error": result.error,
        "retry_in_s": policy.retry_delay_s(claimed.attempt) if status == "pending" else 0.0,
        "started_at": result.started_at,
        "duration_ms": result.duration_ms,
    }
    async with conn.begin():
        updated, retry_at = (await conn.execute(_RECORD, parameters)).one()
    outcome = status if updated else "stale"
    return LoggedAttempt(
        claimed.delivery_id, claimed.attempt, outcome, result.status_code, result.error, retry_at
    )


_EXPIRE = text("""
UPDATE webhook_deliveries SET status = 'failed',
    last_error = COALESCE(last_error || '; ', '') || 'no result recorded for the last attempt'
WHERE status = 'pending' AND attempts >= :max_attempts AND next_attempt_at <= now()
""")


async def expire_exhausted(conn: AsyncConnection, policy: RetryPolicy) -> int:
    """Fails deliveries whose last attempt's worker died before recording it."""
    async with conn.begin():
        result = await conn.execute(_EXPIRE, {"max_attempts": policy.max_attempts})
    return int(result.rowcount)


async def _attempt(
    engine: AsyncEngine, client: httpx.AsyncClient, policy: RetryPolicy, claimed: ClaimedDelivery
) -> LoggedAttempt:
    result = await post_event(client, claimed, policy.timeout_s)
    async with engine.connect() as conn:
        return await record_attempt(conn, policy, claimed, result)


async def deliver_due(
    engine: AsyncEngine, client: httpx.AsyncClient, policy: RetryPolicy, limit: int = 20
) -> DeliveryReport:
    """Claims up to `limit` due deliveries and POSTs them concurrently; one pass."""
    async with engine.connect() as conn:
        expired = await expire_exhausted(conn, policy)
        claimed = await claim_due(conn, policy, limit)
    # Every POST runs to its end and records what it can even if one recording fails; the
    # first failure is raised after, and the unrecorded ones are retried when their lease ends.
    results = await asyncio.gather(
        *(_attempt(engine, client, policy, one) for one in claimed), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return DeliveryReport([r for r in results if isinstance(r, LoggedAttempt)], expired)
