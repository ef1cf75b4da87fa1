"""Reads through Kafka and the consumer to asset state: the movement rules, end to end."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from ingest_harness import (
    T0,
    create_topics,
    end_stream,
    fresh_database,
    publish,
    scoped,
    wait_caught_up,
)

from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings


async def consume_until_caught_up(settings: Settings) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings, timeout_s=120)
    finally:
        stop.set()
        await task


async def test_dock_passes_move_assets_out_and_back(base_settings: Settings) -> None:
    world = World(asset_count=40, door_count=6)
    scenario = DockScenario(world, T0, stray_share=0.0, gap=timedelta(seconds=30))
    reads = list(scenario.reads())
    async with fresh_database(base_settings, world) as url:
        settings = scoped(base_settings, url, "pipeline", partitions=4)
        await create_topics(settings)
        await publish(settings, reads)
        await end_stream(settings)
        await consume_until_caught_up(settings)

        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            statuses = dict(
                await conn.fetch("SELECT status, count(*) FROM asset_state GROUP BY status")
            )
            kinds = dict(await conn.fetch("SELECT kind, count(*) FROM asset_events GROUP BY kind"))
            alerts = await conn.fetchval(
                "SELECT count(*) FROM alerts WHERE kind = 'unauthorized_exit'"
            )
        finally:
            await conn.close()
    # Every crate went out (no dispatch: an unauthorized exit) and came back in.
    assert statuses == {"in_service": 40}
    assert kinds.get("alert_raised") == 40
    assert alerts == 40
    assert kinds.get("asset_status_changed") == 80  # out: in_transit; back: in_service
