"""Custodians and dispatches as the API reads and writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.store.writes import EVENTS_LOCK

_CUSTODIAN = "SELECT id, name, kind, site_id, return_days, contact, created_at, updated_at "
# A site-limited key sees customers, carriers and people, and the site custodians of its sites.
_CUSTODIAN_VISIBLE = (
    "(CAST(:visible AS text[]) IS NULL OR kind <> 'site' OR site_id = ANY(:visible))"
)


async def list_custodians(
    conn: AsyncConnection,
    kind: str | None,
    visible_sites: list[str] | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Ordered by id; `after` is the last id of the previous page."""
    rows = await conn.execute(
        text(
            f"{_CUSTODIAN} FROM custodians WHERE {_CUSTODIAN_VISIBLE} "
            "AND (CAST(:kind AS text) IS NULL OR kind = :kind) "
            "AND (CAST(:after AS text) IS NULL OR id > :after) ORDER BY id LIMIT :limit"
        ),
        {"visible": visible_sites, "kind": kind, "after": after, "limit": limit},
    )
    return [dict(row._mapping) for row in rows]


async def get_custodian(conn: AsyncConnection, custodian_id: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(f"{_CUSTODIAN} FROM custodians WHERE id = :id"), {"id": custodian_id}
        )
    ).first()
    return dict(row._mapping) if row is not None else None


