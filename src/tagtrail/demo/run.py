"""`tagtrail demo`: a day of the crate loop through the real pieces, compared with its truth.

Processes as in production: the consumer and the API run as `tagtrail consume` and
`tagtrail api`. In this process: one LLRP reader simulator per dock door, read by the LLRP
adapter; a handheld scanner app calling the API; the sweeper, on the scenario's clock; and a
recovery bench operator working the cases the sweep opens for returned crates, through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from ingest.publisher import Publisher
from readers.llrp.fleet import ReaderFleet
from readers.llrp.target import ReaderTarget
from simulators.handheld import HandheldDevice
from simulators.llrp.server import ReaderSimulator
from simulators.recovery_bench import BenchOperator
from simulators.scenario import Day, DemoScenario, Expected
from simulators.world import World
from tagtrail.demo.figures import recovery_figures, value_stream_figures
from tagtrail.demo.playback import (
    CountingSink,
    Playback,
    api_client,
    play_day,
    settle,
    sweep_two_clocks,
)
from tagtrail.demo.report import summarise
from tagtrail.demo.setup import (
    apply_site_file,
    fresh_demo_settings,
    make_keys,
    seed_network,
    write_site_file,
)
from tagtrail.settings import Settings

Step = Callable[[str], None]
Progress = Callable[[int, int, str], None]


@dataclass
class DemoResult:
    summary: dict[str, Any]
    api_url: str
    keys: dict[str, str]
    api: subprocess.Popen[bytes]
    consumer: subprocess.Popen[bytes]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.db_url(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_TOPIC_READS": settings.topic_reads,
        "TAGTRAIL_TOPIC_DLQ": settings.topic_dlq,
        "TAGTRAIL_CONSUMER_GROUP": settings.consumer_group,
        "TAGTRAIL_TICK_S": "2",
        "TAGTRAIL_LOG_LEVEL": "WARNING",
        "TAGTRAIL_METRICS_PORT": "0",
    }


def _start(args: list[str], settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tagtrail", *args],
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _end_offsets(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options())
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic_reads, p) for p in range(settings.reads_partitions)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {tp.partition: offset for tp, offset in ends.items()}


@contextlib.asynccontextmanager
async def _readers(
    worlds: list[World], sink: CountingSink
) -> AsyncIterator[dict[str, ReaderSimulator]]:
    simulators = {
        door.reader_id: ReaderSimulator(port=0, reader_id=door.reader_id, antennas=(1, 2))
        for world in worlds
        for door in world.doors
    }
    async with contextlib.AsyncExitStack() as stack:
        for simulator in simulators.values():
            await stack.enter_async_context(simulator)
        targets = [
            ReaderTarget(reader_id=rid, host="127.0.0.1", port=s.port, antennas=(1, 2))
            for rid, s in simulators.items()
        ]
        stop = asyncio.Event()
        fleet = asyncio.create_task(ReaderFleet(targets, sink).run(stop))
        try:
            async with asyncio.timeout(60):
                await asyncio.gather(*(s.wait_for_inventory() for s in simulators.values()))
            yield simulators
        finally:
            stop.set()
            await fleet


async def _wait_api(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError("the API process exited")
        try:
            async with httpx.AsyncClient() as client:
                await client.get(f"{url}/healthz", timeout=1)
            return
        except httpx.TransportError:
            await asyncio.sleep(0.2)
    raise TimeoutError("the API did not come up")


async def run_demo(
    base: Settings, assets: int, api_port: int, hour_s: float, step: Step, progress: Progress
) -> DemoResult:
    step("preparing a fresh demo database and topics")
    settings = await fresh_demo_settings(base)
    dsn = (
        make_url(settings.db_url())
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    home = World(site_id="dc1", door_count=8, asset_count=assets, carriers=("rapid-freight",))
    other = World(
        site_id="dc2",
        door_count=2,
        asset_count=max(50, assets // 20),
        first_serial=900_000,
        customers=(),
    )
    hour = timedelta(seconds=hour_s)
    start = datetime.now(UTC) + timedelta(seconds=5)  # readers and processes are up by then
    day = DemoScenario(home, other, start, hour).play_out()
    for asset in other.assets:
        day.truth.assets[asset.id] = Expected(other.site_id, f"site:{other.site_id}", "in_service")
    truth_file = base.stack_dir / "demo" / "ground-truth.json"
    day.truth.write(truth_file)
    step(f"ground truth written to {truth_file}")
    step(
        f"seeding {len(home.assets) + len(other.assets):,} crates, {len(day.dispatches)} dispatches"
    )
    await seed_network(settings, [home, other], day.dispatches, home.site_id)
    site_file = write_site_file(base.stack_dir / "demo" / "site.yaml", [home, other])
    await apply_site_file(settings, site_file)
    step(f"site file {site_file} applied: returned crates open a recovery case")
    keys = await make_keys(settings)
    api_url = f"http://127.0.0.1:{api_port}"
    consumer = _start(["consume"], settings)
    api = _start(["api", "--port", str(api_port)], settings)
    try:
        summary = await _play(
            settings, dsn, day, start, hour, home, other, keys, api_url, api, step, progress
        )
    except BaseException:
        for process in (api, consumer):  # never leave them running behind a failed demo
            process.terminate()
            process.wait(timeout=20)
        raise
    summary["ground_truth_file"] = str(truth_file)
    return DemoResult(summary, api_url, keys, api, consumer)


async def _play(
    settings: Settings,
    dsn: str,
    day: Day,
    start: datetime,
    hour: timedelta,
    home: World,
    other: World,
    keys: dict[str, str],
    api_url: str,
    api: subprocess.Popen[bytes],
    step: Step,
    progress: Progress,
) -> dict[str, Any]:
    await _wait_api(api_url, api)
    step(
        f"API and dashboard on {api_url}; playing the day through "
        f"{len(home.doors) + len(other.doors)} LLRP readers"
    )
    engine = create_async_engine(settings.db_url())
    publisher = Publisher(settings.kafka_client_options(), settings.topic_reads)
    await publisher.start()
    sink = CountingSink(publisher)
    names = ("demo-handhelds", "demo-bench", "demo-dashboard")
    scanner, bench_client, viewer = clients = [api_client(api_url, keys[n]) for n in names]
    device = HandheldDevice(scanner, f"{home.site_id}-scanner", "demo-operator")
    bench = BenchOperator(bench_client, day.bench, by=f"bench@{home.site_id}")
    started = time.monotonic()
    try:
        async with _readers([home, other], sink) as simulators:
            ends = functools.partial(_end_offsets, settings)
            through = Playback(simulators, sink, device, bench, engine, settings, dsn, ends)
            reads = await play_day(day, start, through, progress, hour)
        step("letting the last presences close")
        await settle(settings, dsn)
        await sweep_two_clocks(engine, start + hour * 24)
        await bench.work_round(finishing=True)
        seconds = time.monotonic() - started
        rounds = bench.round_seconds
        step(
            f"the bench took {sum(bench.steps.values()):,} recovery steps through the API "
            f"in {len(rounds)} rounds (longest {max(rounds):.1f} s)"
        )
        hour_s = hour.total_seconds()
        summary = await summarise(
            dsn,
            day.truth,
            reads,
            seconds,
            recovery=await recovery_figures(viewer, hour_s),
            value_stream=await value_stream_figures(viewer, hour_s),
        )
        return {**summary, "story_hour_s": hour_s}
    finally:
        for client in clients:
            await client.aclose()
        await publisher.stop()
        await engine.dispose()
