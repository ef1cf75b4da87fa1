"""A handheld scan (barcode or EPC, with an action) as TagRead v1."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from ingest.tagread import TagRead, tagread_from_fields
from readers.push.formats import read_id_for

CodeKind = Literal["auto", "epc", "barcode"]
_EPC_HEX = re.compile(r"^(0x)?[0-9A-Fa-f]{24,}$")


def tag_kind_of(code: str, declared: CodeKind) -> Literal["epc", "barcode"]:
    """A scanner app may not know what it read: EPC hex and EPC URIs are RFID, the rest
    barcode data."""
    if declared != "auto":
        return declared
    text = code.strip()
    return "epc" if text.startswith("urn:epc:") or _EPC_HEX.match(text) else "barcode"


def scan_to_tagread(
    *,
    code: str,
    code_kind: CodeKind,
    device_id: str,
    operator: str,
    action: str,
    seen_at: datetime,
    custodian: str | None = None,
    dispatch_id: str | None = None,
    scan_id: str | None = None,
) -> TagRead:
    """`read_id` is the device's own scan id when it sends one, else a digest of the scan, so
    an app that retries (with or without an Idempotency-Key) never doubles a scan."""
    read_id = (
        f"hh:{device_id}:{scan_id}"[:64]
        if scan_id
        else read_id_for("handheld", device_id, code, action, seen_at.isoformat())
    )
    return tagread_from_fields(
        {
            "v": 1,
            "read_id": read_id,
            "reader_id": device_id,
            "tag": code,
            "tag_kind": tag_kind_of(code, code_kind),
            "seen_at": seen_at,
            "source": "handheld",
            "operator": operator,
            "action": action,
            "custodian": custodian,
            "dispatch_id": dispatch_id,
        }
    )