async def insert_custodian(conn: AsyncConnection, custodian: dict[str, Any]) -> bool:
    """False: the id is taken."""
    created = await conn.scalar(
        text(
            "INSERT INTO custodians (id, name, kind, site_id, return_days, contact) "
            "VALUES (:id, :name, :kind, :site_id, :return_days, CAST(:contact AS jsonb)) "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {**custodian, "contact": orjson.dumps(custodian["contact"]).decode()},
    )
    return created is not None


async def update_custodian(
    conn: AsyncConnection, custodian_id: str, changes: dict[str, Any]
) -> None:
    params = {k: v for k, v in changes.items() if k in ("name", "return_days", "contact")}
    if "contact" in params:
        params["contact"] = orjson.dumps(params["contact"]).decode()
    assignments = [
        f"{name} = CAST(:{name} AS jsonb)" if name == "contact" else f"{name} = :{name}"
        for name in params
    ]
    await conn.execute(
        text(
            f"UPDATE custodians SET {', '.join([*assignments, 'updated_at = now()'])} "
            "WHERE id = :custodian_id"
        ),
        {**params, "custodian_id": custodian_id},
    )


async def custodian_ties(conn: AsyncConnection, custodian_id: str) -> tuple[int, int, int]:
    """(assets it holds, its open dispatches, dispatches and returns in its history): what
    forbids deleting it."""
    row = (
        await conn.execute(
            text(
                "SELECT (SELECT count(*) FROM asset_state WHERE custodian_id = :id), "
                "(SELECT count(*) FROM dispatches WHERE custodian_id = :id AND status = 'open'), "
                "(SELECT count(*) FROM dispatches WHERE custodian_id = :id) "
                "+ (SELECT count(*) FROM dispatch_lines WHERE returned_by = :id)"
            ),
            {"id": custodian_id},
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def delete_custodian(conn: AsyncConnection, custodian_id: str) -> None:
    await conn.execute(text("DELETE FROM custodians WHERE id = :id"), {"id": custodian_id})


@dataclass(frozen=True, slots=True)
class NewDispatch:
    id: str
    custodian_id: str
    from_site_id: str
    expected_return_at: datetime
    reference: str | None
    asset_ids: list[str]


class DispatchRefused(Exception):
    """`field`: the request field at fault; None: a conflict with what is stored."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def _sees(visible_sites: list[str] | None, site_id: str | None) -> bool:
    return visible_sites is None or site_id in visible_sites


async def create_dispatch(
    conn: AsyncConnection, dispatch: NewDispatch, visible_sites: list[str] | None
) -> None:
    """The dispatch and its lines, or DispatchRefused saying why not (nothing written then,
    once the caller's transaction rolls back)."""
    if not await site_exists(conn, dispatch.from_site_id):
        raise DispatchRefused(f"no site {dispatch.from_site_id!r}", "from_site_id")
    custodian = await get_custodian(conn, dispatch.custodian_id)
    if custodian is None or (
        custodian["kind"] == "site" and not _sees(visible_sites, custodian["site_id"])
    ):
        raise DispatchRefused(f"no custodian {dispatch.custodian_id!r}", "custodian_id")
    if custodian["site_id"] == dispatch.from_site_id:
        raise DispatchRefused("a dispatch cannot go to the site it leaves", "custodian_id")
    await _check_dispatchable(conn, dispatch.asset_ids, visible_sites)
    if not await insert_dispatch(conn, dispatch):
        raise DispatchRefused(f"dispatch {dispatch.id!r} already exists")


async def _check_dispatchable(
    conn: AsyncConnection, asset_ids: list[str], visible_sites: list[str] | None
) -> None:
    found = await lock_assets(conn, asset_ids)
    # A site-limited key knows only the assets whose home or current site is one of its own.
    unknown = [
        a
        for a in asset_ids
        if a not in found
        or not any(_sees(visible_sites, found[a][where]) for where in ("home_site_id", "site_id"))
    ]
    if unknown:
        raise DispatchRefused(f"no such asset(s): {', '.join(unknown[:10])}", "asset_ids")
    retired = [a for a in asset_ids if found[a]["retired"]]
    if retired:
        raise DispatchRefused(f"retired asset(s) cannot be dispatched: {', '.join(retired)}")
    taken = await open_dispatch_lines(conn, asset_ids)
    if taken:
        named = ", ".join(f"{asset} (on {dispatch})" for asset, dispatch in taken.items())
        raise DispatchRefused(f"already on an open dispatch: {named}")


async def lock_assets(conn: AsyncConnection, asset_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The assets that exist, row-locked in one order: two dispatches of one asset serialise
    here, and the second sees the first's line."""
    rows = await conn.execute(
        text(
            "SELECT a.id, a.home_site_id, s.site_id, "
            "a.retired_at IS NOT NULL OR s.status = 'retired' AS retired FROM assets a "
            "LEFT JOIN asset_state s ON s.asset_id = a.id "
            "WHERE a.id = ANY(:ids) ORDER BY a.id FOR UPDATE OF a"
        ),
        {"ids": asset_ids},
    )
    return {row.id: dict(row._mapping) for row in rows}


async def open_dispatch_lines(conn: AsyncConnection, asset_ids: list[str]) -> dict[str, str]:
    """asset id → the open dispatch it is already on."""
    rows = await conn.execute(
        text(
            "SELECT l.asset_id, l.dispatch_id FROM dispatch_lines l "
            "JOIN dispatches d ON d.id = l.dispatch_id "
            "WHERE l.asset_id = ANY(:ids) AND l.returned_at IS NULL AND d.status = 'open' "
            "ORDER BY l.asset_id"
        ),
        {"ids": asset_ids},
    )
    return {str(asset_id): str(dispatch_id) for asset_id, dispatch_id in rows}


async def insert_dispatch(conn: AsyncConnection, dispatch: NewDispatch) -> bool:
    """False: the id is taken."""
    created = await conn.scalar(
        text(
            "INSERT INTO dispatches (id, custodian_id, from_site_id, reference, "
            "expected_return_at) VALUES (:id, :custodian, :site, :reference, :due) "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        ),
        {
            "id": dispatch.id,
            "custodian": dispatch.custodian_id,
            "site": dispatch.from_site_id,
            "reference": dispatch.reference,
            "due": dispatch.expected_return_at,
        },
    )
    if created is None:
        return False
    await conn.execute(
        text(
            "INSERT INTO dispatch_lines (dispatch_id, asset_id) "
            "SELECT :id, unnest(CAST(:assets AS text[]))"
        ),
        {"id": dispatch.id, "assets": dispatch.asset_ids},
    )
    return True


# What a line's outcome is, from its columns and its dispatch's status.
_LINE_OUTCOME = """CASE
    WHEN l.returned_at IS NOT NULL THEN 'returned'
    WHEN d.status = 'open' AND l.left_at IS NULL THEN 'pending'
    WHEN d.status = 'open' THEN 'out'
    WHEN l.left_at IS NULL THEN 'cancelled'
    ELSE 'unreturned' END"""
_OVERDUE = (
    "d.status = 'open' AND d.expected_return_at < :now AND EXISTS (SELECT 1 FROM "
    "dispatch_lines o WHERE o.dispatch_id = d.id AND o.returned_at IS NULL)"
)
_DISPATCH = f"""
SELECT d.id, d.custodian_id, d.from_site_id, d.reference, d.expected_return_at, d.status,
       d.closed_at, d.created_at, {_OVERDUE} AS overdue,
       (SELECT count(*) FROM dispatch_lines c WHERE c.dispatch_id = d.id) AS line_count,
       (SELECT count(*) FROM dispatch_lines c WHERE c.dispatch_id = d.id
            AND c.returned_at IS NOT NULL) AS returned_count
FROM dispatches d
"""
DispatchStatus = Literal["open", "overdue", "closed"]
_STATUS_WHERE: dict[str, str] = {
    "open": "d.status = 'open'",
    "overdue": _OVERDUE,
    "closed": "d.status <> 'open'",  # closed by returns or by hand, or cancelled
}


async def list_dispatches(
    conn: AsyncConnection,
    status: DispatchStatus | None,
    custodian: str | None,
    visible_sites: list[str] | None,
    now: datetime,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Ordered by id; `after` is the last id of the previous page."""
    where = _STATUS_WHERE[status] if status else "TRUE"
    rows = await conn.execute(
        text(
            f"{_DISPATCH} WHERE {where} "
            "AND (CAST(:custodian AS text) IS NULL OR d.custodian_id = :custodian) "
            "AND (CAST(:visible AS text[]) IS NULL OR d.from_site_id = ANY(:visible)) "
            "AND (CAST(:after AS text) IS NULL OR d.id > :after) ORDER BY d.id LIMIT :limit"
        ),
        {
            "now": now,
            "custodian": custodian,
            "visible": visible_sites,
            "after": after,
            "limit": limit,
        },
    )
    return [dict(row._mapping) for row in rows]


async def get_dispatch(
    conn: AsyncConnection, dispatch_id: str, now: datetime, *, lock: bool = False
) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            text(f"{_DISPATCH} WHERE d.id = :id{' FOR UPDATE OF d' if lock else ''}"),
            {"id": dispatch_id, "now": now},
        )
    ).first()
    if row is None:
        return None
    dispatch = dict(row._mapping)
    lines = await conn.execute(
        text(
            "SELECT l.asset_id, l.left_at, l.returned_at, l.returned_by, l.returned_to_site_id, "
            f"l.turnaround_s, {_LINE_OUTCOME} AS outcome FROM dispatch_lines l "
            "JOIN dispatches d ON d.id = l.dispatch_id WHERE l.dispatch_id = :id "
            "ORDER BY l.asset_id"
        ),
        {"id": dispatch_id},
    )
    dispatch["lines"] = [dict(line._mapping) for line in lines]
    return dispatch


_CLOSE = text("""
UPDATE dispatches d SET closed_at = :now, updated_at = now(),
    -- nothing ever left: the shipment did not happen
    status = CASE WHEN EXISTS (SELECT 1 FROM dispatch_lines l
                               WHERE l.dispatch_id = d.id AND l.left_at IS NOT NULL)
             THEN 'closed' ELSE 'cancelled' END
WHERE d.id = :id AND d.status = 'open'
""")
_CLOSED_EVENTS = text("""
INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, payload)
SELECT l.asset_id, 'dispatch_closed', :now, 'dispatch-closed:' || d.id, d.from_site_id,
       jsonb_build_object('dispatch_id', d.id, 'custodian_id', d.custodian_id,
           'outcome', CASE WHEN l.left_at IS NULL THEN 'cancelled' ELSE 'unreturned' END,
           'by', CAST(:by AS text), 'note', CAST(:note AS text))
FROM dispatch_lines l JOIN dispatches d ON d.id = l.dispatch_id
WHERE d.id = :id AND l.returned_at IS NULL
ORDER BY l.asset_id
""")


async def close_dispatch(
    conn: AsyncConnection, dispatch_id: str, by: str, note: str | None, now: datetime
) -> bool:
    """Close by hand: lines still out stay unreturned (their assets keep their custodian until
    seen again), lines that never left are cancelled. Each such asset's history says who
    closed it and why. False: the dispatch was not open. Call last in the transaction."""
    closed = await conn.execute(_CLOSE, {"id": dispatch_id, "now": now})
    if not closed.rowcount:
        return False
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
    await conn.execute(_CLOSED_EVENTS, {"id": dispatch_id, "now": now, "by": by, "note": note})
    return True


async def site_exists(conn: AsyncConnection, site_id: str) -> bool:
    return (
        await conn.scalar(text("SELECT 1 FROM sites WHERE id = :id"), {"id": site_id}) is not None
    )
