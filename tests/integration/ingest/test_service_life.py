"""Service and life on the real PostgreSQL: next due dates, and the sweeper's service_due,
replacement_due and unexpected_location rules at their thresholds (dates worked out by hand)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ingest_harness import fresh_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from simulators.world import World
from tagtrail.cli.service import service_app
from tagtrail.settings import Settings
from tracker.domain import AlertKind
from tracker.service import ServiceEntry, ServiceKind, next_due_at, record_service
from tracker.sweep import SweepReport, sweep

WORLD = World(asset_count=1, door_count=1)
CRATE = WORLD.asset_type  # service every 90 days, replaced after 1000 days or 3 trips
COMMISSIONED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REGISTERED = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture(scope="module")
async def engine(base_settings: Settings) -> AsyncIterator[AsyncEngine]:
    async with fresh_database(base_settings, WORLD) as url:
        created = create_async_engine(url, pool_size=2)
        async with created.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE asset_types SET service_interval_days = 90, max_age_days = 1000, "
                    "max_trips = 3, storage_zone_kind = 'storage'"
                )
            )
            await conn.execute(
                text("INSERT INTO asset_types (id, name) VALUES ('rack', 'Rack: no limits')")
            )
        yield created
        await created.dispose()


@pytest.fixture(autouse=True)
async def clean(engine: AsyncEngine) -> None:
    """No assets, history or rules; not_seen off, so the fixture's silent crates stay put."""
    await run(
        engine,
        "TRUNCATE assets, asset_state, alerts, asset_events, outbox, alert_rules, "
        "service_records CASCADE",
    )
    await add_rule(engine, "not_seen", None, enabled=False)


async def run(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), params)


async def add_asset(
    engine: AsyncEngine,
    asset_id: str,
    *,
    commissioned: datetime | None = COMMISSIONED,
    type_id: str = CRATE,
) -> None:
    await run(
        engine,
        "INSERT INTO assets (id, type_id, home_site_id, commissioned_at, created_at) "
        "VALUES (:id, :type, 'dc1', :commissioned, :created)",
        id=asset_id,
        type=type_id,
        commissioned=commissioned,
        created=REGISTERED,
    )


async def place(
    engine: AsyncEngine, asset_id: str, zone: str, *, status: str = "in_service", trips: int = 0
) -> None:
    await run(
        engine,
        "UPDATE asset_state SET status = :status, site_id = 'dc1', zone_id = :zone, "
        "custodian_id = 'site:dc1', trips = :trips WHERE asset_id = :id",
        id=asset_id,
        status=status,
        zone=zone,
        trips=trips,
    )


async def record_event(
    engine: AsyncEngine, asset_id: str, kind: str, at: datetime, **zone: str
) -> None:
    """A history row as the consumer writes it (zone_id from the payload's zone)."""
    await run(
        engine,
        "INSERT INTO asset_events (asset_id, kind, occurred_at, site_id, zone_id) "
        "VALUES (:id, :kind, :at, 'dc1', :zone)",
        id=asset_id,
        kind=kind,
        at=at,
        zone=zone.get("zone"),
    )


async def add_rule(
    engine: AsyncEngine,
    kind: str,
    threshold: timedelta | None,
    *,
    asset_type_id: str | None = None,
    site_id: str | None = None,
    severity: str = "warning",
    enabled: bool = True,
) -> None:
    await run(
        engine,
        "INSERT INTO alert_rules (kind, asset_type_id, site_id, threshold_s, severity, enabled) "
        "VALUES (:kind, :type, :site, :threshold, :severity, :enabled)",
        kind=kind,
        type=asset_type_id,
        site=site_id,
        threshold=None if threshold is None else int(threshold.total_seconds()),
        severity=severity,
        enabled=enabled,
    )


async def sweep_at(engine: AsyncEngine, now: datetime) -> SweepReport:
    async with engine.connect() as conn:
        return await sweep(conn, now)


