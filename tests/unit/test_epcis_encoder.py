"""The export's per-shape templates (`tracker.epcis.export`) write exactly the bytes of
`orjson.dumps(to_epcis(row))` — the same JSON and so the same eventID — for every mapped
kind, any asset, identifier, observation, time and place, tricky payloads included, with
cold and warm templates; and the document the writer makes of them is the same."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_epcis_hashing import epc_uris, words
from test_epcis_mapping import CASES, DIRECTORY

from tracker.epcis import DocumentWriter, EventEncoder, EventRow, to_epcis
from tracker.epcis.export import _Clock
from tracker.epcis.hashing import utc_milliseconds
from tracker.epcis.mapping import local_time
from tracker.epcis.rules import REGISTERED
from tracker.epcis.store import RECORD_COLUMNS, event_row

CREATED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record_of(row: EventRow, **asset: Any) -> tuple[Any, ...]:
    """The row as `stream_records` reads it: payload as (jsonb) text; a registration's
    payload comes from its asset's columns."""
    payload = "{}" if row.kind == REGISTERED else json.dumps(row.payload, default=str)
    columns = {
        **{name: getattr(row, name, None) for name in RECORD_COLUMNS},
        "payload": payload,
        "type_id": asset.get("type_id", "crate-60x40"),
        "owner": asset.get("owner"),
        "commissioned_at": asset.get("commissioned_at"),
    }
    return tuple(columns[name] for name in RECORD_COLUMNS)


def expected(record: tuple[Any, ...]) -> bytes:
    """What the export wrote before the templates: event_row on the row, jsonb decoded by
    json (as SQLAlchemy did), to_epcis, orjson."""
    row = dict(zip(RECORD_COLUMNS, record, strict=True))
    row["payload"] = json.loads(row["payload"])
    return orjson.dumps(to_epcis(event_row(row), DIRECTORY))


ROWS = [row for _, row, _ in CASES]


def test_every_mapped_kind_encodes_to_the_bytes_of_to_epcis_cold_and_warm() -> None:
    records = [record_of(row) for row in ROWS]
    encoder = EventEncoder(DIRECTORY)
    cold = encoder.encode(records)
    warm = encoder.encode(records)
    assert cold == warm == [expected(record) for record in records]


payload_keys = st.sampled_from(
    # per-event names a payload may override, keys a fixed string would sort against the
    # value by ("asset=x" starts with "asset="), and plain ones
    ["asset", "observation", "kind", "asset=x", "observation=", "assetTag", "a", "zz", "late"]
)
payload_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    words,
    epc_uris(),
    st.lists(words, max_size=2),
    st.dictionaries(st.sampled_from(["b", "c"]), words, max_size=2),
)
ids = st.one_of(
    words,
    st.text(max_size=10),  # blank, quotes, backslashes, control characters, non-ASCII
    st.sampled_from(["crate-1", " crate-1 ", "0042", "tagtrail:x", '"q"\\']),
)


@st.composite
def records(draw: st.DrawFn) -> tuple[Any, ...]:
    row = draw(st.sampled_from(ROWS))
    extra = draw(st.dictionaries(payload_keys, payload_values, max_size=3))
    identifier = draw(st.none() | epc_uris() | st.just("(8003)04012345000016"))
    row = replace(
        row,
        asset_id=draw(ids.filter(bool)),
        occurred_at=draw(
            st.datetimes(datetime(1990, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC))
        ),
        observation_id=draw(st.none() | ids),
        site_id=draw(st.sampled_from([row.site_id, "dc1", "globex-dc", None])),
        home_site_id=draw(st.sampled_from(["dc1", "globex-dc", None])),
        late=draw(st.booleans()),
        payload={**row.payload, **extra},
        identifier=identifier,
        identifier_scheme=None if identifier is None else ("gs1" if "(" in identifier else "epc"),
    )
    owner = draw(st.none() | st.just("pool-north"))
    return record_of(row, owner=owner, commissioned_at=draw(st.none() | st.just(CREATED)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=6))
