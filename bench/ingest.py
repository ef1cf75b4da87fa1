"""`tagtrail bench ingest`: every figure of the ingest benchmark, measured in one run.

The baseline and the pipeline read the same topic, so their ratio cancels out what this
machine, its broker and its disk add to both.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvloop

from bench.consumer_process import running_consumer
from bench.latency import measure_latency
from bench.presence_memory import measure_presence_memory, smoother_breakdown
from bench.sandbox import end_offsets, scratch_database, scratch_topics
from bench.stream import DOORS, READS_PER_ASSET, T0, dock_world, encoded_reads, publish_all
from bench.throughput import baseline_rate, pipeline_rate
from simulators.world import World
from tagtrail.settings import Settings

# Enters a context that reports one step's progress (the CLI shows it with rich).
Step = Callable[[str], AbstractContextManager[None]]
LATENCY_RATE = 5_000.0
LATENCY_SECONDS = 25.0


def run_ingest_bench(
    base: Settings,
    reads: int,
    presences: int,
    step: Step,
    profile_to: Path | None = None,
) -> dict[str, Any]:
    # uvloop, as `tagtrail consume` runs: the in-process pipeline must match the real one.
    return uvloop.run(_run(base, reads, presences, step, profile_to))


async def _run(
    base: Settings, reads: int, presences: int, step: Step, profile_to: Path | None
) -> dict[str, Any]:
    started = time.perf_counter()
    world = dock_world(reads)
    with step(f"generating the dock stream ({world.asset_count:,} crates, {DOORS} doors)"):
        records = encoded_reads(world, T0)
    figures: dict[str, Any] = {
        "reads": len(records),
        "assets": world.asset_count,
        "doors": DOORS,
        "partitions": base.reads_partitions,
        # Others' work on this box shows up here: the figures are only as steady as this.
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    async with (
        scratch_database(base, world) as url,
        scratch_topics(base, url, "ingest") as settings,
    ):
        with step(f"publishing {len(records):,} reads"):
            await publish_all(settings, records)
        del records
        ends = await end_offsets(settings)
        figures |= await _throughput(settings, ends, step, profile_to)
        figures |= await _latency(settings, step)
    figures |= await _memory(base, presences, step)
    figures |= {
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return figures


async def _memory(base: Settings, presences: int, step: Step) -> dict[str, Any]:
    with step(f"consumer RSS at {presences:,} open presences"):
        memory = await measure_presence_memory(base, presences)
    with step("the smoother's and the tag cache's shares, in a process of their own"):
        shares = await smoother_breakdown(presences)
    return {
        "bytes_per_presence": round(memory.bytes_per_presence, 1),
        "bytes_per_presence_method": (
            "the real consumer process (python -m tagtrail consume): VmRSS growth while it"
            " applies one zone read per registered tag, / presences rows it then holds"
        ),
        "presences": memory.presences,
        "consumer_rss_before_mb": round(memory.rss_before / 2**20, 1),
        "consumer_rss_after_mb": round(memory.rss_after / 2**20, 1),
        **shares,
    }


async def _throughput(
    settings: Settings, ends: dict[int, int], step: Step, profile_to: Path | None
) -> dict[str, Any]:
    with step("baseline: getmany + TagRead decode"):
        baseline = await baseline_rate(settings, ends)
    with step("pipeline: the consumer until Postgres holds every end offset"):
        pipeline = await pipeline_rate(settings, ends, profile_to)
    return {
        "baseline_reads_per_s": round(baseline),
        "pipeline_reads_per_s": round(pipeline),
        "ratio": round(pipeline / baseline, 3),
    }


async def _latency(settings: Settings, step: Step) -> dict[str, Any]:
    wanted = int(LATENCY_RATE * LATENCY_SECONDS)
    # The first crates of the same world pass the doors again, now in wall-clock time.
    world = World(asset_count=math.ceil(wanted / READS_PER_ASSET) + 100, door_count=DOORS)
    live = encoded_reads(world, datetime.now(UTC), seed=11)[:wanted]
    with step(f"latency: {LATENCY_RATE:,.0f} reads/s for {LATENCY_SECONDS:.0f} s"):
        async with running_consumer(settings):
            latency = await measure_latency(settings, live, LATENCY_RATE)
    return {
        "latency_p50_ms": round(latency.p50_ms, 1),
        "latency_p99_ms": round(latency.p99_ms, 1),
        "latency_samples": latency.samples,
        "latency_offered_reads_per_s": round(latency.offered_per_s),
    }
