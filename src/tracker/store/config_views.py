"""Sites, zones, read points and unknown tags as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_VISIBLE = "(CAST(:visible AS text[]) IS NULL OR {column} = ANY(:visible))"
_SITE = """
SELECT s.id, s.name, s.gln, s.timezone, s.created_at, s.updated_at,
       (SELECT count(*) FROM zones z WHERE z.site_id = s.id) AS zone_count,
       (SELECT count(*) FROM read_points rp JOIN zones z ON z.id = rp.zone_id
        WHERE z.site_id = s.id) AS read_point_count
FROM sites s
"""
_ZONE = "SELECT z.id, z.site_id, z.name, z.kind, z.sgln FROM zones z"
_READ_POINT = (
    "SELECT rp.id, rp.reader_id, rp.antenna, rp.role, rp.door, rp.zone_id, z.site_id "
    "FROM read_points rp JOIN zones z ON z.id = rp.zone_id"
)


async def list_sites(
    conn: AsyncConnection, visible_sites: list[str] | None
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(f"{_SITE} WHERE {_VISIBLE.format(column='s.id')} ORDER BY s.id"),
        {"visible": visible_sites},
    )
    return [dict(row._mapping) for row in rows]


async def get_site(conn: AsyncConnection, site_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(text(f"{_SITE} WHERE s.id = :id"), {"id": site_id})).first()
    if row is None:
        return None
    site = dict(row._mapping)
    site["zones"] = await list_zones(conn, site_id, None)
    site["read_points"] = await list_read_points(conn, site_id, None)
    return site


async def list_zones(
    conn: AsyncConnection, site_id: str | None, visible_sites: list[str] | None
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            f"{_ZONE} WHERE (CAST(:site AS text) IS NULL OR z.site_id = :site) "
            f"AND {_VISIBLE.format(column='z.site_id')} ORDER BY z.site_id, z.id"
        ),
        {"site": site_id, "visible": visible_sites},
    )
    return [dict(row._mapping) for row in rows]


async def list_read_points(
    conn: AsyncConnection, site_id: str | None, visible_sites: list[str] | None
) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            f"{_READ_POINT} WHERE (CAST(:site AS text) IS NULL OR z.site_id = :site) "
            f"AND {_VISIBLE.format(column='z.site_id')} ORDER BY z.site_id, rp.id"
        ),
        {"site": site_id, "visible": visible_sites},
    )
    return [dict(row._mapping) for row in rows]


# A tag's site is where it was last read; a tag read by no configured read point has none,
# and only keys for every site see it.
_UNKNOWN = """
SELECT u.tag, u.tag_kind, u.first_seen_at, u.last_seen_at, u.read_count, u.last_reader_id,
       u.last_read_point_id, z.site_id, u.enrolled_asset_id
FROM unknown_tags u
LEFT JOIN read_points rp ON rp.id = u.last_read_point_id
LEFT JOIN zones z ON z.id = rp.zone_id
"""


async def list_unknown_tags(
    conn: AsyncConnection,
    enrolled: bool | None,
    visible_sites: list[str] | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest `last_seen_at` first, paged by (last_seen_at, tag) descending."""
    clauses = [_VISIBLE.format(column="z.site_id")]
    params: dict[str, Any] = {"visible": visible_sites, "limit": limit}
    if enrolled is not None:
        clauses.append(f"u.enrolled_asset_id IS {'NOT ' if enrolled else ''}NULL")
    if after is not None:
        clauses.append("(u.last_seen_at, u.tag) < (:after_at, :after_tag)")
        params.update(after_at=after[0], after_tag=after[1])
    rows = await conn.execute(
        text(
            f"{_UNKNOWN} WHERE {' AND '.join(clauses)} "
            "ORDER BY u.last_seen_at DESC, u.tag DESC LIMIT :limit"
        ),
        params,
    )
    return [dict(row._mapping) for row in rows]


async def get_unknown_tag(
    conn: AsyncConnection, tag: str, *, lock: bool = False
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(f"{_UNKNOWN} WHERE u.tag = :tag{' FOR UPDATE OF u' if lock else ''}"),
            {"tag": tag},
        )
    ).first()
    return dict(row._mapping) if row is not None else None
