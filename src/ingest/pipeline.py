"""One consumer batch: classify → resolve → smooth → tracker.apply, ready to write at once.

Everything here is a function of the records (in offset order per partition), the persisted
smoother state and the registry, never of the wall clock: replaying a batch after a crash
reaches the same decisions. `now` for apply is the Kafka timestamp of the record that caused
the observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka.structs import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncConnection

from ingest import metrics
from ingest.dlq import DeadLetter
from ingest.enrol import AutoEnrolRule, enrol_unknown
from ingest.observing import Pending, apply_pending, pending_from
from ingest.offsets import PartitionPosition
from ingest.records import Read, ReportedFact, Tick, classify, from_us, to_us
from ingest.resolve import ReadPointIndex, TagResolver
from ingest.smoothing import Sighting, Smoothed, Smoother
from tracker.store import AuditScan, BatchWrites, UnknownTagSeen

Classified = tuple[ConsumerRecord[bytes, bytes], Read | Tick | ReportedFact | DeadLetter]


@dataclass
class PartitionState:
    """What the consumer holds for one assigned partition: a cache of its Postgres rows."""

    partition: int
    smoother: Smoother
    position: PartitionPosition | None  # as stored; None before the first commit


@dataclass
class BatchResult:
    writes: BatchWrites = field(default_factory=BatchWrites)
    unknown: dict[str, UnknownTagSeen] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)
    audit_scans: list[AuditScan] = field(default_factory=list)
    ends: dict[int, PartitionPosition] = field(default_factory=dict)
    records: int = 0
    oldest_record_at: datetime | None = None


@dataclass
class _PartitionPass:
    """Walks one partition's records in offset order."""

    state: PartitionState
    read_points: ReadPointIndex
    resolver: TagResolver
    result: BatchResult
    # In order: observations ready to apply, and smoother outputs whose tags still need
    # resolving (their tag may not be among this batch's reads).
    outputs: list[Pending | tuple[Smoothed, datetime]]

    def run(self, items: Sequence[Classified]) -> None:
        for record, item in items:
            if isinstance(item, DeadLetter):
                self.result.dead.append(item)
            elif isinstance(item, Tick):
                self._smoothed(self.state.smoother.advance(item.watermark_us), item.record_at)
            elif isinstance(item, ReportedFact):
                self._reported(item, record)
            else:
                self._read(item, record)
        self.result.ends[self.state.partition] = PartitionPosition(
            self.state.partition, items[-1][0].offset + 1, self.state.smoother.watermark_us
        )

    def _read(self, item: Read, record: ConsumerRecord[bytes, bytes]) -> None:
        read = item.read
        read_point = self.read_points.get(read.reader_id, read.antenna)
        if read_point is None:
            self._dead(
                record, f"unknown read point: reader {read.reader_id!r} antenna {read.antenna}"
            )
            return
        seen_us = to_us(item.seen_at)
        asset_id = self.resolver.asset_of(item.tag)
        if asset_id is None:
            self._unknown(item, read_point.id)
            # Unknown tags still move event time, so the watermark does not depend on the
            # registry's contents.
            self._smoothed(self.state.smoother.advance(seen_us), item.record_at)
            return
        if read_point.role == "handheld":
            self.outputs.append(Pending.handheld(asset_id, item, read_point))
            if read.action == "audit":
                self.result.audit_scans.append(
                    AuditScan(
                        read.read_id,
                        asset_id,
                        read_point.site_id,
                        read_point.zone_id,
                        read.reader_id,
                        read.operator,
                        item.seen_at,
                    )
                )
            self._smoothed(self.state.smoother.advance(seen_us), item.record_at)
            return
        self.result.writes.see(asset_id, item.seen_at, read_point.id)
        sighting = Sighting(item.tag, read_point, seen_us, read.rssi, read.count, read.read_id)
        self._smoothed(self.state.smoother.feed(sighting), item.record_at)

    def _reported(self, item: ReportedFact, record: ConsumerRecord[bytes, bytes]) -> None:
        """Applied in offset order like a handheld scan; what the smoother releases up to the
        fact's time goes first, so the fact follows the sightings before it."""
        asset_id = self.resolver.asset_of(item.tag)
        if asset_id is None:
            reason = f"reported fact about {item.tag!r}, which is no registered identifier"
            self._dead(record, reason)
            return
        self._smoothed(self.state.smoother.advance(to_us(item.fact.seen_at)), item.record_at)
        self.outputs.append(Pending(asset_id, item.record_at, reported=item.fact))

    def _dead(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        where = (record.topic, record.partition, record.offset)
        self.result.dead.append(DeadLetter(*where, record.key, record.value or b"", reason))

    def _smoothed(self, outputs: Sequence[Smoothed], now: datetime) -> None:
        self.outputs.extend((output, now) for output in outputs)

    def _unknown(self, item: Read, read_point_id: str) -> None:
        metrics.UNKNOWN_TAG_READS.inc()
        seen = self.result.unknown.get(item.tag)
        if seen is None:
            self.result.unknown[item.tag] = UnknownTagSeen(
                item.tag,
                item.read.tag_kind,
                item.seen_at,
                item.seen_at,
                item.read.count,
                item.read.reader_id,
                read_point_id,
            )
        else:
            seen.add(item.seen_at, item.read.count, item.read.reader_id, read_point_id)


async def process_batch(
    conn: AsyncConnection,
    topic: str,
    batch: dict[int, list[ConsumerRecord[bytes, bytes]]],
    partitions: dict[int, PartitionState],
    read_points: ReadPointIndex,
    resolver: TagResolver,
    auto_enrol: Sequence[AutoEnrolRule] = (),
) -> BatchResult:
    result = BatchResult()
    classified = {
        partition: [
            (r, classify(topic, r.partition, r.offset, r.key, r.value, r.timestamp, r.headers))
            for r in records
        ]
        for partition, records in batch.items()
        if records
    }
    await read_points.refresh(conn)
    decoded = [item for records in classified.values() for _, item in records]
    # A capture registers the assets of its reported facts just before it publishes them.
    resolver.forget_unknown(item.tag for item in decoded if isinstance(item, ReportedFact))
    tags = {item.tag for item in decoded if isinstance(item, Read | ReportedFact)}
    await resolver.prefetch(conn, tags)
    await enrol_unknown(conn, tags, resolver, auto_enrol)
    outputs: list[Pending | tuple[Smoothed, datetime]] = []
    for partition in sorted(classified):
        items = classified[partition]
        result.records += len(items)
        first_at = from_us(items[0][0].timestamp * 1000)
        if result.oldest_record_at is None or first_at < result.oldest_record_at:
            result.oldest_record_at = first_at
        _PartitionPass(partitions[partition], read_points, resolver, result, outputs).run(items)
    # Resolve what the smoother released, whatever the cache held before: a restarted
    # consumer must reach the same observations as one that ran on.
    await resolver.prefetch(conn, {o[0].tag for o in outputs if isinstance(o, tuple)})
    pending = [
        item if isinstance(item, Pending) else pending_from(item[0], resolver, read_points, item[1])
        for item in outputs
    ]
    await apply_pending(conn, [p for p in pending if p is not None], result.writes)
    return result
