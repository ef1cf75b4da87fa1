"""The simulator's LLRP encoder/decoder: round trips, sllurp as an independent decoder, fuzzing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sllurp.llrp import LLRPMessage
from sllurp.llrp_proto import LLRPROSpec

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
    ReportContent,
    TagReport,
)
from simulators.llrp.protocol import HEADER, decode_message, encode_message
from simulators.llrp.rospec import ROSpec, ROSpecState, StartTrigger, StopTrigger
from simulators.llrp.wire import LLRPDecodeError, MessageType, StatusCode

EPC_96 = bytes.fromhex("3034257bf7194e4000001a85")
OK = LLRPStatus()
FIELD_ERROR = LLRPStatus(StatusCode.M_FIELD_ERROR, "START_ROSPEC is truncated")
FULL_REPORT = TagReport(EPC_96, 2, -51, 1_700_000_000_123_456, 1_700_000_000_223_456, 7, 1)

EVERY_MESSAGE: list[Message] = [
    *(EmptyMessage(kind, 11) for kind in (MessageType.KEEPALIVE, MessageType.KEEPALIVE_ACK)),
    EmptyMessage(MessageType.CLOSE_CONNECTION, 12),
    EmptyMessage(MessageType.ENABLE_EVENTS_AND_REPORTS, 13),
    StatusResponse(MessageType.CLOSE_CONNECTION_RESPONSE, 14, OK),
    StatusResponse(MessageType.SET_READER_CONFIG_RESPONSE, 15, OK),
    *(
        StatusResponse(kind, 16, FIELD_ERROR)
        for kind in (
            MessageType.ADD_ROSPEC_RESPONSE,
            MessageType.DELETE_ROSPEC_RESPONSE,
            MessageType.START_ROSPEC_RESPONSE,
            MessageType.STOP_ROSPEC_RESPONSE,
            MessageType.ENABLE_ROSPEC_RESPONSE,
            MessageType.DISABLE_ROSPEC_RESPONSE,
            MessageType.DELETE_ACCESSSPEC_RESPONSE,
            MessageType.ERROR_MESSAGE,
        )
    ),
    *(
        ROSpecCommand(kind, 17, 42)
        for kind in (
            MessageType.DELETE_ROSPEC,
            MessageType.START_ROSPEC,
            MessageType.STOP_ROSPEC,
            MessageType.ENABLE_ROSPEC,
            MessageType.DISABLE_ROSPEC,
        )
    ),
    AddROSpec(
        ROSpec(
            42,
            priority=3,
            stop_trigger=StopTrigger.DURATION,
            duration_ms=1500,
            antenna_ids=(1, 2),
            report_content=ReportContent(),
        ),
        18,
    ),
    AddROSpec(ROSpec(7, start_trigger=StartTrigger.IMMEDIATE), 19),
    EmptyMessage(MessageType.GET_ROSPECS, 31),
    GetROSpecsResponse(OK, (ROSpec(7, current_state=ROSpecState.ACTIVE), ROSpec(8)), 32),
    EmptyMessage(MessageType.GET_REPORT, 33),
    DeleteAccessSpec(0, 20),
    GetReaderCapabilities(0, 21),
    GetReaderCapabilitiesResponse(OK, ReaderCapabilities(max_antennas=2), 22),
    GetReaderCapabilitiesResponse(LLRPStatus(StatusCode.R_DEVICE_ERROR, "broken"), None, 23),
    GetReaderConfig(1, 0, 0, 0, 24),
    GetReaderConfigResponse(
        OK,
        Identification(1, b"dock-03"),
        (AntennaProperties(1), AntennaProperties(2, False, -150)),
        ReportContent(last_seen=True),
        KeepaliveSpec(1, 10_000),
        25,
    ),
    SetReaderConfig(True, KeepaliveSpec(1, 250), ReportContent(rospec_id=True), 26),
    SetReaderConfig(False, None, None, 27),
    ReaderEventNotification(1_700_000_000_000_000, 0, False, 28),
    ReaderEventNotification(1_700_000_000_000_001, None, True, 29),
    ROAccessReport((FULL_REPORT, TagReport(bytes(range(16))), TagReport(b"\xab\xcd", 1)), 30),
]


def test_the_round_trips_cover_every_message_type_the_simulator_speaks() -> None:
    assert {message.message_type for message in EVERY_MESSAGE} == set(MessageType)


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=lambda m: m.message_type.name)
def test_every_supported_message_survives_an_encode_decode_round_trip(message: Message) -> None:
    assert decode_message(encode_message(message)) == message


def test_sllurp_reads_our_tag_report_fields_as_written() -> None:
    tags = LLRPMessage(msgbytes=encode_message(ROAccessReport((FULL_REPORT,), 5))).msgdict
    [tag] = tags["RO_ACCESS_REPORT"]["TagReportData"]
    assert tag["EPC-96"] == EPC_96.hex().encode()
    assert (tag["AntennaID"], tag["PeakRSSI"], tag["TagSeenCount"]) == (2, -51, 7)
    assert tag["FirstSeenTimestampUTC"] == 1_700_000_000_123_456
    assert tag["LastSeenTimestampUTC"] == 1_700_000_000_223_456
    assert tag["ROSpecID"] == 1


def test_sllurp_reads_a_longer_epc_from_epcdata() -> None:
    long_epc = bytes(range(16))
    report = ROAccessReport((TagReport(long_epc, 1),), 5)
    [tag] = LLRPMessage(msgbytes=encode_message(report)).msgdict["RO_ACCESS_REPORT"][
        "TagReportData"
    ]
    assert tag["EPC"] == long_epc.hex().encode()


def test_sllurp_understands_our_capabilities_well_enough_to_pick_tx_power() -> None:
    capabilities = ReaderCapabilities(max_antennas=2, transmit_power_centi_dbm=(1000, 2000, 3000))
    frame = encode_message(GetReaderCapabilitiesResponse(OK, capabilities, 9))
    decoded = LLRPMessage(msgbytes=frame)
    body = decoded.msgdict["GET_READER_CAPABILITIES_RESPONSE"]
    assert decoded.isSuccess()
    assert body["GeneralDeviceCapabilities"]["MaxNumberOfAntennaSupported"] == 2
    band = body["RegulatoryCapabilities"]["UHFBandCapabilities"]
    assert [entry["TransmitPowerValue"] for entry in band["TransmitPowerLevelTableEntry"]] == [
        1000,
        2000,
        3000,
    ]
    modes = band["UHFC1G2RFModeTable"]["UHFC1G2RFModeTableEntry"]
    assert [mode["ModeIdentifier"] for mode in modes] == list(capabilities.rf_mode_ids)


def test_sllurp_sees_a_successful_connection_attempt() -> None:
    frame = encode_message(ReaderEventNotification(1_700_000_000_000_000, 0, message_id=1))
    decoded = LLRPMessage(msgbytes=frame)
    assert decoded.getName() == "READER_EVENT_NOTIFICATION"
    assert decoded.isSuccess()


def test_sllurp_reads_our_error_message_status() -> None:
    status = LLRPStatus(StatusCode.M_UNSUPPORTED_MESSAGE, "no")
    decoded = LLRPMessage(
        msgbytes=encode_message(StatusResponse(MessageType.ERROR_MESSAGE, 4, status))
    )
    assert decoded.msgdict["ERROR_MESSAGE"]["LLRPStatus"]["StatusCode"] == "UnsupportedMessage"
    assert decoded.msgdict["ERROR_MESSAGE"]["ID"] == 4


def test_we_read_the_rospec_sllurp_sends() -> None:
    selector = {"EnableFirstSeenTimestamp": True, "EnableLastSeenTimestamp": False}
    rospec = LLRPROSpec(None, 1, antennas=(1, 2), tag_content_selector=selector)
    frame = LLRPMessage(msgdict={"ADD_ROSPEC": {"ID": 77, "ROSpecID": 1, "ROSpec": rospec}})
    message = decode_message(frame.msgbytes)
    assert isinstance(message, AddROSpec)
    assert message.message_id == 77
    assert message.rospec.rospec_id == 1
    assert message.rospec.start_trigger == StartTrigger.IMMEDIATE
    assert message.rospec.antenna_ids == (1, 2)
    assert message.rospec.report_content == ReportContent(
        rospec_id=True, first_seen=True, last_seen=False
    )


def test_we_read_the_keepalive_interval_sllurp_asks_for() -> None:
    request = {
        "SET_READER_CONFIG": {
            "ID": 3,
            "ResetToFactoryDefaults": False,
            "ReaderEventNotificationSpec": {"EventNotificationState": {"GPIEvent": False}},
            "KeepaliveSpec": {"KeepaliveTriggerType": 1, "TimeInterval": 1234},
        }
    }
    message = decode_message(LLRPMessage(msgdict=request).msgbytes)
    assert message == SetReaderConfig(False, KeepaliveSpec(1, 1234), None, 3)


def test_unknown_message_type_and_bad_version_say_so() -> None:
    unknown = HEADER.pack((1 << 10) | 500, 10, 1)
    with pytest.raises(LLRPDecodeError) as unsupported:
        decode_message(unknown)
    assert unsupported.value.status == StatusCode.M_UNSUPPORTED_MESSAGE
    version_2 = HEADER.pack((2 << 10) | MessageType.KEEPALIVE_ACK, 10, 1)
    with pytest.raises(LLRPDecodeError) as bad_version:
        decode_message(version_2)
    assert bad_version.value.status == StatusCode.M_UNSUPPORTED_VERSION


def test_vendor_and_gpio_parameters_are_refused_as_unsupported() -> None:
    custom = struct.pack("!HHII", 1023, 12, 25882, 21)  # an Impinj extension
    gpo = struct.pack("!HHHB", 219, 7, 1, 0x80)
    for parameter in (custom, gpo):
        with pytest.raises(LLRPDecodeError) as refused:
            decode_message(_frame(MessageType.SET_READER_CONFIG, b"\x00" + parameter))
        assert refused.value.status == StatusCode.M_UNSUPPORTED_PARAMETER


def test_a_truncated_body_is_a_field_error() -> None:
    frame = HEADER.pack((1 << 10) | MessageType.START_ROSPEC, 12, 1) + b"\x00\x01"
    with pytest.raises(LLRPDecodeError) as truncated:
        decode_message(frame)
    assert truncated.value.status == StatusCode.M_FIELD_ERROR


def _frame(kind: int, body: bytes, version: int = 1) -> bytes:
    return struct.pack("!HII", (version << 10) | kind, 10 + len(body), 99) + body


def _decodes_or_says_why(data: bytes) -> None:
    try:
        decode_message(data)
    except LLRPDecodeError:
        pass


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_decode_error(data: bytes) -> None:
    _decodes_or_says_why(data)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(list(MessageType)), st.binary(max_size=300))
def test_well_framed_garbage_bodies_never_raise_anything_but_decode_error(
    kind: MessageType, body: bytes
) -> None:
    _decodes_or_says_why(_frame(kind, body))


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(EVERY_MESSAGE), st.data())
def test_damaged_real_messages_never_raise_anything_but_decode_error(
    message: Message, data: st.DataObject
) -> None:
    frame = bytearray(encode_message(message))
    body = frame[10:]
    if body:
        position = data.draw(st.integers(0, len(body) - 1))
        body[position] = data.draw(st.integers(0, 255))
        body = body[: data.draw(st.integers(0, len(body)))]
    _decodes_or_says_why(_frame(message.message_type, bytes(body)))
