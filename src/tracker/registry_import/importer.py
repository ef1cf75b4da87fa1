"""`import_registry`: a registry CSV into assets and identifiers, in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TextIO

from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.registry_import.bulk import BULK_MIN_NEW_ASSETS
from tracker.registry_import.merge import merge
from tracker.registry_import.rejects import write_rejects
from tracker.registry_import.rows import read_batches
from tracker.registry_import.staging import copy_batch, create_staging, driver_connection

# Rows per COPY: large enough that a round trip is noise, small enough to stream.
BATCH_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int
    assets_created: int
    assets_updated: int
    assets_unchanged: int
    identifiers_created: int
    identifiers_unchanged: int
    rejected: int
    problems: dict[str, int] = field(default_factory=dict)  # problem → rows rejected for it

    @property
    def changed(self) -> bool:
        return bool(self.assets_created or self.assets_updated or self.identifiers_created)


async def import_registry(
    conn: AsyncConnection,
    source: BinaryIO,
    *,
    rejects: TextIO | None = None,
    progress: Callable[[int], None] | None = None,
    batch_rows: int = BATCH_ROWS,
    bulk_min_new_assets: int = BULK_MIN_NEW_ASSETS,
) -> ImportReport:
    """Loads the good rows, lists the bad ones in `rejects`; re-running changes nothing.

    Runs in the caller's transaction if one is open, else in its own. Any exception (an
    unreadable file, a database error) leaves the registry as it was: the staging tables
    and every change go with the rolled-back transaction.
    """
    async with _transaction(conn):
        await create_staging(conn)
        driver = await driver_connection(conn)
        rows = await _stage_file(driver, source, progress, batch_rows)
        counts = await merge(conn, bulk_min_new_assets=bulk_min_new_assets)
        if rejects is not None:
            await write_rejects(driver, rejects)
    assets_changed = counts.assets_created + counts.assets_updated
    return ImportReport(
        rows=rows,
        assets_created=counts.assets_created,
        assets_updated=counts.assets_updated,
        assets_unchanged=counts.good_rows - assets_changed,
        identifiers_created=counts.identifiers_created,
        identifiers_unchanged=counts.identifiers - counts.identifiers_created,
        rejected=rows - counts.good_rows,
        problems=counts.problems,
    )


async def _stage_file(
    driver: Any, source: BinaryIO, progress: Callable[[int], None] | None, batch_rows: int
) -> int:
    """COPYs the file batch by batch; the next batch is parsed in a thread meanwhile, so
    Python's decoding and PostgreSQL's COPY use both cores."""
    batches = read_batches(source, batch_rows)
    upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
    rows = 0
    try:
        while (batch := await upcoming) is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(next, batches, None))
            await copy_batch(driver, batch)
            rows += len(batch.rows)
            if progress is not None:
                progress(batch.bytes_read)
    finally:
        # The thread cannot be cancelled: let it finish before the file is closed.
        await asyncio.wait([upcoming])
        if not upcoming.cancelled():
            upcoming.exception()  # seen here, so asyncio does not log it as unretrieved
    return rows


@asynccontextmanager
async def _transaction(conn: AsyncConnection) -> AsyncIterator[None]:
    if conn.in_transaction():
        yield
        return
    async with conn.begin():
        yield
