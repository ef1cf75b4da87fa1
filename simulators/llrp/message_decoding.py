"""Body decoders for every message in `messages`, keyed by message type (spec 16.1)."""

from __future__ import annotations

from simulators.llrp.capabilities import ReaderCapabilities
from simulators.llrp.messages import (
    EMPTY_BODY_TYPES,
    ROSPEC_COMMAND_TYPES,
    STATUS_ONLY_TYPES,
    AddROSpec,
    BodyDecoder,
    DeleteAccessSpec,
    EmptyMessage,
    GetReaderCapabilities,
    GetReaderCapabilitiesResponse,
    GetReaderConfig,
    GetReaderConfigResponse,
    GetROSpecsResponse,
    Message,
    ReaderEventNotification,
    ROAccessReport,
    ROSpecCommand,
    SetReaderConfig,
    StatusResponse,
)
from simulators.llrp.parameters import (
    AntennaProperties,
    Identification,
    KeepaliveSpec,
    LLRPStatus,
    TagReport,
    decode_report_spec,
)
from simulators.llrp.rospec import ROSpec
from simulators.llrp.wire import (
    CUSTOM_ONLY,
    FieldReader,
    LLRPDecodeError,
    MessageType,
    ParameterType,
    StatusCode,
    first_parameter,
    iter_parameters,
    reject_unsupported,
)

# This reader has no GPIs or GPOs and no vendor extensions (spec 12.2.3, 12.2.6.3, 8.2).
SET_CONFIG_UNSUPPORTED = frozenset(
    {ParameterType.GPO_WRITE_DATA, ParameterType.GPI_PORT_CURRENT_STATE, ParameterType.CUSTOM}
)


def _empty(kind: MessageType, message_id: int, body: bytes) -> Message:
    reject_unsupported(body, CUSTOM_ONLY, kind.name)
    return EmptyMessage(kind, message_id)


def _leading_status(body: bytes, what: str) -> tuple[LLRPStatus, bytes]:
    """Responses start with their LLRPStatus (spec 16.1); returns it and what follows."""
    parameters = list(iter_parameters(body, what))
    if not parameters or parameters[0].type != ParameterType.LLRP_STATUS:
        raise LLRPDecodeError(f"{what} must start with LLRPStatus", StatusCode.M_MISSING_PARAMETER)
    status = LLRPStatus.decode(parameters[0].value)
    status_length = 4 + len(parameters[0].value)
    return status, body[status_length:]


def _status_response(kind: MessageType, message_id: int, body: bytes) -> Message:
    status, _ = _leading_status(body, kind.name)
    return StatusResponse(kind, message_id, status)


def _rospec_command(kind: MessageType, message_id: int, body: bytes) -> Message:
    return ROSpecCommand(kind, message_id, FieldReader(body, kind.name).u32())


def _add_rospec(kind: MessageType, message_id: int, body: bytes) -> Message:
    found = first_parameter(body, ParameterType.ROSPEC, "ADD_ROSPEC")
    if found is None:
        raise LLRPDecodeError("ADD_ROSPEC without a ROSpec", StatusCode.M_MISSING_PARAMETER)
    return AddROSpec(ROSpec.decode(found.value), message_id)


def _delete_accessspec(kind: MessageType, message_id: int, body: bytes) -> Message:
    return DeleteAccessSpec(FieldReader(body, "DELETE_ACCESSSPEC").u32(), message_id)


def _get_capabilities(kind: MessageType, message_id: int, body: bytes) -> Message:
    fields = FieldReader(body, kind.name)
    requested = fields.u8()
    reject_unsupported(fields.rest(), CUSTOM_ONLY, kind.name)
    return GetReaderCapabilities(requested, message_id)


def _capabilities_response(kind: MessageType, message_id: int, body: bytes) -> Message:
    status, rest = _leading_status(body, kind.name)
    capabilities = ReaderCapabilities.decode(rest) if status.ok else None
    return GetReaderCapabilitiesResponse(status, capabilities, message_id)


def _get_config(kind: MessageType, message_id: int, body: bytes) -> Message:
    fields = FieldReader(body, "GET_READER_CONFIG")
    antenna, requested, gpi, gpo = fields.u16(), fields.u8(), fields.u16(), fields.u16()
    reject_unsupported(fields.rest(), CUSTOM_ONLY, kind.name)
    return GetReaderConfig(antenna, requested, gpi, gpo, message_id)


