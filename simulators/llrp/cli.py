"""`tagtrail simulate llrp-reader`: a standalone simulated reader seeing random GRAI-96 tags."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from typing import Annotated

import typer

from simulators.llrp.server import LLRP_PORT, ReaderSimulator
from simulators.llrp.sightings import random_grai96, random_sighting

TICK_S = 0.05  # sightings are queued in small batches so high rates cost few wakeups


def llrp_reader_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (LLRP's is 5084).")] = LLRP_PORT,
    reader_id: Annotated[str, typer.Option(help="Reader identity it reports.")] = "sim-1",
    tags: Annotated[int, typer.Option(help="How many distinct tags are about.")] = 50,
    rate: Annotated[float, typer.Option(help="Tag reports per second.")] = 20.0,
    antennas: Annotated[str, typer.Option(help="Antenna numbers, comma-separated.")] = "1,2",
    drop_every: Annotated[
        float, typer.Option(help="Drop every client connection every N seconds (0 = never).")
    ] = 0,
) -> None:
    """Run a simulated LLRP reader until Ctrl-C or SIGTERM."""
    antenna_ids = _parse_antennas(antennas)
    if tags < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--tags")
    if rate <= 0:
        raise typer.BadParameter("must be above 0", param_hint="--rate")
    if drop_every < 0:
        raise typer.BadParameter("must be 0 (never) or more", param_hint="--drop-every")
    if not 0 <= port <= 0xFFFF:
        raise typer.BadParameter("must be 0..65535", param_hint="--port")
    # Hold at most a minute of reports for a client that is not there: enough to show
    # that nothing seen during a reconnect is lost, without a flood after a long absence.
    held_limit = max(1000, int(rate * 60))
    simulator = ReaderSimulator(host, port, reader_id, antenna_ids, held_limit)
    asyncio.run(_run(simulator, tags, rate, antenna_ids, drop_every))


def _parse_antennas(antennas: str) -> tuple[int, ...]:
    try:
        antenna_ids = tuple(int(part) for part in antennas.split(",") if part.strip())
    except ValueError:
        message = f"{antennas!r} is not a list like 1,2"
        raise typer.BadParameter(message, param_hint="--antennas") from None
    if not antenna_ids or not all(1 <= a <= 0xFFFF for a in antenna_ids):
        raise typer.BadParameter("antenna numbers are 1..65535", param_hint="--antennas")
    return antenna_ids


async def _run(
    simulator: ReaderSimulator,
    tag_count: int,
    rate: float,
    antennas: tuple[int, ...],
    drop_every: float,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await simulator.start()
    typer.echo(
        f"LLRP reader {simulator.reader_id} on {simulator.host}:{simulator.port}: "
        f"{tag_count} tags, {rate:g} reports/s, antennas {','.join(map(str, antennas))}"
    )
    workers = [asyncio.create_task(_see_random_tags(simulator, tag_count, rate, antennas))]
    if drop_every > 0:
        workers.append(asyncio.create_task(_drop_periodically(simulator, drop_every)))
    try:
        await stop.wait()
    finally:
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await simulator.stop()
        typer.echo("LLRP reader stopped")


async def _see_random_tags(
    simulator: ReaderSimulator, tag_count: int, rate: float, antennas: tuple[int, ...]
) -> None:
    rng = random.Random()
    epcs = [random_grai96(rng) for _ in range(tag_count)]
    owed = 0.0  # fractional reports carried over so any rate averages out exactly
    while True:
        await asyncio.sleep(TICK_S)
        owed += rate * TICK_S
        due = int(owed)
        owed -= due
        simulator.see_many(random_sighting(rng, epcs, antennas) for _ in range(due))


async def _drop_periodically(simulator: ReaderSimulator, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        dropped = simulator.drop_connections()
        typer.echo(f"dropped {dropped} connection(s)")
