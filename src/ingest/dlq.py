"""The dead-letter queue: what the consumer cannot apply goes here with the reason, never away."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

# A poison message may be up to the reads topic's own limit; the DLQ copy must fit as well.
MAX_REQUEST_BYTES = 3 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    reason: str


class DeadLetterQueue:
    def __init__(self, client_options: dict[str, Any], topic: str) -> None:
        self.topic = topic
        self._producer = AIOKafkaProducer(
            **client_options,
            acks="all",
            enable_idempotence=True,
            compression_type="lz4",
            max_request_size=MAX_REQUEST_BYTES,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, letters: list[DeadLetter]) -> None:
        """Acknowledged before the batch's transaction commits: a crash between the two can
        repeat a dead letter (same source topic/partition/offset headers), never lose one."""
        futures = [
            await self._producer.send(
                self.topic, letter.value, key=letter.key, headers=_headers(letter)
            )
            for letter in letters
        ]
        for future in futures:
            await future


def _headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    return [
        ("tagtrail-dlq-reason", letter.reason.encode()[:1000]),
        ("tagtrail-source-topic", letter.topic.encode()),
        ("tagtrail-source-partition", str(letter.partition).encode()),
        ("tagtrail-source-offset", str(letter.offset).encode()),
    ]
