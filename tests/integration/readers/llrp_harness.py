"""What the LLRP adapter tests share: a topic reader, and a TCP tap that sees what the
adapter says to the reader."""

from __future__ import annotations

import asyncio
import contextlib
import struct

from aiokafka import AIOKafkaConsumer

from ingest.tagread import TagRead, decode_tagread
from simulators.llrp.wire import MessageType

STEP_S = 5.0  # no single wait in these tests should take longer


class TopicReads:
    """Every TagRead on a topic since it was created, with its Kafka key."""

    def __init__(self, kafka_options: dict[str, object], topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic, **kafka_options, auto_offset_reset="earliest", enable_auto_commit=False
        )
        self.reads: list[TagRead] = []
        self.keys: list[bytes] = []

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()

    async def until(self, count: int, timeout_s: float = STEP_S) -> list[TagRead]:
        """Wait until at least `count` reads arrived; return them all."""
        async with asyncio.timeout(timeout_s):
            while len(self.reads) < count:
                batches = await self._consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        assert record.value is not None and record.key is not None
                        self.reads.append(decode_tagread(record.value))
                        self.keys.append(record.key)
        return self.reads

    def tags(self) -> set[str]:
        return {read.tag for read in self.reads}


class LlrpTap:
    """A TCP relay between the adapter and the reader that records the type of every
    message the adapter sends, so a test can tell a polite goodbye from a dropped socket."""

    def __init__(self, reader_port: int) -> None:
        self._reader_port = reader_port
        self.sent: list[str] = []
        self._server: asyncio.Server | None = None
        self._relays: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for relay in self._relays:
            relay.cancel()
        for relay in list(self._relays):
            with contextlib.suppress(asyncio.CancelledError):
                await relay

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        reader_r, reader_w = await asyncio.open_connection("127.0.0.1", self._reader_port)
        upstream = asyncio.create_task(self._record(client_r, reader_w))
        downstream = asyncio.create_task(_pipe(reader_r, client_w))
        self._relays |= {upstream, downstream}
        await asyncio.wait([upstream, downstream], return_when=asyncio.FIRST_COMPLETED)
        for writer in (client_w, reader_w):
            writer.close()

    async def _record(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                header = await source.readexactly(10)
                type_word, length, _message_id = struct.unpack("!HII", header)
                body = await source.readexactly(length - 10)
                self.sent.append(_message_name(type_word & 0x3FF))
                sink.write(header + body)
                await sink.drain()
        sink.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while chunk := await source.read(65536):
            sink.write(chunk)
            await sink.drain()
    sink.close()


def _message_name(message_type: int) -> str:
    try:
        return MessageType(message_type).name
    except ValueError:  # a vendor (custom) message
        return str(message_type)
