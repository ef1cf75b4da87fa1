"""Readers as operators see them: configured read points joined with adapters' live health."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# A health row older than this means the adapter itself is gone: its "connected" is stale.
STALE_AFTER_S = 30

_READERS = text("""
WITH configured AS (
    SELECT rp.reader_id,
           json_agg(json_build_object('read_point_id', rp.id, 'antenna', rp.antenna,
                    'role', rp.role, 'door', rp.door, 'zone_id', rp.zone_id,
                    'site_id', z.site_id) ORDER BY rp.antenna NULLS FIRST) AS read_points,
           array_agg(DISTINCT z.site_id) AS sites
    FROM read_points rp JOIN zones z ON z.id = rp.zone_id
    GROUP BY rp.reader_id
)
SELECT COALESCE(c.reader_id, h.reader_id) AS reader_id,
       COALESCE(c.read_points, '[]'::json) AS read_points,
       COALESCE(c.sites, ARRAY[]::text[]) AS sites,
       h.connected AND h.updated_at > now() - make_interval(secs => :stale) AS connected,
       h.last_report_at, COALESCE(h.reads_per_s, 0) AS reads_per_s, h.host,
       h.updated_at AS health_updated_at,
       h.reader_id IS NOT NULL AND h.updated_at <= now() - make_interval(secs => :stale)
           AS health_stale
FROM configured c FULL JOIN reader_health h ON h.reader_id = c.reader_id
ORDER BY 1
""")


async def list_readers(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(_READERS, {"stale": STALE_AFTER_S})
    return [dict(row._mapping) for row in rows]
