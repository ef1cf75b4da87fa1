"""`tagtrail bench reports` (issue 9): the three reports over at least 10,000,000 asset events.

The database (`tagtrail_bench_reports`) holds about 210,000 assets that have been round the
loop for a year (bench.reports_data): ≥ 10M events in the shapes the tracker writes, a third
of them status changes, stored in event-time order as the tracker appends them, with the
alerts and recovery cases that go with them. It is seeded once with COPY and kept; a later
run reuses it when the seed marker on it matches, and only migrates it to head.

Figures, all from one run on the warm database:
- `vsm_10m_s`: `tracker.reports.value_stream_report` over every event (no range, no site),
  per asset type and per custodian as well (`by=type&by=custodian`: the most a call asks);
  `vsm_overall_only_s`, `vsm_by_type_s`, `vsm_by_custodian_s`: the report with none or one
  of the breakdowns (no `by`: the default call);
- `baseline_scan_s`: a bare scan of the same status changes reading the same three payload
  fields (`count(*)`, `sum(length(...))`), and `ratio` = vsm_10m_s / baseline_scan_s;
- `loss_s`, `recovery_s` (null while the recovery tables are not in the schema).

    .venv/bin/python -m bench.reports [--events 10000000] [--explain plan.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.reports_data import CUSTOMERS, SITES, TYPES, asset_rows, chunk
from bench.sandbox import _drop_database, asyncpg_dsn
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.reports import (
    VALUE_STREAM_SETTINGS,
    Grouping,
    ReportScope,
    loss_report,
    recovery_report,
    value_stream_report,
    value_stream_statement,
)

Log = Callable[[str], None]
# The whole report: overall, per asset type and per custodian (the most a call can ask).
EVERY_GROUPING: list[Grouping] = ["type", "custodian"]
PARTIAL_CALLS: dict[str, list[Grouping]] = {
    "overall_only": [],
    "by_type": ["type"],
    "by_custodian": ["custodian"],
}
T = TypeVar("T")
EVENTS_PER_ASSET = 50
CHUNK_ASSETS = 20_000  # about a million events per COPY round
GOAL_S = 10.0

_EVENT_COLUMNS = [
    "asset_id",
    "kind",
    "occurred_at",
    "recorded_at",
    "observation_id",
    "site_id",
    "zone_id",
    "payload",
]
_ALERT_COLUMNS = [
    "asset_id",
    "kind",
    "severity",
    "status",
    "raised_at",
    "site_id",
    "custodian_id",
    "value_at_risk",
]
_CASE_COLUMNS = [
    "id",
    "asset_id",
    "stage",
    "return_category",
    "reason",
    "opened_how",
    "opened_by",
    "opened_at",
    "custodian_id",
    "dispatch_id",
    "usage",
    "grade",
    "graded_at",
    "graded_by",
    "path",
    "path_details",
    "value_recovered",
    "repair_cost",
    "decided_at",
    "decided_by",
    "closed_at",
    "closed_by",
]
# The same status changes and payload fields the report reads, scanned and nothing more.
BASELINE = """
SELECT count(*), sum(length(payload ->> 'from_status') + length(payload ->> 'to_status')
    + length(payload ->> 'cause'))
FROM asset_events WHERE kind = 'asset_status_changed'
"""


def _marker(events: int) -> str:
    return f"tagtrail bench reports: {events} events, {EVENTS_PER_ASSET} per asset, seed v1"


async def seeded_database(base: Settings, events: int, log: Log) -> tuple[str, float]:
    """(URL, seconds spent seeding): the kept bench database, (re)seeded when its marker —
    written last, after every row and the ANALYZE — is missing or differs."""
    name = "tagtrail_bench_reports" + ("" if events == 10_000_000 else f"_{events}")
    url = make_url(base.db_url()).set(database=name).render_as_string(hide_password=False)
    started = time.perf_counter()
    admin = await asyncpg.connect(asyncpg_dsn(base.db_url()))
    try:
        marker = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
        if marker == _marker(events):
            log(f"reusing {name}")
            await asyncio.to_thread(upgrade, url, "heads")
        else:
            log(f"seeding {name}: at least {events:,} events")
            await _drop_database(base, name)
            await admin.execute(f'CREATE DATABASE "{name}"')
            await asyncio.to_thread(upgrade, url, "heads")
            await _seed(url, events, log)
            await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_marker(events)}'")
    finally:
        await admin.close()
    # Recovery cases come with migration 0013: seeded on the first run that has the table.
    await _seed_cases(url, log)
    return url, time.perf_counter() - started


async def _seed(url: str, events: int, log: Log) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await _world(conn)
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET work_mem = '1GB'")
        # Built once at the end: maintaining them row by row over 10M events costs more than
        # the load itself.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset_events' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        await conn.execute(
            "CREATE UNLOGGED TABLE bench_events_load AS SELECT "
            + ", ".join(_EVENT_COLUMNS)
            + " FROM asset_events WITH NO DATA"
        )
        loaded, first = 0, 0
        while loaded < events:
            history = await asyncio.to_thread(chunk, first, first + CHUNK_ASSETS, EVENTS_PER_ASSET)
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "assets",
                    records=asset_rows(first, first + CHUNK_ASSETS),
                    columns=["id", "type_id", "home_site_id", "created_at"],
                )
                await conn.copy_records_to_table(
                    "bench_events_load", records=history.events, columns=_EVENT_COLUMNS
                )
                await conn.copy_records_to_table(
                    "alerts", records=history.alerts, columns=_ALERT_COLUMNS
                )
            loaded, first = loaded + len(history.events), first + CHUNK_ASSETS
            log(f"  {first:,} assets, {loaded:,} events")
        log("  appending in event-time order, as the tracker does")
        # The tracker appends events as they happen, assets interleaved: ids and the heap in
        # time order, not grouped by asset (which would hand the report presorted input).
        columns = ", ".join(_EVENT_COLUMNS)
        await conn.execute(
            f"INSERT INTO asset_events ({columns}) SELECT {columns} FROM bench_events_load "
            "ORDER BY occurred_at, asset_id"
        )
        await conn.execute("DROP TABLE bench_events_load")
        log("  indexing and analysing")
        for index in indexes:
            await conn.execute(index["indexdef"])
        # What autovacuum would have done on a system that has been running a while.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _world(conn: asyncpg.Connection) -> None:
    await conn.executemany("INSERT INTO sites (id, name) VALUES ($1, $1)", [(s,) for s in SITES])
    await conn.executemany(
        "INSERT INTO custodians (id, name, kind, site_id) VALUES ($1, $2, $3, $4)",
        [(f"site:{s}", s, "site", s) for s in SITES]
        + [(c, c, "customer", None) for c in CUSTOMERS],
    )
    await conn.executemany(
        "INSERT INTO asset_types (id, name, replacement_value, data_bearing) "
        "VALUES ($1, $2, $3, $4)",
        TYPES,
    )


async def _seed_cases(url: str, log: Log) -> None:
    """The recovery cases of the same histories (regenerated: each asset's is seeded by its
    number), once the schema has the table and while it is empty."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await conn.fetchval("SELECT to_regclass('recovery_cases')") is None:
            return
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM recovery_cases)"):
            return
        assets = await conn.fetchval("SELECT count(*) FROM assets")
        log(f"  recovery cases of {assets:,} assets")
        async with conn.transaction():
            for first in range(0, assets, CHUNK_ASSETS):
                last = min(assets, first + CHUNK_ASSETS)
                history = await asyncio.to_thread(chunk, first, last, EVENTS_PER_ASSET)
                await conn.copy_records_to_table(
                    "recovery_cases", records=history.cases, columns=_CASE_COLUMNS
                )
        await conn.execute("ANALYZE recovery_cases")
    finally:
        await conn.close()


