"""Point lookups the API needs on hot paths: one asset by tag, scan results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_SCAN_RESULTS = text("""
SELECT v.tag, i.asset_id, s.status, s.site_id, s.zone_id, s.custodian_id,
    (s.last_observation_id = v.read_id OR s.last_event_at >= v.seen_at OR EXISTS (
        SELECT 1 FROM asset_events e WHERE e.asset_id = i.asset_id
        AND e.observation_id = v.read_id)) AS applied
FROM unnest(CAST(:tags AS text[]), CAST(:read_ids AS text[]), CAST(:seen AS timestamptz[]))
    AS v(tag, read_id, seen_at)
LEFT JOIN asset_identifiers i ON i.value = v.tag
LEFT JOIN asset_state s ON s.asset_id = i.asset_id
""")


async def scan_results(
    conn: AsyncConnection, scans: Sequence[tuple[str, str, datetime]]
) -> list[dict[str, Any]]:
    """Per (canonical tag, read id, seen_at): the asset, whether the consumer applied the
    scan (it, or a newer observation of the asset, is in), and the asset's state now."""
    rows = await conn.execute(
        _SCAN_RESULTS,
        {
            "tags": [s[0] for s in scans],
            "read_ids": [s[1] for s in scans],
            "seen": [s[2] for s in scans],
        },
    )
    return [dict(row._mapping) for row in rows]
