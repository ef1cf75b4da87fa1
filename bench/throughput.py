"""Reads per second over one topic: a bare decode loop (the baseline) and the real consumer."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from bench.sandbox import first_commit, wait_caught_up
from ingest.tagread import decode_tagread
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

# As the consumer fetches (ingest.consumer), so the baseline gets the same batches.
MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024


async def baseline_rate(settings: Settings, ends: dict[int, int]) -> float:
    """`getmany` + TagRead decode of the whole topic from the beginning, in a fresh group."""
    total = sum(ends.values())
    consumer = AIOKafkaConsumer(
        settings.topic_reads,
        **settings.kafka_client_options(),
        group_id=f"tt-bench-baseline-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
    )
    await consumer.start()
    try:
        # The clock starts after the first batch (the group join), as the pipeline's does.
        first = seen = 0
        while first == 0:
            first = seen = await _decode_batch(consumer, settings.consumer_max_batch)
        started = time.perf_counter()
        while seen < total:
            seen += await _decode_batch(consumer, settings.consumer_max_batch)
        return (total - first) / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def _decode_batch(consumer: AIOKafkaConsumer, max_records: int) -> int:
    batch = await consumer.getmany(timeout_ms=200, max_records=max_records)
    count = 0
    for records in batch.values():
        for record in records:
            decode_tagread(record.value)
            count += 1
    return count


async def pipeline_rate(
    settings: Settings, ends: dict[int, int], profile_to: Path | None = None
) -> float:
    """The real consumer, in this process, from the topic's start until Postgres holds every
    end offset. The clock starts at its first committed batch (after the group join)."""
    stop = asyncio.Event()
    with _profiled(profile_to):
        task = asyncio.create_task(run_consumer(settings, stop))
        try:
            first = await first_commit(settings, timeout_s=120)
            started = time.perf_counter()
            await wait_caught_up(settings, ends, timeout_s=1800)
            return (sum(ends.values()) - sum(first.values())) / (time.perf_counter() - started)
        finally:
            stop.set()
            await task


@contextlib.contextmanager
def _profiled(profile_to: Path | None) -> Iterator[None]:
    if profile_to is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(profile_to)
