"""`tagtrail simulate llrp-reader` as a user runs it: a process serving random GRAI-96 tags."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from simulators.llrp.messages import (
    AddROSpec,
    ReaderEventNotification,
    ROAccessReport,
    ROSpecCommand,
)
from simulators.llrp.protocol import decode_message, encode_message, read_frame
from simulators.llrp.rospec import ROSpec, StartTrigger
from simulators.llrp.wire import MessageType

pytestmark = pytest.mark.timeout(60)

STEP_S = 10.0  # a fresh interpreter importing the package can take a few seconds
RUN_COMMAND = (
    "import typer; from simulators.llrp.cli import llrp_reader_command; "
    "typer.run(llrp_reader_command)"
)


async def _start(*options: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-u",
        "-c",
        RUN_COMMAND,
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def reader_process() -> AsyncIterator[asyncio.subprocess.Process]:
    process = await _start("--port", "0", "--rate", "100", "--tags", "5", "--antennas", "1,2")
    yield process
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_the_command_serves_random_grai_tags_and_stops_cleanly_on_sigterm(
    reader_process: asyncio.subprocess.Process,
) -> None:
    assert reader_process.stdout is not None
    async with asyncio.timeout(STEP_S):
        banner = (await reader_process.stdout.readline()).decode()
    found = re.search(r"on 127\.0\.0\.1:(\d+):", banner)
    assert found, banner

    reader, writer = await asyncio.open_connection("127.0.0.1", int(found.group(1)))
    async with asyncio.timeout(STEP_S):
        greeting = decode_message(await read_frame(reader) or b"")
        assert isinstance(greeting, ReaderEventNotification)
        writer.write(encode_message(AddROSpec(ROSpec(1, start_trigger=StartTrigger.IMMEDIATE), 1)))
        writer.write(encode_message(ROSpecCommand(MessageType.ENABLE_ROSPEC, 2, 1)))
        report = None
        while not isinstance(report, ROAccessReport):
            report = decode_message(await read_frame(reader) or b"")
    assert all(tag.epc[0] == 0x33 and len(tag.epc) == 12 for tag in report.tag_reports)
    assert {tag.antenna_id for tag in report.tag_reports} <= {1, 2}

    reader_process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(STEP_S):
        assert await reader_process.wait() == 0
    writer.close()
    await writer.wait_closed()


async def test_a_bad_antenna_list_is_a_one_line_error_and_exit_code_2() -> None:
    process = await _start("--antennas", "1,x")
    async with asyncio.timeout(STEP_S):
        _, stderr = await process.communicate()
    assert process.returncode == 2
    assert "--antennas" in stderr.decode()
