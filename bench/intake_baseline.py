"""The intake benchmark's baseline, in a process of its own like the API it is compared with:
`python -m bench.intake_baseline BODIES_FILE CONCURRENCY` with the TAGTRAIL_* settings;
prints reads/s of bare `Publisher.publish` over the same 1,000-read batches."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from ingest.publisher import Publisher
from ingest.tagread import TagRead, decode_tagread_batch
from tagtrail.settings import Settings


async def publish_rate(settings: Settings, batches: list[list[TagRead]], concurrency: int) -> float:
    publisher = Publisher(
        settings.kafka_client_options(), settings.topic_reads, delivery_timeout_s=60
    )
    await publisher.start()
    queue = list(reversed(batches))

    async def worker() -> None:
        while queue:
            await publisher.publish(queue.pop())

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    finally:
        await publisher.stop()
    return sum(map(len, batches)) / seconds


def main() -> None:
    bodies_file, concurrency = Path(sys.argv[1]), int(sys.argv[2])
    batches = [decode_tagread_batch(line) for line in bodies_file.read_bytes().splitlines()]
    print(asyncio.run(publish_rate(Settings(), batches, concurrency)))


if __name__ == "__main__":
    main()
