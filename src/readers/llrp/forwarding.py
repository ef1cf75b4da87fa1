"""Reads of one reader → batches → Kafka, kept and retried while Kafka cannot take them.

The reader cannot be paused from here (its reports keep coming, and blocking sllurp's
thread would also stop it from answering keepalives), so the backlog is bounded instead:
past `max_pending` the oldest waiting reads are dropped, counted and logged as errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ingest.publisher import PublishUnavailable
from ingest.tagread import TagRead
from readers.llrp.backoff import Backoff
from readers.llrp.metrics import PUBLISH_RETRIES, READS_DROPPED, READS_PUBLISHED, READS_WAITING

log = logging.getLogger(__name__)

DROP_LOG_EVERY_S = 5.0


class ReadSink(Protocol):
    async def publish(self, reads: Sequence[TagRead]) -> None: ...


@dataclass(frozen=True, slots=True)
class ForwardingLimits:
    max_batch: int = 500
    max_wait_s: float = 0.05  # a read waits at most this long for companions
    max_pending: int = 200_000  # about 100 MB of reads: minutes of a busy door
    drain_timeout_s: float = 10.0  # on stop, how long to keep trying to publish what is left


class ReadForwarder:
    def __init__(
        self, reader_id: str, sink: ReadSink, limits: ForwardingLimits | None = None
    ) -> None:
        self._reader_id = reader_id
        self._sink = sink
        self._limits = limits or ForwardingLimits()
        self._pending: deque[TagRead] = deque()
        # Taken from _pending and not yet acknowledged: published again, in order, on retry.
        self._in_flight: list[TagRead] = []
        self._arrived = asyncio.Event()
        self.dropped = 0
        self.published = 0
        self._drops_logged_at = -DROP_LOG_EVERY_S

    @property
    def backlog(self) -> int:
        return len(self._pending) + len(self._in_flight)

    def offer(self, reads: Iterable[TagRead]) -> None:
        """Queue reads (event-loop thread only); never blocks."""
        self._pending.extend(reads)
        overflow = min(self.backlog - self._limits.max_pending, len(self._pending))
        if overflow > 0:
            for _ in range(overflow):
                self._pending.popleft()
            self.dropped += overflow
            READS_DROPPED.labels(self._reader_id).inc(overflow)
            self._log_drops()
        READS_WAITING.labels(self._reader_id).set(self.backlog)
        self._arrived.set()

    def _log_drops(self) -> None:
        # Loud but not a flood: a report can arrive every few ms while Kafka is away.
        now = time.monotonic()
        if now - self._drops_logged_at < DROP_LOG_EVERY_S:
            return
        self._drops_logged_at = now
        log.error(
            "reader %s: reads DROPPED (%d so far): Kafka has not taken the last %d in time",
            self._reader_id,
            self.dropped,
            self._limits.max_pending,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop`, then publish what is left for at most drain_timeout_s."""
        retry = Backoff(first_s=0.1, max_s=5.0)
        while not stop.is_set():
            if not await self._publish_next_batch(stop):
                await _sleep_unless(stop, retry.next_delay())
            else:
                retry.reset()
        await self._drain()

    async def _publish_next_batch(self, stop: asyncio.Event) -> bool:
        if not self._in_flight:
            await self._gather(stop)
        if not self._in_flight:
            return True
        try:
            await self._sink.publish(self._in_flight)
        except PublishUnavailable as exc:
            PUBLISH_RETRIES.labels(self._reader_id).inc()
            log.warning(
                "reader %s: publish failed, keeping %d reads (%d waiting): %s",
                self._reader_id,
                len(self._in_flight),
                self.backlog,
                exc,
            )
            return False
        READS_PUBLISHED.labels(self._reader_id).inc(len(self._in_flight))
        self.published += len(self._in_flight)
        self._in_flight = []
        READS_WAITING.labels(self._reader_id).set(self.backlog)
        return True

    async def _gather(self, stop: asyncio.Event) -> None:
        """Wait for a first read, then up to max_wait_s for a full batch (or the stop)."""
        while not self._pending and not stop.is_set():
            self._arrived.clear()
            await _wait_any(self._arrived, stop)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.max_wait_s
        while len(self._pending) < self._limits.max_batch and not stop.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._arrived.clear()
            await _wait_any(self._arrived, stop, timeout_s=remaining)
        take = min(self._limits.max_batch, len(self._pending))
        self._in_flight = [self._pending.popleft() for _ in range(take)]

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.drain_timeout_s
        done = asyncio.Event()
        done.set()  # _gather must not wait for new reads any more
        while self.backlog and loop.time() < deadline:
            if not await self._publish_next_batch(done):
                await asyncio.sleep(0.2)
        if self.backlog:
            self.dropped += self.backlog
            READS_DROPPED.labels(self._reader_id).inc(self.backlog)
            log.error(
                "reader %s: stopping with %d reads Kafka never took: they are LOST",
                self._reader_id,
                self.backlog,
            )


async def _wait_any(
    first: asyncio.Event, second: asyncio.Event, timeout_s: float | None = None
) -> None:
    waiters = [asyncio.ensure_future(first.wait()), asyncio.ensure_future(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _sleep_unless(stop: asyncio.Event, delay_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay_s)
