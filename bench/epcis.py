"""`tagtrail bench epcis` (issue 11): `tagtrail epcis export` against a raw COPY of the same rows.

Its data comes from the kept database of `tagtrail bench api` (`tagtrail_bench_api`:
1,000,000 assets, 10,000,000 events), read only: that database may lag behind the newest
migration (the export needs `custodians.gln`), so the first run copies its directory, its
assets and identifiers and its first `events` events (by event time) into a database of its
own, `tagtrail_bench_epcis`, migrated to head and kept for later runs (a marker on it names
what it holds). Run `tagtrail bench api` once first. The export covers the time window from
the first event that holds `events` asset events (and the registrations of the assets
created in it), as `tagtrail epcis export --since --until` would: one REPEATABLE READ
snapshot, the directory, the rows through the server-side cursor, `to_epcis` on each, the
document written to /dev/null. The baseline, in the same run, is
`COPY (SELECT * FROM asset_events WHERE <window>) TO STDOUT` plus the same COPY of the
assets rows the registrations come from: the raw rows, no mapping, to /dev/null.

`export_events_per_s` / `baseline_events_per_s` = `ratio`; goal >= 0.25 and >= 50,000 events/s.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.sandbox import asyncpg_dsn
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.epcis import (
    DocumentWriter,
    EventEncoder,
    ExportFilter,
    count_rows,
    load_directory,
    stream_records,
)

SOURCE = "tagtrail_bench_api"
DATABASE = "tagtrail_bench_epcis"
# Parents before children (foreign keys).
TABLES = ("sites", "asset_types", "zones", "custodians", "assets", "asset_identifiers")
CHUNK = 100_000
Log = Callable[[str], None]


async def run_epcis_bench(base: Settings, events: int, log: Log) -> dict[str, Any]:
    url = await _kept_database(base, events, log)
    scope = await _window(url, events)
    log(f"window {scope.since} .. {scope.until}")
    baseline_rows, baseline_s = await _raw_copy(url, scope)
    log(f"baseline: {baseline_rows:,} rows in {baseline_s:.1f} s")
    exported, export_s = await _export(url, scope)
    log(f"export: {exported:,} events in {export_s:.1f} s")
    if exported != baseline_rows:
        raise RuntimeError(f"the export wrote {exported} events for {baseline_rows} rows")
    export_rate, baseline_rate = exported / export_s, baseline_rows / baseline_s
    return {
        "events": exported,
        "export_s": round(export_s, 2),
        "baseline_s": round(baseline_s, 2),
        "export_events_per_s": round(export_rate),
        "baseline_events_per_s": round(baseline_rate),
        "ratio": round(export_rate / baseline_rate, 3),
        "load_average_at_start": os.getloadavg()[0],
    }


async def _window(url: str, events: int) -> ExportFilter:
    """From the first event to the event time after the first `events` ones."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        first = await conn.fetchval("SELECT min(occurred_at) FROM asset_events")
        until = await conn.fetchval(
            "SELECT occurred_at FROM asset_events ORDER BY occurred_at OFFSET $1 LIMIT 1", events
        )
    finally:
        await conn.close()
    if first is None or until is None:
        raise RuntimeError(f"{DATABASE} holds fewer than {events} events")
    return ExportFilter(since=first, until=until)


def _url(base: Settings, name: str) -> str:
    return make_url(base.db_url()).set(database=name).render_as_string(hide_password=False)


def _marker(events: int) -> str:
    return f"tagtrail bench epcis: the first {events} events of {SOURCE}, seed v1"


async def _kept_database(base: Settings, events: int, log: Log) -> str:
    url = _url(base, DATABASE)
    admin = await asyncpg.connect(asyncpg_dsn(base.db_url()))
    try:
        marker = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            DATABASE,
        )
        if marker == _marker(events):
            log(f"reusing {DATABASE}")
            await asyncio.to_thread(upgrade, url, "heads")
            return url
        log(f"copying {events:,} events and their directory from {SOURCE} into {DATABASE}")
        await drop_database(base.db_url(), DATABASE)
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        await asyncio.to_thread(upgrade, url, "heads")
        await _copy(_url(base, SOURCE), url, events)
        await admin.execute(f"COMMENT ON DATABASE \"{DATABASE}\" IS '{_marker(events)}'")
        return url
    finally:
        await admin.close()


async def _copy(source_url: str, target_url: str, events: int) -> None:
    source = await asyncpg.connect(asyncpg_dsn(source_url))
    target = await asyncpg.connect(asyncpg_dsn(target_url))
    try:
        until = await source.fetchval(
            "SELECT occurred_at FROM asset_events ORDER BY occurred_at OFFSET $1 LIMIT 1", events
        )
        if until is None:
            raise RuntimeError(f"{SOURCE} holds fewer than {events} events: run tagtrail bench api")
        for table in TABLES:
            await _copy_table(source, target, table, "true")
        await _copy_table(source, target, "asset_events", "occurred_at <= $1", until)
        await target.execute("ANALYZE")
    finally:
        await source.close()
        await target.close()


async def _copy_table(
    source: asyncpg.Connection, target: asyncpg.Connection, table: str, where: str, *args: Any
) -> None:
    """The columns both databases have, in chunks (records, not one table in memory)."""
    columns_of = "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
    have = {r[0] for r in await source.fetch(columns_of, table)}
    columns = [r[0] for r in await target.fetch(columns_of, table) if r[0] in have]
    listed = ", ".join(f'"{c}"' for c in columns)
    async with source.transaction(isolation="repeatable_read", readonly=True):
        cursor = await source.cursor(f"SELECT {listed} FROM {table} WHERE {where}", *args)
        while rows := await cursor.fetch(CHUNK):
            await target.copy_records_to_table(table, records=rows, columns=columns)


async def _raw_copy(url: str, scope: ExportFilter) -> tuple[int, float]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    received = 0

    async def discard(data: bytes) -> None:
        nonlocal received
        received += len(data)

    try:
        started = time.perf_counter()
        rows = 0
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            for table, column in (("asset_events", "occurred_at"), ("assets", "created_at")):
                status = await conn.copy_from_query(
                    f"SELECT * FROM {table} WHERE {column} >= $1 AND {column} < $2",
                    scope.since,
                    scope.until,
                    output=discard,
                )
                rows += int(status.split()[-1])
        return rows, time.perf_counter() - started
    finally:
        await conn.close()


async def _export(url: str, scope: ExportFilter) -> tuple[int, float]:
    """What `tagtrail epcis export` does (src/tagtrail/cli/epcis.py), without the progress bar."""
    engine = create_async_engine(url)
    try:
        started = time.perf_counter()
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                directory = await load_directory(conn)
                await count_rows(conn, scope)  # the export counts for its progress bar
                with open(os.devnull, "wb") as sink:  # noqa: ASYNC230 (never blocks)
                    writer = DocumentWriter(sink, datetime.now(UTC))
                    writer.open()
                    encoder = EventEncoder(directory)
                    async for batch in stream_records(conn, scope):
                        writer.write_encoded(encoder.encode(batch))
                    writer.close()
        return writer.events, time.perf_counter() - started
    finally:
        await engine.dispose()
