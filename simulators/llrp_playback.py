"""Plays a dock-door scenario through LLRP reader simulators: each door's reads are reported
by that door's simulated reader, on the antenna and with the RSSI and first-seen time the
scenario gave them. `speed` compresses the scenario's time (0: as fast as possible)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping

from ingest.tagread import TagRead
from simulators.llrp.server import ReaderSimulator
from simulators.llrp.sightings import make_sighting


async def play(
    reads: Iterable[TagRead],
    simulators: Mapping[str, ReaderSimulator],
    speed: float = 0.0,
    step_s: float = 0.05,
) -> int:
    """Report every read of a reader we simulate; returns how many were handed over."""
    ordered = sorted((r for r in reads if r.reader_id in simulators), key=lambda r: r.seen_at)
    if not ordered:
        return 0
    started_at, started = ordered[0].seen_at, time.monotonic()
    pending: dict[str, list[TagRead]] = defaultdict(list)
    for read in ordered:
        if speed > 0:
            due = (read.seen_at - started_at).total_seconds() / speed
            if due - (time.monotonic() - started) > step_s:
                _flush(pending, simulators)
                await asyncio.sleep(due - (time.monotonic() - started))
        pending[read.reader_id].append(read)
    _flush(pending, simulators)
    return len(ordered)


def _flush(pending: dict[str, list[TagRead]], simulators: Mapping[str, ReaderSimulator]) -> None:
    for reader_id, reads in pending.items():
        simulators[reader_id].see_many(
            make_sighting(
                r.tag, r.antenna or 1, r.rssi if r.rssi is not None else -60.0, r.count, r.seen_at
            )
            for r in reads
        )
    pending.clear()
