"""The LLRP messages the simulator speaks (spec 16.1), as values with a body encoder/decoder.

The 10-byte header (type, length, message ID) is handled in `protocol`; here each
message only turns its body into bytes and back.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.llrp.capabilities import ReaderCapabilities
from simulators.llrp.parameters import (
    AntennaProperties,
    Identification,
    KeepaliveSpec,
    LLRPStatus,
    ReportContent,
    TagReport,
    encode_report_spec,
)
from simulators.llrp.rospec import ROSpec
from simulators.llrp.wire import (
    MessageType,
    ParameterType,
    encode_tlv,
)

EMPTY_BODY_TYPES = frozenset(
    {
        MessageType.KEEPALIVE,
        MessageType.KEEPALIVE_ACK,
        MessageType.CLOSE_CONNECTION,
        MessageType.ENABLE_EVENTS_AND_REPORTS,
        MessageType.GET_REPORT,
        MessageType.GET_ROSPECS,
    }
)
STATUS_ONLY_TYPES = frozenset(
    {
        MessageType.CLOSE_CONNECTION_RESPONSE,
        MessageType.SET_READER_CONFIG_RESPONSE,
        MessageType.ADD_ROSPEC_RESPONSE,
        MessageType.DELETE_ROSPEC_RESPONSE,
        MessageType.START_ROSPEC_RESPONSE,
        MessageType.STOP_ROSPEC_RESPONSE,
        MessageType.ENABLE_ROSPEC_RESPONSE,
        MessageType.DISABLE_ROSPEC_RESPONSE,
        MessageType.DELETE_ACCESSSPEC_RESPONSE,
        MessageType.ERROR_MESSAGE,
    }
)
ROSPEC_COMMAND_TYPES = frozenset(
    {
        MessageType.DELETE_ROSPEC,
        MessageType.START_ROSPEC,
        MessageType.STOP_ROSPEC,
        MessageType.ENABLE_ROSPEC,
        MessageType.DISABLE_ROSPEC,
    }
)


@dataclass(frozen=True, slots=True)
class EmptyMessage:
    message_type: MessageType
    message_id: int = 0

    def encode_body(self) -> bytes:
        return b""


@dataclass(frozen=True, slots=True)
class StatusResponse:
    """A response whose whole body is one LLRPStatus; ERROR_MESSAGE has the same shape."""

    message_type: MessageType
    message_id: int = 0
    status: LLRPStatus = field(default_factory=LLRPStatus)

    def encode_body(self) -> bytes:
        return self.status.encode()


@dataclass(frozen=True, slots=True)
class ROSpecCommand:
    """DELETE/START/STOP/ENABLE/DISABLE_ROSPEC: a ROSpecID u32; 0 means all for DELETE."""

    message_type: MessageType
    message_id: int = 0
    rospec_id: int = 0

    def encode_body(self) -> bytes:
        return struct.pack("!I", self.rospec_id)


@dataclass(frozen=True, slots=True)
class AddROSpec:
    rospec: ROSpec
    message_id: int = 0
    message_type: MessageType = MessageType.ADD_ROSPEC

    def encode_body(self) -> bytes:
        return self.rospec.encode()


@dataclass(frozen=True, slots=True)
class GetROSpecsResponse:
    """Spec 16.1.16: LLRPStatus, then every ROSpec with its current state."""

    status: LLRPStatus
    rospecs: tuple[ROSpec, ...] = ()
    message_id: int = 0
    message_type: MessageType = MessageType.GET_ROSPECS_RESPONSE

    def encode_body(self) -> bytes:
        return self.status.encode() + b"".join(rospec.encode() for rospec in self.rospecs)


@dataclass(frozen=True, slots=True)
class DeleteAccessSpec:
    access_spec_id: int = 0  # 0 = all AccessSpecs, what sllurp sends on connect
    message_id: int = 0
    message_type: MessageType = MessageType.DELETE_ACCESSSPEC

    def encode_body(self) -> bytes:
        return struct.pack("!I", self.access_spec_id)


@dataclass(frozen=True, slots=True)
class GetReaderCapabilities:
    requested_data: int = 0  # 0 = all capabilities
    message_id: int = 0
    message_type: MessageType = MessageType.GET_READER_CAPABILITIES

    def encode_body(self) -> bytes:
        return bytes([self.requested_data])


@dataclass(frozen=True, slots=True)
class GetReaderCapabilitiesResponse:
    status: LLRPStatus
    capabilities: ReaderCapabilities | None = None
    message_id: int = 0
    message_type: MessageType = MessageType.GET_READER_CAPABILITIES_RESPONSE

    def encode_body(self) -> bytes:
        capabilities = b"" if self.capabilities is None else self.capabilities.encode()
        return self.status.encode() + capabilities


@dataclass(frozen=True, slots=True)
class GetReaderConfig:
    """Spec 16.1.36: AntennaID u16, RequestedData u8, GPIPortNum u16, GPOPortNum u16."""

    antenna_id: int = 0
    requested_data: int = 0
    gpi_port: int = 0
    gpo_port: int = 0
    message_id: int = 0
    message_type: MessageType = MessageType.GET_READER_CONFIG

    def encode_body(self) -> bytes:
        return struct.pack(
            "!HBHH", self.antenna_id, self.requested_data, self.gpi_port, self.gpo_port
        )


@dataclass(frozen=True, slots=True)
class GetReaderConfigResponse:
    status: LLRPStatus
    identification: Identification | None = None
    antennas: tuple[AntennaProperties, ...] = ()
    report_content: ReportContent | None = None
    keepalive: KeepaliveSpec | None = None
    message_id: int = 0
    message_type: MessageType = MessageType.GET_READER_CONFIG_RESPONSE

    def encode_body(self) -> bytes:
        # Spec 16.1.37 order: LLRPStatus, Identification, AntennaProperties*, ...,
        # ROReportSpec, ..., KeepaliveSpec.
        identification = b"" if self.identification is None else self.identification.encode()
        antennas = b"".join(antenna.encode() for antenna in self.antennas)
        report = b"" if self.report_content is None else encode_report_spec(self.report_content)
        keepalive = b"" if self.keepalive is None else self.keepalive.encode()
        return self.status.encode() + identification + antennas + report + keepalive


@dataclass(frozen=True, slots=True)
class SetReaderConfig:
    """Spec 16.1.38: ResetToFactoryDefault (bit 7 of a u8), then optional parameters.

    KeepaliveSpec and ROReportSpec change the simulator; ReaderEventNotificationSpec,
    AntennaProperties/Configuration, AccessReportSpec and EventsAndReports are accepted
    and have no effect; GPI/GPO and Custom parameters are refused (see wire).
    """

    reset_to_factory_defaults: bool = False
    keepalive: KeepaliveSpec | None = None
    report_content: ReportContent | None = None
    message_id: int = 0
    message_type: MessageType = MessageType.SET_READER_CONFIG

    def encode_body(self) -> bytes:
        flags = bytes([0x80 if self.reset_to_factory_defaults else 0])
        report = b"" if self.report_content is None else encode_report_spec(self.report_content)
        keepalive = b"" if self.keepalive is None else self.keepalive.encode()
        return flags + report + keepalive


@dataclass(frozen=True, slots=True)
class ReaderEventNotification:
    """ReaderEventNotificationData (spec 16.2.7.6): UTCTimestamp then the events."""

    timestamp_us: int
    connection_attempt_status: int | None = None  # 0 = Success (spec 16.2.7.6.10)
    connection_closed: bool = False
    message_id: int = 0
    message_type: MessageType = MessageType.READER_EVENT_NOTIFICATION

    def encode_body(self) -> bytes:
        events = encode_tlv(ParameterType.UTC_TIMESTAMP, struct.pack("!Q", self.timestamp_us))
        if self.connection_attempt_status is not None:
            status = struct.pack("!H", self.connection_attempt_status)
            events += encode_tlv(ParameterType.CONNECTION_ATTEMPT_EVENT, status)
        if self.connection_closed:
            events += encode_tlv(ParameterType.CONNECTION_CLOSE_EVENT, b"")
        return encode_tlv(ParameterType.READER_EVENT_NOTIFICATION_DATA, events)


@dataclass(frozen=True, slots=True)
class ROAccessReport:
    tag_reports: tuple[TagReport, ...]
    message_id: int = 0
    message_type: MessageType = MessageType.RO_ACCESS_REPORT

    def encode_body(self) -> bytes:
        return b"".join(report.encode() for report in self.tag_reports)


Message = (
    EmptyMessage
    | StatusResponse
    | ROSpecCommand
    | AddROSpec
    | GetROSpecsResponse
    | DeleteAccessSpec
    | GetReaderCapabilities
    | GetReaderCapabilitiesResponse
    | GetReaderConfig
    | GetReaderConfigResponse
    | SetReaderConfig
    | ReaderEventNotification
    | ROAccessReport
)
BodyDecoder = Callable[[MessageType, int, bytes], Message]
