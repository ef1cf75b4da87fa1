"""GET /v1/readers: configured readers with their adapters' live health."""

from __future__ import annotations

import asyncpg
import httpx
from ingest_harness import fresh_database, make_key, scoped

from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings

WORLD = World(asset_count=1, door_count=2)


async def test_readers_show_their_read_points_and_live_health(base_settings: Settings) -> None:
    door = WORLD.doors[0]
    async with fresh_database(base_settings, WORLD) as url:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            await conn.execute(
                "INSERT INTO reader_health (reader_id, connected, last_report_at, reads_per_s,"
                " host, updated_at) VALUES ($1, true, now(), 41.5, '127.0.0.1:5084', now()),"
                " ('forgotten-reader', true, now() - interval '1 hour', 3, '10.0.0.9:5084',"
                " now() - interval '1 hour')",
                door.reader_id,
            )
        finally:
            await conn.close()
        settings = scoped(base_settings, url, "readers")
        dashboard = await make_key(url, "assets:read")
        other_site = await make_key(url, "assets:read", sites=["elsewhere"])
        app = create_api(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            anonymous = await client.get("/v1/readers")
            seen = await client.get("/v1/readers", headers={"Authorization": f"Bearer {dashboard}"})
            limited = await client.get(
                "/v1/readers", headers={"Authorization": f"Bearer {other_site}"}
            )
    assert anonymous.status_code == 401
    readers = {r["reader_id"]: r for r in seen.json()}
    live = readers[door.reader_id]
    assert live["connected"] is True
    assert live["reads_per_s"] == 41.5
    assert [p["role"] for p in live["read_points"]] == ["portal_inside", "portal_outside"]
    idle = readers[WORLD.doors[1].reader_id]  # configured, no adapter reported yet
    assert idle["connected"] is None
    gone = readers["forgotten-reader"]  # reporting once, never configured, adapter gone
    assert gone["read_points"] == []
    assert gone["health_stale"] is True
    assert gone["connected"] is False
    assert limited.json() == []
