"""The live feed's query: events after an id, optionally of some kinds or a site."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Event ids become visible in commit order (writers hold EVENTS_LOCK from their insert to
# their commit), so "id > last seen" never skips an event.
_AFTER = text("""
SELECT id, asset_id, kind, occurred_at, site_id, zone_id, payload FROM asset_events
WHERE id > :after
  AND (CAST(:kinds AS text[]) IS NULL OR kind = ANY(:kinds))
  AND (CAST(:sites AS text[]) IS NULL OR site_id = ANY(:sites))
ORDER BY id LIMIT :limit
""")


async def events_after(
    conn: AsyncConnection,
    after: int,
    kinds: list[str] | None,
    sites: list[str] | None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        _AFTER, {"after": after, "kinds": kinds, "sites": sites, "limit": limit}
    )
    return [dict(row._mapping) for row in rows]


async def latest_event_id(conn: AsyncConnection) -> int:
    return int(await conn.scalar(text("SELECT COALESCE(max(id), 0) FROM asset_events")) or 0)