def test_any_records_encode_to_the_bytes_of_to_epcis(batch: list[tuple[Any, ...]]) -> None:
    encoder = EventEncoder(DIRECTORY)
    # Twice: the second pass takes every template from the first.
    assert encoder.encode(batch + batch) == [expected(record) for record in batch + batch]


def test_the_document_is_the_same_from_encoded_events() -> None:
    records = [record_of(row) for row in ROWS]
    events, encoded = io.BytesIO(), io.BytesIO()
    writer = DocumentWriter(events, CREATED)
    writer.open()
    writer.write(to_epcis(replace(row), DIRECTORY) for row in ROWS if row.kind != REGISTERED)
    writer.close()
    writer = DocumentWriter(encoded, CREATED)
    writer.open()
    batch = EventEncoder(DIRECTORY).encode([r for r in records if r[0] != REGISTERED])
    writer.write_encoded(batch[:3])
    writer.write_encoded([])
    writer.write_encoded(batch[3:])
    writer.close()
    assert encoded.getvalue() == events.getvalue()
    assert len(json.loads(encoded.getvalue())["epcisBody"]["eventList"]) == len(batch)


ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # a half-hour summer time
    "Africa/Monrovia",  # -00:44:30 until 1972: an offset with seconds
    "Europe/Amsterdam",  # +00:19:32 until 1937
]


@settings(max_examples=500, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    at=st.datetimes(datetime(1900, 1, 2), datetime(2099, 12, 30), timezones=st.just(UTC)),
    micros=st.sampled_from([None, 0, 499, 500, 999_499, 999_500, 999_999, 123_456]),
)
def test_the_minute_clock_gives_the_times_local_time_and_utc_milliseconds_give(
    zone: str, at: datetime, micros: int | None
) -> None:
    if micros is not None:
        at = at.replace(microsecond=micros)
    clock = _Clock(ZoneInfo(zone))
    event_time, offset = local_time(at, ZoneInfo(zone))
    whole = (event_time, offset, utc_milliseconds(event_time))
    # cold, then warm: the second instant of the same minute comes from its cache
    assert clock.times(at) == whole
    assert clock.times(at) == whole


@pytest.mark.parametrize(
    ("zone", "at"),
    [
        # Berlin's summer time starts at 01:00 UTC: the minutes either side
        ("Europe/Berlin", datetime(2026, 3, 29, 0, 59, 59, 999_000, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 10, 25, 0, 59, 30, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 10, 25, 1, 0, 30, tzinfo=UTC)),
        ("Africa/Monrovia", datetime(1972, 1, 7, 0, 44, 29, tzinfo=UTC)),
        # Kathmandu went from +05:30 to +05:45 at 18:30 UTC: inside the hour, both halves
        ("Asia/Kathmandu", datetime(1985, 12, 31, 18, 15, 1, tzinfo=UTC)),
        ("Asia/Kathmandu", datetime(1985, 12, 31, 18, 45, 1, tzinfo=UTC)),
        ("Africa/Monrovia", datetime(1960, 5, 1, 12, 0, 0, 999_700, tzinfo=UTC)),
        ("UTC", datetime(999, 12, 31, 23, 59, 59, 999_600, tzinfo=UTC)),
        ("UTC", datetime(1000, 1, 1, 0, 0, 0, tzinfo=UTC)),
        ("UTC", datetime(9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)),
    ],
)
def test_the_minute_clock_at_offset_changes_and_odd_years(zone: str, at: datetime) -> None:
    clock = _Clock(ZoneInfo(zone))
    for instant in (at, at + timedelta(microseconds=1), at - timedelta(seconds=1)):
        event_time, offset = local_time(instant, ZoneInfo(zone))
        assert clock.times(instant) == (event_time, offset, utc_milliseconds(event_time))
