"""Value at risk: what is overdue, missing or lost, counted and priced per custodian or site."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

Grouping = Literal["custodian", "site"]


class RiskRow(BaseModel):
    key: str
    overdue_count: int
    overdue_value: Decimal
    missing_count: int
    missing_value: Decimal
    lost_count: int
    lost_value: Decimal
    total_value: Decimal


# Overdue: out with a custodian past the dispatch's expected return. Missing and lost: by
# status. Value: the asset's own, else its type's replacement value. By site = home site,
# the site that bears the loss.
_RISK = """
WITH at_risk AS (
    SELECT {key} AS key, a.home_site_id AS site, COALESCE(a.value, t.replacement_value) AS value,
           s.status IN ('in_transit', 'at_custodian') AND s.return_due_at < :now AS overdue,
           s.status = 'missing' AS missing, s.status = 'lost' AS lost
    FROM asset_state s JOIN assets a ON a.id = s.asset_id JOIN asset_types t ON t.id = a.type_id
    WHERE s.status IN ('missing', 'lost')
       OR (s.status IN ('in_transit', 'at_custodian') AND s.return_due_at < :now)
)
SELECT key,
       count(*) FILTER (WHERE overdue) AS overdue_count,
       COALESCE(sum(value) FILTER (WHERE overdue), 0) AS overdue_value,
       count(*) FILTER (WHERE missing) AS missing_count,
       COALESCE(sum(value) FILTER (WHERE missing), 0) AS missing_value,
       count(*) FILTER (WHERE lost) AS lost_count,
       COALESCE(sum(value) FILTER (WHERE lost), 0) AS lost_value,
       sum(value) AS total_value
FROM at_risk WHERE key IS NOT NULL AND (CAST(:sites AS text[]) IS NULL OR site = ANY(:sites))
GROUP BY key ORDER BY total_value DESC, key
"""
_KEYS = {"custodian": "s.custodian_id", "site": "a.home_site_id"}


async def value_at_risk(
    conn: AsyncConnection, group: Grouping, now: datetime, sites: list[str] | None = None
) -> list[RiskRow]:
    """Rows per custodian or home site, largest value first; `sites` limits to those homes."""
    rows = await conn.execute(text(_RISK.format(key=_KEYS[group])), {"now": now, "sites": sites})
    return [RiskRow(**row._mapping) for row in rows]
