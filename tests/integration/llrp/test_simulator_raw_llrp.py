"""The LLRP reader simulator over real TCP on loopback, driven by a bare socket client that
sends what no polite library would: unknown types, bad versions, truncated bodies."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import pytest

from simulators.llrp.messages import (
    AddROSpec,
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
from simulators.llrp.parameters import KeepaliveSpec
from simulators.llrp.protocol import (
    HEADER,
    RESPONSE_TYPES,
    decode_header,
    decode_message,
    encode_message,
    read_frame,
)
from simulators.llrp.rospec import ROSpec, ROSpecState, StopTrigger
from simulators.llrp.server import ReaderSimulator
from simulators.llrp.wire import MessageType, StatusCode

pytestmark = pytest.mark.timeout(60)

STEP_S = 5.0  # no single wait in these tests should take more than this
EPC_A = "303401e9e0000000000012ab"
EPC_B = "303401e9e0000000000012ac"


@pytest.fixture
async def simulator() -> AsyncIterator[ReaderSimulator]:
    async with ReaderSimulator("127.0.0.1", 0, "dock-03", antennas=(1, 2)) as reader:
        yield reader


class RawClient:
    """A bare LLRP client on a socket, to send what no polite library would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, data: bytes | Message) -> None:
        self.writer.write(data if isinstance(data, bytes) else encode_message(data))
        await self.writer.drain()

    async def receive(self) -> Message:
        async with asyncio.timeout(STEP_S):
            frame = await read_frame(self.reader)
        assert frame is not None, "the simulator closed the connection"
        return decode_message(frame)

    async def receive_non_keepalive(self) -> Message:
        while isinstance(message := await self.receive(), EmptyMessage):
            assert message.message_type == MessageType.KEEPALIVE
        return message


@pytest.fixture
async def raw_client(simulator: ReaderSimulator) -> AsyncIterator[RawClient]:
    reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
    client = RawClient(reader, writer)
    greeting = await client.receive()
    assert isinstance(greeting, ReaderEventNotification)
    assert greeting.connection_attempt_status == 0
    yield client
    writer.close()
    await writer.wait_closed()


def _header(kind: int, length: int, message_id: int, version: int = 1) -> bytes:
    return HEADER.pack((version << 10) | kind, length, message_id)


async def _assert_still_serving(client: RawClient) -> None:
    await client.send(GetReaderCapabilities(0, 4242))
    response = await client.receive()
    assert isinstance(response, GetReaderCapabilitiesResponse)
    assert (response.message_id, response.status.ok) == (4242, True)


async def test_an_unknown_message_type_gets_error_message_and_the_reader_keeps_serving(
    raw_client: RawClient,
) -> None:
    await raw_client.send(_header(500, 10, 7))
    error = await raw_client.receive()
    assert isinstance(error, StatusResponse)
    assert (error.message_type, error.message_id, error.status.code) == (
        MessageType.ERROR_MESSAGE,
        7,
        StatusCode.M_UNSUPPORTED_MESSAGE,
    )
    await _assert_still_serving(raw_client)


async def test_an_unsupported_version_is_refused_in_that_version(raw_client: RawClient) -> None:
    await raw_client.send(_header(MessageType.GET_READER_CAPABILITIES, 11, 8, version=2) + b"\0")
    async with asyncio.timeout(STEP_S):
        frame = await read_frame(raw_client.reader)
    assert frame is not None
    header = decode_header(frame)
    assert (header.version, header.message_type, header.message_id) == (2, 100, 8)
    as_version_1 = bytes([frame[0] & 0xE3 | 0x04]) + frame[1:]  # only to reuse our decoder
    error = decode_message(as_version_1)
    assert isinstance(error, StatusResponse)
    assert error.status.code == StatusCode.M_UNSUPPORTED_VERSION
    await _assert_still_serving(raw_client)


async def test_an_error_message_from_the_client_is_not_answered(raw_client: RawClient) -> None:
    await raw_client.send(StatusResponse(MessageType.ERROR_MESSAGE, 5))
    await _assert_still_serving(raw_client)  # the very next thing received is this answer


