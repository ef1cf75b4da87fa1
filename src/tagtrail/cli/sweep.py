"""`tagtrail sweep`: the time-based alert rules, every N seconds, until SIGTERM / Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from datetime import UTC, datetime
from typing import Annotated

import structlog
import typer
import uvloop
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tagtrail.bootstrap import configure_logging, create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.settings import Settings
from tracker.sweep import SweepReport, sweep

log = structlog.get_logger("tagtrail.sweep")


def log_report(report: SweepReport, elapsed_s: float) -> None:
    counts = {
        f"{outcome.kind.value}.{field}": getattr(outcome, field)
        for outcome in report.outcomes
        for field in ("candidates", "status_changed", "alerts_raised")
    }
    log.info(
        "swept",
        elapsed_s=round(elapsed_s, 3),
        alerts_raised=report.alerts_raised,
        alerts_resolved=report.alerts_resolved,
        status_changed=report.status_changed,
        recovery_cases_opened=report.recovery.cases_opened,
        **counts,
    )


async def sweep_once(engine: AsyncEngine) -> SweepReport:
    started = time.perf_counter()
    async with engine.connect() as conn:
        report = await sweep(conn, datetime.now(UTC))
    log_report(report, time.perf_counter() - started)
    return report


async def run_sweeper(settings: Settings, stop: asyncio.Event, *, once: bool, every: float) -> int:
    """The loop; returns the exit code. A sweep in progress always finishes (each rule commits
    on its own), so a stop request never leaves half a rule applied."""
    engine = create_engine(settings)
    try:
        while not stop.is_set():
            try:
                await sweep_once(engine)
            except (DBAPIError, OSError) as exc:
                # PostgreSQL restarting or failing over: the next sweep retries from scratch.
                log.error("sweep failed", error=str(exc).splitlines()[0])
                if once:
                    return 1
            if once:
                break
            # Wakes at once on SIGTERM instead of finishing the wait.
            await _wait(stop, every)
    finally:
        await engine.dispose()
    return 0


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def sweep_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Sweep once and exit.")] = False,
    every: Annotated[float, typer.Option(help="Seconds between sweeps.")] = 30.0,
) -> None:
    """Raise the time-based alerts (overdue_return, not_seen, lost, service and life) and open
    recovery cases for returns whose asset type asks for one; any number may run at once."""
    if not every > 0:
        fail(f"--every must be a positive number of seconds, got {every}")
    settings = settings_from(ctx)
    configure_logging(settings)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("sweeper starting", every_s=every, once=once)
        code = await run_sweeper(settings, stop, once=once, every=every)
        log.info("sweeper stopped")
        return code

    code = uvloop.run(main())
    if code:
        raise typer.Exit(code)
