"""`tagtrail consume`: Kafka batches → one PostgreSQL transaction each, exactly once.

Postgres is the source of truth for positions: on assignment, and after any failure, a
partition's offset, watermark and smoother state are re-read from it and the consumer seeks
there. Kafka's own commit happens afterwards and only feeds lag dashboards.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest import metrics
from ingest.dlq import DeadLetterQueue
from ingest.enrol import AutoEnrolRule
from ingest.offsets import FencedError, advance, save_presences
from ingest.partitions import PartitionLoader
from ingest.pipeline import BatchResult, PartitionState, process_batch
from ingest.publisher import Publisher
from ingest.records import TICK_HEADER
from ingest.resolve import ReadPointIndex, TagResolver
from tracker.store import record_audit_scans, record_unknown_tags, save

log = structlog.get_logger("tagtrail.consume")
TRANSIENT = (SQLAlchemyError, OSError, KafkaError, TimeoutError, FencedError)


@dataclass(frozen=True)
class ConsumerConfig:
    topic: str
    dlq_topic: str
    group: str
    absence_s: float = 10.0
    cross_read_s: float = 2.0
    portal_min_peak_rssi: float = -65.0
    max_batch: int = 5000
    poll_ms: int = 200
    # Wall-clock idle time after which an idle partition with open presences gets a tick
    # (0: never). The tick is a record in the partition, so replays see the same time.
    tick_s: float = 10.0
    auto_enrol: tuple[AutoEnrolRule, ...] = ()


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: TrackerConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self.owner.lock:  # the batch in flight commits (or fails) first
            for tp in revoked:
                self.owner.partitions.pop(tp.partition, None)
        log.info("partitions revoked", partitions=sorted(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        async with self.owner.lock:
            await self.owner.restore([tp.partition for tp in assigned])
        log.info("partitions assigned", partitions=sorted(tp.partition for tp in assigned))


class TrackerConsumer:
    def __init__(
        self, engine: AsyncEngine, client_options: dict[str, Any], config: ConsumerConfig
    ) -> None:
        self.engine = engine
        self.config = config
        self.lock = asyncio.Lock()
        self.partitions: dict[int, PartitionState] = {}
        self._options = client_options
        self._loader = PartitionLoader(engine, config)
        self._read_points = ReadPointIndex()
        self._resolver = TagResolver()
        self._dlq = DeadLetterQueue(client_options, config.dlq_topic)
        self._ticks = Publisher(client_options, config.topic)
        self._last_data: dict[int, float] = {}
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            **self._options,
            group_id=self.config.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self._consumer = consumer
        consumer.subscribe([self.config.topic], listener=_Rebalance(self))
        await self._dlq.start()
        await self._ticks.start()
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(
                    timeout_ms=self.config.poll_ms, max_records=self.config.max_batch
                )
                if batch:
                    await self.handle({tp.partition: records for tp, records in batch.items()})
                await self._tick_idle_partitions()
        finally:
            await consumer.stop()  # revokes (under the lock) before leaving the group
            await self._ticks.stop()
            await self._dlq.stop()

    async def restore(self, partitions: list[int]) -> None:
        """(Re)load partitions from Postgres and seek there; retries until Postgres answers."""
        states = await self._loader.load(partitions)
        for partition, state in states.items():
            self.partitions[partition] = state
            offset = state.position.next_offset if state.position else None
            if self._consumer is not None:
                tp = TopicPartition(self.config.topic, partition)
                if offset is None:
                    await self._consumer.seek_to_beginning(tp)
                else:
                    self._consumer.seek(tp, offset)
            self._last_data[partition] = time.monotonic()

    async def handle(self, batch: dict[int, list[Any]]) -> None:
        async with self.lock:
            work = self._unapplied(batch)
            if not work:
                return
            started = time.monotonic()
            try:
                result = await self._commit(work)
            except TRANSIENT as exc:
                metrics.BATCH_RETRIES.inc()
                log.warning(
                    "batch rolled back; rewinding to Postgres",
                    error=repr(exc),
                    partitions=sorted(work),
                )
                await self.restore(sorted(work))
                return
            self._after_commit(result, started)
        await self._commit_to_kafka(result)

    def _unapplied(self, batch: dict[int, list[Any]]) -> dict[int, list[Any]]:
        """Records of partitions we own, at or after the position Postgres holds."""
        work = {}
        for partition, records in batch.items():
            state = self.partitions.get(partition)
            if state is None:
                continue
            floor = state.position.next_offset if state.position else 0
            fresh = [r for r in records if r.offset >= floor]
            if fresh:
                work[partition] = fresh
        return work

    async def _commit(self, work: dict[int, list[Any]]) -> BatchResult:
        cfg = self.config
        async with self.engine.begin() as conn:
            result = await process_batch(
                conn,
                cfg.topic,
                work,
                self.partitions,
                self._read_points,
                self._resolver,
                cfg.auto_enrol,
            )
            if result.dead:
                await self._dlq.send_all(result.dead)
            await record_unknown_tags(conn, list(result.unknown.values()))
            await record_audit_scans(conn, result.audit_scans)
            for partition, end in sorted(result.ends.items()):
                state = self.partitions[partition]
                upserts, deletes = state.smoother.drain_changes()
                await save_presences(
                    conn,
                    cfg.group,
                    cfg.topic,
                    partition,
                    [(_presence_key(r.key), r) for r in upserts],
                    [_presence_key(k) for k in deletes],
                )
                await advance(conn, cfg.group, cfg.topic, state.position, end)
            await save(conn, result.writes)  # last: its event insert locks until commit
        return result

    def _after_commit(self, result: BatchResult, started: float) -> None:
        now = time.monotonic()
        for partition, end in result.ends.items():
            self.partitions[partition].position = end
            self._last_data[partition] = now
        metrics.READS_CONSUMED.inc(result.records)
        metrics.BATCH_SIZE.observe(result.records)
        metrics.APPLY_SECONDS.observe(now - started)
        for letter in result.dead:
            metrics.READS_DLQ.labels(reason=letter.reason.split(":")[0][:40]).inc()
        if result.oldest_record_at is not None:
            lag = time.time() - result.oldest_record_at.timestamp()
            metrics.READ_TO_COMMIT_SECONDS.observe(max(lag, 0.0))
        log.debug(
            "batch committed",
            records=result.records,
            dead=len(result.dead),
            events=len(result.writes.events),
            partitions=sorted(result.ends),
        )

    async def _commit_to_kafka(self, result: BatchResult) -> None:
        if self._consumer is None:
            return
        offsets = {
            TopicPartition(self.config.topic, p): end.next_offset for p, end in result.ends.items()
        }
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:  # informational only: Postgres already holds the truth
            log.info("kafka commit skipped", error=repr(exc))
        for tp in offsets:
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                metrics.CONSUMER_LAG.labels(partition=str(tp.partition)).set(
                    highwater - offsets[tp]
                )

    async def _tick_idle_partitions(self) -> None:
        if self.config.tick_s <= 0:
            return
        now = time.monotonic()
        for partition, state in list(self.partitions.items()):
            idle_s = now - self._last_data.get(partition, now)
            if idle_s < self.config.tick_s or not state.smoother.has_open_windows():
                continue
            watermark = state.smoother.watermark_us + int(idle_s * 1_000_000)
            try:
                await self._ticks.send_raw(
                    b"", partition=partition, headers=[(TICK_HEADER, str(watermark).encode())]
                )
            except TRANSIENT as exc:
                log.warning("tick not sent", partition=partition, error=repr(exc))
            self._last_data[partition] = now


def _presence_key(key: tuple[str, str, int]) -> str:
    tag, read_point_id, start_us = key
    return f"{tag}|{read_point_id}|{start_us}"