async def test_gpo_writes_are_refused_whole_on_a_reader_without_gpos(
    raw_client: RawClient,
) -> None:
    gpo = struct.pack("!HHHB", 219, 7, 1, 0x80)
    keepalive = KeepaliveSpec(1, 50).encode()
    body = b"\x00" + keepalive + gpo
    await raw_client.send(_header(MessageType.SET_READER_CONFIG, 10 + len(body), 12) + body)
    response = await raw_client.receive()
    assert isinstance(response, StatusResponse)
    assert response.message_type == MessageType.SET_READER_CONFIG_RESPONSE
    assert response.status.code == StatusCode.M_UNSUPPORTED_PARAMETER
    with pytest.raises(TimeoutError):  # the keepalive part was not applied either
        async with asyncio.timeout(0.3):
            await raw_client.reader.read(1)


async def test_rospec_id_zero_enables_every_rospec(raw_client: RawClient) -> None:
    for rospec_id in (1, 2):
        await raw_client.send(AddROSpec(ROSpec(rospec_id), rospec_id))
        await _expect_ok(raw_client, MessageType.ADD_ROSPEC_RESPONSE)
    await raw_client.send(ROSpecCommand(MessageType.ENABLE_ROSPEC, 3, 0))
    await _expect_ok(raw_client, MessageType.ENABLE_ROSPEC_RESPONSE)
    await raw_client.send(EmptyMessage(MessageType.GET_ROSPECS, 4))
    listing = await raw_client.receive()
    assert isinstance(listing, GetROSpecsResponse)
    assert [(r.rospec_id, r.current_state) for r in listing.rospecs] == [
        (1, ROSpecState.INACTIVE),
        (2, ROSpecState.INACTIVE),
    ]


async def test_a_truncated_request_gets_its_response_with_a_field_error(
    raw_client: RawClient,
) -> None:
    await raw_client.send(_header(MessageType.START_ROSPEC, 12, 8) + b"\x00\x01")
    response = await raw_client.receive()
    assert isinstance(response, StatusResponse)
    assert response.message_type == MessageType.START_ROSPEC_RESPONSE
    assert (response.message_id, response.status.code) == (8, StatusCode.M_FIELD_ERROR)
    await _assert_still_serving(raw_client)


async def test_an_impossible_length_closes_that_connection_but_not_the_reader(
    simulator: ReaderSimulator, raw_client: RawClient
) -> None:
    await raw_client.send(_header(MessageType.KEEPALIVE_ACK, 4, 9))
    error = await raw_client.receive()
    assert isinstance(error, StatusResponse)
    assert (error.message_id, error.status.code) == (9, StatusCode.M_FIELD_ERROR)
    goodbye = await raw_client.receive()
    assert isinstance(goodbye, ReaderEventNotification)
    assert goodbye.connection_closed
    async with asyncio.timeout(STEP_S):
        assert await raw_client.reader.read() == b""

    reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
    fresh = RawClient(reader, writer)
    assert isinstance(await fresh.receive(), ReaderEventNotification)
    await _assert_still_serving(fresh)
    writer.close()
    await writer.wait_closed()


async def _expect_ok(client: RawClient, kind: MessageType) -> None:
    response = await client.receive_non_keepalive()
    assert isinstance(response, StatusResponse)
    assert (response.message_type, response.status.code) == (kind, StatusCode.M_SUCCESS)


async def test_reports_flow_only_while_the_rospec_is_started(
    simulator: ReaderSimulator, raw_client: RawClient
) -> None:
    await raw_client.send(AddROSpec(ROSpec(5, antenna_ids=(1,)), 1))
    await _expect_ok(raw_client, MessageType.ADD_ROSPEC_RESPONSE)
    await raw_client.send(ROSpecCommand(MessageType.ENABLE_ROSPEC, 2, 5))
    await _expect_ok(raw_client, MessageType.ENABLE_ROSPEC_RESPONSE)
    simulator.see(EPC_A, antenna=1, rssi_dbm=-40)
    await asyncio.sleep(0.1)
    assert simulator.held_sightings == 1  # enabled but not started: nothing is read yet

    await raw_client.send(ROSpecCommand(MessageType.START_ROSPEC, 3, 5))
    await _expect_ok(raw_client, MessageType.START_ROSPEC_RESPONSE)
    report = await raw_client.receive_non_keepalive()
    assert isinstance(report, ROAccessReport)
    assert [tag.epc.hex() for tag in report.tag_reports] == [EPC_A]
    assert report.tag_reports[0].antenna_id == 1

    await raw_client.send(ROSpecCommand(MessageType.STOP_ROSPEC, 4, 5))
    await _expect_ok(raw_client, MessageType.STOP_ROSPEC_RESPONSE)
    simulator.see(EPC_B, antenna=1, rssi_dbm=-40)
    await asyncio.sleep(0.1)
    assert simulator.held_sightings == 1


