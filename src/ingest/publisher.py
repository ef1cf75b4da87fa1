"""Publishing TagReads to Kafka, keyed by canonical tag. Used by every reader adapter and the API.

A publish returns only after Kafka acknowledged every read (acks=all, idempotent producer), so
a caller that answers "accepted" never loses a read. When Kafka cannot take the reads within
`delivery_timeout_s`, callers get `PublishUnavailable` (the API turns it into 503 +
Retry-After). In-flight reads are bounded: a publish waits for room (backpressure) rather than
buffering without limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from ingest.tagread import TagRead, encode_tagread
from tracker.identity import canonical_tag


class PublishUnavailable(RuntimeError):
    """Kafka did not acknowledge in time; nothing may be reported as accepted."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Message:
    """One record for the reads topic: a TagRead, or a control or reported-fact record whose
    header says what it is."""

    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


def kafka_key(read: TagRead) -> bytes:
    """Every read of one asset lands on one partition, in order (DESIGN.md)."""
    return canonical_tag(read.tag, read.tag_kind).encode()


class Publisher:
    def __init__(
        self,
        client_options: dict[str, Any],
        topic: str,
        *,
        max_in_flight: int = 100_000,
        delivery_timeout_s: float = 10.0,
        linger_ms: int = 5,
    ) -> None:
        self.topic = topic
        self._room = asyncio.Semaphore(max_in_flight)
        self._max_in_flight = max_in_flight
        self._timeout_s = delivery_timeout_s
        self._options = client_options
        self._linger_ms = linger_ms
        self._started = False
        self._starting = asyncio.Lock()
        self._producer = self._new_producer()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **self._options,
            acks="all",
            enable_idempotence=True,
            compression_type="lz4",
            linger_ms=self._linger_ms,
            max_batch_size=256 * 1024,
            request_timeout_ms=int(self._timeout_s * 1000),
        )

    async def ensure_started(self) -> None:
        """Start on first use: the API comes up while Kafka is down and answers 503 meanwhile."""
        if self._started:
            return
        async with self._starting:
            if not self._started:
                await self.start()

    async def start(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._producer.start()
        except (KafkaError, OSError, TimeoutError) as exc:
            await self._producer.stop()
            self._producer = self._new_producer()  # a stopped producer cannot start again
            raise PublishUnavailable(f"Kafka unreachable: {exc!r}") from exc
        self._started = True

    async def stop(self) -> None:
        await self._producer.stop()
        self._started = False

    async def publish(self, reads: Sequence[TagRead]) -> None:
        """Send every read and wait until Kafka acknowledged all of them."""
        await self.publish_messages(
            [Message(kafka_key(read), encode_tagread(read)) for read in reads], "reads"
        )

    async def publish_messages(self, messages: Sequence[Message], what: str = "records") -> None:
        """Send these records in this order (one key's stay in order on its partition) and wait
        until Kafka acknowledged all of them."""
        if len(messages) > self._max_in_flight:
            raise ValueError(f"at most {self._max_in_flight} {what} per publish")
        for _ in messages:
            await self._room.acquire()
        try:
            async with asyncio.timeout(self._timeout_s):
                futures = [
                    await self._producer.send(
                        self.topic, m.value, key=m.key, headers=list(m.headers) or None
                    )
                    for m in messages
                ]
                await asyncio.gather(*futures)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise PublishUnavailable(
                f"Kafka did not acknowledge {len(messages)} {what}: {exc!r}"
            ) from exc
        finally:
            for _ in messages:
                self._room.release()

    async def send_raw(
        self, value: bytes, *, partition: int, headers: list[tuple[str, bytes]]
    ) -> None:
        """A control record (a watermark tick) into one partition; acknowledged before return."""
        async with asyncio.timeout(self._timeout_s):
            await self._producer.send_and_wait(
                self.topic, value, partition=partition, headers=headers
            )
