"""LLRP parameters the simulator reads or writes, each with its encoder and decoder."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from simulators.llrp.wire import (
    FieldReader,
    LLRPDecodeError,
    ParameterType,
    StatusCode,
    encode_tlv,
    encode_tv,
    iter_parameters,
)


@dataclass(frozen=True, slots=True)
class LLRPStatus:
    """Spec 16.2.8.1: StatusCode u16, ErrorDescription as a UTF-8v string (u16 byte count)."""

    code: int = StatusCode.M_SUCCESS
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.code == StatusCode.M_SUCCESS

    def encode(self) -> bytes:
        text = self.description.encode()
        return encode_tlv(
            ParameterType.LLRP_STATUS, struct.pack("!HH", self.code, len(text)) + text
        )

    @classmethod
    def decode(cls, value: bytes) -> LLRPStatus:
        fields = FieldReader(value, "LLRPStatus")
        code = fields.u16()
        text = fields.take(fields.u16())
        # Optional FieldError / ParameterError sub-parameters follow; they refine the
        # description and are not needed to tell success from failure.
        return cls(code, text.decode("utf-8", errors="replace"))


class KeepaliveTrigger(IntEnum):
    NULL = 0
    PERIODIC = 1


@dataclass(frozen=True, slots=True)
class KeepaliveSpec:
    """Spec 16.2.6.4: KeepaliveTriggerType u8, PeriodicTriggerValue u32 in milliseconds."""

    trigger: int = KeepaliveTrigger.NULL
    interval_ms: int = 0

    @property
    def periodic(self) -> bool:
        return self.trigger == KeepaliveTrigger.PERIODIC and self.interval_ms > 0

    def encode(self) -> bytes:
        value = struct.pack("!BI", self.trigger, self.interval_ms)
        return encode_tlv(ParameterType.KEEPALIVE_SPEC, value)

    @classmethod
    def decode(cls, value: bytes) -> KeepaliveSpec:
        fields = FieldReader(value, "KeepaliveSpec")
        return cls(fields.u8(), fields.u32())


@dataclass(frozen=True, slots=True)
class Identification:
    """Spec 16.2.6.2: IDType u8 (0 = MAC, 1 = EPC), ReaderID as a u8v (u16 byte count)."""

    id_type: int
    reader_id: bytes

    def encode(self) -> bytes:
        value = struct.pack("!BH", self.id_type, len(self.reader_id)) + self.reader_id
        return encode_tlv(ParameterType.IDENTIFICATION, value)

    @classmethod
    def decode(cls, value: bytes) -> Identification:
        fields = FieldReader(value, "Identification")
        id_type = fields.u8()
        return cls(id_type, fields.take(fields.u16()))


@dataclass(frozen=True, slots=True)
class AntennaProperties:
    """Spec 16.2.6.5: AntennaConnected (bit 7 of a u8), AntennaID u16, AntennaGain s16."""

    antenna_id: int
    connected: bool = True
    gain_centi_dbi: int = 0

    def encode(self) -> bytes:
        flags = 0x80 if self.connected else 0
        value = struct.pack("!BHh", flags, self.antenna_id, self.gain_centi_dbi)
        return encode_tlv(ParameterType.ANTENNA_PROPERTIES, value)

    @classmethod
    def decode(cls, value: bytes) -> AntennaProperties:
        fields = FieldReader(value, "AntennaProperties")
        connected = bool(fields.u8() & 0x80)
        return cls(fields.u16(), connected, fields.s16())


@dataclass(frozen=True, slots=True)
class ReportContent:
    """TagReportContentSelector (spec 16.2.7.1.1): which optional fields a TagReportData carries.

    The u16 bitmap puts EnableROSpecID in bit 15 down to EnableAccessSpecID in bit 6.
    """

    rospec_id: bool = False
    antenna_id: bool = True
    peak_rssi: bool = True
    first_seen: bool = True
    last_seen: bool = False
    tag_seen_count: bool = True

    _BITS: ClassVar[dict[str, int]] = {
        "rospec_id": 15,
        "antenna_id": 12,
        "peak_rssi": 10,
        "first_seen": 9,
        "last_seen": 8,
        "tag_seen_count": 7,
    }

    def encode(self) -> bytes:
        flags = sum(1 << bit for name, bit in self._BITS.items() if getattr(self, name))
        return encode_tlv(ParameterType.TAG_REPORT_CONTENT_SELECTOR, struct.pack("!H", flags))

    @classmethod
    def decode(cls, value: bytes) -> ReportContent:
        flags = FieldReader(value, "TagReportContentSelector").u16()
        return cls(**{name: bool(flags & (1 << bit)) for name, bit in cls._BITS.items()})


def encode_report_spec(content: ReportContent, every_n_tags: int = 0) -> bytes:
    """ROReportSpec (spec 16.2.7.1): ROReportTrigger u8, N u16, TagReportContentSelector.

    Trigger 1 ("upon N tags or end of AISpec") with N = 0 is what sllurp sends; the
    simulator reports as soon as a tag is seen whatever the trigger (see server docs).
    """
    value = struct.pack("!BH", 1, every_n_tags) + content.encode()
    return encode_tlv(ParameterType.RO_REPORT_SPEC, value)


def decode_report_spec(value: bytes) -> ReportContent:
    fields = FieldReader(value, "ROReportSpec")
    fields.u8()  # ROReportTrigger
    fields.u16()  # N
    for parameter in iter_parameters(fields.rest(), "ROReportSpec"):
        if parameter.type == ParameterType.TAG_REPORT_CONTENT_SELECTOR:
            return ReportContent.decode(parameter.value)
    raise LLRPDecodeError(
        "ROReportSpec without TagReportContentSelector", StatusCode.M_MISSING_PARAMETER
    )


@dataclass(frozen=True, slots=True)
class TagReport:
    """TagReportData (spec 16.2.7.3): an EPC plus the TV fields the ROSpec asked for."""

    epc: bytes
    antenna_id: int | None = None
    peak_rssi_dbm: int | None = None
    first_seen_utc_us: int | None = None
    last_seen_utc_us: int | None = None
    tag_seen_count: int | None = None
    rospec_id: int | None = None

    def encode(self) -> bytes:
        return encode_tlv(ParameterType.TAG_REPORT_DATA, self._encode_epc() + self._encode_fields())

    def _encode_epc(self) -> bytes:
        # A 96-bit EPC has its own compact TV form (spec 16.2.7.3.2); any other length
        # goes into EPCData with a bit count (spec 16.2.7.3.1).
        if len(self.epc) == 12:
            return encode_tv(ParameterType.EPC_96, self.epc)
        value = struct.pack("!H", len(self.epc) * 8) + self.epc
        return encode_tlv(ParameterType.EPC_DATA, value)

    def _encode_fields(self) -> bytes:
        # The spec fixes this order: ROSpecID, ..., AntennaID, PeakRSSI, ChannelIndex,
        # FirstSeen, LastSeen, TagSeenCount.
        tv_fields = (
            (ParameterType.ROSPEC_ID, "!I", self.rospec_id),
            (ParameterType.ANTENNA_ID, "!H", self.antenna_id),
            (ParameterType.PEAK_RSSI, "!b", self.peak_rssi_dbm),
            (ParameterType.FIRST_SEEN_TIMESTAMP_UTC, "!Q", self.first_seen_utc_us),
            (ParameterType.LAST_SEEN_TIMESTAMP_UTC, "!Q", self.last_seen_utc_us),
            (ParameterType.TAG_SEEN_COUNT, "!H", self.tag_seen_count),
        )
        return b"".join(
            encode_tv(kind, struct.pack(layout, field))
            for kind, layout, field in tv_fields
            if field is not None
        )

    @classmethod
    def decode(cls, value: bytes) -> TagReport:
        found: dict[int, bytes] = {}
        for parameter in iter_parameters(value, "TagReportData"):
            found.setdefault(parameter.type, parameter.value)
        return cls(
            epc=_decode_epc(found),
            antenna_id=_tv_int(found, ParameterType.ANTENNA_ID, "!H"),
            peak_rssi_dbm=_tv_int(found, ParameterType.PEAK_RSSI, "!b"),
            first_seen_utc_us=_tv_int(found, ParameterType.FIRST_SEEN_TIMESTAMP_UTC, "!Q"),
            last_seen_utc_us=_tv_int(found, ParameterType.LAST_SEEN_TIMESTAMP_UTC, "!Q"),
            tag_seen_count=_tv_int(found, ParameterType.TAG_SEEN_COUNT, "!H"),
            rospec_id=_tv_int(found, ParameterType.ROSPEC_ID, "!I"),
        )


def _decode_epc(found: dict[int, bytes]) -> bytes:
    if ParameterType.EPC_96 in found:
        return found[ParameterType.EPC_96]
    if ParameterType.EPC_DATA not in found:
        raise LLRPDecodeError("TagReportData without an EPC", StatusCode.M_MISSING_PARAMETER)
    fields = FieldReader(found[ParameterType.EPC_DATA], "EPCData")
    bit_count = fields.u16()
    return fields.take((bit_count + 7) // 8)


def _tv_int(found: dict[int, bytes], kind: ParameterType, layout: str) -> int | None:
    raw = found.get(kind)
    return None if raw is None else int(struct.unpack(layout, raw)[0])
