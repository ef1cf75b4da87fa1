"""What the ingest integration tests share: fresh databases, topics, publishing, digests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.sandbox import consumer_env
from ingest.publisher import Publisher
from ingest.records import TICK_HEADER
from ingest.tagread import TagRead
from ingest.topics import TopicSpec, ensure_topics
from simulators.world import World, seed
from tagtrail.bootstrap import create_api
from tagtrail.cli.consume import run_consumer
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings

# The start of the simulated day: fixed, so two runs over the same input compare exactly.
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
END_OF_STREAM_US = 4_000_000_000_000_000  # a watermark past every read: closes all presences


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database(base: Settings, world: World | None = None) -> AsyncIterator[str]:
    """A new, migrated database (seeded with the world, if given); dropped afterwards."""
    server = make_url(base.db_url())
    admin = await asyncpg.connect(_dsn(base.db_url()))
    name = f"tagtrail_it_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    await admin.close()  # a test may restart PostgreSQL meanwhile: reconnect to drop
    try:
        await asyncio.to_thread(upgrade, url)
        if world is not None:
            engine = create_async_engine(url)
            async with engine.begin() as conn:
                await seed(conn, world)
            await engine.dispose()
        yield url
    finally:
        await drop_database(base.db_url(), name)


def scoped(base: Settings, url: str, name: str, partitions: int = 12, **extra: object) -> Settings:
    """Settings for one isolated run: its own database, topics and consumer group."""
    suffix = uuid.uuid4().hex[:8]
    return base.model_copy(
        update={
            "database_url": SecretStr(url),
            "topic_reads": f"tt.it.{name}.{suffix}",
            "topic_dlq": f"tt.it.{name}.{suffix}.dlq",
            "consumer_group": f"tt-it-{name}-{suffix}",
            "reads_partitions": partitions,
            "tick_s": 0.0,
            "metrics_port": 0,
            **extra,
        }
    )


async def create_topics(settings: Settings) -> None:
    await ensure_topics(
        settings.kafka_client_options(),
        [
            TopicSpec(
                settings.topic_reads,
                settings.reads_partitions,
                configs={"max.message.bytes": str(2 * 1024 * 1024)},
            ),
            TopicSpec(settings.topic_dlq, 1),
        ],
    )


async def publish(settings: Settings, reads: Sequence[TagRead], chunk: int = 20_000) -> None:
    publisher = Publisher(
        settings.kafka_client_options(), settings.topic_reads, delivery_timeout_s=60
    )
    await publisher.start()
    try:
        for i in range(0, len(reads), chunk):
            await publisher.publish(reads[i : i + chunk])
    finally:
        await publisher.stop()


async def publish_raw(settings: Settings, values: Sequence[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(
        **settings.kafka_client_options(), acks="all", max_request_size=3 * 1024 * 1024
    )
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(settings.topic_reads, value, key=key)
    finally:
        await producer.stop()


async def tick(settings: Settings, watermark_us: int) -> None:
    """A tick into every partition, as the consumer's idle ticker would make it: the door
    passes and presences before `watermark_us` are decided."""
    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all")
    await producer.start()
    try:
        for partition in range(settings.reads_partitions):
            await producer.send_and_wait(
                settings.topic_reads,
                b"",
                partition=partition,
                headers=[(TICK_HEADER, str(watermark_us).encode())],
            )
    finally:
        await producer.stop()


async def end_stream(settings: Settings) -> None:
    """A tick past every read into every partition."""
    await tick(settings, END_OF_STREAM_US)


async def sql(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def running_consumer(settings: Settings) -> AsyncIterator[None]:
    """`tagtrail consume` in this process while the block runs; stopped as on SIGTERM."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await task


@contextlib.asynccontextmanager
async def api_client(settings: Settings, key: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API app in this process, called with `key`."""
    app = create_api(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://tt",
            headers={"Authorization": f"Bearer {key}"},
        ) as http,
    ):
        yield http


async def end_offsets(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options())
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic_reads, p) for p in range(settings.reads_partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in ends.items()}


async def stored_offsets(settings: Settings) -> dict[int, int]:
    conn = await asyncpg.connect(_dsn(settings.db_url()))
    try:
        rows = await conn.fetch(
            "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 "
            "AND topic = $2",
            settings.consumer_group,
            settings.topic_reads,
        )
    finally:
        await conn.close()
    return {r["partition"]: r["next_offset"] for r in rows}


async def wait_caught_up(settings: Settings, timeout_s: float = 240) -> None:
    """Until Postgres holds every partition's end offset (all records applied)."""
    ends = {p: o for p, o in (await end_offsets(settings)).items() if o > 0}
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        stored = await stored_offsets(settings)
        if all(stored.get(p, 0) >= o for p, o in ends.items()):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not caught up after {timeout_s} s: stored {stored}, ends {ends}")
        await asyncio.sleep(0.25)


async def digest(url: str) -> tuple[str, int, int]:
    """sha256 of asset_state and asset_events without surrogate ids and wall-clock columns."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        states = await conn.fetch(
            "SELECT asset_id, status, site_id, zone_id, custodian_id, custody_since, dispatch_id,"
            " return_due_at, last_seen_at, last_read_point_id, last_event_at,"
            " last_observation_id FROM asset_state ORDER BY asset_id"
        )
        events = await conn.fetch(
            "SELECT asset_id, kind, occurred_at, observation_id, site_id, zone_id, late,"
            " clock_clamped, payload::text FROM asset_events"
            " ORDER BY asset_id, occurred_at, kind, observation_id"
        )
    finally:
        await conn.close()
    hasher = hashlib.sha256()
    for row in [*states, *events]:
        hasher.update(repr(tuple(row)).encode())
    return hasher.hexdigest(), len(states), len(events)


async def start_consumer_process(settings: Settings) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tagtrail",
        "consume",
        env=consumer_env(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def make_key(url: str, *scopes: str, sites: list[str] | None = None) -> str:
    """An API key in this database, as `tagtrail keys create` makes one."""
    from api.auth import new_key
    from tracker.store.keys import insert_key

    key_id, full_key, secret_digest = new_key()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await insert_key(conn, key_id, "test", secret_digest, scopes, sites)
    finally:
        await engine.dispose()
    return full_key
