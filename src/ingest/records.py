"""One Kafka record → a TagRead, a watermark tick, a fact another tagtrail reported, or a dead
letter with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingest.dlq import DeadLetter
from ingest.reported import REPORTED_HEADER, decode_reported
from ingest.tagread import TagRead, TagReadError, decode_tagread
from tracker.domain.reported import Reported
from tracker.identity import IdentifierError, canonical_tag

TICK_HEADER = "tagtrail-tick"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Reader clocks further ahead than this of the record's Kafka timestamp are clamped (DESIGN.md).
FUTURE_TOLERANCE = timedelta(minutes=5)


def to_us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class Tick:
    """A watermark advance the consumer wrote into an idle partition (so replays see it too)."""

    watermark_us: int
    record_at: datetime


@dataclass(frozen=True, slots=True)
class Read:
    read: TagRead
    tag: str  # canonical
    seen_at: datetime  # clamped
    clamped: bool
    record_at: datetime  # the Kafka timestamp: `now` for apply, replayed identically


@dataclass(frozen=True, slots=True)
class ReportedFact:
    fact: Reported
    tag: str  # canonical
    record_at: datetime


def classify(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    timestamp_ms: int,
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...],
) -> Read | Tick | ReportedFact | DeadLetter:
    record_at = from_us(timestamp_ms * 1000)
    for name, header_value in headers:
        if name == REPORTED_HEADER:
            return _reported(topic, partition, offset, key, value or b"", record_at)
        if name == TICK_HEADER:
            try:
                return Tick(int(header_value), record_at)
            except ValueError:
                return DeadLetter(
                    topic,
                    partition,
                    offset,
                    key,
                    value or b"",
                    f"bad tick header {header_value[:40]!r}",
                )
    raw = value or b""
    try:
        read = decode_tagread(raw)
        tag = canonical_tag(read.tag, read.tag_kind)
    except (TagReadError, IdentifierError) as exc:
        return DeadLetter(topic, partition, offset, key, raw, str(exc))
    limit = record_at + FUTURE_TOLERANCE
    clamped = read.seen_at > limit
    return Read(read, tag, limit if clamped else read.seen_at, clamped, record_at)


def _reported(
    topic: str, partition: int, offset: int, key: bytes | None, raw: bytes, record_at: datetime
) -> ReportedFact | DeadLetter:
    try:
        record = decode_reported(raw)
        tag = canonical_tag(record.tag, record.tag_kind)
        return ReportedFact(record.fact(), tag, record_at)
    except ValueError as exc:  # ReportedError, IdentifierError, a zone without its site
        return DeadLetter(topic, partition, offset, key, raw, f"reported fact: {exc}")
