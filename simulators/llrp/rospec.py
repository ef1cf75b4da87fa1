"""The ROSpec parameter (spec 16.2.4.1): what to inventory, when to start, what to report."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from simulators.llrp.parameters import ReportContent, decode_report_spec, encode_report_spec
from simulators.llrp.wire import (
    CUSTOM_ONLY,
    FieldReader,
    LLRPDecodeError,
    ParameterType,
    StatusCode,
    encode_tlv,
    first_parameter,
    reject_unsupported,
)

ALL_ANTENNAS = 0  # an AISpec AntennaID of 0 means every antenna (spec 16.2.4.2)


class ROSpecState(IntEnum):
    DISABLED = 0
    INACTIVE = 1
    ACTIVE = 2


class StopTrigger(IntEnum):
    """ROSpecStopTriggerType (spec 16.2.4.1.1.2)."""

    NULL = 0  # runs until STOP_ROSPEC (or all AISpecs done, which never happens here)
    DURATION = 1
    GPI_WITH_TIMEOUT = 2


class StartTrigger(IntEnum):
    """ROSpecStartTriggerType (spec 16.2.4.1.1.1)."""

    NULL = 0  # only START_ROSPEC starts it
    IMMEDIATE = 1  # starts as soon as it is enabled: what sllurp sends, it never STARTs
    PERIODIC = 2
    GPI = 3


@dataclass(frozen=True, slots=True)
class ROSpec:
    rospec_id: int
    priority: int = 0
    current_state: int = ROSpecState.DISABLED
    start_trigger: int = StartTrigger.NULL
    stop_trigger: int = StopTrigger.NULL
    duration_ms: int = 0  # DurationTriggerValue, used with StopTrigger.DURATION
    antenna_ids: tuple[int, ...] = (ALL_ANTENNAS,)
    report_content: ReportContent | None = None

    def inventories(self, antenna_id: int) -> bool:
        return ALL_ANTENNAS in self.antenna_ids or antenna_id in self.antenna_ids

    def encode(self) -> bytes:
        fields = struct.pack("!IBB", self.rospec_id, self.priority, self.current_state)
        report = b"" if self.report_content is None else encode_report_spec(self.report_content)
        value = fields + self._boundary() + self._ai_spec() + report
        return encode_tlv(ParameterType.ROSPEC, value)

    def _boundary(self) -> bytes:
        # ROBoundarySpec (16.2.4.1.1): ROSpecStartTrigger (type u8) then
        # ROSpecStopTrigger (type u8, DurationTriggerValue u32 in ms).
        start = encode_tlv(ParameterType.ROSPEC_START_TRIGGER, bytes([self.start_trigger]))
        stop_fields = struct.pack("!BI", self.stop_trigger, self.duration_ms)
        stop = encode_tlv(ParameterType.ROSPEC_STOP_TRIGGER, stop_fields)
        return encode_tlv(ParameterType.RO_BOUNDARY_SPEC, start + stop)

    def _ai_spec(self) -> bytes:
        # AISpec (spec 16.2.4.2): AntennaIDs u16v, AISpecStopTrigger (Null), one
        # InventoryParameterSpec (ID u16, ProtocolID u8 = 1, EPCglobal C1G2).
        antennas = struct.pack(
            f"!H{len(self.antenna_ids)}H", len(self.antenna_ids), *self.antenna_ids
        )
        stop = encode_tlv(ParameterType.AISPEC_STOP_TRIGGER, struct.pack("!BI", 0, 0))
        inventory = encode_tlv(ParameterType.INVENTORY_PARAMETER_SPEC, struct.pack("!HB", 1, 1))
        return encode_tlv(ParameterType.AISPEC, antennas + stop + inventory)

    @classmethod
    def decode(cls, value: bytes) -> ROSpec:
        fields = FieldReader(value, "ROSpec")
        rospec_id, priority, state = fields.u32(), fields.u8(), fields.u8()
        children = fields.rest()
        boundary = first_parameter(children, ParameterType.RO_BOUNDARY_SPEC, "ROSpec")
        ai_spec = first_parameter(children, ParameterType.AISPEC, "ROSpec")
        if boundary is None or ai_spec is None:
            raise LLRPDecodeError(
                "ROSpec needs an ROBoundarySpec and an AISpec", StatusCode.M_MISSING_PARAMETER
            )
        reject_unsupported(children, CUSTOM_ONLY, "ROSpec")
        start_trigger, stop_trigger, duration_ms = _decode_boundary(boundary.value)
        report = first_parameter(children, ParameterType.RO_REPORT_SPEC, "ROSpec")
        return cls(
            rospec_id=rospec_id,
            priority=priority,
            current_state=state,
            start_trigger=start_trigger,
            stop_trigger=stop_trigger,
            duration_ms=duration_ms,
            antenna_ids=_decode_antennas(ai_spec.value),
            report_content=None if report is None else decode_report_spec(report.value),
        )


def _decode_boundary(value: bytes) -> tuple[int, int, int]:
    start = first_parameter(value, ParameterType.ROSPEC_START_TRIGGER, "ROBoundarySpec")
    stop = first_parameter(value, ParameterType.ROSPEC_STOP_TRIGGER, "ROBoundarySpec")
    if start is None or stop is None:
        raise LLRPDecodeError(
            "ROBoundarySpec needs a start and a stop trigger", StatusCode.M_MISSING_PARAMETER
        )
    start_trigger = FieldReader(start.value, "ROSpecStartTrigger").u8()
    stop_fields = FieldReader(stop.value, "ROSpecStopTrigger")
    return start_trigger, stop_fields.u8(), stop_fields.u32()


def _decode_antennas(value: bytes) -> tuple[int, ...]:
    fields = FieldReader(value, "AISpec")
    return tuple(fields.u16() for _ in range(fields.u16()))
