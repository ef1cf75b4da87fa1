"""Which assets are due: for service (past their next due date) or for replacement (past the
type's age or trip limit). What `tagtrail service due` lists; the sweeper raises the alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain.model import require_aware
from tracker.service.records import LATEST_RECORD_SQL, NEXT_DUE_SQL


class DueFor(StrEnum):
    service = "service"
    replacement = "replacement"


@dataclass(frozen=True, slots=True)
class DueAsset:
    asset_id: str
    type_id: str
    site_id: str
    status: str
    due_for: DueFor
    # service: the next due date; replacement: when the age limit is reached (None when only
    # the trip count is past its limit).
    due_at: datetime | None
    trips: int


# Age limit of an asset, from commissioning (registration when never commissioned).
AGE_LIMIT_SQL = """COALESCE(a.commissioned_at, a.created_at)
    + t.max_age_days * interval '1 day'"""

_DUE = text(f"""
WITH fleet AS (
    SELECT a.id, a.type_id, COALESCE(s.site_id, a.home_site_id) AS site_id,
        COALESCE(s.status, 'in_service') AS status, COALESCE(s.trips, 0) AS trips,
        {NEXT_DUE_SQL} AS service_due_at, {AGE_LIMIT_SQL} AS age_limit_at, t.max_trips
    FROM assets a
    JOIN asset_types t ON t.id = a.type_id
    LEFT JOIN asset_state s ON s.asset_id = a.id
    {LATEST_RECORD_SQL}
    WHERE a.retired_at IS NULL AND COALESCE(s.status, 'in_service') NOT IN ('retired', 'lost')
        AND (CAST(:site AS text) IS NULL OR COALESCE(s.site_id, a.home_site_id) = :site)
)
SELECT id, type_id, site_id, status, 'service', service_due_at, trips FROM fleet
WHERE service_due_at <= :now
UNION ALL
SELECT id, type_id, site_id, status, 'replacement', age_limit_at, trips FROM fleet
WHERE age_limit_at <= :now OR trips >= max_trips
ORDER BY 6 NULLS FIRST, 1, 5
""")


async def assets_due(
    conn: AsyncConnection, now: datetime, *, site_id: str | None = None
) -> list[DueAsset]:
    """Every asset due at `now` (at `site_id`, if given), longest overdue first."""
    require_aware("now", now)
    rows = await conn.execute(_DUE, {"now": now, "site": site_id})
    return [
        DueAsset(asset_id, type_id, site, status, DueFor(due_for), due_at, int(trips))
        for asset_id, type_id, site, status, due_for, due_at, trips in rows
    ]
