"""Idempotency-Key bookkeeping for the API's write endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Literal["claimed", "replay", "in_flight", "mismatch"]
    status_code: int | None = None
    response: Any = None


async def claim(conn: AsyncConnection, key: str, request_sha256: str) -> Claim:
    inserted = await conn.scalar(
        text(
            "INSERT INTO idempotency_keys (key, request_sha256) VALUES (:k, :h) "
            "ON CONFLICT (key) DO NOTHING RETURNING key"
        ),
        {"k": key, "h": request_sha256},
    )
    if inserted is not None:
        return Claim("claimed")
    row = (
        await conn.execute(
            text(
                "SELECT request_sha256, status_code, response FROM idempotency_keys WHERE key = :k"
            ),
            {"k": key},
        )
    ).one()
    if row[0] != request_sha256:
        return Claim("mismatch")
    if row[1] is None:
        return Claim("in_flight")
    return Claim("replay", row[1], row[2])


async def complete(conn: AsyncConnection, key: str, status_code: int, response: Any) -> None:
    await conn.execute(
        text(
            "UPDATE idempotency_keys SET status_code = :s, response = CAST(:r AS jsonb) "
            "WHERE key = :k"
        ),
        {"k": key, "s": status_code, "r": orjson.dumps(response).decode()},
    )


async def release(conn: AsyncConnection, key: str) -> None:
    """The first request failed before anything was accepted: a retry may try again."""
    await conn.execute(
        text("DELETE FROM idempotency_keys WHERE key = :k AND status_code IS NULL"), {"k": key}
    )
