"""Outbox rows → one pending delivery per matching active subscription.

Set-based and safe with any number of workers: each statement locks a batch of undispatched
outbox rows with SKIP LOCKED, so two workers take different rows, and it inserts their
deliveries and marks them dispatched in the same transaction, so a crash leaves either both
or neither. Rows are picked by `dispatched_at IS NULL`, never by an id high-water mark: an
outbox id taken by a consumer transaction that commits late is still seen.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_FAN_OUT = text("""
WITH batch AS (
    SELECT id, event_kind FROM outbox
    WHERE dispatched_at IS NULL
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
),
fanned AS (
    INSERT INTO webhook_deliveries (webhook_id, outbox_id)
    SELECT w.id, batch.id
    FROM batch JOIN webhooks w
        ON w.active AND (batch.event_kind = ANY(w.event_kinds) OR '*' = ANY(w.event_kinds))
    ORDER BY batch.id, w.id
    ON CONFLICT (webhook_id, outbox_id) DO NOTHING
    RETURNING 1
),
marked AS (
    UPDATE outbox SET dispatched_at = now() FROM batch WHERE outbox.id = batch.id RETURNING 1
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM fanned)
""")


async def fan_out_batch(conn: AsyncConnection, limit: int = 1000) -> tuple[int, int]:
    """One batch in one transaction: (outbox rows dispatched, deliveries created). An outbox
    row nobody subscribes to is dispatched with no delivery: subscriptions see only the
    events recorded after they were made."""
    async with conn.begin():
        row = (await conn.execute(_FAN_OUT, {"limit": limit})).one()
    return int(row[0]), int(row[1])


async def fan_out(engine: AsyncEngine, limit: int = 1000) -> int:
    """Batches until the outbox holds nothing this worker can take; the deliveries created."""
    created = 0
    async with engine.connect() as conn:
        while True:
            dispatched, fanned = await fan_out_batch(conn, limit)
            created += fanned
            if dispatched < limit:
                return created
