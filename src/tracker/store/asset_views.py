"""What the API shows of assets: one asset, filtered lists (keyset paged), history, counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Where the asset is now: its state's site (NULL while off our sites), or its home site when
# it was never observed.
CURRENT_SITE = "CASE WHEN s.asset_id IS NULL THEN a.home_site_id ELSE s.site_id END"

_ASSET = f"""
SELECT a.id, a.type_id, t.name AS type_name, a.home_site_id, a.owner,
       COALESCE(a.value, t.replacement_value) AS value, a.attributes, a.created_at, a.retired_at,
       COALESCE(s.status, 'in_service') AS status, {CURRENT_SITE} AS site_id,
       s.zone_id, COALESCE(s.custodian_id, 'site:' || a.home_site_id) AS custodian_id,
       s.dispatch_id, s.return_due_at, s.last_seen_at, s.last_read_point_id,
       COALESCE(s.trips, 0) AS trips,
       (SELECT count(*) FROM alerts l WHERE l.asset_id = a.id AND l.status <> 'resolved')
           AS open_alerts
FROM assets a JOIN asset_types t ON t.id = a.type_id
LEFT JOIN asset_state s ON s.asset_id = a.id
"""


@dataclass(frozen=True, slots=True)
class AssetFilter:
    site: str | None = None
    zone: str | None = None
    status: str | None = None
    type: str | None = None
    custodian: str | None = None
    seen_before: datetime | None = None
    seen_after: datetime | None = None
    has_open_alert: bool | None = None
    visible_sites: list[str] | None = None  # a site-limited key: home or current site in it


def _where(f: AssetFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    for column, name, value in (
        (CURRENT_SITE, "site", f.site),
        ("s.zone_id", "zone", f.zone),
        ("COALESCE(s.status, 'in_service')", "status", f.status),
        ("a.type_id", "type", f.type),
        ("COALESCE(s.custodian_id, 'site:' || a.home_site_id)", "custodian", f.custodian),
    ):
        if value is not None:
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if f.seen_before is not None:
        clauses.append("s.last_seen_at < :seen_before")
        params["seen_before"] = f.seen_before
    if f.seen_after is not None:
        clauses.append("s.last_seen_at >= :seen_after")
        params["seen_after"] = f.seen_after
    if f.has_open_alert is not None:
        clauses.append(
            ("" if f.has_open_alert else "NOT ") + "EXISTS (SELECT 1 FROM alerts l "
            "WHERE l.asset_id = a.id AND l.status <> 'resolved')"
        )
    if f.visible_sites is not None:
        clauses.append("(a.home_site_id = ANY(:visible) OR s.site_id = ANY(:visible))")
        params["visible"] = f.visible_sites
    return " AND ".join(clauses), params


async def list_assets(
    conn: AsyncConnection, f: AssetFilter, after: str | None, limit: int
) -> list[dict[str, Any]]:
    """Ordered by asset id; `after` is the last id of the previous page (keyset paging)."""
    where, params = _where(f)
    if after is not None:
        where += " AND a.id > :after"
        params["after"] = after
    rows = await conn.execute(
        text(f"{_ASSET} WHERE {where} ORDER BY a.id LIMIT :limit"), {**params, "limit": limit}
    )
    return [dict(row._mapping) for row in rows]


async def get_asset(conn: AsyncConnection, asset_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"{_ASSET} WHERE a.id = :id"), {"id": asset_id})).first()
    if row is None:
        return None
    asset = dict(row._mapping)
    identifiers = await conn.execute(
        text(
            "SELECT scheme, value FROM asset_identifiers WHERE asset_id = :id "
            "ORDER BY scheme, value"
        ),
        {"id": asset_id},
    )
    asset["identifiers"] = [dict(i._mapping) for i in identifiers]
    return asset


async def asset_id_by_identifier(conn: AsyncConnection, values: list[str]) -> str | None:
    """The asset that has any of these identifier values (canonical form first)."""
    row = (
        await conn.execute(
            text(
                "SELECT asset_id FROM asset_identifiers WHERE value = ANY(:v) "
                "ORDER BY array_position(:v, value) LIMIT 1"
            ),
            {"v": values},
        )
    ).first()
    return str(row[0]) if row is not None else None


async def asset_history(
    conn: AsyncConnection,
    asset_id: str,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Events in event-time order, paged by (occurred_at, id)."""
    clauses = ["asset_id = :id"]
    params: dict[str, Any] = {"id": asset_id, "limit": limit}
    if since is not None:
        clauses.append("occurred_at >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("occurred_at < :until")
        params["until"] = until
    if after is not None:
        clauses.append("(occurred_at, id) > (:after_at, :after_id)")
        params.update(after_at=after[0], after_id=after[1])
    rows = await conn.execute(
        text(
            "SELECT id, kind, occurred_at, recorded_at, observation_id, site_id, zone_id, late, "
            "clock_clamped, payload FROM asset_events WHERE "
            + " AND ".join(clauses)
            + " ORDER BY occurred_at, id LIMIT :limit"
        ),
        params,
    )
    return [dict(row._mapping) for row in rows]


async def location_counts(
    conn: AsyncConnection, visible_sites: list[str] | None
) -> list[dict[str, Any]]:
    """Assets per (current site, zone, status); never-seen assets count at their home site."""
    rows = await conn.execute(
        text(f"""
        SELECT {CURRENT_SITE} AS site_id, s.zone_id,
               COALESCE(s.status, 'in_service') AS status, count(*) AS assets
        FROM assets a LEFT JOIN asset_state s ON s.asset_id = a.id
        WHERE a.retired_at IS NULL AND (CAST(:visible AS text[]) IS NULL
              OR a.home_site_id = ANY(:visible) OR s.site_id = ANY(:visible))
        GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2 NULLS FIRST, 3"""),
        {"visible": visible_sites},
    )
    return [dict(row._mapping) for row in rows]
