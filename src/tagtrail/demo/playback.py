"""Plays the day hour by hour: door reads through LLRP reader simulators and the LLRP
adapter, handheld check-ins through the API, a sweep after each hour, and the recovery bench
working the cases the sweep opened, beside the docks.

Clocks. The scenario's times are wall-clock times of a compressed day (a story hour lasts
`hour_length`; the day starts a few seconds after the demo does), and a read is reported when
the wall clock reaches its time, never before; reads whose time passed while the sweep ran are
reported at once, as a reader catching up. So the readers, the consumer's idle ticks and the
API — which stamps every bench step with its own clock — keep one clock. The sweep's alert
rules run on the scenario's clock lagging `SWEEP_LAG_HOURS` (a door visit is decided only
after `absence_s` of silence, and a return must not look overdue meanwhile); its recovery
intake runs on the wall clock, so a case is stamped when it opened, not hours earlier at the
return (`sweep_two_clocks`). Turnaround (intake → done) is then the bench's own time, and the
value stream's time in recovery runs from the return (the door visit being decided, about
`absence_s`, plus the wait for the hourly sweep and the bench) to the redeployment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.publisher import Publisher
from ingest.tagread import TagRead
from simulators.handheld import HandheldDevice
from simulators.llrp.server import ReaderSimulator
from simulators.llrp_playback import play
from simulators.recovery_bench import BenchOperator
from simulators.scenario import Day
from tagtrail.settings import Settings
from tracker.sweep import sweep

Progress = Callable[[int, int, str], None]
DROP_HOUR = 9  # a dock reader loses its connection during this hour
# The sweeper's clock trails the readers by this many story hours: a door visit is decided
# only after `absence_s` of silence, and a return must not look overdue meanwhile.
SWEEP_LAG_HOURS = 3


class CountingSink:
    """The adapter's publisher, counting what Kafka acknowledged."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.acked = 0

    async def publish(self, reads: Sequence[TagRead]) -> None:
        await self.publisher.publish(reads)
        self.acked += len(reads)


async def _stored_and_ends(dsn: str, settings: Settings, ends: dict[int, int]) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 "
            "AND topic = $2",
            settings.consumer_group,
            settings.topic_reads,
        )
    finally:
        await conn.close()
    stored = {r["partition"]: r["next_offset"] for r in rows}
    return all(stored.get(p, 0) >= o for p, o in ends.items() if o > 0)


async def wait_applied(
    settings: Settings,
    dsn: str,
    sink: CountingSink,
    expected: int,
    end_offsets: Callable[[], object],
    timeout_s: float = 120,
) -> None:
    """Until the adapter published every read handed to it and the consumer applied all."""
    deadline = time.monotonic() + timeout_s
    while sink.acked < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the LLRP adapter published {sink.acked} of {expected} reads")
        await asyncio.sleep(0.1)
    ends = await end_offsets()  # type: ignore[misc]
    while not await _stored_and_ends(dsn, settings, ends):
        if time.monotonic() > deadline:
            raise TimeoutError("the consumer did not catch up")
        await asyncio.sleep(0.2)


@dataclass
class Playback:
    """Everything the day is played through."""

    simulators: dict[str, ReaderSimulator]
    sink: CountingSink
    device: HandheldDevice
    bench: BenchOperator
    engine: AsyncEngine
    settings: Settings
    dsn: str
    end_offsets: Callable[[], object]


async def _until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def play_on_time(reads: Sequence[TagRead], simulators: dict[str, ReaderSimulator]) -> int:
    """Each read reported when the wall clock reaches its time; those already due at once."""
    now = datetime.now(UTC)
    due = [r for r in reads if r.seen_at <= now]
    ahead = [r for r in reads if r.seen_at > now]
    played = await play(due, simulators)
    if ahead:
        await _until(ahead[0].seen_at)
        played += await play(ahead, simulators, speed=1.0)
    return played


async def sweep_two_clocks(engine: AsyncEngine, scenario_now: datetime) -> None:
    """`tracker.sweep.sweep` with the rules on the scenario's lagging clock (a door visit still
    being decided must not look overdue) and the recovery intake on the wall clock. Opening a
    case judges no deadline, it stamps when the case opened: with the lagging clock that stamp
    would be the return's own time, hours of the compressed day before the case existed for
    the bench, and every turnaround would include them."""
    async with engine.connect() as conn:
        await sweep(conn, scenario_now, intake_now=datetime.now(UTC))


async def play_day(
    day: Day, start: datetime, through: Playback, progress: Progress, hour_length: timedelta
) -> int:
    """Each story hour's reads reach the readers at the pace they happened (real time)."""
    played = 0
    bench: asyncio.Task[int] | None = None
    try:
        for hour in range(24):
            low, high = start + hour_length * hour, start + hour_length * (hour + 1)
            if hour == DROP_HOUR:
                through.simulators[next(iter(through.simulators))].drop_connections()
            played += await play_on_time(
                [r for r in day.reads if low <= r.seen_at < high], through.simulators
            )
            for scan in (s for s in day.scans if low <= s.at < high):
                await through.device.scan(scan.asset.epc_uri, scan.action, at=scan.at)
            await _until(high)
            await wait_applied(
                through.settings, through.dsn, through.sink, played, through.end_offsets
            )
            await sweep_two_clocks(
                through.engine, start + hour_length * (hour + 1 - SWEEP_LAG_HOURS)
            )
            bench = _next_bench_round(bench, through.bench)
            steps = sum(through.bench.steps.values())
            progress(hour + 1, 24, f"{played:,} reads, {steps:,} recovery steps")
        if bench is not None:
            await bench
    finally:
        if bench is not None and not bench.done():
            bench.cancel()
    return played


def _next_bench_round(
    running: asyncio.Task[int] | None, operator: BenchOperator
) -> asyncio.Task[int] | None:
    """The bench works beside the docks, not in their way: a round runs while the next hour
    plays (a round that held the readers up would make their reads late — the consumer's idle
    ticks move event time on meanwhile). A bench still busy picks new cases up next round."""
    if running is not None and not running.done():
        return running
    if running is not None:
        running.result()  # a round that failed fails the demo
    return asyncio.create_task(operator.work_round())


async def settle(settings: Settings, dsn: str, timeout_s: float = 120) -> None:
    """After the day: idle ticks let every presence and door visit close."""
    deadline = time.monotonic() + timeout_s
    while True:
        conn = await asyncpg.connect(dsn)
        try:
            open_windows = await conn.fetchval(
                "SELECT count(*) FROM presences WHERE group_id = $1", settings.consumer_group
            )
        finally:
            await conn.close()
        if open_windows == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{open_windows} presences still open")
        await asyncio.sleep(0.5)


def api_client(api_url: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=api_url, timeout=10, headers={"Authorization": f"Bearer {key}"}
    )
