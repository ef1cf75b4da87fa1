"""The API benchmark's baseline: a bare Starlette + asyncpg app answering the same three
reads with the same SQL as tagtrail's routes, no auth, no pydantic, orjson out.

    python -m bench.api_baseline --port P        # TAGTRAIL_DATABASE_URL etc. as for the API

It runs under uvicorn with one worker, uvloop and httptools, like `tagtrail api`. The SQL is
the very text `tracker.store.asset_views` holds (imported, with its named parameters turned
into asyncpg's `$n` by the same `positional`), so the two cannot drift apart. tagtrail's routes
run these statements on the driver's connection too; what the baseline leaves out is
everything around them — API keys, FastAPI's routing, dependency injection and validation,
SQLAlchemy's pool, pydantic response models.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.sandbox import asyncpg_dsn
from readers.handheld import tag_kind_of
from tagtrail.settings import Settings
from tracker.identity import IdentifierError, canonical_tag
from tracker.store.asset_views import (
    BY_IDENTIFIER_SQL,
    ONE_ASSET_SQL,
    AssetFilter,
    list_query,
    positional,
)

ONE_ASSET, _ = positional(ONE_ASSET_SQL, {"id": None})
BY_IDENTIFIER, _ = positional(BY_IDENTIFIER_SQL, {"v": None})


def _json(content: Any, status: int = 200) -> Response:
    body = orjson.dumps(content, default=_decimal, option=orjson.OPT_NON_STR_KEYS)
    return Response(body, status, media_type="application/json")


def _decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)  # as pydantic writes a Decimal
    raise TypeError


async def _asset(conn: asyncpg.Connection, asset_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(ONE_ASSET, asset_id)
    return dict(row) if row is not None else None


async def one_asset(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        asset = await _asset(conn, request.path_params["asset_id"])
    return _json(asset) if asset else _json({"detail": "no such asset"}, 404)


async def lookup(request: Request) -> Response:
    tag = request.query_params.get("tag", "")
    candidates = [tag.strip()]
    with contextlib.suppress(IdentifierError):
        candidates.insert(0, canonical_tag(tag, tag_kind_of(tag, "auto")))
    async with request.app.state.pool.acquire() as conn:
        asset_id = await conn.fetchval(BY_IDENTIFIER, candidates)
        asset = await _asset(conn, asset_id) if asset_id else None
    return _json(asset) if asset else _json({"detail": "no asset has it"}, 404)


async def asset_list(request: Request) -> Response:
    query = request.query_params
    limit = int(query.get("limit", "100"))
    sql, args = positional(
        *list_query(
            AssetFilter(site=query.get("site"), status=query.get("status")), None, limit + 1
        )
    )
    async with request.app.state.pool.acquire() as conn:
        rows = [dict(row) for row in await conn.fetch(sql, *args)]
    return _json(
        {"items": rows[:limit], "next_cursor": rows[limit - 1]["id"] if rows[limit:] else None}
    )


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


async def _init(conn: asyncpg.Connection) -> None:
    # json and jsonb as objects, as SQLAlchemy's asyncpg dialect hands them to our routes.
    for pg_type in ("json", "jsonb"):
        await conn.set_type_codec(
            pg_type,
            encoder=lambda v: orjson.dumps(v).decode(),
            decoder=orjson.loads,
            schema="pg_catalog",
        )


def create_baseline(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # As many connections as the API's engine may hold (pool_size + max_overflow).
        app.state.pool = await asyncpg.create_pool(
            asyncpg_dsn(settings.db_url()),
            min_size=settings.db_pool_size,
            max_size=2 * settings.db_pool_size,
            init=_init,
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/v1/assets", asset_list),
            Route("/v1/assets/lookup", lookup),
            Route("/v1/assets/{asset_id}", one_asset),
        ],
        lifespan=lifespan,
    )


def baseline_factory() -> Starlette:
    """uvicorn's factory: each worker builds its own app and pool."""
    return create_baseline(Settings())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        "bench.api_baseline:baseline_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
