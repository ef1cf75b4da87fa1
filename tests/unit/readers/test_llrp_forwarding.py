"""Batching, retry while Kafka is away, the backlog bound, and the reconnect backoff."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from ingest.publisher import PublishUnavailable
from ingest.tagread import TagRead
from readers.llrp.backoff import Backoff
from readers.llrp.forwarding import ForwardingLimits, ReadForwarder

pytestmark = pytest.mark.timeout(20)


def read(n: int) -> TagRead:
    return TagRead(
        v=1,
        read_id=f"llrp:{n}",
        reader_id="dock-03",
        tag=f"{n:024X}",
        tag_kind="epc",
        seen_at=datetime(2026, 3, 1, tzinfo=UTC),
        source="llrp",
    )


class FlakySink:
    """Kafka as the forwarder sees it: refuses while `down`, else keeps every batch."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.down = False
        self.refusals = 0

    async def publish(self, reads: Sequence[TagRead]) -> None:
        if self.down:
            self.refusals += 1
            raise PublishUnavailable("broker away")
        self.batches.append([r.read_id for r in reads])

    @property
    def read_ids(self) -> list[str]:
        return [read_id for batch in self.batches for read_id in batch]


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def test_reads_are_published_in_batches_of_at_most_max_batch_in_order() -> None:
    sink = FlakySink()
    forwarder = ReadForwarder("dock-03", sink, ForwardingLimits(max_batch=4, max_wait_s=0.02))
    stop = asyncio.Event()
    task = asyncio.create_task(forwarder.run(stop))
    forwarder.offer(read(n) for n in range(10))
    await until(lambda: len(sink.read_ids) == 10)
    stop.set()
    await task
    assert sink.read_ids == [f"llrp:{n}" for n in range(10)]
    assert max(len(batch) for batch in sink.batches) == 4


async def test_a_batch_kafka_refused_is_kept_and_published_when_it_is_back() -> None:
    sink = FlakySink()
    sink.down = True
    forwarder = ReadForwarder("dock-03", sink, ForwardingLimits(max_batch=5, max_wait_s=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(forwarder.run(stop))
    forwarder.offer(read(n) for n in range(3))
    await until(lambda: sink.refusals >= 2)
    forwarder.offer(read(n) for n in range(3, 6))
    sink.down = False
    await until(lambda: len(sink.read_ids) == 6)
    stop.set()
    await task
    assert sink.read_ids == [f"llrp:{n}" for n in range(6)]
    assert forwarder.dropped == 0


async def test_past_the_backlog_bound_the_oldest_waiting_reads_are_dropped_and_counted() -> None:
    sink = FlakySink()
    sink.down = True
    limits = ForwardingLimits(max_batch=2, max_wait_s=0.01, max_pending=5, drain_timeout_s=0.3)
    forwarder = ReadForwarder("dock-03", sink, limits)
    stop = asyncio.Event()
    task = asyncio.create_task(forwarder.run(stop))
    forwarder.offer([read(0), read(1)])
    await until(lambda: sink.refusals >= 1)  # reads 0 and 1 are in flight
    forwarder.offer(read(n) for n in range(2, 8))
    assert forwarder.dropped == 3
    assert forwarder.backlog == 5
    sink.down = False
    await until(lambda: len(sink.read_ids) == 5)
    stop.set()
    await task
    # The in-flight batch is kept whole; 2, 3 and 4 were the oldest waiting.
    assert sink.read_ids == ["llrp:0", "llrp:1", "llrp:5", "llrp:6", "llrp:7"]


async def test_stop_publishes_what_is_still_waiting() -> None:
    sink = FlakySink()
    forwarder = ReadForwarder("dock-03", sink, ForwardingLimits(max_batch=3, max_wait_s=5))
    stop = asyncio.Event()
    task = asyncio.create_task(forwarder.run(stop))
    forwarder.offer(read(n) for n in range(2))  # too few to fill a batch, max_wait is long
    await asyncio.sleep(0.05)
    stop.set()
    async with asyncio.timeout(2):
        await task
    assert sink.read_ids == ["llrp:0", "llrp:1"]


def test_backoff_doubles_up_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(first_s=1.0, max_s=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jitter: no two waits alike
    for _ in range(5000):  # no overflow however long the reader stays away
        assert backoff.next_delay() <= 8.0
    backoff.reset()
    assert backoff.next_delay() <= 1.0
