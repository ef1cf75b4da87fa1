"""What one connection has configured, and the answer to each request: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from simulators.llrp.capabilities import ReaderCapabilities
from simulators.llrp.messages import (
    AddROSpec,
    DeleteAccessSpec,
    EmptyMessage,
    GetReaderCapabilities,
    GetReaderCapabilitiesResponse,
    GetReaderConfig,
    GetReaderConfigResponse,
    GetROSpecsResponse,
    Message,
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
    ReportContent,
)
from simulators.llrp.protocol import RESPONSE_TYPES
from simulators.llrp.rospec_table import SUCCESS, ROSpecTable
from simulators.llrp.wire import LLRPDecodeError, MessageType, StatusCode

IDENTIFICATION_EPC = 1  # IDType 1 ("EPC"); we send the reader id's UTF-8 bytes


class ConfigData(IntEnum):
    """GET_READER_CONFIG RequestedData values for what this reader can report (12.1.1)."""

    ALL = 0
    IDENTIFICATION = 1
    ANTENNA_PROPERTIES = 2
    RO_REPORT_SPEC = 4
    KEEPALIVE_SPEC = 8


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    reader_id: str
    antennas: tuple[int, ...]
    capabilities: ReaderCapabilities = field(default_factory=ReaderCapabilities)


class ReaderState:
    """ROSpecs, default report content and keepalive of one connection (SET_READER_CONFIG
    values last "for the duration of the LLRP connection", spec 12.1.3)."""

    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings
        self.rospecs = ROSpecTable(settings.antennas)
        self.report_content = ReportContent()
        self.keepalive = KeepaliveSpec()
        self.close_requested = False

    def answer(self, message: Message) -> list[Message]:
        match message:
            case GetReaderCapabilities():
                caps = self.settings.capabilities
                return [GetReaderCapabilitiesResponse(SUCCESS, caps, message.message_id)]
            case GetReaderConfig():
                return [self._config(message)]
            case SetReaderConfig():
                return [_reply(message, self._set_config(message))]
            case AddROSpec():
                return [_reply(message, self.rospecs.add(message.rospec))]
            case ROSpecCommand():
                return [_reply(message, self._run_rospec_command(message))]
            case DeleteAccessSpec():
                return [_reply(message, _delete_accessspec(message.access_spec_id))]
            case EmptyMessage() | StatusResponse():
                return self._answer_bodiless(message)
        return [_not_a_request(message)]

    def _answer_bodiless(self, message: EmptyMessage | StatusResponse) -> list[Message]:
        match message.message_type:
            case MessageType.CLOSE_CONNECTION:
                self.close_requested = True
                return [_reply(message, SUCCESS)]
            case MessageType.GET_ROSPECS:
                rospecs = tuple(self.rospecs.all())
                return [GetROSpecsResponse(SUCCESS, rospecs, message.message_id)]
            case MessageType.GET_REPORT:
                # Reports go out as tags are seen, so nothing has accumulated: the
                # answer is an RO_ACCESS_REPORT with no tags (spec 13.1.1).
                return [ROAccessReport((), message.message_id)]
            case MessageType.KEEPALIVE_ACK | MessageType.ENABLE_EVENTS_AND_REPORTS:
                return []  # nothing is held back, so there is nothing to release
            case MessageType.ERROR_MESSAGE:
                return []  # "Readers and Clients SHALL not respond to an ERROR_MESSAGE"
        return [_not_a_request(message)]

    def _config(self, request: GetReaderConfig) -> Message:
        antennas = self.settings.antennas
        if request.antenna_id and request.antenna_id not in antennas:
            status = LLRPStatus(StatusCode.A_OUT_OF_RANGE, f"no antenna {request.antenna_id}")
            return GetReaderConfigResponse(status, message_id=request.message_id)
        wanted = [a for a in antennas if request.antenna_id in (0, a)]
        identification = Identification(IDENTIFICATION_EPC, self.settings.reader_id.encode())

        def requested(kind: ConfigData) -> bool:
            return request.requested_data in (ConfigData.ALL, kind)

        return GetReaderConfigResponse(
            SUCCESS,
            identification if requested(ConfigData.IDENTIFICATION) else None,
            tuple(AntennaProperties(a) for a in wanted if requested(ConfigData.ANTENNA_PROPERTIES)),
            self.report_content if requested(ConfigData.RO_REPORT_SPEC) else None,
            self.keepalive if requested(ConfigData.KEEPALIVE_SPEC) else None,
            request.message_id,
        )

    def _set_config(self, request: SetReaderConfig) -> LLRPStatus:
        if request.reset_to_factory_defaults:
            self.report_content = ReportContent()
            self.keepalive = KeepaliveSpec()
        if request.report_content is not None:
            self.report_content = request.report_content
        if request.keepalive is not None:
            self.keepalive = request.keepalive
        return SUCCESS

    def _run_rospec_command(self, command: ROSpecCommand) -> LLRPStatus:
        operations = {
            MessageType.ENABLE_ROSPEC: self.rospecs.enable,
            MessageType.START_ROSPEC: self.rospecs.start,
            MessageType.STOP_ROSPEC: self.rospecs.stop,
            MessageType.DISABLE_ROSPEC: self.rospecs.disable,
            MessageType.DELETE_ROSPEC: self.rospecs.delete,
        }
        return operations[command.message_type](command.rospec_id)


def error_reply(message_type: int, message_id: int, error: LLRPDecodeError) -> Message:
    """A malformed request gets its own response type with the error status; unsupported
    message types and versions get ERROR_MESSAGE (spec 14.1.1, 16.1.35)."""
    header_level = error.status in (
        StatusCode.M_UNSUPPORTED_MESSAGE,
        StatusCode.M_UNSUPPORTED_VERSION,
    )
    known = {int(request): response for request, response in RESPONSE_TYPES.items()}
    response_type = None if header_level else known.get(message_type)
    kind = response_type or MessageType.ERROR_MESSAGE
    return StatusResponse(kind, message_id, LLRPStatus(error.status, error.reason))


def _reply(request: Message, status: LLRPStatus) -> StatusResponse:
    return StatusResponse(RESPONSE_TYPES[request.message_type], request.message_id, status)


def _not_a_request(message: Message) -> Message:
    description = f"{message.message_type.name} is not a request a reader accepts"
    status = LLRPStatus(StatusCode.M_UNSUPPORTED_MESSAGE, description)
    return StatusResponse(MessageType.ERROR_MESSAGE, message.message_id, status)


def _delete_accessspec(access_spec_id: int) -> LLRPStatus:
    # The simulator never holds AccessSpecs (it announces MaxNumAccessSpecs = 0), so
    # "delete all" trivially succeeds and any specific ID does not exist.
    if access_spec_id == 0:
        return SUCCESS
    return LLRPStatus(StatusCode.A_INVALID, f"no AccessSpec {access_spec_id}")
