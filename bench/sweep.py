"""One sweep over 1,000,000 assets (issue 5: `sweep_1m_s`, goal ≤ 5 s).

A scratch database gets a million assets loaded with asyncpg COPY, in the mix a running
system has: most in service and seen recently, a few percent due for each rule, some out with
customers and not yet due, and one ordinary event per asset besides the transitions the lost
rule looks up. `sweep_1m_s` is the sweep that raises that whole backlog (about 50,000 alerts
and 80,000 events); `next_sweep_s` the one after it, which finds nothing new — the steady
state of a sweeper running every 30 s. The baseline is a bare scan of the same state rows
joined to their assets, the least any sweep has to read.

    .venv/bin/python -m bench.sweep [--assets N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from bench.sandbox import asyncpg_dsn, scratch_database, seeded_state_rows
from tagtrail.settings import Settings
from tracker.sweep import SweepReport, sweep

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SITES = ("s1", "s2")
TYPES = {"t0": "12.00", "t1": "42.50", "t2": "310.00", "t3": "1450.00"}
CUSTOMERS = tuple(f"customer-{n}" for n in range(10))

Row = tuple[object, ...]


async def seed_reference_data(conn: asyncpg.Connection) -> None:
    await conn.executemany("INSERT INTO sites (id, name) VALUES ($1, $1)", [(s,) for s in SITES])
    await conn.executemany(
        "INSERT INTO custodians (id, name, kind, site_id) VALUES ($1, $1, $2, $3)",
        [(f"site:{s}", "site", s) for s in SITES] + [(c, "customer", None) for c in CUSTOMERS],
    )
    await conn.executemany(
        "INSERT INTO asset_types (id, name, replacement_value) VALUES ($1, $1, $2::numeric)",
        list(TYPES.items()),
    )
    # Overrides, so the rule layering is part of what is measured.
    await conn.executemany(
        "INSERT INTO alert_rules (kind, asset_type_id, site_id, threshold_s, severity) "
        "VALUES ($1, $2, $3, $4, $5)",
        [
            ("not_seen", "t3", None, int(3 * DAY.total_seconds()), "critical"),
            ("overdue_return", None, "s2", int(DAY.total_seconds()), "warning"),
            ("lost", "t0", "s1", int(60 * DAY.total_seconds()), "critical"),
        ],
    )


def _state(n: int, asset_id: str, site: str) -> Row:
    """(asset_id, status, site_id, custodian_id, last_seen_at, return_due_at) by share."""
    share = n % 100
    home = f"site:{site}"
    customer = CUSTOMERS[n % len(CUSTOMERS)]
    if share < 2:  # silent for 10 days: not_seen
        return (asset_id, "in_service", site, home, NOW - 10 * DAY, None)
    if share < 4:  # due back 2 days ago: overdue_return
        return (asset_id, "at_custodian", None, customer, NOW - 20 * DAY, NOW - 2 * DAY)
    if share < 6:  # missing for 40 days (see _events): lost, except type t0 at s1
        return (asset_id, "missing", site, home, NOW - 50 * DAY, None)
    if share < 7:  # missing for 3 days: nothing yet
        return (asset_id, "missing", site, home, NOW - 10 * DAY, None)
    if share < 12:  # out, due next week
        return (asset_id, "in_transit", None, customer, NOW - DAY, NOW + 7 * DAY)
    return (asset_id, "in_service", site, home, NOW - timedelta(minutes=n % 2880), None)


def rows(count: int) -> Iterator[tuple[Row, Row, list[Row]]]:
    """(asset row, state row, event rows) per asset."""
    registered = NOW - 90 * DAY
    for n in range(count):
        asset_id = f"A{n:07d}"
        site = SITES[n % 2]
        asset = (asset_id, f"t{n % 4}", site, registered)
        state = _state(n, asset_id, site)
        events: list[Row] = [(asset_id, "asset_arrived", registered, f"o-{n}", "{}")]
        if state[1] == "missing":
            went = NOW - (40 * DAY if n % 100 < 6 else 3 * DAY)
            payload = '{"from_status": "in_service", "to_status": "missing", "cause": "x"}'
            events.append((asset_id, "asset_status_changed", went, f"m-{n}", payload))
        yield asset, state, events


async def seed_assets(conn: asyncpg.Connection, count: int) -> None:
    assets: list[Row] = []
    states: list[Row] = []
    events: list[Row] = []
    for asset, state, asset_events in rows(count):
        assets.append(asset)
        states.append(state)
        events.extend(asset_events)
    async with seeded_state_rows(conn):
        await conn.copy_records_to_table(
            "assets", records=assets, columns=["id", "type_id", "home_site_id", "created_at"]
        )
        await conn.copy_records_to_table(
            "asset_state",
            records=states,
            columns=[
                "asset_id",
                "status",
                "site_id",
                "custodian_id",
                "last_seen_at",
                "return_due_at",
            ],
        )
    await conn.copy_records_to_table(
        "asset_events",
        records=events,
        columns=["asset_id", "kind", "occurred_at", "observation_id", "payload"],
    )


async def _timed_baseline(dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.fetchval(
            "SELECT count(*) FROM asset_state s JOIN assets a ON a.id = s.asset_id "
            "WHERE s.last_seen_at < $1",
            NOW,
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _timed_sweeps(url: str) -> tuple[float, SweepReport, float]:
    """The sweep that raises the backlog, then the next one, which finds nothing new."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            started = time.perf_counter()
            report = await sweep(conn, NOW)
            first_s = time.perf_counter() - started
            started = time.perf_counter()
            await sweep(conn, NOW + timedelta(seconds=30))
            return first_s, report, time.perf_counter() - started
    finally:
        await engine.dispose()


async def measure_sweep(base: Settings, count: int = 1_000_000) -> dict[str, object]:
    """Seed `count` assets in a scratch database and time one sweep over them."""
    async with scratch_database(base, purpose="sweep") as url:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            started = time.perf_counter()
            await seed_reference_data(conn)
            await seed_assets(conn, count)
            # What autovacuum would have done by the time a real sweeper runs.
            await conn.execute("VACUUM ANALYZE assets, asset_state, asset_events")
            seed_s = time.perf_counter() - started
        finally:
            await conn.close()
        baseline_s = await _timed_baseline(asyncpg_dsn(url))
        sweep_s, report, resweep_s = await _timed_sweeps(url)
    outcomes = {o.kind.value: o.alerts_raised for o in report.outcomes}
    return {
        "assets": count,
        "sweep_1m_s" if count == 1_000_000 else "sweep_s": round(sweep_s, 3),
        "next_sweep_s": round(resweep_s, 3),
        "baseline_scan_s": round(baseline_s, 3),
        "ratio": round(baseline_s / sweep_s, 3),
        "alerts_raised": outcomes,
        "status_changed": report.status_changed,
        "seed_s": round(seed_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--assets", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure_sweep(Settings(), args.assets))))


if __name__ == "__main__":
    main()
