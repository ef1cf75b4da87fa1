"""The API while PostgreSQL restarts: 503 with Retry-After while it is away, never a 500, and
every request served again once it is back. The API's engine does not ping PostgreSQL at each
checkout (a round trip per request); it discards connections whose socket PostgreSQL closed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from ingest_harness import fresh_database, make_key, scoped

from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings
from tagtrail.stack.postgres import LocalPostgres

WORLD = World(asset_count=3, door_count=1)


async def test_a_restart_gives_503_then_the_api_serves_again(base_settings: Settings) -> None:
    if not base_settings.uses_local_stack_db:
        pytest.skip("restarts PostgreSQL, which only the local stack lets a test do")
    postgres = LocalPostgres(base_settings.stack_dir, base_settings.stack_pg_port)
    asset = WORLD.assets[0].id
    async with fresh_database(base_settings, WORLD) as url:
        reader = await make_key(url, "assets:read")
        app = create_api(scoped(base_settings, url, "pgrestart-api"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            auth = {"Authorization": f"Bearer {reader}"}
            # Several connections in the pool, each of which the restart will kill.
            warm = await asyncio.gather(
                *(client.get(f"/v1/assets/{asset}", headers=auth) for _ in range(8))
            )
            assert {r.status_code for r in warm} == {200}

            await asyncio.to_thread(postgres.stop)
            try:
                # Every pooled connection is gone and new ones are refused.
                for _ in range(2):
                    away = await client.get(f"/v1/assets/{asset}", headers=auth)
                    assert away.status_code == 503, away.text
                    assert away.headers["retry-after"] == "1"
                    assert away.headers["content-type"] == "application/problem+json"
            finally:
                await asyncio.to_thread(postgres.start)

            # The pool notices that PostgreSQL closed its connections (asyncpg saw the
            # sockets close) and opens new ones: no request fails once it is back.
            after = await asyncio.gather(
                *(client.get(f"/v1/assets/{asset}", headers=auth) for _ in range(8)),
                *(client.get("/v1/assets?limit=2", headers=auth) for _ in range(4)),
            )
            assert [r.status_code for r in after] == [200] * 12
