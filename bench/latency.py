"""Producer send → state visible in Postgres, at a fixed offered rate.

Visible means the partition's `consumer_offsets.next_offset` is past the record's offset:
the consumer commits offsets in the transaction that holds the state derived from them.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka.structs import RecordMetadata

from bench.sandbox import asyncpg_dsn, stored_offsets
from bench.stream import KeyedValue, reads_producer
from tagtrail.settings import Settings

POLL_S = 0.003
# Senders wake at this period and send what the schedule says is due: 50 reads at 5,000/s.
SEND_PERIOD_S = 0.01


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float
    samples: int
    offered_per_s: float


@dataclass
class _InFlight:
    """Sent records by partition, as (offset, send time) heaps; latencies once visible."""

    by_partition: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)
    unacknowledged: int = 0

    def acknowledged(self, sent_at: float, metadata: RecordMetadata) -> None:
        heapq.heappush(
            self.by_partition.setdefault(metadata.partition, []), (metadata.offset, sent_at)
        )
        self.unacknowledged -= 1

    def visible(self, positions: dict[int, int], now: float) -> None:
        for partition, pending in self.by_partition.items():
            next_offset = positions.get(partition, 0)
            while pending and pending[0][0] < next_offset:
                self.latencies_s.append(now - heapq.heappop(pending)[1])

    def waiting(self) -> int:
        return self.unacknowledged + sum(len(p) for p in self.by_partition.values())


async def measure_latency(
    settings: Settings, records: Sequence[KeyedValue], rate: float
) -> Latency:
    """Send `records` at `rate` per second (the consumer already running and caught up)."""
    in_flight = _InFlight()
    conn = await asyncpg.connect(asyncpg_dsn(settings.db_url()))
    # A send that fails never becomes visible: bound the wait rather than poll forever.
    deadline_s = len(records) / rate + 60
    try:
        async with asyncio.timeout(deadline_s):
            offered_per_s = await _poll_until_visible(settings, conn, records, rate, in_flight)
    finally:
        await conn.close()
    ordered = sorted(in_flight.latencies_s)
    return Latency(
        p50_ms=_percentile(ordered, 0.50) * 1000,
        p99_ms=_percentile(ordered, 0.99) * 1000,
        samples=len(ordered),
        offered_per_s=offered_per_s,
    )


async def _poll_until_visible(
    settings: Settings,
    conn: asyncpg.Connection,
    records: Sequence[KeyedValue],
    rate: float,
    in_flight: _InFlight,
) -> float:
    sending = asyncio.create_task(_send_on_schedule(settings, records, rate, in_flight))
    while not sending.done() or in_flight.waiting():
        positions = await stored_offsets(conn, settings)
        in_flight.visible(positions, time.perf_counter())
        if sending.done() and sending.exception() is not None:
            break
        await asyncio.sleep(POLL_S)
    return await sending


async def _send_on_schedule(
    settings: Settings, records: Sequence[KeyedValue], rate: float, in_flight: _InFlight
) -> float:
    """Record i leaves at start + i / rate; returns the rate actually offered."""
    producer = reads_producer(settings)
    await producer.start()
    try:
        started = time.perf_counter()
        sent = 0
        while sent < len(records):
            due = min(len(records), int((time.perf_counter() - started) * rate) + 1)
            for key, value in records[sent:due]:
                in_flight.unacknowledged += 1
                sent_at = time.perf_counter()
                future = await producer.send(settings.topic_reads, value, key=key)
                future.add_done_callback(
                    lambda done, at=sent_at: in_flight.acknowledged(at, done.result())
                )
            sent = due
            await asyncio.sleep(SEND_PERIOD_S)
        elapsed = time.perf_counter() - started
        await producer.flush()
        return len(records) / elapsed
    finally:
        await producer.stop()


def _percentile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
