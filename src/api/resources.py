"""What the API needs from the outside, handed in by the composition root (tagtrail.bootstrap)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from ingest.publisher import Publisher


@dataclass
class ApiResources:
    engine: AsyncEngine
    kafka_options: dict[str, Any]
    publisher: Publisher
    # POST /v1/epcis/capture: the official schema's directory and the largest body taken.
    epcis_schema_dir: Path | None = None
    epcis_capture_limit_bytes: int = 4 * 1024 * 1024
    # The same pool for single-statement reads on hot paths: no BEGIN and ROLLBACK around
    # them (asyncpg runs each statement in its own implicit transaction).
    reads: AsyncEngine = field(init=False)

    def __post_init__(self) -> None:
        self.reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection as asyncpg's own, outside any transaction: for the hottest
        reads (`tracker.store.asset_views.fetch_*`). Straight from the pool, without a
        SQLAlchemy Connection around it (a few percent of such a request's CPU)."""
        pooled = await self.engine.raw_connection()
        try:
            driver: asyncpg.Connection = pooled.driver_connection
            yield driver
        finally:
            # Back to the pool; its reset is a no-op, as no transaction was begun.
            await greenlet_spawn(pooled.close)


ResourcesFactory = Callable[[], AbstractAsyncContextManager[ApiResources]]
