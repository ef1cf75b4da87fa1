"""Plays the day hour by hour: door reads through LLRP reader simulators and the LLRP
adapter, handheld check-ins through the API, and a sweep on the scenario's clock after each
hour (the sweeper's `now` is the scenario time, lagging an hour so that passes still open
never look overdue)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.publisher import Publisher
from ingest.tagread import TagRead
from simulators.handheld import HandheldDevice
from simulators.llrp.server import ReaderSimulator
from simulators.llrp_playback import play
from simulators.scenario import Day
from tagtrail.settings import Settings
from tracker.sweep import sweep

Progress = Callable[[int, int, str], None]
DROP_HOUR = 9  # a dock reader loses its connection during this hour
# The sweeper's clock trails the readers by this many story hours: a door visit is decided
# only after `absence_s` of silence, and a return must not look overdue meanwhile.
SWEEP_LAG_HOURS = 3


class CountingSink:
    """The adapter's publisher, counting what Kafka acknowledged."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.acked = 0

    async def publish(self, reads: Sequence[TagRead]) -> None:
        await self.publisher.publish(reads)
        self.acked += len(reads)


async def _stored_and_ends(dsn: str, settings: Settings, ends: dict[int, int]) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 "
            "AND topic = $2",
            settings.consumer_group,
            settings.topic_reads,
        )
    finally:
        await conn.close()
    stored = {r["partition"]: r["next_offset"] for r in rows}
    return all(stored.get(p, 0) >= o for p, o in ends.items() if o > 0)


async def wait_applied(
    settings: Settings,
    dsn: str,
    sink: CountingSink,
    expected: int,
    end_offsets: Callable[[], object],
    timeout_s: float = 120,
) -> None:
    """Until the adapter published every read handed to it and the consumer applied all."""
    deadline = time.monotonic() + timeout_s
    while sink.acked < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the LLRP adapter published {sink.acked} of {expected} reads")
        await asyncio.sleep(0.1)
    ends = await end_offsets()  # type: ignore[misc]
    while not await _stored_and_ends(dsn, settings, ends):
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer did not catch up")
        await asyncio.sleep(0.2)


async def play_day(
    day: Day,
    start: datetime,
    simulators: dict[str, ReaderSimulator],
    sink: CountingSink,
    device: HandheldDevice,
    engine: AsyncEngine,
    settings: Settings,
    dsn: str,
    end_offsets: Callable[[], object],
    progress: Progress,
    hour_length: timedelta,
) -> int:
    """Each story hour's reads reach the readers at the pace they happened (real time)."""
    played = 0
    for hour in range(24):
        low, high = start + hour_length * hour, start + hour_length * (hour + 1)
        if hour == DROP_HOUR:
            simulators[next(iter(simulators))].drop_connections()
        played += await play(
            [r for r in day.reads if low <= r.seen_at < high], simulators, speed=1.0
        )
        for scan in (s for s in day.scans if low <= s.at < high):
            await device.scan(scan.asset.epc_uri, scan.action, at=scan.at)
        await wait_applied(settings, dsn, sink, played, end_offsets)
        async with engine.connect() as conn:
            await sweep(conn, start + hour_length * (hour + 1 - SWEEP_LAG_HOURS))
        progress(hour + 1, 24, f"{played:,} reads")
    return played


async def settle(settings: Settings, dsn: str, timeout_s: float = 120) -> None:
    """After the day: idle ticks let every presence and door visit close."""
    deadline = time.monotonic() + timeout_s
    while True:
        conn = await asyncpg.connect(dsn)
        try:
            open_windows = await conn.fetchval(
                "SELECT count(*) FROM presences WHERE group_id = $1", settings.consumer_group
            )
        finally:
            await conn.close()
        if open_windows == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{open_windows} presences still open")
        await asyncio.sleep(0.5)


async def handheld(
    api_url: str, key: str, device_id: str
) -> tuple[httpx.AsyncClient, HandheldDevice]:
    client = httpx.AsyncClient(
        base_url=api_url, timeout=10, headers={"Authorization": f"Bearer {key}"}
    )
    return client, HandheldDevice(client, device_id, "demo-operator")
