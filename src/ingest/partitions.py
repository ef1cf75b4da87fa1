"""Loading a partition's position and smoother state from Postgres (with retries)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.offsets import load_positions, load_presence_rows
from ingest.pipeline import PartitionState
from ingest.smoothing import PresenceRow, Smoother
from ingest.smoothing.smoother import NO_WATERMARK

if TYPE_CHECKING:
    from ingest.consumer import ConsumerConfig

log = structlog.get_logger("tagtrail.consume")


class PartitionLoader:
    def __init__(self, engine: AsyncEngine, config: ConsumerConfig) -> None:
        self.engine = engine
        self.config = config

    async def load(self, partitions: list[int]) -> dict[int, PartitionState]:
        delay = 0.2
        while True:
            try:
                return await self._load_once(partitions)
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                log.warning(
                    "cannot load partitions from Postgres; retrying",
                    error=repr(exc),
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _load_once(self, partitions: list[int]) -> dict[int, PartitionState]:
        cfg = self.config
        async with self.engine.connect() as conn:
            positions = await load_positions(conn, cfg.group, cfg.topic, partitions)
            states = {}
            for partition in partitions:
                stored = await load_presence_rows(conn, cfg.group, cfg.topic, partition)
                rows = [PresenceRow._make(row) for row in stored]
                position = positions.get(partition)
                smoother = Smoother.restore(
                    rows,
                    position.watermark_us if position else NO_WATERMARK,
                    int(cfg.absence_s * 1_000_000),
                    int(cfg.cross_read_s * 1_000_000),
                    cfg.portal_min_peak_rssi,
                )
                states[partition] = PartitionState(partition, smoother, position)
        return states
