"""`python -m tagtrail consume` as its own process, as it runs in production."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bench.sandbox import consumer_env, end_offsets, wait_caught_up
from bench.stream import tick_every_partition
from tagtrail.settings import Settings


@contextlib.asynccontextmanager
async def running_consumer(settings: Settings) -> AsyncIterator[int]:
    """A consumer process that owns every partition and has applied all there is; its pid.

    Ready means: a tick sent into each partition after it started is committed in Postgres,
    so the group join, the partition restore and the caches are behind it.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tagtrail",
        "consume",
        env=consumer_env(settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await tick_every_partition(settings)
        await wait_caught_up(settings, await end_offsets(settings), timeout_s=120)
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


def resident_bytes(pid: int) -> int:
    """VmRSS of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")
