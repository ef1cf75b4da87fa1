"""Per-reader health: connected, last report, reads/s — as Prometheus gauges and as rows of
`reader_health` (for GET /v1/readers), refreshed every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from readers.llrp.metrics import READER_CONNECTED, READER_LAST_REPORT, READER_READS_PER_S
from tracker.tables.readers import upsert_reader_health

log = logging.getLogger(__name__)


class ReaderHealth:
    """What one adapter knows about its reader; event-loop thread only."""

    def __init__(self, reader_id: str, host: str) -> None:
        self.reader_id = reader_id
        self.host = host
        self.connected = False
        self.last_report_at: datetime | None = None
        self.reads_total = 0
        self.reads_per_s = 0.0
        self._sampled_reads = 0
        self._sampled_at = time.monotonic()
        READER_CONNECTED.labels(reader_id).set(0)

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        READER_CONNECTED.labels(self.reader_id).set(1 if connected else 0)

    def count_reads(self, reads: int) -> None:
        self.last_report_at = datetime.now(UTC)
        self.reads_total += reads
        READER_LAST_REPORT.labels(self.reader_id).set(self.last_report_at.timestamp())

    def sample_rate(self) -> float:
        """Reads per second since the previous sample."""
        now = time.monotonic()
        elapsed = now - self._sampled_at
        if elapsed > 0:
            self.reads_per_s = (self.reads_total - self._sampled_reads) / elapsed
        self._sampled_reads, self._sampled_at = self.reads_total, now
        READER_READS_PER_S.labels(self.reader_id).set(self.reads_per_s)
        return self.reads_per_s

    def as_row(self) -> dict[str, object]:
        return {
            "reader_id": self.reader_id,
            "connected": self.connected,
            "last_report_at": self.last_report_at,
            "reads_per_s": self.reads_per_s,
            "host": self.host,
        }


class HealthReporter:
    """Samples every reader's health every `interval_s` and writes it to PostgreSQL.

    The database is a window on the readers, not on their path to Kafka: when it is down
    the adapters carry on and the failure is logged, once per outage.
    """

    def __init__(
        self, healths: Sequence[ReaderHealth], engine: AsyncEngine | None, interval_s: float = 5.0
    ) -> None:
        self._healths = healths
        self._engine = engine
        self._interval_s = interval_s
        self._failing = False

    async def run(self, stop: asyncio.Event) -> None:
        """Report until `stop`; call `report()` once more after the adapters have stopped."""
        while not stop.is_set():
            await self.report()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval_s)

    async def report(self) -> None:
        for health in self._healths:
            health.sample_rate()
        if self._engine is None or not self._healths:
            return
        rows = [health.as_row() for health in self._healths]
        try:
            async with asyncio.timeout(self._interval_s), self._engine.begin() as connection:
                await connection.execute(upsert_reader_health(), rows)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            if not self._failing:
                log.warning("reader health not written to PostgreSQL: %s", exc)
            self._failing = True
            return
        if self._failing:
            log.info("reader health written to PostgreSQL again")
        self._failing = False
