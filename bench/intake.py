"""`tagtrail bench intake`: POST /v1/reads (1,000-read batches) against the bare publisher.

Both sides publish the same reads with the same concurrency to fresh topics of the running
Kafka, and both count a batch only once Kafka acknowledged it (the API answers 202 only
then). Each runs in a process of its own — the API as a real `tagtrail api` (uvicorn, one
worker) on loopback with the HTTP load coming from this process, the baseline as
`bench.intake_baseline` — so neither shares its core with the load generator.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from api.auth import new_key
from bench.sandbox import scratch_database, scratch_topics
from ingest.tagread import TagRead, encode_tagread_batch
from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.settings import Settings
from tracker.store.keys import insert_key

BATCH = 1_000


def intake_batches(reads: int) -> list[list[TagRead]]:
    world = World(asset_count=max(50, reads // 200), door_count=40)
    stream = list(DockScenario(world, datetime.now(UTC)).reads())[:reads]
    return [stream[i : i + BATCH] for i in range(0, len(stream), BATCH)]


def _publisher_rate(settings: Settings, bodies: Sequence[bytes], concurrency: int) -> float:
    """The bare publisher in a process of its own, like the API it is compared with."""
    with tempfile.NamedTemporaryFile(suffix=".ndjson") as file:
        file.write(b"\n".join(bodies))
        file.flush()
        done = subprocess.run(
            [sys.executable, "-m", "bench.intake_baseline", file.name, str(concurrency)],
            env=_env(settings),
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    return float(done.stdout.strip().splitlines()[-1])


async def _api_rate(
    base_url: str, key: str, bodies: Sequence[bytes], reads: int, concurrency: int
) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:

        async def post(body: bytes) -> None:
            response = await client.post("/v1/reads", content=body)
            if response.status_code != 202:
                raise RuntimeError(f"intake answered {response.status_code}: {response.text}")

        await post(bodies[0])  # warm: the producer connects on first use
        started = time.perf_counter()
        await _run_concurrently([lambda b=b: post(b) for b in bodies[1:]], concurrency)
        seconds = time.perf_counter() - started
    return (reads - reads // len(bodies)) / seconds


async def _run_concurrently(jobs: Sequence[Any], concurrency: int) -> None:
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.db_url(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_TOPIC_READS": settings.topic_reads,
        "TAGTRAIL_LOG_LEVEL": "WARNING",
    }


def _start_api(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.db_url(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_TOPIC_READS": settings.topic_reads,
        "TAGTRAIL_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tagtrail", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


async def _wait_healthy(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(150):
            try:
                await client.get("/healthz")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise TimeoutError("the API did not come up")


async def _admin_key(url: str) -> str:
    key_id, full_key, digest = new_key()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await insert_key(conn, key_id, "bench-intake", digest, ["reads:write"], None)
    finally:
        await engine.dispose()
    return full_key


async def run_intake_bench(base: Settings, reads: int, concurrency: int) -> dict[str, Any]:
    batches = intake_batches(reads)
    bodies = [encode_tagread_batch(batch) for batch in batches]
    total = sum(map(len, batches))
    async with scratch_database(base, World(asset_count=1, door_count=1)) as url:
        key = await _admin_key(url)
        async with scratch_topics(base, url, "intake-base") as raw:
            baseline = await asyncio.to_thread(_publisher_rate, raw, bodies, concurrency)
        async with scratch_topics(base, url, "intake-api") as settings:
            process, base_url = _start_api(settings)
            try:
                await _wait_healthy(base_url)
                intake = await _api_rate(base_url, key, bodies, total, concurrency)
            finally:
                process.terminate()
                process.wait(timeout=30)
    return {
        "reads_per_s": round(intake),
        "baseline_reads_per_s": round(baseline),
        "ratio": round(intake / baseline, 3),
        "reads": total,
        "batch": BATCH,
        "concurrency": concurrency,
        "api_workers": 1,
    }
