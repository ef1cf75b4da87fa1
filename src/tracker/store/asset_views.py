"""What the API shows of assets: one asset, filtered lists (keyset paged), history, counts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Every asset has a state row from its registration on (migration 0012), so the filters are
# plain column comparisons that the (site_id|custodian_id, status, asset_id) indexes serve in
# id order. The SQL texts are built once, at import.
ASSET_SQL = """
SELECT a.id, a.type_id, t.name AS type_name, a.home_site_id, a.owner,
       COALESCE(a.value, t.replacement_value) AS value, a.attributes, a.created_at, a.retired_at,
       s.status, s.site_id, s.zone_id, s.custodian_id,
       s.dispatch_id, s.return_due_at, s.last_seen_at, s.last_read_point_id, s.trips,
       (SELECT count(*) FROM alerts l WHERE l.asset_id = a.id AND l.status <> 'resolved')
           AS open_alerts
FROM asset_state s JOIN assets a ON a.id = s.asset_id JOIN asset_types t ON t.id = a.type_id
"""
# One statement for one asset: its identifiers come along as a JSON array.
ONE_ASSET_SQL = f"""
SELECT x.*, COALESCE((SELECT json_agg(json_build_object('scheme', i.scheme, 'value', i.value)
                                ORDER BY i.scheme, i.value)
                      FROM asset_identifiers i WHERE i.asset_id = x.id), '[]') AS identifiers
FROM ({ASSET_SQL} WHERE s.asset_id = :id) x
"""
BY_IDENTIFIER_SQL = """
SELECT asset_id FROM asset_identifiers WHERE value = ANY(:v)
ORDER BY array_position(:v, value) LIMIT 1
"""
_ONE_ASSET = text(ONE_ASSET_SQL)
_BY_IDENTIFIER = text(BY_IDENTIFIER_SQL)


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
        ("s.site_id", "site", f.site),
        ("s.zone_id", "zone", f.zone),
        ("s.status", "status", f.status),
        ("a.type_id", "type", f.type),
        ("s.custodian_id", "custodian", f.custodian),
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
            "WHERE l.asset_id = s.asset_id AND l.status <> 'resolved')"
        )
    if f.visible_sites is not None:
        clauses.append("(a.home_site_id = ANY(:visible) OR s.site_id = ANY(:visible))")
        params["visible"] = f.visible_sites
    return " AND ".join(clauses), params


def list_query(f: AssetFilter, after: str | None, limit: int) -> tuple[str, dict[str, Any]]:
    """The SQL of one page, ordered by asset id; `after` is the last id of the previous page
    (keyset paging)."""
    where, params = _where(f)
    if after is not None:
        where += " AND s.asset_id > :after"
        params["after"] = after
    return f"{ASSET_SQL} WHERE {where} ORDER BY s.asset_id LIMIT :limit", {
        **params,
        "limit": limit,
    }


async def list_assets(
    conn: AsyncConnection, f: AssetFilter, after: str | None, limit: int
) -> list[dict[str, Any]]:
    sql, params = list_query(f, after, limit)
    return [dict(row._mapping) for row in await conn.execute(text(sql), params)]


async def get_asset(conn: AsyncConnection, asset_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_ONE_ASSET, {"id": asset_id})).first()
    return dict(row._mapping) if row is not None else None


async def asset_id_by_identifier(conn: AsyncConnection, values: list[str]) -> str | None:
    """The asset that has any of these identifier values (canonical form first)."""
    row = (await conn.execute(_BY_IDENTIFIER, {"v": values})).first()
    return str(row[0]) if row is not None else None


# -- the API's hottest reads, on the driver's own connection ----------------------------------
# The same statements, run by asyncpg directly (which prepares each once per connection):
# SQLAlchemy's execution and result layers cost about a tenth of such a request's CPU. The
# connection still comes from SQLAlchemy's pool (`AsyncConnection.get_raw_connection()`).

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def positional(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """`:name` placeholders → asyncpg's `$n` (one number per name), values in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return _PARAM.sub(number, sql), [params[name] for name in names]


ONE_ASSET_DRIVER_SQL = positional(ONE_ASSET_SQL, {"id": None})[0]
BY_IDENTIFIER_DRIVER_SQL = positional(BY_IDENTIFIER_SQL, {"v": None})[0]


async def fetch_asset(db: asyncpg.Connection, asset_id: str) -> dict[str, Any] | None:
    row = await db.fetchrow(ONE_ASSET_DRIVER_SQL, asset_id)
    return dict(row) if row is not None else None


async def fetch_asset_by_identifier(
    db: asyncpg.Connection, values: list[str]
) -> dict[str, Any] | None:
    """The asset that has any of these identifier values (the first that matches)."""
    asset_id = await db.fetchval(BY_IDENTIFIER_DRIVER_SQL, values)
    return await fetch_asset(db, asset_id) if asset_id is not None else None


async def fetch_asset_page(
    db: asyncpg.Connection, f: AssetFilter, after: str | None, limit: int
) -> list[dict[str, Any]]:
    sql, args = positional(*list_query(f, after, limit))
    return [dict(row) for row in await db.fetch(sql, *args)]


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
    """Assets per (current site, zone, status)."""
    rows = await conn.execute(
        text("""
        SELECT s.site_id, s.zone_id, s.status, count(*) AS assets
        FROM asset_state s JOIN assets a ON a.id = s.asset_id
        WHERE a.retired_at IS NULL AND (CAST(:visible AS text[]) IS NULL
              OR a.home_site_id = ANY(:visible) OR s.site_id = ANY(:visible))
        GROUP BY 1, 2, 3 ORDER BY 1 NULLS LAST, 2 NULLS FIRST, 3"""),
        {"visible": visible_sites},
    )
    return [dict(row._mapping) for row in rows]
