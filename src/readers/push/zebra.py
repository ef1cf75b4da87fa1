"""Zebra IoT Connector (FX7500/FX9600/ATR7000) tag data events, as its HTTP post sends them.

Each event: `{"type": "SIMPLE", "timestamp": "…", "data": {"idHex", "antenna", "peakRssi",
"seenCount", "eventNum", "format", ...}}`; `data` may be one tag or carry `tags` (batched).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingest.tagread import TagRead, TagReadError, tagread_from_fields
from readers.push.formats import PushFormatError, read_id_for


def zebra_reads(events: list[Any], reader_id: str) -> list[TagRead]:
    reads = []
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise PushFormatError("expected an event object with data", f"$[{index}].data")
        data = event["data"]
        tags = data.get("tags") if isinstance(data.get("tags"), list) else [data]
        stamp = event.get("timestamp")
        for position, tag in enumerate(tags):
            path = f"$[{index}].data" + (f".tags[{position}]" if "tags" in data else "")
            reads.append(_tag(tag, stamp, reader_id, path))
    return reads


def _tag(tag: Any, stamp: object, reader_id: str, path: str) -> TagRead:
    if not isinstance(tag, dict):
        raise PushFormatError("expected a tag object", path)
    epc = tag.get("idHex")
    if not isinstance(epc, str) or not epc:
        raise PushFormatError("missing idHex", f"{path}.idHex")
    seen_at = _time(tag.get("timestamp") or stamp, path)
    antenna = tag.get("antenna")
    rssi = tag.get("peakRssi")
    count = tag.get("seenCount")
    fields = {
        "v": 1,
        "read_id": read_id_for(
            "zebra", reader_id, antenna, epc, seen_at.isoformat(), tag.get("eventNum")
        ),
        "reader_id": reader_id,
        "antenna": antenna if isinstance(antenna, int) else None,
        "tag": epc,
        "tag_kind": "epc",
        "seen_at": seen_at,
        "rssi": float(rssi) if isinstance(rssi, int | float) else None,
        "count": count if isinstance(count, int) and count >= 1 else 1,
        "source": "push",
    }
    try:
        return tagread_from_fields(fields)
    except TagReadError as exc:
        raise PushFormatError(str(exc).split(" - at ")[0], path) from None


def _time(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise PushFormatError("missing timestamp", f"{path}.timestamp")
    text = value.replace("Z", "+00:00")
    # Zebra writes offsets without a colon (-0700); fromisoformat takes both in 3.11.
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PushFormatError(f"bad timestamp {value!r}", f"{path}.timestamp") from None
    if moment.tzinfo is None:
        raise PushFormatError("timestamp without offset", f"{path}.timestamp")
    return moment