async def test_an_rospec_with_a_duration_stops_reading_on_its_own(
    simulator: ReaderSimulator, raw_client: RawClient
) -> None:
    rospec = ROSpec(6, stop_trigger=StopTrigger.DURATION, duration_ms=100)
    await raw_client.send(AddROSpec(rospec, 1))
    await _expect_ok(raw_client, MessageType.ADD_ROSPEC_RESPONSE)
    for kind, message_id in ((MessageType.ENABLE_ROSPEC, 2), (MessageType.START_ROSPEC, 3)):
        await raw_client.send(ROSpecCommand(kind, message_id, 6))
        await _expect_ok(raw_client, RESPONSE_TYPES[kind])
    assert simulator.inventorying

    await asyncio.sleep(0.3)
    simulator.see(EPC_A, antenna=2, rssi_dbm=-40)
    await asyncio.sleep(0.1)
    assert not simulator.inventorying
    assert simulator.held_sightings == 1


async def test_starting_an_rospec_that_was_never_added_is_refused(
    raw_client: RawClient,
) -> None:
    await raw_client.send(ROSpecCommand(MessageType.START_ROSPEC, 3, 99))
    response = await raw_client.receive()
    assert isinstance(response, StatusResponse)
    assert response.status.code == StatusCode.A_INVALID


async def test_keepalives_arrive_on_the_interval_the_client_configured(
    raw_client: RawClient,
) -> None:
    await raw_client.send(SetReaderConfig(False, KeepaliveSpec(1, 50), None, 6))
    response = await raw_client.receive()
    assert isinstance(response, StatusResponse)
    assert response.status.ok

    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(3):
        keepalive = await raw_client.receive()
        assert keepalive == EmptyMessage(MessageType.KEEPALIVE, keepalive.message_id)
        await raw_client.send(EmptyMessage(MessageType.KEEPALIVE_ACK, keepalive.message_id))
    assert 0.1 <= loop.time() - started < 2.0


async def test_close_connection_is_answered_then_the_reader_hangs_up(
    raw_client: RawClient,
) -> None:
    await raw_client.send(EmptyMessage(MessageType.CLOSE_CONNECTION, 31))
    response = await raw_client.receive()
    assert response == StatusResponse(MessageType.CLOSE_CONNECTION_RESPONSE, 31)
    async with asyncio.timeout(STEP_S):
        assert await raw_client.reader.read() == b""


async def test_reader_config_names_the_reader_and_its_antennas(raw_client: RawClient) -> None:
    await raw_client.send(GetReaderConfig(0, 0, 0, 0, 40))
    config = await raw_client.receive()
    assert isinstance(config, GetReaderConfigResponse)
    assert config.identification is not None
    assert config.identification.reader_id == b"dock-03"
    assert [antenna.antenna_id for antenna in config.antennas] == [1, 2]


async def test_stopping_the_simulator_announces_the_close_to_clients(
    simulator: ReaderSimulator, raw_client: RawClient
) -> None:
    port = simulator.port
    await simulator.stop()
    goodbye = await raw_client.receive()
    assert isinstance(goodbye, ReaderEventNotification)
    assert goodbye.connection_closed
    async with asyncio.timeout(STEP_S):
        assert await raw_client.reader.read() == b""
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_frozen_reader_stops_keepalives_but_keeps_the_socket_open(
    simulator: ReaderSimulator, raw_client: RawClient
) -> None:
    await raw_client.send(SetReaderConfig(False, KeepaliveSpec(1, 200), None, 6))
    await _expect_ok(raw_client, MessageType.SET_READER_CONFIG_RESPONSE)
    assert (await raw_client.receive()).message_type == MessageType.KEEPALIVE

    assert simulator.freeze_connections() == 1
    simulator.see(EPC_A, antenna=1, rssi_dbm=-40)
    silence = raw_client.reader.read(1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):  # 2.5 keepalive intervals
            await silence
    assert simulator.connected_clients == 1
    assert simulator.held_sightings == 1
