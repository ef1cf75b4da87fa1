"""The export's per-shape templates (`tracker.epcis.export`) write exactly the bytes of
`orjson.dumps(to_epcis(row))` — the same JSON and so the same eventID — for every mapped
kind, any asset, identifier, observation, time and place, tricky payloads included, with
cold and warm templates; and the document the writer makes of them is the same."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_epcis_hashing import epc_uris, words
from test_epcis_mapping import CASES, DIRECTORY

from tracker.epcis import DocumentWriter, EventEncoder, EventRow, to_epcis
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
