"""Impinj IoT device interface (R700) `tagInventory` events, as the reader HTTP-posts them.

Each event: `{"timestamp", "hostname", "eventType": "tagInventory", "tagInventoryEvent":
{"epcHex", "antennaPort", "peakRssiCdbm", "lastSeenTime", "tidHex", ...}}`. Other event types
(inventoryStatus, GPI…) carry no reads and are skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingest.tagread import TagRead, TagReadError, tagread_from_fields
from readers.push.formats import PushFormatError, read_id_for


def impinj_reads(events: list[Any], reader_id: str | None) -> tuple[list[TagRead], int]:
    """TagReads of the tagInventory events, and how many other events were skipped."""
    reads, skipped = [], 0
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise PushFormatError("expected an event object", f"$[{index}]")
        if event.get("eventType") != "tagInventory":
            skipped += 1
            continue
        reads.append(_tag_inventory(event, index, reader_id))
    return reads, skipped


def _tag_inventory(event: dict[str, Any], index: int, reader_id: str | None) -> TagRead:
    body = event.get("tagInventoryEvent")
    if not isinstance(body, dict):
        raise PushFormatError("missing tagInventoryEvent", f"$[{index}].tagInventoryEvent")
    epc = body.get("epcHex")
    if not isinstance(epc, str) or not epc:
        raise PushFormatError("missing epcHex", f"$[{index}].tagInventoryEvent.epcHex")
    reader = reader_id or event.get("hostname")
    if not isinstance(reader, str) or not reader:
        raise PushFormatError(
            "no reader id: pass ?reader_id= or send hostname", f"$[{index}].hostname"
        )
    seen_at = _time(body.get("lastSeenTime") or event.get("timestamp"), index)
    antenna = body.get("antennaPort")
    rssi_cdbm = body.get("peakRssiCdbm")
    fields = {
        "v": 1,
        "read_id": read_id_for("impinj", reader, antenna, epc, seen_at.isoformat()),
        "reader_id": reader[:64],
        "antenna": antenna if isinstance(antenna, int) else None,
        "tag": epc,
        "tag_kind": "epc",
        "seen_at": seen_at,
        "rssi": rssi_cdbm / 100 if isinstance(rssi_cdbm, int | float) else None,
        "source": "push",
    }
    try:
        return tagread_from_fields(fields)
    except TagReadError as exc:
        raise PushFormatError(str(exc).split(" - at ")[0], f"$[{index}]") from None


def _time(value: object, index: int) -> datetime:
    if not isinstance(value, str):
        raise PushFormatError("missing lastSeenTime/timestamp", f"$[{index}].timestamp")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PushFormatError(f"bad time {value!r}", f"$[{index}].timestamp") from None
    if moment.tzinfo is None:
        raise PushFormatError("time without offset", f"$[{index}].timestamp")
    return moment
