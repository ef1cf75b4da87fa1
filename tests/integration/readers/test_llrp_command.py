"""`tagtrail reader llrp` as a process: reads to Kafka, health to PostgreSQL, and a clean
goodbye to the reader on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator

import pytest
from llrp_harness import TopicReads
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.topics import TopicSpec, ensure_topics
from simulators.llrp.server import ReaderSimulator
from tagtrail.settings import Settings
from tracker.tables.readers import reader_health

pytestmark = pytest.mark.timeout(60)

STARTUP_S = 15.0  # a fresh interpreter importing sllurp, aiokafka and SQLAlchemy
HEALTH_S = 8.0  # the command writes health every 5 s
EPC = "303401e9e0000000000012ab"
RUN_COMMAND = "import typer; from tagtrail.cli.reader import llrp_command; typer.run(llrp_command)"


@pytest.fixture
async def simulator() -> AsyncIterator[ReaderSimulator]:
    async with ReaderSimulator("127.0.0.1", 0, "dock-07", antennas=(1, 2)) as reader:
        yield reader


async def _health_row(engine: AsyncEngine, reader_id: str) -> dict[str, object] | None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(reader_health).where(reader_health.c.reader_id == reader_id)
            )
        ).first()
    return None if row is None else dict(row._mapping)


async def _until_health(engine: AsyncEngine, reader_id: str, connected: bool) -> dict[str, object]:
    async with asyncio.timeout(HEALTH_S):
        while True:
            row = await _health_row(engine, reader_id)
            if row is not None and row["connected"] is connected:
                return row
            await asyncio.sleep(0.2)


async def test_the_command_reads_publishes_reports_health_and_stops_cleanly_on_sigterm(
    simulator: ReaderSimulator,
    settings: Settings,
    engine: AsyncEngine,
    kafka_options: dict[str, object],
    unique_topic: str,
) -> None:
    await ensure_topics(dict(kafka_options), [TopicSpec(unique_topic, 3)])
    topic_reads = TopicReads(kafka_options, unique_topic)
    await topic_reads.start()
    env = {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.db_url(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_TOPIC_READS": unique_topic,
        "TAGTRAIL_TOPIC_DLQ": f"{unique_topic}.dlq",
        "TAGTRAIL_READS_PARTITIONS": "3",
        "TAGTRAIL_METRICS_PORT": "0",
    }
    process = await asyncio.create_subprocess_exec(
        *[sys.executable, "-c", RUN_COMMAND, "--host", "127.0.0.1"],
        *["--port", str(simulator.port), "--reader-id", "dock-07", "--antennas", "1,2"],
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(STARTUP_S):
            await simulator.wait_for_inventory()
        simulator.see(EPC, antenna=2, rssi_dbm=-55, count=4)
        [read] = await topic_reads.until(1)
        assert (read.reader_id, read.tag, read.antenna, read.count) == (
            "dock-07",
            EPC.upper(),
            2,
            4,
        )

        healthy = await _until_health(engine, "dock-07", connected=True)
        assert healthy["host"] == "127.0.0.1"
        assert healthy["last_report_at"] is not None

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
        assert simulator.connected_clients == 0
        assert not simulator.inventorying
        stopped = await _health_row(engine, "dock-07")
        assert stopped is not None
        assert stopped["connected"] is False
        assert stopped["last_report_at"] == healthy["last_report_at"]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await topic_reads.stop()
