"""The handheld simulator against the API and a running consumer: retries after a lost answer
publish nothing twice, and an offline backlog lands as if it had arrived on time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx
from ingest_harness import T0, create_topics, fresh_database, make_key, scoped

from simulators.handheld import HandheldDevice
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

WORLD = World(asset_count=3, door_count=2)


async def test_scanner_app_retries_and_backlog(base_settings: Settings) -> None:
    crate, other = WORLD.assets[0], WORLD.assets[1]
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "handheld", partitions=2)
        await create_topics(settings)
        key = await make_key(url, "scans:write")
        app = create_api(settings)
        stop = asyncio.Event()
        consumer = asyncio.create_task(run_consumer(settings, stop))
        try:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://tt",
                    headers={"Authorization": f"Bearer {key}"},
                ) as client,
            ):
                device = HandheldDevice(client, f"{WORLD.site_id}-scanner", "ana")
                await asyncio.sleep(3)  # the consumer joins its group
                out = await device.scan(
                    crate.epc_uri,
                    "check_out",
                    custodian="acme",
                    at=T0,
                    wait=True,
                    lose_first_answer=True,
                )
                device.go_offline()
                assert (
                    await device.scan(crate.epc_uri, "check_in", at=T0 + timedelta(hours=2)) is None
                )
                assert (
                    await device.scan(other.epc_uri, "audit", at=T0 + timedelta(hours=2, minutes=1))
                    is None
                )
                back = await device.come_online(wait=True)
        finally:
            stop.set()
            await consumer
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            transfers = await conn.fetch(
                "SELECT occurred_at, payload->>'to_custodian_id' AS who FROM asset_events "
                "WHERE asset_id = $1 AND kind = 'custody_transferred' ORDER BY occurred_at",
                crate.id,
            )
            audited = await conn.fetch("SELECT asset_id, site_id, seen_at FROM audit_scans")
        finally:
            await conn.close()
    assert [tuple(row) for row in audited] == [
        (other.id, WORLD.site_id, T0 + timedelta(hours=2, minutes=1))
    ]
    assert out is not None
    assert out["results"][0]["state"]["custodian_id"] == "acme"
    assert device.sent_requests == 3  # lost answer + retry, then one backlog upload
    assert back is not None
    assert [r["applied"] for r in back["results"]] == [True, True]
    assert back["results"][0]["state"]["status"] == "in_service"
    # Out to acme and home again: two custody transfers, not three (the retry doubled nothing),
    # at the scans' own times, not at upload time.
    assert [(t["occurred_at"], t["who"]) for t in transfers] == [
        (T0, "acme"),
        (T0 + timedelta(hours=2), f"site:{WORLD.site_id}"),
    ]
