"""Crashes, restarts and rebalances never lose or double a read: the final state of a troubled
run equals that of an uninterrupted run over the same ≥100,000 reads (DESIGN.md, Exactly once).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass

import pytest
from ingest_harness import (
    T0,
    create_topics,
    digest,
    end_stream,
    fresh_database,
    publish,
    running_consumer,
    scoped,
    start_consumer_process,
    stored_offsets,
    wait_caught_up,
)

from ingest.tagread import TagRead
from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.settings import Settings
from tagtrail.stack.postgres import LocalPostgres

pytestmark = pytest.mark.slow
WORLD = World(asset_count=520, door_count=12)


@dataclass(frozen=True)
class Reference:
    reads: list[TagRead]
    digest: tuple[str, int, int]
    seconds: float


@pytest.fixture(scope="module")
async def reference(base_settings: Settings) -> Reference:
    reads = list(DockScenario(WORLD, T0, stray_share=0.05).reads())
    assert len(reads) >= 100_000
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "reference")
        await create_topics(settings)
        await publish(settings, reads)
        await end_stream(settings)
        started = time.monotonic()
        async with running_consumer(settings):
            await wait_caught_up(settings)
        seconds = time.monotonic() - started
        result = await digest(url)
    assert result[1] == len(WORLD.assets)  # every crate has a state
    return Reference(reads, result, seconds)


async def progress_reaches(settings: Settings, records: int, timeout_s: float = 120) -> int:
    """Wait until Postgres holds at least this many applied records; return how many."""
    deadline = time.monotonic() + timeout_s
    while (applied := sum((await stored_offsets(settings)).values())) < records:
        assert time.monotonic() < deadline, f"only {applied} records applied"
        await asyncio.sleep(0.1)
    return applied


async def stream(settings: Settings, reads: list[TagRead], pieces: int = 10) -> None:
    """Publish in pieces while the consumer works, then end the stream."""
    size = len(reads) // pieces + 1
    for i in range(0, len(reads), size):
        await publish(settings, reads[i : i + size])
        await asyncio.sleep(0.2)
    await end_stream(settings)


async def test_kill_9_during_streaming_replays_to_the_same_state(
    base_settings: Settings, reference: Reference
) -> None:
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "kill9")
        await create_topics(settings)
        publishing = asyncio.create_task(stream(settings, reference.reads))
        applied_at_kill = []
        process = await start_consumer_process(settings)
        try:
            for _ in range(4):
                await asyncio.sleep(max(1.5, reference.seconds / 5))
                process.send_signal(signal.SIGKILL)
                await process.wait()
                applied_at_kill.append(sum((await stored_offsets(settings)).values()))
                process = await start_consumer_process(settings)
            await publishing
            await wait_caught_up(settings)
        finally:
            process.terminate()
            await process.wait()
        total = sum((await stored_offsets(settings)).values())
        # The kills hit a consumer with work still ahead of it, not one that had finished.
        assert sum(1 for applied in applied_at_kill if applied < total) >= 3, applied_at_kill
        assert await digest(url) == reference.digest


async def test_postgres_restart_mid_stream_is_retried_to_the_same_state(
    base_settings: Settings, reference: Reference
) -> None:
    if not base_settings.uses_local_stack_db:
        pytest.skip("restarts PostgreSQL, which only the local stack lets a test do")
    postgres = LocalPostgres(base_settings.stack_dir, base_settings.stack_pg_port)
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "pgrestart")
        await create_topics(settings)
        async with running_consumer(settings):
            publishing = asyncio.create_task(stream(settings, reference.reads))
            await asyncio.sleep(max(1.0, reference.seconds / 3))
            before = sum((await stored_offsets(settings)).values())
            await asyncio.to_thread(postgres.stop)
            await asyncio.sleep(2)  # the consumer meets a dead database meanwhile
            await asyncio.to_thread(postgres.start)
            await publishing
            await wait_caught_up(settings)
        assert 0 < before < sum((await stored_offsets(settings)).values()), "restart mid-stream"
        assert await digest(url) == reference.digest


async def test_two_consumers_one_stopped_mid_run_apply_every_read_once(
    base_settings: Settings, reference: Reference
) -> None:
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "pair")
        await create_topics(settings)
        first = await start_consumer_process(settings)
        second = await start_consumer_process(settings)
        try:
            publishing = asyncio.create_task(stream(settings, reference.reads))
            before = await progress_reaches(settings, len(reference.reads) // 5)
            second.send_signal(signal.SIGTERM)  # its partitions move to the first
            assert await asyncio.wait_for(second.wait(), 60) in (0, -signal.SIGTERM)
            await publishing
            await wait_caught_up(settings)
        finally:
            for process in (first, second):
                if process.returncode is None:
                    os.kill(process.pid, signal.SIGTERM)
                    await process.wait()
        assert 0 < before < sum((await stored_offsets(settings)).values()), "stopped mid-run"
        assert await digest(url) == reference.digest
