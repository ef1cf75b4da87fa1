"""`tagtrail bench`: benchmarks that print a ratio against a raw baseline from the same run."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bench.domain import run_domain_bench
from bench.ingest import run_ingest_bench
from bench.intake import run_intake_bench
from tagtrail.bootstrap import configure_logging
from tagtrail.settings import Settings

bench_app = typer.Typer(
    no_args_is_help=True,
    help="Benchmarks on the running stack; each measures its own baseline in the same run.",
)


@bench_app.callback()
def bench_group() -> None:
    """Benchmarks on the running stack; each measures its own baseline in the same run."""


@bench_app.command("ingest")
def ingest_command(
    reads: Annotated[
        int, typer.Option(min=10_000, help="Reads in the dock stream (>= 5,000 crates anyway).")
    ] = 1_000_000,
    presences: Annotated[
        int, typer.Option(min=1_000, help="Open presences for the consumer memory figure.")
    ] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    profile: Annotated[
        Path | None, typer.Option(help="Write a cProfile of the pipeline phase here.")
    ] = None,
) -> None:
    """Baseline vs pipeline reads/s, send→visible latency at 5,000 reads/s, bytes/presence."""
    console = Console(stderr=True)

    @contextmanager
    def step(title: str) -> Iterator[None]:
        started = time.perf_counter()
        with console.status(title):
            yield
        console.log(f"{title}: {time.perf_counter() - started:.1f} s")

    settings = Settings()
    # The in-process consumer logs each batch at debug: on stderr, and only what matters.
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    figures = run_ingest_bench(settings, reads, presences, step, profile)
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for name, value in figures.items():
            console.print(f"{name:>28}  {value}")


@bench_app.command("api")
def api_command(
    duration: Annotated[float, typer.Option(min=1, help="Seconds at the offered rate.")] = 30.0,
    rate: Annotated[float, typer.Option(min=1, help="Offered requests/s (open loop).")] = 1000.0,
    saturation_s: Annotated[
        float, typer.Option(min=1, help="Seconds of the closed loop that finds the maximum.")
    ] = 10.0,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Connections of the closed loop.")
    ] = 32,
    list_share: Annotated[
        float, typer.Option(min=0, max=1, help="Share of filtered-list requests in the mix.")
    ] = 0.2,
    workers: Annotated[
        int, typer.Option(min=1, max=8, help="uvicorn workers of each app (the same for both).")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """p50/p99 at a fixed offered rate and saturation rps of `tagtrail api`, against a bare
    Starlette + asyncpg app running the same SQL, on 1M assets and 10M events."""
    from bench.api import run_api_bench  # its own module; imported when this runs

    console = Console(stderr=True)
    figures = run_api_bench(
        Settings(),
        duration,
        rate,
        saturation_s,
        concurrency,
        log=console.log,
        list_share=list_share,
        workers=workers,
    )
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for name, value in figures.items():
            if name != "phases":
                console.print(f"{name:>34}  {value}")


@bench_app.command("intake")
def intake_command(
    reads: Annotated[int, typer.Option(min=2_000, help="Reads, in 1,000-read batches.")] = 200_000,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """POST /v1/reads (1,000-read batches) vs the bare publisher, same reads, same run."""
    settings = Settings()
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    figures = asyncio.run(run_intake_bench(settings, reads, concurrency))
    _print(figures, as_json)


@bench_app.command("domain")
def domain_command(
    rows: Annotated[int, typer.Option(min=1_000, help="Registry CSV rows to import.")] = 1_000_000,
    assets: Annotated[int, typer.Option(min=1_000, help="Assets for the sweep.")] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The registry import (vs a bare COPY) and one sweep (vs a plain scan) at 1M assets."""
    settings = Settings()
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    figures = asyncio.run(run_domain_bench(settings, rows, assets))
    _print(figures, as_json)


@bench_app.command("reports")
def reports_command(
    events: Annotated[
        int, typer.Option(min=100_000, help="asset_events to seed, at least (kept database).")
    ] = 10_000_000,
    explain: Annotated[
        Path | None,
        typer.Option(help="Write EXPLAIN (ANALYZE, BUFFERS) of the value-stream query here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The value-stream, loss and recovery reports over >= 10M asset events (`vsm_10m_s`,
    goal <= 10 s) against a bare scan of the same status changes."""
    from bench.reports import run_reports_bench  # its own module; imported when this runs

    console = Console(stderr=True)
    figures = asyncio.run(run_reports_bench(Settings(), events, console.log, explain))
    _print(figures, as_json)


@bench_app.command("epcis")
def epcis_command(
    events: Annotated[
        int, typer.Option(min=10_000, help="Asset events in the exported window, at least.")
    ] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """`tagtrail epcis export` of >= 1M events (the kept `tagtrail bench api` database, read
    only) against a raw COPY of the same rows; goal ratio >= 0.25 and >= 50,000 events/s."""
    from bench.epcis import run_epcis_bench  # its own module; imported when this runs

    console = Console(stderr=True)
    figures = asyncio.run(run_epcis_bench(Settings(), events, console.log))
    _print(figures, as_json)


def _print(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(figures, default=str))
        return
    for name, value in figures.items():
        Console().print(f"{name:>28}  {value}")
