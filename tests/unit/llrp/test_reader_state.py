"""How the simulated reader answers each request, without a socket."""

from __future__ import annotations

import pytest

from simulators.llrp.messages import (
    EmptyMessage,
    GetReaderConfig,
    GetReaderConfigResponse,
    SetReaderConfig,
    StatusResponse,
)
from simulators.llrp.parameters import KeepaliveSpec, ReportContent
from simulators.llrp.reader_state import ConfigData, ReaderSettings, ReaderState
from simulators.llrp.wire import MessageType, StatusCode


@pytest.fixture
def state() -> ReaderState:
    return ReaderState(ReaderSettings("dock-07", (1, 2)))


def test_reader_config_returns_only_what_was_asked_for(state: ReaderState) -> None:
    state.answer(SetReaderConfig(False, KeepaliveSpec(1, 5000), None, 1))
    [only_keepalive] = state.answer(GetReaderConfig(0, ConfigData.KEEPALIVE_SPEC, 0, 0, 2))
    assert isinstance(only_keepalive, GetReaderConfigResponse)
    assert only_keepalive.keepalive == KeepaliveSpec(1, 5000)
    assert (only_keepalive.identification, only_keepalive.antennas) == (None, ())

    [one_antenna] = state.answer(GetReaderConfig(2, ConfigData.ALL, 0, 0, 3))
    assert isinstance(one_antenna, GetReaderConfigResponse)
    assert [a.antenna_id for a in one_antenna.antennas] == [2]


def test_factory_reset_drops_earlier_settings_before_applying_new_ones(
    state: ReaderState,
) -> None:
    state.answer(SetReaderConfig(False, KeepaliveSpec(1, 5000), ReportContent(rospec_id=True), 1))
    [response] = state.answer(SetReaderConfig(True, None, None, 2))
    assert response == StatusResponse(MessageType.SET_READER_CONFIG_RESPONSE, 2)
    assert (state.keepalive.periodic, state.report_content) == (False, ReportContent())


def test_close_connection_is_acknowledged_and_remembered(state: ReaderState) -> None:
    [response] = state.answer(EmptyMessage(MessageType.CLOSE_CONNECTION, 9))
    assert response == StatusResponse(MessageType.CLOSE_CONNECTION_RESPONSE, 9)
    assert state.close_requested


def test_reader_side_messages_sent_by_a_client_are_refused(state: ReaderState) -> None:
    [response] = state.answer(EmptyMessage(MessageType.KEEPALIVE, 4))
    assert isinstance(response, StatusResponse)
    assert response.message_type == MessageType.ERROR_MESSAGE
    assert response.status.code == StatusCode.M_UNSUPPORTED_MESSAGE
