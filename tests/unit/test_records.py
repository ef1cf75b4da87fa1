"""How the consumer classifies one Kafka record: read, watermark tick, or dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.dlq import DeadLetter
from ingest.records import TICK_HEADER, Read, Tick, classify, from_us, to_us
from ingest.tagread import TagRead, encode_tagread

RECORD_AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RECORD_MS = int(RECORD_AT.timestamp() * 1000)


def _read(seen_at: datetime) -> bytes:
    return encode_tagread(
        TagRead(
            v=1,
            read_id="r1",
            reader_id="dock-03",
            antenna=1,
            tag="3314257BF40C0E4000000190",
            tag_kind="epc",
            seen_at=seen_at,
            source="llrp",
        )
    )


def test_a_read_is_decoded_with_its_canonical_tag() -> None:
    item = classify("t", 0, 5, None, _read(RECORD_AT), RECORD_MS, [])
    assert isinstance(item, Read)
    assert item.tag == "urn:epc:id:grai:0614141.12345.400"
    assert item.seen_at == RECORD_AT
    assert not item.clamped


def test_a_reader_clock_far_ahead_is_clamped_to_record_time_plus_tolerance() -> None:
    item = classify("t", 0, 5, None, _read(RECORD_AT + timedelta(hours=3)), RECORD_MS, [])
    assert isinstance(item, Read)
    assert item.clamped
    assert item.seen_at == RECORD_AT + timedelta(minutes=5)


def test_a_clock_slightly_ahead_is_kept() -> None:
    item = classify("t", 0, 5, None, _read(RECORD_AT + timedelta(minutes=4)), RECORD_MS, [])
    assert isinstance(item, Read)
    assert not item.clamped


def test_a_tick_header_makes_a_watermark_tick() -> None:
    item = classify("t", 2, 9, None, b"", RECORD_MS, [(TICK_HEADER, b"123456789")])
    assert item == Tick(123456789, RECORD_AT)


def test_bad_input_becomes_a_dead_letter_with_its_place_and_reason() -> None:
    item = classify("tagtrail.reads", 4, 77, b"k", b"{oops", RECORD_MS, [])
    assert isinstance(item, DeadLetter)
    assert (item.topic, item.partition, item.offset, item.key) == ("tagtrail.reads", 4, 77, b"k")
    assert "malformed" in item.reason
    bad_tick = classify("t", 0, 1, None, b"", RECORD_MS, [(TICK_HEADER, b"soon")])
    assert isinstance(bad_tick, DeadLetter)
    assert "tick" in bad_tick.reason


def test_microsecond_conversion_is_exact() -> None:
    moment = datetime(2026, 11, 2, 8, 0, 0, 123457, tzinfo=UTC)
    assert from_us(to_us(moment)) == moment