def _config_response(kind: MessageType, message_id: int, body: bytes) -> Message:
    status, rest = _leading_status(body, kind.name)
    identification, report, keepalive, antennas = None, None, None, []
    for parameter in iter_parameters(rest, kind.name):
        if parameter.type == ParameterType.IDENTIFICATION:
            identification = Identification.decode(parameter.value)
        elif parameter.type == ParameterType.ANTENNA_PROPERTIES:
            antennas.append(AntennaProperties.decode(parameter.value))
        elif parameter.type == ParameterType.RO_REPORT_SPEC:
            report = decode_report_spec(parameter.value)
        elif parameter.type == ParameterType.KEEPALIVE_SPEC:
            keepalive = KeepaliveSpec.decode(parameter.value)
    return GetReaderConfigResponse(
        status, identification, tuple(antennas), report, keepalive, message_id
    )


def _set_config(kind: MessageType, message_id: int, body: bytes) -> Message:
    fields = FieldReader(body, "SET_READER_CONFIG")
    reset = bool(fields.u8() & 0x80)
    rest = fields.rest()
    reject_unsupported(rest, SET_CONFIG_UNSUPPORTED, kind.name)
    keepalive = first_parameter(rest, ParameterType.KEEPALIVE_SPEC, kind.name)
    report = first_parameter(rest, ParameterType.RO_REPORT_SPEC, kind.name)
    return SetReaderConfig(
        reset,
        None if keepalive is None else KeepaliveSpec.decode(keepalive.value),
        None if report is None else decode_report_spec(report.value),
        message_id,
    )


def _rospecs_response(kind: MessageType, message_id: int, body: bytes) -> Message:
    status, rest = _leading_status(body, kind.name)
    rospecs = tuple(
        ROSpec.decode(parameter.value)
        for parameter in iter_parameters(rest, kind.name)
        if parameter.type == ParameterType.ROSPEC
    )
    return GetROSpecsResponse(status, rospecs, message_id)


def _reader_event(kind: MessageType, message_id: int, body: bytes) -> Message:
    data = first_parameter(body, ParameterType.READER_EVENT_NOTIFICATION_DATA, kind.name)
    if data is None:
        raise LLRPDecodeError(
            "READER_EVENT_NOTIFICATION without data", StatusCode.M_MISSING_PARAMETER
        )
    timestamp_us, status, closed = 0, None, False
    for parameter in iter_parameters(data.value, "ReaderEventNotificationData"):
        if parameter.type == ParameterType.UTC_TIMESTAMP:
            timestamp_us = FieldReader(parameter.value, "UTCTimestamp").u64()
        elif parameter.type == ParameterType.CONNECTION_ATTEMPT_EVENT:
            status = FieldReader(parameter.value, "ConnectionAttemptEvent").u16()
        elif parameter.type == ParameterType.CONNECTION_CLOSE_EVENT:
            closed = True
    return ReaderEventNotification(timestamp_us, status, closed, message_id)


def _access_report(kind: MessageType, message_id: int, body: bytes) -> Message:
    reports = tuple(
        TagReport.decode(parameter.value)
        for parameter in iter_parameters(body, kind.name)
        if parameter.type == ParameterType.TAG_REPORT_DATA
    )
    return ROAccessReport(reports, message_id)


BODY_DECODERS: dict[MessageType, BodyDecoder] = {
    **dict.fromkeys(EMPTY_BODY_TYPES, _empty),
    **dict.fromkeys(STATUS_ONLY_TYPES, _status_response),
    **dict.fromkeys(ROSPEC_COMMAND_TYPES, _rospec_command),
    MessageType.ADD_ROSPEC: _add_rospec,
    MessageType.GET_ROSPECS_RESPONSE: _rospecs_response,
    MessageType.DELETE_ACCESSSPEC: _delete_accessspec,
    MessageType.GET_READER_CAPABILITIES: _get_capabilities,
    MessageType.GET_READER_CAPABILITIES_RESPONSE: _capabilities_response,
    MessageType.GET_READER_CONFIG: _get_config,
    MessageType.GET_READER_CONFIG_RESPONSE: _config_response,
    MessageType.SET_READER_CONFIG: _set_config,
    MessageType.READER_EVENT_NOTIFICATION: _reader_event,
    MessageType.RO_ACCESS_REPORT: _access_report,
}
