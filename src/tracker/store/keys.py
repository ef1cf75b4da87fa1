"""API key rows: create, find by public id, list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class StoredKey:
    id: str
    name: str
    secret_sha256: str
    scopes: tuple[str, ...]
    sites: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None


def _stored(row: Any) -> StoredKey:
    key_id, name, digest, scopes, sites, created, revoked = row
    return StoredKey(
        key_id,
        name,
        digest,
        tuple(scopes),
        tuple(sites) if sites is not None else None,
        created,
        revoked,
    )


_COLUMNS = "id, name, secret_sha256, scopes, sites, created_at, revoked_at"


async def insert_key(
    conn: AsyncConnection,
    key_id: str,
    name: str,
    secret_sha256: str,
    scopes: Sequence[str],
    sites: Sequence[str] | None,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO api_keys (id, name, secret_sha256, scopes, sites) "
            "VALUES (:id, :name, :digest, :scopes, :sites)"
        ),
        {
            "id": key_id,
            "name": name,
            "digest": secret_sha256,
            "scopes": list(scopes),
            "sites": list(sites) if sites is not None else None,
        },
    )


async def find_key(conn: AsyncConnection, key_id: str) -> StoredKey | None:
    row = (
        await conn.execute(text(f"SELECT {_COLUMNS} FROM api_keys WHERE id = :id"), {"id": key_id})
    ).first()
    return _stored(row) if row is not None else None


async def list_keys(conn: AsyncConnection) -> list[StoredKey]:
    rows = await conn.execute(text(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at"))
    return [_stored(row) for row in rows]


async def revoke_key(conn: AsyncConnection, key_id: str) -> bool:
    result = await conn.execute(
        text("UPDATE api_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
        {"id": key_id},
    )
    return bool(result.rowcount)
