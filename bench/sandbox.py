"""A bench run's private corner of the stack: its own migrated database, topics and consumer
group, all removed afterwards, so a run neither sees nor leaves anyone else's data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ingest.topics import ensure_topics, reads_topics
from simulators.world import World, seed
from tagtrail.databases import asyncpg_dsn as asyncpg_dsn  # re-exported for the benchmarks
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings


@contextlib.asynccontextmanager
async def scratch_database(
    base: Settings, world: World | None = None, purpose: str = "ingest"
) -> AsyncIterator[str]:
    """A new database migrated to head (and seeded with the world, if given); dropped on the
    way out. `purpose` names it, so one benchmark's cleanup never matches another's."""
    name = f"tagtrail_bench_{purpose}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(base.db_url()))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(base.db_url()).set(database=name).render_as_string(hide_password=False)
    try:
        # "heads": while two branches of revisions are being merged the tree has two heads,
        # and a benchmark of the checked-out code should still run on all of them.
        await asyncio.to_thread(upgrade, url, "heads")
        if world is not None:
            engine = create_async_engine(url)
            async with engine.begin() as conn:
                await seed(conn, world)
            await engine.dispose()
        yield url
    finally:
        await _drop_database(base, name)


async def _drop_database(base: Settings, name: str, attempts: int = 20) -> None:
    await drop_database(base.db_url(), name, attempts)


_DEFAULT_STATE_ROWS = """
INSERT INTO asset_state (asset_id, status, site_id, custodian_id)
SELECT a.id, CASE WHEN a.retired_at IS NULL THEN 'in_service' ELSE 'retired' END,
       a.home_site_id, 'site:' || a.home_site_id
FROM assets a WHERE NOT EXISTS (SELECT 1 FROM asset_state s WHERE s.asset_id = a.id)
"""


@contextlib.asynccontextmanager
async def seeded_state_rows(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """For a seed of a scratch database that COPYs its assets' `asset_state` rows itself.

    Registering an asset gives it a default state row (a trigger, migration 0012), which the
    seed's own rows would collide with: the trigger is off while the seed runs and the
    default rows already there (the world's first asset) are removed; assets the seed left
    without a row (never observed) get their default one afterwards.
    """
    await conn.execute("ALTER TABLE assets DISABLE TRIGGER assets_default_state")
    await conn.execute("DELETE FROM asset_state")
    try:
        yield
    finally:
        await conn.execute("ALTER TABLE assets ENABLE TRIGGER assets_default_state")
    await conn.execute(_DEFAULT_STATE_ROWS)


@contextlib.asynccontextmanager
async def scratch_topics(base: Settings, url: str, name: str) -> AsyncIterator[Settings]:
    """Settings pointing at the database, with a reads topic, DLQ and group of their own."""
    suffix = uuid.uuid4().hex[:8]
    settings = base.model_copy(
        update={
            "database_url": SecretStr(url),
            "topic_reads": f"tt.bench.{name}.{suffix}",
            "topic_dlq": f"tt.bench.{name}.{suffix}.dlq",
            "consumer_group": f"tt-bench-{name}-{suffix}",
            # The stream is finite: an idle-partition tick would add records after the end.
            "tick_s": 0.0,
            "metrics_port": 0,
        }
    )
    specs = reads_topics(settings.topic_reads, settings.topic_dlq, settings.reads_partitions, 1)
    await ensure_topics(settings.kafka_client_options(), specs)
    try:
        yield settings
    finally:
        admin = AIOKafkaAdminClient(**settings.kafka_client_options())
        await admin.start()
        try:
            await admin.delete_topics([spec.name for spec in specs])
        finally:
            await admin.close()


async def end_offsets(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options())
    await consumer.start()
    try:
        partitions = [
            TopicPartition(settings.topic_reads, p) for p in range(settings.reads_partitions)
        ]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in ends.items()}


async def stored_offsets(conn: asyncpg.Connection, settings: Settings) -> dict[int, int]:
    """The consumer's committed positions: they move in the transaction that holds the state."""
    rows = await conn.fetch(
        "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2",
        settings.consumer_group,
        settings.topic_reads,
    )
    return {row["partition"]: row["next_offset"] for row in rows}


async def wait_caught_up(settings: Settings, ends: dict[int, int], timeout_s: float) -> None:
    """Until Postgres holds every partition's end offset, polled every 50 ms."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.db_url()))
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                stored = await stored_offsets(conn, settings)
                if all(stored.get(p, 0) >= end for p, end in ends.items() if end > 0):
                    return
                await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def first_commit(settings: Settings, timeout_s: float) -> dict[int, int]:
    """The positions as soon as the consumer has committed anything, polled every 5 ms."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.db_url()))
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                stored = await stored_offsets(conn, settings)
                if stored:
                    return stored
                await asyncio.sleep(0.005)
    finally:
        await conn.close()


def consumer_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `python -m tagtrail consume` use these settings."""
    env = dict(os.environ)
    env.update(
        {
            "TAGTRAIL_DATABASE_URL": settings.db_url(),
            "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
            "TAGTRAIL_TOPIC_READS": settings.topic_reads,
            "TAGTRAIL_TOPIC_DLQ": settings.topic_dlq,
            "TAGTRAIL_CONSUMER_GROUP": settings.consumer_group,
            "TAGTRAIL_READS_PARTITIONS": str(settings.reads_partitions),
            "TAGTRAIL_TICK_S": "0",
            "TAGTRAIL_METRICS_PORT": "0",
            "TAGTRAIL_LOG_JSON": "true",
            "TAGTRAIL_LOG_LEVEL": "WARNING",
        }
    )
    return env