async def alerts(engine: AsyncEngine, kind: AlertKind, status: str = "open") -> dict[str, Any]:
    """asset id → its alert of this kind in this status."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM alerts WHERE kind = :kind AND status = :status"),
            {"kind": kind.value, "status": status},
        )
        return {row["asset_id"]: dict(row) for row in rows.mappings()}


async def due_of(engine: AsyncEngine, asset_id: str) -> datetime | None:
    async with engine.connect() as conn:
        return await next_due_at(conn, asset_id)


async def record(engine: AsyncEngine, entry: ServiceEntry, now: datetime) -> Any:
    async with engine.begin() as conn:
        return await record_service(conn, entry, now)


# ------------------------------------------------------------------------------ service_due


async def test_service_falls_due_one_interval_after_commissioning_or_registration(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "commissioned")  # 2026-03-01 09:00 + 90 days
    await add_asset(engine, "never-commissioned", commissioned=None)  # registered 04-01 12:00
    await add_asset(engine, "rack", type_id="rack")  # its type has no interval
    first, second = utc(2026, 5, 30, 9), utc(2026, 6, 30, 12)
    assert await due_of(engine, "commissioned") == first
    assert await due_of(engine, "never-commissioned") == second
    assert await due_of(engine, "rack") is None

    assert (await sweep_at(engine, first - TICK)).of(AlertKind.service_due).alerts_raised == 0
    await sweep_at(engine, first)
    assert set(await alerts(engine, AlertKind.service_due)) == {"commissioned"}
    await sweep_at(engine, second - TICK)
    assert set(await alerts(engine, AlertKind.service_due)) == {"commissioned"}
    await sweep_at(engine, second + 365 * DAY)

    raised = await alerts(engine, AlertKind.service_due)
    assert set(raised) == {"commissioned", "never-commissioned"}
    assert raised["commissioned"]["raised_at"] == first
    assert raised["never-commissioned"]["raised_at"] == second + 365 * DAY
    assert raised["commissioned"]["severity"] == "info"  # DEFAULT_RULES
    assert raised["commissioned"]["site_id"] == "dc1"


async def test_a_service_record_moves_the_due_date_and_settles_the_alert(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "c1")
    await sweep_at(engine, utc(2026, 5, 30, 9))
    serviced = utc(2026, 6, 2, 14)

    recorded = await record(
        engine,
        ServiceEntry(
            asset_id="c1",
            kind=ServiceKind.service,
            performed_at=serviced,
            performed_by="workshop",
            cost=Decimal("18.00"),
        ),
        serviced + HOUR,
    )

    assert recorded.next_due_at == utc(2026, 8, 31, 14)  # 06-02 14:00 + 90 days
    assert recorded.resolved_alert
    assert await alerts(engine, AlertKind.service_due) == {}
    assert (await alerts(engine, AlertKind.service_due, "resolved"))["c1"]["resolved_at"] == (
        serviced + HOUR
    )
    await sweep_at(engine, utc(2026, 8, 31, 14) - TICK)
    assert await alerts(engine, AlertKind.service_due) == {}
    await sweep_at(engine, utc(2026, 8, 31, 14))
    assert (await alerts(engine, AlertKind.service_due))["c1"]["raised_at"] == utc(2026, 8, 31, 14)


async def test_a_given_next_due_date_wins_and_only_the_latest_record_counts(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "c1")
    calibrated = utc(2026, 7, 1, 10)
    given = utc(2026, 7, 15, 10)
    await record(
        engine,
        ServiceEntry(
            asset_id="c1",
            kind=ServiceKind.calibration,
            performed_at=calibrated,
            performed_by="lab",
            next_due_at=given,
        ),
        calibrated,
    )
    # Entered afterwards but performed earlier: not the latest record.
    await record(
        engine,
        ServiceEntry(
            asset_id="c1",
            kind=ServiceKind.inspection,
            performed_at=calibrated - 10 * DAY,
            performed_by="olga",
        ),
        calibrated + DAY,
    )

    assert await due_of(engine, "c1") == given
    await sweep_at(engine, given - TICK)
    assert await alerts(engine, AlertKind.service_due) == {}
    await sweep_at(engine, given)
    assert set(await alerts(engine, AlertKind.service_due)) == {"c1"}


async def test_service_due_overrides_a_lead_time_for_the_type_and_off_for_a_site(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "c1")
    due = utc(2026, 5, 30, 9)
    await add_rule(engine, "service_due", -7 * DAY, asset_type_id=CRATE, severity="warning")

    await sweep_at(engine, due - 7 * DAY - TICK)
    assert await alerts(engine, AlertKind.service_due) == {}
    await sweep_at(engine, due - 7 * DAY)
    raised = (await alerts(engine, AlertKind.service_due))["c1"]
    assert (raised["raised_at"], raised["severity"]) == (due - 7 * DAY, "warning")

    # Resolved by hand: not raised again for the same due date.
    await run(engine, "UPDATE alerts SET status = 'resolved'")
    assert (await sweep_at(engine, due)).of(AlertKind.service_due).alerts_raised == 0

    # A site's own row beats the type's: switched off at dc1.
    await run(engine, "TRUNCATE alerts")
    await add_rule(engine, "service_due", None, site_id="dc1", enabled=False)
    assert (await sweep_at(engine, due + 365 * DAY)).of(AlertKind.service_due).alerts_raised == 0


# -------------------------------------------------------------------------- replacement_due


async def test_replacement_falls_due_at_the_age_limit(engine: AsyncEngine) -> None:
    await add_asset(engine, "old")  # 2026-03-01 09:00 + 1000 days
    await add_asset(engine, "rack", type_id="rack")
    limit = utc(2028, 11, 25, 9)

    before = await sweep_at(engine, limit - TICK)
    assert before.of(AlertKind.replacement_due).alerts_raised == 0
    report = await sweep_at(engine, limit)

    assert report.of(AlertKind.replacement_due).alerts_raised == 1
    raised = (await alerts(engine, AlertKind.replacement_due))["old"]
    assert raised["raised_at"] == limit
    assert raised["value_at_risk"] == Decimal("42.50")  # the crate type's replacement value
    assert (await sweep_at(engine, limit + DAY)).of(AlertKind.replacement_due).alerts_raised == 0


async def test_replacement_falls_due_after_the_trip_limit_with_the_types_grace(
    engine: AsyncEngine,
) -> None:
    returns = [utc(2026, 9, 1, 8), utc(2026, 9, 20, 8), utc(2026, 10, 9, 8)]
    for asset_id, trips in (("worn", 3), ("two-trips", 2)):
        await add_asset(engine, asset_id)
        await place(engine, asset_id, "dc1-storage", trips=trips)
        for returned in returns[:trips]:
            await record_event(engine, asset_id, "turnaround_recorded", returned)
    await add_rule(engine, "replacement_due", DAY, asset_type_id=CRATE)
    third_return = returns[2]

    await sweep_at(engine, third_return + DAY - TICK)
    assert await alerts(engine, AlertKind.replacement_due) == {}
    await sweep_at(engine, third_return + DAY)

    raised = await alerts(engine, AlertKind.replacement_due)
    assert set(raised) == {"worn"}
    assert raised["worn"]["raised_at"] == third_return + DAY


async def test_trips_counted_before_tagtrail_are_due_at_once(engine: AsyncEngine) -> None:
    await add_asset(engine, "imported")
    await place(engine, "imported", "dc1-storage", trips=7)  # no turnaround history here

    await sweep_at(engine, utc(2026, 6, 1))

    assert set(await alerts(engine, AlertKind.replacement_due)) == {"imported"}


# ---------------------------------------------------------------------- unexpected_location


async def test_away_from_storage_longer_than_four_hours_raises_unexpected_location(
    engine: AsyncEngine,
) -> None:
    stored, entered_yard = utc(2026, 11, 2, 6), utc(2026, 11, 2, 9, 30)
    for asset_id in ("in-yard", "in-storage", "rack-in-yard"):
        await add_asset(engine, asset_id, type_id="rack" if asset_id == "rack-in-yard" else CRATE)
        await record_event(engine, asset_id, "asset_arrived", stored, zone="dc1-storage")
    await record_event(engine, "in-yard", "asset_moved", entered_yard, zone="dc1-yard")
    await record_event(engine, "rack-in-yard", "asset_moved", entered_yard, zone="dc1-yard")
    await place(engine, "in-yard", "dc1-yard")
    await place(engine, "in-storage", "dc1-storage")
    await place(engine, "rack-in-yard", "dc1-yard")  # no storage kind for its type
    fires = entered_yard + 4 * HOUR  # DEFAULT_RULES: 4 hours

    await sweep_at(engine, fires - TICK)
    assert await alerts(engine, AlertKind.unexpected_location) == {}
    report = await sweep_at(engine, fires)

    assert report.of(AlertKind.unexpected_location).alerts_raised == 1
    raised = (await alerts(engine, AlertKind.unexpected_location))["in-yard"]
    assert (raised["raised_at"], raised["site_id"]) == (fires, "dc1")
    assert raised["details"]["reference_at"] == entered_yard.isoformat()


async def test_unexpected_location_counts_from_the_latest_entry_and_a_site_override(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "c1")
    back_in_dock = utc(2026, 11, 2, 12)
    await record_event(engine, "c1", "asset_moved", utc(2026, 11, 1, 8), zone="dc1-dock")
    await record_event(engine, "c1", "asset_moved", utc(2026, 11, 1, 9), zone="dc1-storage")
    await record_event(engine, "c1", "asset_moved", back_in_dock, zone="dc1-dock")
    await place(engine, "c1", "dc1-dock")
    await add_rule(engine, "unexpected_location", timedelta(minutes=30), site_id="dc1")

    await sweep_at(engine, back_in_dock + timedelta(minutes=30) - TICK)
    assert await alerts(engine, AlertKind.unexpected_location) == {}
    await sweep_at(engine, back_in_dock + timedelta(minutes=30))

    assert set(await alerts(engine, AlertKind.unexpected_location)) == {"c1"}


async def test_unexpected_location_resolves_itself_once_the_asset_is_back_or_gone(
    engine: AsyncEngine,
) -> None:
    entered_yard = utc(2026, 11, 2, 9)
    for asset_id in ("stays", "back-in-storage", "left-site", "in-recovery"):
        await add_asset(engine, asset_id)
        await record_event(engine, asset_id, "asset_moved", entered_yard, zone="dc1-yard")
        await place(engine, asset_id, "dc1-yard")
    fires = entered_yard + 4 * HOUR
    await sweep_at(engine, fires)
    assert len(await alerts(engine, AlertKind.unexpected_location)) == 4

    await place(engine, "back-in-storage", "dc1-storage")
    await run(
        engine,
        "UPDATE asset_state SET status = 'in_transit', site_id = NULL, zone_id = NULL "
        "WHERE asset_id = 'left-site'",
    )
    await place(engine, "in-recovery", "dc1-yard", status="in_recovery")
    later = fires + HOUR
    report = await sweep_at(engine, later)

    assert report.alerts_resolved == 3
    assert set(await alerts(engine, AlertKind.unexpected_location)) == {"stays"}
    resolved = await alerts(engine, AlertKind.unexpected_location, status="resolved")
    assert set(resolved) == {"back-in-storage", "left-site", "in-recovery"}
    assert {(a["resolved_at"], a["resolved_by"]) for a in resolved.values()} == {(later, "tracker")}
    async with engine.connect() as conn:
        published = await conn.execute(
            text(
                "SELECT e.asset_id, e.payload ->> 'alert_kind' FROM outbox o "
                "JOIN asset_events e ON e.id = o.asset_event_id WHERE o.event_kind = "
                "'alert_resolved' ORDER BY e.asset_id"
            )
        )
        assert [tuple(row) for row in published] == [
            ("back-in-storage", "unexpected_location"),
            ("in-recovery", "unexpected_location"),
            ("left-site", "unexpected_location"),
        ]
    # the asset that stayed in the yard keeps its alert, and nothing is resolved twice
    assert (await sweep_at(engine, later + HOUR)).alerts_resolved == 0


async def test_an_asset_out_of_service_is_never_in_an_unexpected_location(
    engine: AsyncEngine,
) -> None:
    await add_asset(engine, "c1")
    await record_event(engine, "c1", "asset_moved", utc(2026, 11, 1, 8), zone="dc1-repair")
    await place(engine, "c1", "dc1-repair", status="in_recovery")

    await sweep_at(engine, utc(2026, 11, 10))

    assert await alerts(engine, AlertKind.unexpected_location) == {}


# ---------------------------------------------------------------------------------- the CLI


async def test_the_cli_records_a_service_and_lists_what_is_due(engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    await add_asset(engine, "overdue", commissioned=now - 200 * DAY)
    await add_asset(engine, "fresh", commissioned=now - 10 * DAY)
    env = {**os.environ, "TAGTRAIL_DATABASE_URL": engine.url.render_as_string(False)}
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(service_app, list(args), env=env)

    due = await asyncio.to_thread(invoke, "due", "--site", "dc1")
    serviced = (now - HOUR).isoformat()
    recorded = await asyncio.to_thread(
        invoke, "record", "overdue", "--kind", "repair", "--at", serviced, "--by", "workshop"
    )
    naive = await asyncio.to_thread(
        invoke, "record", "fresh", "--kind", "service", "--at", "2026-11-02T10:00", "--by", "x"
    )
    after = await asyncio.to_thread(invoke, "due")

    assert due.exit_code == 0, due.output
    assert "overdue" in due.output
    assert "fresh" not in due.output
    assert recorded.exit_code == 0, recorded.output
    assert (now - HOUR + 90 * DAY).date().isoformat() in recorded.output
    assert naive.exit_code == 2
    assert "timezone offset" in naive.output
    assert after.output.strip() == "nothing due"
