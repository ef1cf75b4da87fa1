"""TagRead v1: what the wire accepts, what it refuses, and how it says why."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.tagread import (
    TagRead,
    TagReadError,
    decode_tagread,
    decode_tagread_batch,
    encode_tagread,
    encode_tagread_batch,
)

LLRP_READ: dict[str, Any] = {
    "v": 1,
    "read_id": "dock-03:2:3314257BF40C0E4000000190:1764000000123456",
    "reader_id": "dock-03",
    "antenna": 2,
    "tag": "3314257BF40C0E4000000190",
    "tag_kind": "epc",
    "seen_at": "2026-11-24T04:00:00.123456Z",
    "rssi": -61.5,
    "count": 7,
    "source": "llrp",
}
HANDHELD_SCAN: dict[str, Any] = {
    "v": 1,
    "read_id": "tc52-0042:9f1c",
    "reader_id": "tc52-0042",
    "tag": "(8003)00614141123452400",
    "tag_kind": "barcode",
    "seen_at": "2026-11-24T05:00:00+01:00",
    "source": "handheld",
    "operator": "op-17",
    "action": "check_out",
    "custodian": "acme",
    "dispatch_id": "D-2026-0815",
}


def body(base: dict[str, Any] = LLRP_READ, **changes: Any) -> bytes:
    """The base read with fields replaced; a value of `...` removes the field."""
    fields = {**base, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not ...}).encode()


def rejection(raw: bytes) -> TagReadError:
    with pytest.raises(TagReadError) as raised:
        decode_tagread(raw)
    return raised.value


def test_llrp_read_decodes_with_typed_fields() -> None:
    read = decode_tagread(body())
    assert read.seen_at == datetime(2026, 11, 24, 4, 0, 0, 123456, tzinfo=UTC)
    assert (read.antenna, read.rssi, read.count, read.tag_kind) == (2, -61.5, 7, "epc")
    assert read.operator is None


def test_handheld_scan_keeps_its_offset_and_custody_fields() -> None:
    read = decode_tagread(body(HANDHELD_SCAN))
    assert read.seen_at.utcoffset() == timedelta(hours=1)
    assert read.seen_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert (read.action, read.custodian, read.dispatch_id) == ("check_out", "acme", "D-2026-0815")
    assert (read.antenna, read.rssi, read.count) == (None, None, 1)


@pytest.mark.parametrize("fields", [LLRP_READ, HANDHELD_SCAN])
def test_encode_then_decode_gives_the_same_read(fields: dict[str, Any]) -> None:
    read = decode_tagread(body(fields))
    assert decode_tagread(encode_tagread(read)) == read


def test_encoded_seen_at_is_rfc3339_with_offset() -> None:
    read = TagRead(
        v=1,
        read_id="r1",
        reader_id="dock-01",
        tag="urn:epc:id:grai:0614141.12345.400",
        tag_kind="epc",
        seen_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
        source="push",
    )
    assert json.loads(encode_tagread(read))["seen_at"] == "2026-01-02T03:04:05-05:00"


def test_integer_rssi_is_accepted_as_dbm() -> None:
    assert decode_tagread(body(rssi=-60)).rssi == -60.0


@pytest.mark.parametrize(
    ("changes", "path", "reason"),
    [
        ({"seen_at": "2026-11-24T04:00:00"}, "$.seen_at", "timezone"),
        ({"seen_at": "1999-12-31T23:59:59Z"}, "$.seen_at", "before 2000-01-01"),
        ({"seen_at": "yesterday"}, "$.seen_at", "datetime"),
        ({"v": 2}, "$.v", "2"),
        ({"v": "1"}, "$.v", "int"),
        ({"rssi": 0.5}, "$.rssi", "<= 0"),
        ({"rssi": -128.5}, "$.rssi", ">= -128"),
        ({"count": 0}, "$.count", ">= 1"),
        ({"antenna": -1}, "$.antenna", ">= 0"),
        ({"antenna": True}, "$.antenna", "bool"),
        ({"tag": "3" * 129}, "$.tag", "<= 128"),
        ({"tag": ""}, "$.tag", ">= 1"),
        ({"tag": " \t "}, "$.tag", "regex"),
        ({"read_id": "r" * 65}, "$.read_id", "<= 64"),
        ({"read_id": ""}, "$.read_id", ">= 1"),
        ({"tag_kind": "qr"}, "$.tag_kind", "qr"),
        ({"source": "mqtt"}, "$.source", "mqtt"),
        ({"action": "steal"}, "$.action", "steal"),
        ({"operator": "o" * 65}, "$.operator", "<= 64"),
        ({"firmware": "7.1"}, "$.firmware", "unknown field"),
        ({"tag": ...}, "$.tag", "missing required field"),
        ({"v": ...}, "$.v", "missing required field"),
        ({"seen_at": ...}, "$.seen_at", "missing required field"),
    ],
)
def test_invalid_read_is_rejected_naming_the_field(
    changes: dict[str, Any], path: str, reason: str
) -> None:
    error = rejection(body(**changes))
    assert error.path == path
    assert reason in str(error)


def test_limits_themselves_are_accepted() -> None:
    read = decode_tagread(body(tag="3" * 128, read_id="r" * 64, rssi=-128, count=1, antenna=0, v=1))
    assert (len(read.tag), len(read.read_id), read.rssi) == (128, 64, -128.0)
    assert decode_tagread(body(seen_at="2000-01-01T00:00:00Z")).seen_at.year == 2000


@pytest.mark.parametrize(
    "raw", [b"not json", b"", b"\xff\xfe", b"[]", b"null", b'{"v":1', b"{}" * 2]
)
def test_non_json_or_non_object_is_rejected(raw: bytes) -> None:
    assert str(rejection(raw))


def test_batch_decodes_every_read() -> None:
    reads = decode_tagread_batch(b"[" + body() + b"," + body(HANDHELD_SCAN) + b"]")
    assert [r.source for r in reads] == ["llrp", "handheld"]
    assert decode_tagread_batch(encode_tagread_batch(reads)) == reads


def test_batch_names_the_element_and_field_at_fault() -> None:
    raw = b"[" + body() + b"," + body(count=0) + b"]"
    with pytest.raises(TagReadError) as raised:
        decode_tagread_batch(raw)
    assert raised.value.path == "$[1].count"


def test_batch_names_the_element_with_an_unknown_field() -> None:
    raw = b"[" + body() + b"," + body(colour="red") + b"]"
    with pytest.raises(TagReadError) as raised:
        decode_tagread_batch(raw)
    assert raised.value.path == "$[1].colour"


def test_batch_must_be_an_array() -> None:
    with pytest.raises(TagReadError, match="array"):
        decode_tagread_batch(body())


@given(st.binary(max_size=300))
def test_any_bytes_raise_only_tagread_error(raw: bytes) -> None:
    with contextlib.suppress(TagReadError):
        decode_tagread(raw)
    with contextlib.suppress(TagReadError):
        decode_tagread_batch(raw)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@given(st.dictionaries(st.sampled_from([*LLRP_READ, *HANDHELD_SCAN, "x"]), JSON_VALUES))
def test_reads_with_arbitrary_field_values_raise_only_tagread_error(
    changes: dict[str, Any],
) -> None:
    try:
        read = decode_tagread(body(**changes))
    except TagReadError as error:
        path = error.path
    else:
        assert read.seen_at.tzinfo is not None
        return
    assert path is None or path.startswith("$")
