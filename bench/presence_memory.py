"""Consumer memory per open (tag, read point) presence, measured on the real consumer process.

A million registered crates each get one read at a zone read point, all within less than
`cross_read_s` of event time, so every presence stays open (and undecided) in the smoother
when the consumer has applied them all; the process's RSS growth over that is divided by
the presences Postgres says it holds.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from bench.consumer_process import resident_bytes, running_consumer
from bench.sandbox import (
    asyncpg_dsn,
    end_offsets,
    scratch_database,
    scratch_topics,
    wait_caught_up,
)
from bench.stream import DOORS, T0, KeyedValue, publish_all
from ingest.publisher import kafka_key
from ingest.tagread import TagRead, encode_tagread
from simulators.world import COMPANY_PREFIX, World
from tagtrail.settings import Settings

# A GRAI asset type of its own, so these crates never collide with the world's.
GRAI_TYPE = "12346"
# Reads spread over less than cross_read_s (2 s): no presence is confirmed or closed.
SPREAD = timedelta(seconds=1.5)
# Settle time after the last commit, so freed batch buffers are not counted as growth.
SETTLE_S = 2.0


@dataclass(frozen=True)
class PresenceMemory:
    bytes_per_presence: float
    presences: int
    rss_before: int
    rss_after: int


def crate_uri(serial: int) -> str:
    return f"urn:epc:id:grai:{COMPANY_PREFIX}.{GRAI_TYPE}.{serial}"


async def register_crates(url: str, world: World, count: int) -> None:
    """COPY `count` assets with their EPC URI identifiers into the registry."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.copy_records_to_table(
            "assets",
            records=((f"bench-crate-{n}", world.asset_type, world.site_id) for n in range(count)),
            columns=["id", "type_id", "home_site_id"],
        )
        await conn.copy_records_to_table(
            "asset_identifiers",
            records=((crate_uri(n), "epc", f"bench-crate-{n}") for n in range(count)),
            columns=["value", "scheme", "asset_id"],
        )
    finally:
        await conn.close()


def zone_reads(world: World, count: int) -> list[KeyedValue]:
    """One read per crate at the storage zone's read point, in event-time order."""
    reader = world.zone_reader_id("storage")
    step = SPREAD / count
    records = []
    for n in range(count):
        seen_at = T0 + n * step
        read = TagRead(
            v=1,
            read_id=f"{reader}:{n}",
            reader_id=reader,
            antenna=1,
            tag=crate_uri(n),
            tag_kind="epc",
            seen_at=seen_at,
            rssi=-55.0,
            source="llrp",
        )
        records.append((kafka_key(read), encode_tagread(read)))
    return records


async def measure_presence_memory(base: Settings, presences: int) -> PresenceMemory:
    world = World(asset_count=1, door_count=DOORS)
    async with scratch_database(base, world) as url:
        await register_crates(url, world, presences)
        reads = zone_reads(world, presences)
        async with (
            scratch_topics(base, url, "memory") as settings,
            running_consumer(settings) as pid,
        ):
            rss_before = resident_bytes(pid)
            await publish_all(settings, reads)
            del reads
            await wait_caught_up(settings, await end_offsets(settings), timeout_s=900)
            await asyncio.sleep(SETTLE_S)
            rss_after = resident_bytes(pid)
            held = await _presence_rows(settings)
    return PresenceMemory((rss_after - rss_before) / held, held, rss_before, rss_after)


async def _presence_rows(settings: Settings) -> int:
    """The presences the consumer holds: its smoother state is mirrored row for row."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.db_url()))
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM presences WHERE group_id = $1", settings.consumer_group
        )
    finally:
        await conn.close()
    return count


async def smoother_breakdown(presences: int) -> dict[str, float]:
    """The smoother's and the tag cache's shares, measured in a process of their own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.smoother_memory",
        str(presences),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench.smoother_memory exited with {process.returncode}")
    shares: dict[str, float] = json.loads(out)
    return shares
