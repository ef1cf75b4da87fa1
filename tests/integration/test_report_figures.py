"""The reports on the real PostgreSQL against figures worked out by hand on a small fixture.

Percentiles are PostgreSQL's percentile_cont: for n values sorted ascending, p sits at
position 1 + p*(n - 1) and interpolates linearly between its neighbours. So for 7 values
p50 is the 4th and p90 sits at 6.4: the 6th plus 0.4 of the way to the 7th.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.reports import (
    Grouping,
    LossReport,
    RecoveryFigures,
    RecoveryReport,
    ReportScope,
    ValueStreamGroup,
    ValueStreamReport,
    loss_report,
    recovery_report,
    value_stream_report,
)

T = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
HOUR = 3600.0


def hours(n: float) -> datetime:
    return T + timedelta(hours=n)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# -- the fixture ------------------------------------------------------------------------------
# Two home sites, two customers, crates (42.50) and racks (900.00); c2 is worth 50.00 itself.
_WORLD = (
    "INSERT INTO sites (id, name) VALUES ('dc1', 'DC 1'), ('dc2', 'DC 2')",
    "INSERT INTO custodians (id, name, kind, site_id) VALUES "
    "('site:dc1', 'DC 1', 'site', 'dc1'), ('site:dc2', 'DC 2', 'site', 'dc2')",
    "INSERT INTO custodians (id, name, kind) VALUES "
    "('acme', 'Acme', 'customer'), ('globex', 'Globex', 'customer')",
    "INSERT INTO asset_types (id, name, replacement_value) VALUES "
    "('crate', 'Crate', 42.50), ('rack', 'Rack', 900.00)",
    "INSERT INTO assets (id, type_id, home_site_id, value) VALUES "
    "('c1', 'crate', 'dc1', NULL), ('c2', 'crate', 'dc1', 50.00), ('c3', 'crate', 'dc1', NULL),"
    "('r1', 'rack', 'dc1', NULL), ('r2', 'rack', 'dc2', NULL)",
)

# (asset, hour, from, to, cause, handed to) — the status changes, with the custody transfer
# of a departure where the exit was authorised. Stage dwell per loop in hours in the comments.
CHANGES: list[tuple[str, float, str, str, str, str | None]] = [
    # c1 loop A: out 10, at custodian 90, return 20 → lead 120 (back at 120); acme
    ("c1", 0, "in_service", "in_transit", "exited", "acme"),
    ("c1", 10, "in_transit", "at_custodian", "seen_external", None),
    ("c1", 100, "at_custodian", "in_transit", "left_external", None),
    ("c1", 120, "in_transit", "in_service", "seen_on_site", None),
    # c1 loop B: at home 30 before it; out 10, at custodian 140, missing 40 (unaccounted),
    # return 10 → lead 200 (back at 350); globex
    ("c1", 150, "in_service", "in_transit", "exited", "globex"),
    ("c1", 160, "in_transit", "at_custodian", "seen_external", None),
    ("c1", 300, "at_custodian", "missing", "marked_missing", None),
    ("c1", 340, "missing", "in_transit", "left_external", None),
    ("c1", 350, "in_transit", "in_service", "seen_on_site", None),
    # c2 loop C, taken into recovery on its return: out 20, at custodian 40, return 10,
    # in recovery 2 (waiting for intake) + 28 = 30 → lead 100 (back in service at 100); acme
    ("c2", 0, "in_service", "in_transit", "exited", "acme"),
    ("c2", 20, "in_transit", "at_custodian", "seen_external", None),
    ("c2", 60, "at_custodian", "in_transit", "left_external", None),
    ("c2", 70, "in_transit", "in_service", "seen_on_site", None),
    ("c2", 72, "in_service", "in_recovery", "recovery_opened", None),
    ("c2", 100, "in_recovery", "in_service", "redeployed", None),
    # c2 loop D: still at the custodian — not completed, not reported
    ("c2", 130, "in_service", "in_transit", "exited", "globex"),
    ("c2", 140, "in_transit", "at_custodian", "seen_external", None),
    # c3: left without a dispatch (no custodian): out 5, at custodian 45, its return through
    # the door was missed → lead 50 (back at 50)
    ("c3", 0, "in_service", "in_transit", "exited", None),
    ("c3", 5, "in_transit", "at_custodian", "seen_external", None),
    ("c3", 50, "at_custodian", "in_service", "seen_on_site", None),
    # c3 next loop: came back unseen and left again at 90 — that loop is not completed
    ("c3", 60, "in_service", "in_transit", "exited", "acme"),
    ("c3", 70, "in_transit", "at_custodian", "seen_external", None),
    # c3 loop from 90 (no at_home: it was at a custodian before): out 5, at custodian 20,
    # return 10 → lead 35 (back at 125); globex
    ("c3", 90, "at_custodian", "in_transit", "exited", "globex"),
    ("c3", 95, "in_transit", "at_custodian", "seen_external", None),
    ("c3", 115, "at_custodian", "in_transit", "left_external", None),
    ("c3", 125, "in_transit", "in_service", "seen_on_site", None),
    # r1 loop: out 30, at custodian 10, a slow return of 200 → lead 240 (back at 240); acme
    ("r1", 0, "in_service", "in_transit", "exited", "acme"),
    ("r1", 30, "in_transit", "at_custodian", "seen_external", None),
    ("r1", 40, "at_custodian", "in_transit", "left_external", None),
    ("r1", 240, "in_transit", "in_service", "seen_on_site", None),
    # r1 next loop ends retired out of recovery: not completed
    ("r1", 260, "in_service", "in_transit", "exited", "globex"),
    ("r1", 270, "in_transit", "at_custodian", "seen_external", None),
    ("r1", 290, "at_custodian", "in_transit", "left_external", None),
    ("r1", 300, "in_transit", "in_service", "seen_on_site", None),
    ("r1", 301, "in_service", "in_recovery", "recovery_opened", None),
    ("r1", 320, "in_recovery", "retired", "retired", None),
    # r2 (home dc2): out 50, at custodian 10, return 10 → lead 70 (back at 70); acme
    ("r2", 0, "in_service", "in_transit", "exited", "acme"),
    ("r2", 50, "in_transit", "at_custodian", "seen_external", None),
    ("r2", 60, "at_custodian", "in_transit", "left_external", None),
    ("r2", 70, "in_transit", "in_service", "seen_on_site", None),
]

# (asset, kind, day raised, custodian, value at risk, status) — value None: the asset's own
# value, else its type's.
ALERTS: list[tuple[str, str, float, str, str | None, str]] = [
    ("c1", "overdue_return", 5, "globex", "42.50", "resolved"),  # Sat 10 Oct: week of 5 Oct
    ("c3", "overdue_return", 8, "acme", "42.50", "resolved"),  # Tue 13 Oct: week of 12 Oct
    ("r1", "overdue_return", 9, "acme", "900.00", "resolved"),  # week of 12 Oct
    ("c3", "not_seen", 10, "acme", "42.50", "resolved"),  # week of 12 Oct
    ("r2", "lost", 15, "globex", "900.00", "resolved"),  # Tue 20 Oct: week of 19 Oct
    ("c3", "lost", 20, "acme", "42.50", "open"),  # Sun 25 Oct: week of 19 Oct
    ("c2", "lost", 30, "globex", None, "open"),  # Wed 4 Nov: week of 2 Nov; c2's own 50.00
    ("r1", "overdue_return", 40, "acme", "900.00", "open"),  # Sat 14 Nov: week of 9 Nov
    ("c1", "unauthorized_exit", 1, "site:dc1", "42.50", "open"),  # not a loss kind
]


# Recovery cases: (id, asset, category, hour opened, decided, closed, path, value recovered,
# repair cost). The report reads these rows alone (c2's and r1's match their history above).
CASES: list[tuple[str, str, str, float, float, float | None, str, str, str]] = [
    # intake → decision 18 h, → done 28 h; closed Fri 9 Oct (week of 5 Oct); net 40.00
    ("rc_000000000001", "c2", "customer_return", 72, 90, 100, "redeploy", "50.00", "10.00"),
    # 10 h, 19 h; closed Sun 18 Oct 08:00 (week of 12 Oct); net 1.20
    ("rc_000000000002", "r1", "damaged_in_use", 301, 311, 320, "recycling", "1.20", "0"),
    # 24 h, 48 h; closed Fri 23 Oct (week of 19 Oct); net 25.00
    ("rc_000000000003", "c1", "end_of_lease", 400, 424, 448, "resale", "30.00", "5.00"),
    # 6 h, 30 h; closed Tue 27 Oct (week of 26 Oct); net 40.00
    ("rc_000000000004", "c3", "customer_return", 500, 506, 530, "redeploy", "42.50", "2.50"),
    # r2 (home dc2): 60 h, 72 h; closed Fri 16 Oct (week of 12 Oct); net 300.00
    ("rc_000000000005", "r2", "product_failure", 200, 260, 272, "parts", "300.00", "0"),
    # decided but not closed: not in the report
    ("rc_000000000006", "c1", "recall", 600, 610, None, "resale", "20.00", "0"),
]


async def insert_fixture(conn: asyncpg.Connection) -> None:
    for statement in _WORLD:
        await conn.execute(statement)
    events: list[tuple[Any, ...]] = []
    for n, (asset, hour, before, after, cause, handed_to) in enumerate(CHANGES):
        at, observation = hours(hour), f"obs-{n}"
        if handed_to is not None:  # written before the status change, as the tracker does
            custody = {"from_custodian_id": "site:dc1", "to_custodian_id": handed_to}
            events.append((asset, "custody_transferred", at, observation, custody))
        status = {"from_status": before, "to_status": after, "cause": cause}
        events.append((asset, "asset_status_changed", at, observation, status))
        # noise the reports must not count: moves, and a return's custody transfer home
        events.append((asset, "asset_moved", at, observation, {"site_id": "dc1"}))
        if after == "in_service" and cause == "seen_on_site":
            home = {"from_custodian_id": "x", "to_custodian_id": "site:dc1"}
            events.append((asset, "custody_transferred", at, observation, home))
    await conn.executemany(
        "INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, payload) "
        "VALUES ($1, $2, $3, $4, $5::jsonb)",
        [(a, k, at, o, _json(p)) for a, k, at, o, p in events],
    )
    await conn.executemany(
        "INSERT INTO alerts (asset_id, kind, severity, status, raised_at, site_id, "
        "custodian_id, value_at_risk) VALUES ($1, $2, 'warning', $3, $4, 'dc1', $5, $6)",
        [
            (asset, kind, status, T + timedelta(days=day), custodian, _money(value))
            for asset, kind, day, custodian, value, status in ALERTS
        ],
    )
    cases = []
    for case_id, asset, category, opened, decided, closed, path, value, repair in CASES:
        stage, closed_at = ("done", hours(closed)) if closed is not None else ("decision", None)
        money = (Decimal(value), Decimal(repair))
        opening = (case_id, asset, stage, category, hours(opened))
        cases.append((*opening, path, *money, hours(decided), closed_at))
    await conn.executemany(
        "INSERT INTO recovery_cases (id, asset_id, stage, return_category, opened_at, path, "
        "value_recovered, repair_cost, decided_at, closed_at, opened_how, opened_by, usage, "
        "grade) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'rule', 'test', '{}', "
        "'repairable')",
        cases,
    )


def _json(payload: dict[str, str]) -> str:
    return json.dumps(payload)


def _money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


@contextlib.asynccontextmanager
async def fixture_database(base: Settings) -> AsyncIterator[str]:
    """A fresh migrated database holding the fixture above; dropped afterwards."""
    admin = await asyncpg.connect(_dsn(base.db_url()), timeout=5)
    name = f"tagtrail_reports_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(base.db_url()).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        conn = await asyncpg.connect(_dsn(url))
        try:
            await insert_fixture(conn)
        finally:
            await conn.close()
        yield url
    finally:
        await drop_database(base.db_url(), name)


@pytest.fixture(scope="module")
async def report_engine(base_settings: Settings) -> AsyncIterator[AsyncEngine]:
    async with fixture_database(base_settings) as url:
        engine = create_async_engine(url, pool_size=2)
        yield engine
        await engine.dispose()


async def _value_stream(
    engine: AsyncEngine, scope: ReportScope, by: tuple[Grouping, ...] = ("type", "custodian")
) -> ValueStreamReport:
    async with engine.connect() as conn:
        return await value_stream_report(conn, scope, by)


async def _loss(engine: AsyncEngine, scope: ReportScope) -> LossReport:
    async with engine.connect() as conn:
        return await loss_report(conn, scope)


def _stages(group: ValueStreamGroup) -> dict[str, tuple[int, float | None, float | None]]:
    """stage → (loops, p50 h, p90 h)"""

    def h(value: float | None) -> float | None:
        return None if value is None else round(value / HOUR, 6)

    return {s.stage: (s.loops, h(s.p50_s), h(s.p90_s)) for s in group.stages}


def _lead_h(group: ValueStreamGroup) -> tuple[int, float | None, float | None]:
    p50, p90 = group.lead_time_p50_s, group.lead_time_p90_s
    return (
        group.loops,
        None if p50 is None else round(p50 / HOUR, 6),
        None if p90 is None else round(p90 / HOUR, 6),
    )


# -- value stream -----------------------------------------------------------------------------


async def test_value_stream_overall(report_engine: AsyncEngine) -> None:
    report = await _value_stream(report_engine, ReportScope())
    overall = report.overall
    # Completed loops (lead h): c3 35, c3 50, r2 70, c2 100, c1 120, c1 200, r1 240.
    # p50 = 4th = 100; p90 at 6.4 = 200 + 0.4 * (240 - 200) = 216.
    assert _lead_h(overall) == (7, 100, 216)
    assert _stages(overall) == {
        # only c1's loop B has a known wait at home before it: 30
        "at_home": (1, 30, 30),
        # 5, 5, 10, 10, 20, 30, 50: p50 10; p90 = 30 + 0.4 * (50 - 30) = 38
        "outbound_transit": (7, 10, 38),
        # 10, 10, 20, 40, 45, 90, 140: p50 40; p90 = 90 + 0.4 * (140 - 90) = 110
        "at_custodian": (7, 40, 110),
        # 6 loops (c3's missed return has none): 10, 10, 10, 10, 20, 200: p50 at 3.5 = 10;
        # p90 at 5.5 = 20 + 0.5 * (200 - 20) = 110
        "return_transit": (6, 10, 110),
        # c2: 2 waiting for intake + 28 in recovery
        "in_recovery": (1, 30, 30),
        # c1 missing for 40 at the custodian
        "unaccounted": (1, 40, 40),
    }
    # Largest median among the flow stages: at_custodian 40 > in_recovery 30 > 10, 10.
    assert overall.bottleneck == "at_custodian"
    # Shares of the 815 h of lead time: 130 out, 355 at custodians, 260 return, 30, 40.
    shares = {s.stage: s.share for s in overall.stages}
    assert shares["at_home"] is None
    assert shares["at_custodian"] == pytest.approx(355 / 815, abs=1e-6)  # to 6 places
    assert shares["return_transit"] == pytest.approx(260 / 815, abs=1e-6)
    assert sum(v for v in shares.values() if v is not None) == pytest.approx(1.0, abs=1e-5)


async def test_value_stream_per_type_has_its_own_bottleneck(report_engine: AsyncEngine) -> None:
    report = await _value_stream(report_engine, ReportScope())
    assert report.by_type is not None
    by_type = {g.key: g for g in report.by_type}
    assert set(by_type) == {"crate", "rack"}
    crate, rack = by_type["crate"], by_type["rack"]
    # crates: 35, 50, 100, 120, 200: p50 100; p90 at 4.6 = 120 + 0.6 * (200 - 120) = 168
    assert _lead_h(crate) == (5, 100, 168)
    # at custodian 20, 40, 45, 90, 140 → p50 45: larger than out (10) and recovery (30)
    assert _stages(crate)["at_custodian"][1] == 45
    assert crate.bottleneck == "at_custodian"
    # racks: 70, 240: p50 155; p90 = 70 + 0.9 * 170 = 223
    assert _lead_h(rack) == (2, 155, 223)
    # out 30, 50 (p50 40, p90 48); at custodian 10, 10; return 10, 200 (p50 105, p90 181)
    assert _stages(rack)["outbound_transit"] == (2, 40, 48)
    assert _stages(rack)["at_custodian"] == (2, 10, 10)
    assert _stages(rack)["return_transit"] == (2, 105, 181)
    assert rack.bottleneck == "return_transit"


async def test_value_stream_per_custodian(report_engine: AsyncEngine) -> None:
    report = await _value_stream(report_engine, ReportScope())
    assert report.by_custodian is not None
    by_custodian = {g.key: g for g in report.by_custodian}
    # the custodian a loop's departure handed the asset to; c3's first trip had none
    assert set(by_custodian) == {"acme", "globex", None}
    # acme: c2 100, c1 120, r1 240, r2 70 → 70, 100, 120, 240: p50 110;
    # p90 at 3.7 = 120 + 0.7 * (240 - 120) = 204
    assert _lead_h(by_custodian["acme"]) == (4, 110, 204)
    # globex: 35, 200: p50 117.5; p90 = 35 + 0.9 * 165 = 183.5
    assert _lead_h(by_custodian["globex"]) == (2, 117.5, 183.5)
    assert _stages(by_custodian["globex"])["unaccounted"] == (1, 40, 40)
    assert _lead_h(by_custodian[None]) == (1, 50, 50)
    assert [g.key for g in report.by_custodian] == ["acme", "globex", None]  # most loops first


async def test_value_stream_range_and_site(report_engine: AsyncEngine) -> None:
    # Back in service in [100 h, 300 h): c2 (100, inclusive), c1 A (120), c3 (125), r1 (240).
    # 35, 100, 120, 240: p50 110; p90 at 3.7 = 120 + 0.7 * 120 = 204
    ranged = await _value_stream(report_engine, ReportScope(since=hours(100), until=hours(300)))
    assert _lead_h(ranged.overall) == (4, 110, 204)
    # Only dc2's assets: r2 alone, 70 h (out 50, at custodian 10, return 10)
    dc2 = await _value_stream(report_engine, ReportScope(sites=("dc2",)))
    assert _lead_h(dc2.overall) == (1, 70, 70)
    assert dc2.overall.bottleneck == "outbound_transit"
    assert [g.key for g in dc2.by_type or []] == ["rack"]
    nowhere = await _value_stream(report_engine, ReportScope(sites=("dc9",)))
    assert _lead_h(nowhere.overall) == (0, None, None)
    assert nowhere.overall.bottleneck is None
    assert nowhere.by_type == []


async def test_value_stream_breakdowns_only_when_asked(report_engine: AsyncEngine) -> None:
    plain = await _value_stream(report_engine, ReportScope(), by=())
    assert (plain.by_type, plain.by_custodian) == (None, None)
    assert _lead_h(plain.overall) == (7, 100, 216)  # the same overall figures as with them
    per_type = await _value_stream(report_engine, ReportScope(), by=("type",))
    assert per_type.by_custodian is None
    assert [g.key for g in per_type.by_type or []] == ["crate", "rack"]


# -- loss -------------------------------------------------------------------------------------


def _loss_row(figures: Any) -> tuple[int, Decimal, int, Decimal, int, Decimal]:
    return (
        figures.overdue_count,
        figures.overdue_value,
        figures.missing_count,
        figures.missing_value,
        figures.lost_count,
        figures.lost_value,
    )


async def test_loss_per_custodian_site_and_week(report_engine: AsyncEngine) -> None:
    report = await _loss(report_engine, ReportScope())
    d = Decimal
    # overdue 42.50 + 42.50 + 900 + 900; missing 42.50; lost 900 + 42.50 + 50.00 (c2's own)
    assert _loss_row(report.overall) == (4, d("1885.00"), 1, d("42.50"), 3, d("992.50"))
    by_custodian = {g.key: _loss_row(g) for g in report.by_custodian}
    assert by_custodian == {
        # overdue c3 42.50 + r1 900 + r1 900; missing c3; lost c3
        "acme": (3, d("1842.50"), 1, d("42.50"), 1, d("42.50")),
        # overdue c1; lost r2 900 + c2 50.00
        "globex": (1, d("42.50"), 0, d("0"), 2, d("950.00")),
    }
    assert [g.key for g in report.by_custodian] == ["globex", "acme"]  # largest lost value
    by_site = {g.key: _loss_row(g) for g in report.by_site}
    assert by_site == {
        "dc1": (4, d("1885.00"), 1, d("42.50"), 2, d("92.50")),  # lost c3 42.50 + c2 50.00
        "dc2": (0, d("0"), 0, d("0"), 1, d("900.00")),
    }
    weekly = [(w.week.isoformat(), *_loss_row(w)) for w in report.weekly]
    assert weekly == [
        ("2026-10-05", 1, d("42.50"), 0, d("0"), 0, d("0")),
        ("2026-10-12", 2, d("942.50"), 1, d("42.50"), 0, d("0")),
        ("2026-10-19", 0, d("0"), 0, d("0"), 2, d("942.50")),
        ("2026-11-02", 0, d("0"), 0, d("0"), 1, d("50.00")),
        ("2026-11-09", 1, d("900.00"), 0, d("0"), 0, d("0")),
    ]


async def test_loss_range_and_site(report_engine: AsyncEngine) -> None:
    d = Decimal
    # raised in [day 7, day 35): c3 and r1 overdue, c3 not seen, r2, c3 and c2 lost
    ranged = await _loss(
        report_engine, ReportScope(since=T + timedelta(days=7), until=T + timedelta(days=35))
    )
    assert _loss_row(ranged.overall) == (2, d("942.50"), 1, d("42.50"), 3, d("992.50"))
    dc2 = await _loss(report_engine, ReportScope(sites=("dc2",)))
    assert _loss_row(dc2.overall) == (0, d("0"), 0, d("0"), 1, d("900.00"))
    assert [g.key for g in dc2.by_custodian] == ["globex"]
    assert [w.week.isoformat() for w in dc2.weekly] == ["2026-10-19"]


# -- recovery ---------------------------------------------------------------------------------


async def _recovery(engine: AsyncEngine, scope: ReportScope) -> RecoveryReport:
    async with engine.connect() as conn:
        return await recovery_report(conn, scope)


def _money_row(figures: RecoveryFigures) -> tuple[int, Decimal, Decimal, Decimal, int]:
    return (
        figures.cases,
        figures.value_recovered,
        figures.repair_cost,
        figures.net_value,
        figures.redeployed,
    )


def _turnaround_h(figures: RecoveryFigures) -> tuple[float | None, ...]:
    return tuple(
        None if value is None else round(value / HOUR, 6)
        for value in (
            figures.intake_to_decision_p50_s,
            figures.intake_to_decision_p90_s,
            figures.intake_to_done_p50_s,
            figures.intake_to_done_p90_s,
        )
    )


async def test_recovery_overall(report_engine: AsyncEngine) -> None:
    report = await _recovery(report_engine, ReportScope())
    d = Decimal
    overall = report.overall
    # 5 closed cases: 50.00 + 1.20 + 30.00 + 42.50 + 300.00 = 423.70 recovered,
    # 10.00 + 5.00 + 2.50 = 17.50 of repairs, 406.20 net; 2 of 5 redeployed
    assert _money_row(overall) == (5, d("423.70"), d("17.50"), d("406.20"), 2)
    assert overall.redeployment_rate == 0.4
    # decision: 6, 10, 18, 24, 60 h → p50 18; p90 at 4.6 = 24 + 0.6 * (60 - 24) = 45.6
    # done: 19, 28, 30, 48, 72 h → p50 30; p90 = 48 + 0.6 * (72 - 48) = 62.4
    assert _turnaround_h(overall) == (18, 45.6, 30, 62.4)


async def test_recovery_per_category_path_and_week(report_engine: AsyncEngine) -> None:
    report = await _recovery(report_engine, ReportScope())
    d = Decimal
    assert [(g.key, *_money_row(g)) for g in report.by_category] == [  # largest net first
        ("product_failure", 1, d("300.00"), d("0.00"), d("300.00"), 0),
        ("customer_return", 2, d("92.50"), d("12.50"), d("80.00"), 2),
        ("end_of_lease", 1, d("30.00"), d("5.00"), d("25.00"), 0),
        ("damaged_in_use", 1, d("1.20"), d("0.00"), d("1.20"), 0),
    ]
    customer_return = report.by_category[1]
    assert customer_return.redeployment_rate == 1.0
    # decision 18, 6 → p50 12, p90 = 6 + 0.9 * 12 = 16.8; done 28, 30 → 29, 29.8
    assert _turnaround_h(customer_return) == (12, 16.8, 29, 29.8)
    by_path = {g.key: _money_row(g) for g in report.by_path}
    assert by_path == {
        "parts": (1, d("300.00"), d("0.00"), d("300.00"), 0),
        "redeploy": (2, d("92.50"), d("12.50"), d("80.00"), 2),
        "resale": (1, d("30.00"), d("5.00"), d("25.00"), 0),
        "recycling": (1, d("1.20"), d("0.00"), d("1.20"), 0),
    }
    weekly = [(w.week.isoformat(), *_money_row(w)) for w in report.weekly]
    assert weekly == [
        ("2026-10-05", 1, d("50.00"), d("10.00"), d("40.00"), 1),
        ("2026-10-12", 2, d("301.20"), d("0.00"), d("301.20"), 0),
        ("2026-10-19", 1, d("30.00"), d("5.00"), d("25.00"), 0),
        ("2026-10-26", 1, d("42.50"), d("2.50"), d("40.00"), 1),
    ]
    # the week of 12 Oct: done after 19 h and 72 h → p50 45.5
    assert report.weekly[1].intake_to_done_p50_s == 45.5 * HOUR


async def test_recovery_range_and_site(report_engine: AsyncEngine) -> None:
    d = Decimal
    # closed in [250 h, 500 h): r2's parts (272), r1's recycling (320), c1's resale (448)
    ranged = await _recovery(report_engine, ReportScope(since=hours(250), until=hours(500)))
    assert _money_row(ranged.overall) == (3, d("331.20"), d("5.00"), d("326.20"), 0)
    assert ranged.overall.redeployment_rate == 0.0
    dc2 = await _recovery(report_engine, ReportScope(sites=("dc2",)))
    assert _money_row(dc2.overall) == (1, d("300.00"), d("0.00"), d("300.00"), 0)
    assert [g.key for g in dc2.by_path] == ["parts"]
    nothing = await _recovery(report_engine, ReportScope(until=hours(1)))
    assert _money_row(nothing.overall) == (0, d("0"), d("0"), d("0"), 0)
    assert nothing.overall.redeployment_rate is None
    assert nothing.by_category == nothing.weekly == []
