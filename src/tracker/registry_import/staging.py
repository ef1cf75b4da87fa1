"""The staging tables an import COPYs into: temporary, dropped with the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.registry_import.rows import Batch

ROWS_TABLE = "registry_import_rows"
IDENTIFIERS_TABLE = "registry_import_identifiers"
ROW_COLUMNS = (
    "line",
    "asset_id",
    "type_id",
    "home_site_id",
    "epc",
    "barcode",
    "serial",
    "owner",
    "value",
    "amount",
    "problem",
    "reason",
)
IDENTIFIER_COLUMNS = ("line", "value", "scheme", "asset_id")

_SETUP = (
    # A million staged rows are ~200 MB: in the default 8 MB of temp buffers every pass over
    # them would go through the file system. (Effective only before the session's first
    # temporary table; a pooled connection that had one keeps its old size.)
    "SET LOCAL temp_buffers = '512MB'",
    "SET LOCAL work_mem = '256MB'",
    f"""CREATE TEMP TABLE {ROWS_TABLE} (
        line integer NOT NULL, asset_id text NOT NULL, type_id text NOT NULL,
        home_site_id text NOT NULL, epc text NOT NULL, barcode text NOT NULL,
        serial text NOT NULL, owner text, value text NOT NULL, amount numeric(12, 2),
        problem text, reason text
    ) ON COMMIT DROP""",
    f"""CREATE TEMP TABLE {IDENTIFIERS_TABLE} (
        line integer NOT NULL, value text NOT NULL, scheme text NOT NULL, asset_id text NOT NULL
    ) ON COMMIT DROP""",
)


async def create_staging(conn: AsyncConnection) -> None:
    # Executed through SQLAlchemy first, so its transaction has really begun on the server
    # before the raw driver connection COPYs into it.
    for statement in _SETUP:
        await conn.execute(text(statement))


async def driver_connection(conn: AsyncConnection) -> Any:
    """The asyncpg connection under SQLAlchemy's, for COPY (same session and transaction)."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def copy_batch(driver: Any, batch: Batch) -> None:
    if batch.rows:
        await driver.copy_records_to_table(ROWS_TABLE, records=batch.rows, columns=ROW_COLUMNS)
    if batch.identifiers:
        await driver.copy_records_to_table(
            IDENTIFIERS_TABLE, records=batch.identifiers, columns=IDENTIFIER_COLUMNS
        )
