"""One LLRP TagReportData (as sllurp decodes it) → one TagRead v1.

sllurp hands over each TagReportData as a dict: `EPC` (hex bytes; sllurp copies EPC-96
there too), `AntennaID`, `PeakRSSI` (dBm), Impinj's `ImpinjPeakRSSI` (centi-dBm) when the
reader adds it, `FirstSeenTimestampUTC` / `LastSeenTimestampUTC` (µs since the epoch) and
`TagSeenCount`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import msgspec

from ingest.tagread import TagRead

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
READ_ID_PREFIX = "llrp:"
# 16 bytes → 32 hex: "llrp:" + 32 = 37 characters, well inside TagRead's 64.
READ_ID_DIGEST_BYTES = 16
RSSI_RANGE = (-128.0, 0.0)


class UnmappableReport(ValueError):
    """A tag report that cannot become a TagRead (no EPC, no UTC timestamp, bad values)."""


def tag_read_from_report(report: Mapping[str, object], reader_id: str) -> TagRead:
    epc = report_epc(report)
    antenna = _optional_int(report, "AntennaID")
    first_seen_us = _first_seen_us(report)
    try:
        fields = {
            "v": 1,
            "read_id": read_id_for(reader_id, antenna, epc, first_seen_us),
            "reader_id": reader_id,
            "antenna": antenna,
            "tag": epc,
            "tag_kind": "epc",
            "seen_at": EPOCH + timedelta(microseconds=first_seen_us),
            "rssi": report_rssi(report),
            # A reader may send TagSeenCount 0 when it folded nothing; the read still happened.
            "count": max(1, _optional_int(report, "TagSeenCount") or 1),
            "source": "llrp",
        }
        # convert(), not TagRead(...): only msgspec's decoders check the field constraints,
        # and a read that breaks them must be refused here, not in the consumer's DLQ.
        return msgspec.convert(fields, TagRead)
    except (msgspec.ValidationError, OverflowError) as exc:
        raise UnmappableReport(f"tag report of {epc}: {exc}") from None


def read_id_for(reader_id: str, antenna: int | None, epc: str, first_seen_us: int) -> str:
    """The same report sent twice (a reader resending after a reconnect) gets the same id,
    which the consumer applies once."""
    identity = f"{reader_id}\x1f{antenna}\x1f{epc.upper()}\x1f{first_seen_us}".encode()
    digest = hashlib.blake2b(identity, digest_size=READ_ID_DIGEST_BYTES).hexdigest()
    return READ_ID_PREFIX + digest


def report_epc(report: Mapping[str, object]) -> str:
    raw = report.get("EPC", report.get("EPC-96"))
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).decode("ascii", errors="replace")
    if not isinstance(raw, str) or not raw:
        raise UnmappableReport("tag report without an EPC")
    epc = raw.upper()
    if any(char not in "0123456789ABCDEF" for char in epc):
        raise UnmappableReport(f"tag report with a non-hex EPC {raw!r}")
    return epc


def report_rssi(report: Mapping[str, object]) -> float | None:
    """Impinj's centi-dBm is 100x finer than LLRP's whole-dBm PeakRSSI: prefer it."""
    impinj = _optional_int(report, "ImpinjPeakRSSI")
    rssi = impinj / 100 if impinj is not None else _optional_int(report, "PeakRSSI")
    if rssi is None:
        return None
    low, high = RSSI_RANGE
    # A value outside what a receiver can hear is a reader bug: keep the read, not the value.
    return float(rssi) if low <= rssi <= high else None


def _first_seen_us(report: Mapping[str, object]) -> int:
    # LastSeen is a fallback for readers configured without FirstSeen; it keeps the read,
    # but a resent report then dedupes only if the reader resends the same LastSeen.
    for field in ("FirstSeenTimestampUTC", "LastSeenTimestampUTC"):
        value = _optional_int(report, field)
        if value is not None:
            return value
    raise UnmappableReport(
        "tag report without FirstSeenTimestampUTC (enable it in the ROSpec's report content)"
    )


def _optional_int(report: Mapping[str, object], field: str) -> int | None:
    value = report.get(field)
    # Some sllurp versions wrap TLV-encoded timestamps as {"Microseconds": n}.
    if isinstance(value, Mapping):
        value = value.get("Microseconds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnmappableReport(f"tag report field {field} is {value!r}, not a number")
    return value
