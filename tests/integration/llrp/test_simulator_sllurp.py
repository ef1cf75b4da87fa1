"""The LLRP reader simulator over real TCP on loopback, with sllurp as the client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig

from simulators.llrp.server import ReaderSimulator

pytestmark = pytest.mark.timeout(60)

STEP_S = 5.0  # no single wait in these tests should take more than this
EPC_A = "303401e9e0000000000012ab"
EPC_B = "303401e9e0000000000012ac"
EPC_C = "303401e9e0000000000012ad"
REPORT_FIELDS = {
    "EnableAntennaID": True,
    "EnablePeakRSSI": True,
    "EnableFirstSeenTimestamp": True,
    "EnableTagSeenCount": True,
}


@pytest.fixture
async def simulator() -> AsyncIterator[ReaderSimulator]:
    async with ReaderSimulator("127.0.0.1", 0, "dock-03", antennas=(1, 2)) as reader:
        yield reader


class SllurpReader:
    """sllurp's client in its own thread, with every tag it reports handed to the loop."""

    def __init__(self, port: int, reconnect: bool = False) -> None:
        self.tags: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        config = LLRPReaderConfig(
            {
                "antennas": [1, 2],
                "tag_content_selector": REPORT_FIELDS,
                "reconnect": reconnect,
                "keepalive_interval": 1000,
            }
        )
        self.client = LLRPReaderClient("127.0.0.1", port, config, timeout=STEP_S)

        def on_tags(_reader: LLRPReaderClient, tags: list[dict[str, Any]]) -> None:
            for tag in tags:  # runs on sllurp's thread: hand over, never touch the queue here
                loop.call_soon_threadsafe(self.tags.put_nowait, tag)

        self.client.add_tag_report_callback(on_tags)

    async def next_tag(self) -> dict[str, Any]:
        async with asyncio.timeout(STEP_S):
            return await self.tags.get()

    async def close(self) -> None:
        # Not disconnect(): called from outside sllurp's thread it registers its callback
        # after sending DELETE_ACCESSSPEC, and a reader that answers quickly (this one)
        # can beat it, leaving the polite stop waiting for its full timeout.
        self.client.hard_disconnect()
        await asyncio.to_thread(self.client.join, STEP_S)
        assert not self.client.is_alive()


SllurpConnect = Callable[..., Awaitable[SllurpReader]]


@pytest.fixture
async def sllurp_factory() -> AsyncIterator[SllurpConnect]:
    started: list[SllurpReader] = []

    async def connect(port: int, reconnect: bool = False) -> SllurpReader:
        reader = SllurpReader(port, reconnect)
        started.append(reader)
        await asyncio.to_thread(reader.client.connect)
        return reader

    yield connect
    for reader in started:
        await reader.close()


async def test_sllurp_receives_seen_tags_with_epc_antenna_rssi_first_seen_and_count(
    simulator: ReaderSimulator, sllurp_factory: SllurpConnect
) -> None:
    sllurp = await sllurp_factory(simulator.port)
    async with asyncio.timeout(STEP_S):
        await simulator.wait_for_inventory()
    first_seen = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)

    simulator.see(EPC_A, antenna=2, rssi_dbm=-51, count=3, first_seen=first_seen)
    simulator.see(EPC_B, antenna=1, rssi_dbm=-67.4, count=1, first_seen=first_seen)

    tags = [await sllurp.next_tag(), await sllurp.next_tag()]
    assert [tag["EPC"].decode() for tag in tags] == [EPC_A, EPC_B]
    assert [tag["AntennaID"] for tag in tags] == [2, 1]
    assert [tag["PeakRSSI"] for tag in tags] == [-51, -67]
    assert [tag["TagSeenCount"] for tag in tags] == [3, 1]
    assert {tag["FirstSeenTimestampUTC"] for tag in tags} == {
        int(first_seen.timestamp()) * 1_000_000 + 123456
    }


async def test_tags_seen_while_the_link_is_down_arrive_after_sllurp_reconnects(
    simulator: ReaderSimulator, sllurp_factory: SllurpConnect
) -> None:
    sllurp = await sllurp_factory(simulator.port, reconnect=True)
    async with asyncio.timeout(STEP_S):
        await simulator.wait_for_inventory()
    simulator.see(EPC_A, antenna=1, rssi_dbm=-50)
    assert (await sllurp.next_tag())["EPC"].decode() == EPC_A

    assert simulator.drop_connections() == 1
    simulator.see(EPC_B, antenna=1, rssi_dbm=-55)  # nobody is inventorying: held
    assert simulator.held_sightings == 1

    assert (await sllurp.next_tag())["EPC"].decode() == EPC_B
    assert simulator.connected_clients == 1
    simulator.see(EPC_C, antenna=2, rssi_dbm=-60)
    assert (await sllurp.next_tag())["EPC"].decode() == EPC_C
