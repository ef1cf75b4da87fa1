"""e2e fixtures: tagtrail processes started as a user would start them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from e2e_harness import RunningApi, free_port, process_env, wait_healthy
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import new_key
from tagtrail.settings import Settings
from tracker.store.keys import insert_key


@pytest.fixture(scope="session")
async def admin_key(engine: AsyncEngine) -> str:
    key_id, full_key, digest = new_key()
    async with engine.begin() as conn:
        await insert_key(conn, key_id, "e2e-admin", digest, ["admin"], None)
    return full_key


@pytest.fixture(scope="module")
def running_api(settings: Settings, admin_key: str) -> Iterator[RunningApi]:
    """`tagtrail api` on a free loopback port, against this session's database and topics."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tagtrail", "api", "--port", str(port)],
        env=process_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield RunningApi(base_url, admin_key, process)
    finally:
        process.terminate()
        process.wait(timeout=15)