# -- the measurement --------------------------------------------------------------------------


async def _timed(conn: AsyncConnection, work: Awaitable[T]) -> tuple[T, float]:
    """The result and the seconds of one piece of work, in a transaction of its own."""
    started = time.perf_counter()
    result = await work
    elapsed = time.perf_counter() - started
    await conn.rollback()  # ends the transaction: SET LOCAL settings go with it
    return result, elapsed


async def measure(url: str, explain: Path | None) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            # A first pass over the table (also the event count): every figure below starts
            # from the same warm page cache.
            events = await conn.scalar(text("SELECT count(*) FROM asset_events"))
            assets = await conn.scalar(text("SELECT count(*) FROM assets"))
            has_cases = await conn.scalar(text("SELECT to_regclass('recovery_cases') IS NOT NULL"))
            await conn.rollback()
            scan, baseline_s = await _timed(conn, conn.execute(text(BASELINE)))
            status_changes = scan.one()[0]
            scope = ReportScope()
            stream, vsm_s = await _timed(conn, value_stream_report(conn, scope, EVERY_GROUPING))
            partial: dict[str, float] = {}
            for name, by in PARTIAL_CALLS.items():
                _, partial[name] = await _timed(conn, value_stream_report(conn, scope, by))
            _, loss_s = await _timed(conn, loss_report(conn, scope))
            recovery_s = None
            if has_cases:
                _, recovery_s = await _timed(conn, recovery_report(conn, scope))
            if explain is not None:
                plan = await _explain(conn, scope)
                await asyncio.to_thread(explain.write_text, plan)
    finally:
        await engine.dispose()
    return {
        "vsm_10m_s": round(vsm_s, 3),
        "baseline_scan_s": round(baseline_s, 3),
        "ratio": round(vsm_s / baseline_s, 2),
        "goal_s": GOAL_S,
        "goal_met": vsm_s <= GOAL_S,
        **{f"vsm_{name}_s": round(seconds, 3) for name, seconds in partial.items()},
        "loss_s": round(loss_s, 3),
        "recovery_s": round(recovery_s, 3) if recovery_s is not None else None,
        "events": events,
        "status_changes": status_changes,
        "assets": assets,
        "loops": stream.overall.loops,
        "lead_time_p50_days": round((stream.overall.lead_time_p50_s or 0) / 86_400, 2),
        "bottleneck": stream.overall.bottleneck,
    }


async def _explain(conn: AsyncConnection, scope: ReportScope) -> str:
    for setting in VALUE_STREAM_SETTINGS:  # as the report sets them
        await conn.execute(text(setting))
    plan = await conn.execute(
        text("EXPLAIN (ANALYZE, BUFFERS) " + value_stream_statement(scope, EVERY_GROUPING)),
        scope.params(),
    )
    lines = [row[0] for row in plan]
    await conn.rollback()
    return "\n".join(lines) + "\n"


async def run_reports_bench(
    base: Settings, events: int, log: Log, explain: Path | None = None
) -> dict[str, Any]:
    url, seed_s = await seeded_database(base, events, log)
    load_before = os.getloadavg()
    log(f"measuring (load average {load_before[0]:.2f})")
    figures = await measure(url, explain)
    load_after = os.getloadavg()
    return {
        **figures,
        "seed_s": round(seed_s, 1),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--explain", type=Path, default=None)
    args = parser.parse_args()

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)

    figures = asyncio.run(run_reports_bench(Settings(), args.events, log, args.explain))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
