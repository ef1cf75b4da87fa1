"""Byte-level LLRP 1.0.1 building blocks: type numbers, status codes, field reader, TLV/TV.

Every layout follows the EPCglobal LLRP 1.0.1 specification's binary encoding (its
section 16; section numbers are cited where a layout is defined). Integers are
big-endian; bit fields fill a byte from its most significant bit.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

PROTOCOL_VERSION = 1  # the header's 3-bit Ver field: 1 for LLRP 1.0.1


class MessageType(IntEnum):
    """Message type numbers (spec 16.1.x, each message's binary encoding)."""

    GET_READER_CAPABILITIES = 1
    GET_READER_CONFIG = 2
    SET_READER_CONFIG = 3
    CLOSE_CONNECTION_RESPONSE = 4
    GET_READER_CAPABILITIES_RESPONSE = 11
    GET_READER_CONFIG_RESPONSE = 12
    SET_READER_CONFIG_RESPONSE = 13
    CLOSE_CONNECTION = 14
    ADD_ROSPEC = 20
    DELETE_ROSPEC = 21
    START_ROSPEC = 22
    STOP_ROSPEC = 23
    ENABLE_ROSPEC = 24
    DISABLE_ROSPEC = 25
    GET_ROSPECS = 26
    ADD_ROSPEC_RESPONSE = 30
    DELETE_ROSPEC_RESPONSE = 31
    START_ROSPEC_RESPONSE = 32
    STOP_ROSPEC_RESPONSE = 33
    ENABLE_ROSPEC_RESPONSE = 34
    DISABLE_ROSPEC_RESPONSE = 35
    GET_ROSPECS_RESPONSE = 36
    DELETE_ACCESSSPEC = 41
    DELETE_ACCESSSPEC_RESPONSE = 51
    GET_REPORT = 60
    RO_ACCESS_REPORT = 61
    KEEPALIVE = 62
    READER_EVENT_NOTIFICATION = 63
    ENABLE_EVENTS_AND_REPORTS = 64
    KEEPALIVE_ACK = 72
    ERROR_MESSAGE = 100


class ParameterType(IntEnum):
    """Parameter type numbers (spec 16.2.x); 1-127 are TV-encoded, 128-1023 TLV-encoded."""

    ANTENNA_ID = 1
    FIRST_SEEN_TIMESTAMP_UTC = 2
    LAST_SEEN_TIMESTAMP_UTC = 4
    PEAK_RSSI = 6
    TAG_SEEN_COUNT = 8
    ROSPEC_ID = 9
    EPC_96 = 13
    UTC_TIMESTAMP = 128
    GENERAL_DEVICE_CAPABILITIES = 137
    RECEIVE_SENSITIVITY_TABLE_ENTRY = 139
    PER_ANTENNA_AIR_PROTOCOL = 140
    GPIO_CAPABILITIES = 141
    LLRP_CAPABILITIES = 142
    REGULATORY_CAPABILITIES = 143
    UHF_BAND_CAPABILITIES = 144
    TRANSMIT_POWER_LEVEL_TABLE_ENTRY = 145
    FREQUENCY_INFORMATION = 146
    FIXED_FREQUENCY_TABLE = 148
    ROSPEC = 177
    RO_BOUNDARY_SPEC = 178
    ROSPEC_START_TRIGGER = 179
    ROSPEC_STOP_TRIGGER = 182
    AISPEC = 183
    AISPEC_STOP_TRIGGER = 184
    INVENTORY_PARAMETER_SPEC = 186
    IDENTIFICATION = 218
    GPO_WRITE_DATA = 219
    KEEPALIVE_SPEC = 220
    ANTENNA_PROPERTIES = 221
    GPI_PORT_CURRENT_STATE = 225
    RO_REPORT_SPEC = 237
    TAG_REPORT_CONTENT_SELECTOR = 238
    TAG_REPORT_DATA = 240
    EPC_DATA = 241
    READER_EVENT_NOTIFICATION_DATA = 246
    CONNECTION_ATTEMPT_EVENT = 256
    CONNECTION_CLOSE_EVENT = 257
    LLRP_STATUS = 287
    C1G2_LLRP_CAPABILITIES = 327
    UHF_C1G2_RF_MODE_TABLE = 328
    UHF_C1G2_RF_MODE_TABLE_ENTRY = 329
    CUSTOM = 1023


class StatusCode(IntEnum):
    """LLRPStatus codes (spec 14.2.1)."""

    M_SUCCESS = 0
    M_PARAMETER_ERROR = 100
    M_FIELD_ERROR = 101
    M_UNEXPECTED_PARAMETER = 102
    M_MISSING_PARAMETER = 103
    M_UNKNOWN_PARAMETER = 107
    M_UNSUPPORTED_MESSAGE = 109
    M_UNSUPPORTED_VERSION = 110
    M_UNSUPPORTED_PARAMETER = 111
    P_FIELD_ERROR = 201
    A_INVALID = 300
    A_OUT_OF_RANGE = 301
    R_DEVICE_ERROR = 401


class LLRPDecodeError(ValueError):
    """Bytes that are not a valid LLRP message; `status` is the LLRPStatus code to answer with."""

    def __init__(
        self, reason: str, status: StatusCode = StatusCode.M_FIELD_ERROR, message_id: int = 0
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.message_id = message_id  # of the offending message, when its header had one


# Value sizes of the TV parameters (spec 16.2.7.3.x), the only way to know where a TV
# parameter ends: TV parameters carry no length field.
TV_VALUE_SIZES: dict[int, int] = {
    1: 2,  # AntennaID
    2: 8,  # FirstSeenTimestampUTC
    3: 8,  # FirstSeenTimestampUptime
    4: 8,  # LastSeenTimestampUTC
    5: 8,  # LastSeenTimestampUptime
    6: 1,  # PeakRSSI
    7: 2,  # ChannelIndex
    8: 2,  # TagSeenCount
    9: 4,  # ROSpecID
    10: 2,  # InventoryParameterSpecID
    11: 2,  # C1G2CRC
    12: 2,  # C1G2PC
    13: 12,  # EPC-96
    14: 2,  # SpecIndex
    15: 2,  # ClientRequestOpSpecResult
    16: 4,  # AccessSpecID
    17: 2,  # OpSpecID
    18: 4,  # C1G2SingulationDetails
    19: 2,  # C1G2XPCW1 (LLRP 1.1, harmless to size here)
    20: 2,  # C1G2XPCW2
}
TLV_HEADER_SIZE = 4


class FieldReader:
    """Reads fixed fields off a byte string; running short raises LLRPDecodeError."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._offset = 0
        self._what = what

    def take(self, size: int) -> bytes:
        end = self._offset + size
        if size < 0 or end > len(self._data):
            raise LLRPDecodeError(f"{self._what} is truncated", StatusCode.M_FIELD_ERROR)
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def s8(self) -> int:
        return int(struct.unpack("!b", self.take(1))[0])

    def u16(self) -> int:
        return int(struct.unpack("!H", self.take(2))[0])

    def s16(self) -> int:
        return int(struct.unpack("!h", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("!I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("!Q", self.take(8))[0])

    def rest(self) -> bytes:
        chunk = self._data[self._offset :]
        self._offset = len(self._data)
        return chunk


@dataclass(frozen=True, slots=True)
class RawParameter:
    """One parameter as found on the wire: its type and the bytes after its header."""

    type: int
    value: bytes


def iter_parameters(data: bytes, where: str) -> Iterator[RawParameter]:
    """Walk a run of TV and TLV parameters, checking every length against the data."""
    offset = 0
    while offset < len(data):
        first = data[offset]
        if first & 0x80:  # TV: 1 bit set, then a 7-bit type, then a fixed-size value
            tv_type = first & 0x7F
            size = TV_VALUE_SIZES.get(tv_type)
            if size is None:
                raise LLRPDecodeError(
                    f"unknown TV parameter {tv_type} in {where}", StatusCode.M_UNKNOWN_PARAMETER
                )
            end = offset + 1 + size
            if end > len(data):
                raise LLRPDecodeError(f"TV parameter {tv_type} in {where} is truncated")
            yield RawParameter(tv_type, data[offset + 1 : end])
        else:  # TLV: 6 reserved bits + 10-bit type, 16-bit length including the header
            if offset + TLV_HEADER_SIZE > len(data):
                raise LLRPDecodeError(f"parameter header in {where} is truncated")
            type_field, length = struct.unpack_from("!HH", data, offset)
            end = offset + length
            if length < TLV_HEADER_SIZE or end > len(data):
                raise LLRPDecodeError(
                    f"parameter {type_field & 0x3FF} in {where} has a bad length {length}",
                    StatusCode.M_PARAMETER_ERROR,
                )
            yield RawParameter(type_field & 0x3FF, data[offset + TLV_HEADER_SIZE : end])
        offset = end


def encode_tlv(parameter_type: int, value: bytes) -> bytes:
    return struct.pack("!HH", parameter_type & 0x3FF, TLV_HEADER_SIZE + len(value)) + value


def encode_tv(parameter_type: int, value: bytes) -> bytes:
    return bytes([0x80 | parameter_type]) + value


def find_parameters(data: bytes, parameter_type: int, where: str) -> list[RawParameter]:
    return [p for p in iter_parameters(data, where) if p.type == parameter_type]


def first_parameter(data: bytes, parameter_type: int, where: str) -> RawParameter | None:
    found = find_parameters(data, parameter_type, where)
    return found[0] if found else None


def reject_unsupported(data: bytes, unsupported: frozenset[int], where: str) -> None:
    """A reader SHALL answer with an error, and execute nothing, when a request carries a
    parameter it does not support: vendor Custom parameters (spec 8.2), and GPI/GPO
    parameters on a reader announcing no GPIs/GPOs (spec 12.2.3, 12.2.6.3)."""
    for parameter in iter_parameters(data, where):
        if parameter.type in unsupported:
            raise LLRPDecodeError(
                f"parameter {parameter.type} in {where} is not supported by this reader",
                StatusCode.M_UNSUPPORTED_PARAMETER,
            )


CUSTOM_ONLY = frozenset({int(ParameterType.CUSTOM)})
