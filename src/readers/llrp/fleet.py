"""Many readers in one process: one adapter each, one Kafka publisher, one health writer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from readers.llrp.adapter import LlrpAdapter
from readers.llrp.forwarding import ForwardingLimits, ReadSink
from readers.llrp.health import HealthReporter
from readers.llrp.target import ReaderTarget

log = logging.getLogger(__name__)


class ReaderFleet:
    def __init__(
        self,
        targets: Sequence[ReaderTarget],
        sink: ReadSink,
        health_engine: AsyncEngine | None = None,
        health_interval_s: float = 5.0,
        limits: ForwardingLimits | None = None,
    ) -> None:
        self.adapters = [LlrpAdapter(target, sink, limits) for target in targets]
        self._health = HealthReporter(
            [adapter.health for adapter in self.adapters], health_engine, health_interval_s
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`; then every reader is stopped and disconnected, its waiting reads
        published, and its health written once more (disconnected)."""
        health_stop = asyncio.Event()
        health = asyncio.create_task(self._health.run(health_stop))
        try:
            await asyncio.gather(*(_run_one(adapter, stop) for adapter in self.adapters))
        finally:
            health_stop.set()
            await health
            await self._health.report()


async def _run_one(adapter: LlrpAdapter, stop: asyncio.Event) -> None:
    # One reader's bug must not take the other doors down with it.
    try:
        await adapter.run(stop)
    except Exception:
        log.exception("reader %s: adapter failed; its reads stop", adapter.target.reader_id)
