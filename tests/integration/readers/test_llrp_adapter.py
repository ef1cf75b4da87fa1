"""The LLRP adapter over real TCP: our reader simulator → sllurp → adapter → real Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime

import pytest
from llrp_harness import STEP_S, LlrpTap, TopicReads
from prometheus_client import REGISTRY

from ingest.publisher import Publisher
from ingest.topics import TopicSpec, ensure_topics
from readers.llrp import LlrpAdapter, ReaderTarget, read_id_for
from readers.llrp.forwarding import ForwardingLimits
from simulators.llrp.server import ReaderSimulator
from tracker.identity import canonical_tag

pytestmark = pytest.mark.timeout(60)

KEEPALIVE_S = 0.2
EPC_A = "303401e9e0000000000012ab"
EPC_B = "303401e9e0000000000012ac"
FIRST_SEEN = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
FIRST_SEEN_US = int(FIRST_SEEN.timestamp()) * 1_000_000 + FIRST_SEEN.microsecond


@pytest.fixture
async def simulator() -> AsyncIterator[ReaderSimulator]:
    async with ReaderSimulator("127.0.0.1", 0, "dock-03", antennas=(1, 2)) as reader:
        yield reader


@pytest.fixture
async def publisher(
    kafka_options: dict[str, object], unique_topic: str
) -> AsyncIterator[Publisher]:
    await ensure_topics(dict(kafka_options), [TopicSpec(unique_topic, 3)])
    started = Publisher(dict(kafka_options), unique_topic)
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
async def topic_reads(
    kafka_options: dict[str, object], unique_topic: str, publisher: Publisher
) -> AsyncIterator[TopicReads]:
    reads = TopicReads(kafka_options, unique_topic)
    await reads.start()
    yield reads
    await reads.stop()


class RunningAdapter:
    def __init__(self, adapter: LlrpAdapter) -> None:
        self.adapter = adapter
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(adapter.run(self.stop))

    async def connections(self, count: int) -> None:
        """Wait until the adapter has reached inventory `count` times in all."""
        async with asyncio.timeout(STEP_S):
            while self.adapter.connections < count:
                assert not self.task.done(), self.task
                await asyncio.sleep(0.02)

    async def stopped(self) -> float:
        """Stop it; return how long that took."""
        started = time.monotonic()
        self.stop.set()
        async with asyncio.timeout(STEP_S):
            await self.task
        return time.monotonic() - started


def reconnects(cause: str) -> float:
    """tagtrail_llrp_reconnects_total of the test reader, for one cause."""
    labels = {"reader": "dock-03", "cause": cause}
    return REGISTRY.get_sample_value("tagtrail_llrp_reconnects_total", labels) or 0.0


StartAdapter = Callable[[int], Coroutine[object, object, RunningAdapter]]


@pytest.fixture
async def start_adapter(publisher: Publisher) -> AsyncIterator[StartAdapter]:
    running: list[RunningAdapter] = []

    async def start(port: int) -> RunningAdapter:
        target = ReaderTarget(
            reader_id="dock-03", host="127.0.0.1", port=port, keepalive_s=KEEPALIVE_S
        )
        limits = ForwardingLimits(max_batch=500, max_wait_s=0.05, drain_timeout_s=STEP_S)
        adapter = RunningAdapter(LlrpAdapter(target, publisher, limits))
        running.append(adapter)
        await adapter.connections(1)
        return adapter

    yield start
    for adapter in running:
        if not adapter.task.done():
            with contextlib.suppress(Exception):
                await adapter.stopped()


async def test_reads_arrive_in_kafka_with_every_field_and_a_deterministic_read_id(
    simulator: ReaderSimulator, start_adapter: StartAdapter, topic_reads: TopicReads
) -> None:
    await start_adapter(simulator.port)

    simulator.see(EPC_A, antenna=2, rssi_dbm=-51, count=3, first_seen=FIRST_SEEN)
    simulator.see(EPC_B, antenna=1, rssi_dbm=-67, count=1, first_seen=FIRST_SEEN)

    reads = sorted(await topic_reads.until(2), key=lambda read: read.tag)
    assert [read.tag for read in reads] == [EPC_A.upper(), EPC_B.upper()]
    assert [read.antenna for read in reads] == [2, 1]
    assert [read.rssi for read in reads] == [-51.0, -67.0]
    assert [read.count for read in reads] == [3, 1]
    assert {read.seen_at for read in reads} == {FIRST_SEEN}
    assert {(read.reader_id, read.source, read.tag_kind) for read in reads} == {
        ("dock-03", "llrp", "epc")
    }
    assert [read.read_id for read in reads] == [
        read_id_for("dock-03", 2, EPC_A, FIRST_SEEN_US),
        read_id_for("dock-03", 1, EPC_B, FIRST_SEEN_US),
    ]
    assert set(topic_reads.keys) == {
        canonical_tag(EPC_A, "epc").encode(),
        canonical_tag(EPC_B, "epc").encode(),
    }


async def test_after_the_reader_drops_the_link_it_reconnects_and_loses_no_report(
    simulator: ReaderSimulator, start_adapter: StartAdapter, topic_reads: TopicReads
) -> None:
    running = await start_adapter(simulator.port)
    simulator.see(EPC_A, antenna=1, rssi_dbm=-50)
    await topic_reads.until(1)

    closed_before = reconnects("closed")
    assert simulator.drop_connections() == 1
    # While nobody inventories the reader holds what it sees (a real one buffers reports).
    seen_while_down = [f"303401E9E00000000000{n:04X}" for n in range(300)]
    for n, epc in enumerate(seen_while_down):
        simulator.see(epc, antenna=1 + n % 2, rssi_dbm=-55)

    await running.connections(2)
    await topic_reads.until(301)
    assert topic_reads.tags() == {EPC_A.upper(), *seen_while_down}
    assert len(topic_reads.reads) == 301  # and none twice
    assert running.adapter.health.connected
    assert reconnects("closed") == closed_before + 1


async def test_a_hung_reader_is_found_by_its_missing_keepalives_and_reconnected(
    simulator: ReaderSimulator, start_adapter: StartAdapter, topic_reads: TopicReads
) -> None:
    running = await start_adapter(simulator.port)
    simulator.see(EPC_A, antenna=1, rssi_dbm=-50)
    await topic_reads.until(1)

    silent_before = reconnects("silent")
    frozen_at = time.monotonic()
    assert simulator.freeze_connections() == 1  # socket open, reader silent
    simulator.see(EPC_B, antenna=2, rssi_dbm=-58)

    await running.connections(2)
    detected_after = time.monotonic() - frozen_at
    # Three intervals without a keepalive, counted from the last one before the freeze
    # (up to one interval earlier), checked every half interval; then the reconnect.
    assert 2 * KEEPALIVE_S <= detected_after < 3 * KEEPALIVE_S + 2.0
    assert reconnects("silent") == silent_before + 1
    await topic_reads.until(2)
    assert topic_reads.tags() == {EPC_A.upper(), EPC_B.upper()}


async def test_a_reader_that_is_down_at_first_is_connected_once_it_is_up(
    start_adapter: StartAdapter, topic_reads: TopicReads
) -> None:
    simulator = ReaderSimulator("127.0.0.1", 0, "dock-03", antennas=(1, 2))
    await simulator.start()
    port = simulator.port
    await simulator.stop()  # a rebooting reader: the port refuses connections for a while
    adapter_task = asyncio.create_task(start_adapter(port))
    await asyncio.sleep(0.5)
    rebooted = ReaderSimulator("127.0.0.1", port, "dock-03", antennas=(1, 2))
    await rebooted.start()
    try:
        running = await adapter_task
        rebooted.see(EPC_A, antenna=1, rssi_dbm=-50)
        await topic_reads.until(1)
        assert running.adapter.connections == 1
    finally:
        await rebooted.stop()


async def test_stop_ends_inventory_says_goodbye_and_publishes_what_was_read(
    simulator: ReaderSimulator, start_adapter: StartAdapter, topic_reads: TopicReads
) -> None:
    tap = LlrpTap(simulator.port)
    await tap.start()
    try:
        running = await start_adapter(tap.port)
        simulator.see(EPC_A, antenna=1, rssi_dbm=-50)
        await topic_reads.until(1)

        took_s = await running.stopped()

        # The reader answered both: nothing waited for a timeout.
        assert took_s < 1.0
        assert tap.sent[-2:] == ["DELETE_ROSPEC", "CLOSE_CONNECTION"]
        async with asyncio.timeout(STEP_S):
            while True:
                if simulator.connected_clients == 0:
                    break
                await asyncio.sleep(0.02)
        assert not simulator.inventorying
        assert not running.adapter.health.connected
        simulator.see(EPC_B, antenna=1, rssi_dbm=-50)
        assert simulator.held_sightings == 1  # nobody reads any more
        assert topic_reads.tags() == {EPC_A.upper()}
    finally:
        await tap.stop()
