"""The benchmark's input: the dock-door scenario at 40 doors, encoded once, published fast."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from ingest.publisher import kafka_key
from ingest.records import TICK_HEADER
from ingest.tagread import encode_tagread
from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.settings import Settings

DOORS = 40
MIN_ASSETS = 5_000
# Measured on DockScenario (two passes, 12 to 90 reads per antenna, cross-reads, 5 % strays).
READS_PER_ASSET = 210

KeyedValue = tuple[bytes, bytes]
# The simulated day starts here: fixed, so every run offers the same stream.
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def dock_world(reads: int) -> World:
    """A DC big enough for about `reads` reads: never fewer than 5,000 crates."""
    return World(asset_count=max(MIN_ASSETS, math.ceil(reads / READS_PER_ASSET)), door_count=DOORS)


def encoded_reads(world: World, start: datetime, seed: int = 7) -> list[KeyedValue]:
    """Every read of the scenario as the Kafka (key, value) a reader adapter would send."""
    return [
        (kafka_key(read), encode_tagread(read))
        for read in DockScenario(world, start, seed=seed).reads()
    ]


def reads_producer(settings: Settings) -> AIOKafkaProducer:
    """Configured as `ingest.publisher.Publisher` is, so the bytes on the topic match."""
    return AIOKafkaProducer(
        **settings.kafka_client_options(),
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


async def publish_all(
    settings: Settings, records: Sequence[KeyedValue], window: int = 50_000
) -> None:
    """Send everything with at most `window` unacknowledged records in flight."""
    producer = reads_producer(settings)
    await producer.start()
    try:
        for first in range(0, len(records), window):
            futures = [
                await producer.send(settings.topic_reads, value, key=key)
                for key, value in records[first : first + window]
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def tick_every_partition(settings: Settings, watermark_us: int = 0) -> None:
    """A watermark tick into each partition; one behind the stream's time changes no state,
    but its commit shows the consumer owns and has applied that partition."""
    producer = reads_producer(settings)
    await producer.start()
    try:
        for partition in range(settings.reads_partitions):
            await producer.send_and_wait(
                settings.topic_reads,
                b"",
                partition=partition,
                headers=[(TICK_HEADER, str(watermark_us).encode())],
            )
    finally:
        await producer.stop()
