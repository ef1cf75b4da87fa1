"""The sweeper on the real PostgreSQL: thresholds to the microsecond, overrides, value at risk,
concurrent sweepers, and a consumer's fresher sighting winning over a sweep."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.domain import AlertKind, AlertRaised, AssetStatusChanged
from tracker.sweep import RuleOutcome, SweepReport, sweep, sweep_observation_id

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
REGISTERED = T0 - timedelta(days=60)
TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def sweep_engine(base_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A fresh, migrated database for this module: two sites, two asset types, a customer."""
    admin = await asyncpg.connect(_asyncpg_dsn(base_settings.db_url()), timeout=5)
    name = f"tagtrail_sweep_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(base_settings.db_url()).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, rendered)
        engine = create_async_engine(rendered, pool_size=4)
        async with engine.begin() as conn:
            for statement in _WORLD:
                await conn.execute(text(statement))
        yield engine
        await engine.dispose()
    finally:
        await drop_database(base_settings.db_url(), name)


_WORLD = (
    "INSERT INTO sites (id, name) VALUES ('dc1', 'DC 1'), ('dc2', 'DC 2')",
    "INSERT INTO custodians (id, name, kind, site_id) VALUES "
    "('site:dc1', 'DC 1', 'site', 'dc1'), ('site:dc2', 'DC 2', 'site', 'dc2')",
    "INSERT INTO custodians (id, name, kind, return_days) VALUES ('acme', 'Acme', 'customer', 14)",
    "INSERT INTO asset_types (id, name, replacement_value) VALUES "
    "('crate', 'Crate', 42.50), ('rack', 'Rack', 900.00)",
)


@pytest.fixture(autouse=True)
async def clean(sweep_engine: AsyncEngine) -> None:
    """Every test starts with no assets, no rules, no history."""
    async with sweep_engine.begin() as conn:
        await conn.execute(
            text("TRUNCATE assets, asset_state, alerts, asset_events, outbox, alert_rules CASCADE")
        )


async def run(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), params)


async def add_asset(
    engine: AsyncEngine,
    asset_id: str,
    *,
    type_id: str = "crate",
    site: str = "dc1",
    value: Decimal | None = None,
) -> None:
    await run(
        engine,
        "INSERT INTO assets (id, type_id, home_site_id, value, created_at) "
        "VALUES (:id, :type, :site, :value, :created)",
        id=asset_id,
        type=type_id,
        site=site,
        value=value,
        created=REGISTERED,
    )


async def set_state(
    engine: AsyncEngine,
    asset_id: str,
    status: str,
    *,
    last_seen_at: datetime | None = None,
    return_due_at: datetime | None = None,
    site: str | None = "dc1",
) -> None:
    custodian = f"site:{site}" if status == "in_service" and site else "acme"
    await run(
        engine,
        "INSERT INTO asset_state (asset_id, status, site_id, custodian_id, last_seen_at, "
        "return_due_at) VALUES (:id, :status, :site, :custodian, :seen, :due) "
        "ON CONFLICT (asset_id) DO UPDATE SET status = EXCLUDED.status, "
        "site_id = EXCLUDED.site_id, custodian_id = EXCLUDED.custodian_id, "
        "last_seen_at = EXCLUDED.last_seen_at, return_due_at = EXCLUDED.return_due_at",
        id=asset_id,
        status=status,
        site=site,
        custodian=custodian,
        seen=last_seen_at,
        due=return_due_at,
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


async def statuses(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT asset_id, status FROM asset_state"))
        return {str(asset_id): str(status) for asset_id, status in rows}


async def open_alerts(engine: AsyncEngine, kind: str) -> dict[str, dict[str, Any]]:
    """asset id → the alert row; fails the test if an asset has two open alerts of one kind."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT * FROM alerts WHERE kind = :kind AND status <> 'resolved'"),
                {"kind": kind},
            )
        ).mappings()
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            assert row["asset_id"] not in found, f"two open {kind} alerts for {row['asset_id']}"
            found[row["asset_id"]] = dict(row)
        return found


async def events_of(engine: AsyncEngine, asset_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT kind, occurred_at, observation_id, payload FROM asset_events "
                "WHERE asset_id = :id ORDER BY id"
            ),
            {"id": asset_id},
        )
        return [dict(row) for row in rows.mappings()]


def payload_keys(event_type: type[AlertRaised | AssetStatusChanged]) -> set[str]:
    header = {"asset_id", "observation_id", "occurred_at"}
    return {field.name for field in fields(event_type)} - header


# ------------------------------------------------------------------ thresholds, to the µs


async def test_not_seen_marks_missing_exactly_seven_days_after_the_last_sighting(
    sweep_engine: AsyncEngine,
) -> None:
    await add_asset(sweep_engine, "a1")
    await set_state(sweep_engine, "a1", "in_service", last_seen_at=T0)
    fires = T0 + 7 * DAY  # DEFAULT_RULES: not_seen after 7 days

    early = await sweep_at(sweep_engine, fires - TICK)
    assert early.status_changed == 0
    assert await statuses(sweep_engine) == {"a1": "in_service"}

    report = await sweep_at(sweep_engine, fires)

    assert report.of(AlertKind.not_seen).status_changed == 1
    assert await statuses(sweep_engine) == {"a1": "missing"}
    alert = (await open_alerts(sweep_engine, "not_seen"))["a1"]
    assert (alert["raised_at"], alert["severity"], alert["site_id"]) == (fires, "warning", "dc1")
    assert (alert["custodian_id"], alert["value_at_risk"]) == ("site:dc1", Decimal("42.50"))
    changed, raised = await events_of(sweep_engine, "a1")
    assert changed["kind"] == "asset_status_changed"
    assert changed["payload"] == {
        "from_status": "in_service",
        "to_status": "missing",
        "cause": "marked_missing",
    }
    assert set(changed["payload"]) == payload_keys(AssetStatusChanged)
    assert raised["kind"] == "alert_raised"
    assert raised["payload"] == {
        "alert_kind": "not_seen",
        "reason": "marked missing by sweeper",
        "site_id": "dc1",
        "replacement_value": None,
    }
    assert set(raised["payload"]) == payload_keys(AlertRaised)
    assert {e["occurred_at"] for e in (changed, raised)} == {fires}
    assert {e["observation_id"] for e in (changed, raised)} == {
        sweep_observation_id(AlertKind.not_seen, fires)
    }


async def test_a_never_seen_asset_counts_from_its_registration(sweep_engine: AsyncEngine) -> None:
    await add_asset(sweep_engine, "quiet")  # only its default state row: never seen
    await add_asset(sweep_engine, "seen")
    await set_state(sweep_engine, "seen", "in_service", last_seen_at=T0)

    await sweep_at(sweep_engine, REGISTERED + 7 * DAY - TICK)
    assert await statuses(sweep_engine) == {"quiet": "in_service", "seen": "in_service"}
    await sweep_at(sweep_engine, REGISTERED + 7 * DAY)

    assert await statuses(sweep_engine) == {"quiet": "missing", "seen": "in_service"}
    assert (await open_alerts(sweep_engine, "not_seen"))["quiet"]["custodian_id"] == "site:dc1"


async def test_every_sweep_event_reaches_the_outbox_in_the_consumers_shape(
    sweep_engine: AsyncEngine,
) -> None:
    await add_asset(sweep_engine, "a1")
    await set_state(sweep_engine, "a1", "in_service", last_seen_at=T0)
    await sweep_at(sweep_engine, T0 + 8 * DAY)

    async with sweep_engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT o.event_kind, o.payload, e.id FROM outbox o "
                "JOIN asset_events e ON e.id = o.asset_event_id ORDER BY o.id"
            )
        )
        outbox = [(kind, payload, event_id) for kind, payload, event_id in rows]
    assert [kind for kind, _, _ in outbox] == ["asset_status_changed", "alert_raised"]
    for kind, payload, event_id in outbox:
        assert set(payload) == {"id", "asset_id", "kind", "occurred_at", "payload"}
        assert (payload["id"], payload["asset_id"], payload["kind"]) == (event_id, "a1", kind)


async def test_overdue_return_fires_at_the_due_date_once_per_due_date(
    sweep_engine: AsyncEngine,
) -> None:
    await add_asset(sweep_engine, "out")
    await set_state(sweep_engine, "out", "at_custodian", return_due_at=T0, site=None)

    await sweep_at(sweep_engine, T0 - TICK)
    assert await open_alerts(sweep_engine, "overdue_return") == {}
    await sweep_at(sweep_engine, T0)  # DEFAULT_RULES: no grace period
    alert = (await open_alerts(sweep_engine, "overdue_return"))["out"]
    assert (alert["raised_at"], alert["custodian_id"], alert["site_id"]) == (T0, "acme", "dc1")
    assert await statuses(sweep_engine) == {"out": "at_custodian"}  # an alert, no transition

    # Resolved by hand while still out: not raised again for the same missed date ...
    await run(sweep_engine, "UPDATE alerts SET status = 'resolved', resolved_at = :at", at=T0)
    again = await sweep_at(sweep_engine, T0 + DAY)
    assert again.alerts_raised == 0
    # ... but a new dispatch with a new due date that is missed too is a new alert.
    await set_state(sweep_engine, "out", "in_transit", return_due_at=T0 + 10 * DAY, site=None)
    await sweep_at(sweep_engine, T0 + 10 * DAY)
    assert (await open_alerts(sweep_engine, "overdue_return"))["out"]["raised_at"] == T0 + 10 * DAY
    assert [e["kind"] for e in await events_of(sweep_engine, "out")] == ["alert_raised"] * 2


async def test_lost_carries_the_value_at_risk_thirty_days_after_going_missing(
    sweep_engine: AsyncEngine,
) -> None:
    await add_asset(sweep_engine, "own-value", value=Decimal("99.90"))
    await add_asset(sweep_engine, "type-value", type_id="rack")
    for asset_id in ("own-value", "type-value"):
        await set_state(sweep_engine, asset_id, "in_service", last_seen_at=T0)
    missing_at = T0 + 7 * DAY
    await sweep_at(sweep_engine, missing_at)

    await sweep_at(sweep_engine, missing_at + 30 * DAY - TICK)
    assert set((await statuses(sweep_engine)).values()) == {"missing"}
    report = await sweep_at(sweep_engine, missing_at + 30 * DAY)

    assert report.of(AlertKind.lost).status_changed == 2
    assert await statuses(sweep_engine) == {"own-value": "lost", "type-value": "lost"}
    lost = await open_alerts(sweep_engine, "lost")
    assert {a: row["value_at_risk"] for a, row in lost.items()} == {
        "own-value": Decimal("99.90"),
        "type-value": Decimal("900.00"),
    }
    assert {row["severity"] for row in lost.values()} == {"critical"}
    *_, changed, raised = await events_of(sweep_engine, "own-value")
    assert changed["payload"] == {
        "from_status": "missing",
        "to_status": "lost",
        "cause": "written_off",
    }
    assert raised["payload"]["replacement_value"] == "99.90"
    assert raised["payload"]["reason"] == "missing past the write-off threshold"


async def test_lost_counts_from_a_missing_transition_the_consumer_recorded(
    sweep_engine: AsyncEngine,
) -> None:
    """An audit (through the consumer) marked it missing: the event dates the transition."""
    await add_asset(sweep_engine, "audited")
    await set_state(sweep_engine, "audited", "missing", last_seen_at=T0 - 3 * DAY)
    await run(
        sweep_engine,
        "INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, payload) "
        "VALUES ('audited', 'asset_status_changed', :at, 'audit-1', "
        '\'{"from_status": "in_service", "to_status": "missing", '
        '"cause": "marked_missing"}\')',
        at=T0,
    )
    await sweep_at(sweep_engine, T0 + 30 * DAY - TICK)
    assert await statuses(sweep_engine) == {"audited": "missing"}
    await sweep_at(sweep_engine, T0 + 30 * DAY)
    assert await statuses(sweep_engine) == {"audited": "lost"}


async def test_a_missing_asset_sighted_since_is_not_written_off(sweep_engine: AsyncEngine) -> None:
    await add_asset(sweep_engine, "back")
    await set_state(sweep_engine, "back", "in_service", last_seen_at=T0)
    await sweep_at(sweep_engine, T0 + 7 * DAY)
    # A read the consumer recorded only as a sighting (its presence had not closed yet).
    await run(sweep_engine, "UPDATE asset_state SET last_seen_at = :at", at=T0 + 8 * DAY)

    await sweep_at(sweep_engine, T0 + 60 * DAY)

    assert await statuses(sweep_engine) == {"back": "missing"}
    assert await open_alerts(sweep_engine, "lost") == {}


# ------------------------------------------------------------------ overrides


async def test_site_override_beats_type_override_beats_default(sweep_engine: AsyncEngine) -> None:
    await add_rule(sweep_engine, "not_seen", DAY, asset_type_id="rack")
    await add_rule(sweep_engine, "not_seen", 2 * DAY, site_id="dc2", severity="critical")
    # (asset id, type, site) → hand-computed threshold
    expected = {
        ("crate-1", "crate", "dc1"): 7 * DAY,  # default
        ("rack-1", "rack", "dc1"): DAY,  # type override
        ("crate-2", "crate", "dc2"): 2 * DAY,  # site override
        ("rack-2", "rack", "dc2"): 2 * DAY,  # site beats type
    }
    for (asset_id, type_id, site), _ in expected.items():
        await add_asset(sweep_engine, asset_id, type_id=type_id, site=site)
        await set_state(sweep_engine, asset_id, "in_service", last_seen_at=T0, site=site)

    threshold_of = {asset_id: threshold for (asset_id, _, _), threshold in expected.items()}

    async def missing() -> set[str]:
        return {a for a, status in (await statuses(sweep_engine)).items() if status == "missing"}

    for threshold in sorted(set(threshold_of.values())):
        await sweep_at(sweep_engine, T0 + threshold - TICK)
        assert await missing() == {a for a, t in threshold_of.items() if t < threshold}
        await sweep_at(sweep_engine, T0 + threshold)
        assert await missing() == {a for a, t in threshold_of.items() if t <= threshold}

    severities = {
        a: row["severity"] for a, row in (await open_alerts(sweep_engine, "not_seen")).items()
    }
    assert severities == {
        "crate-1": "warning",
        "rack-1": "warning",
        "crate-2": "critical",
        "rack-2": "critical",
    }


async def test_overrides_for_type_at_site_for_everything_and_disabled(
    sweep_engine: AsyncEngine,
) -> None:
    await add_rule(sweep_engine, "overdue_return", 3 * DAY)  # every type, every site
    await add_rule(sweep_engine, "overdue_return", DAY, asset_type_id="rack", site_id="dc2")
    await add_rule(sweep_engine, "overdue_return", 5 * DAY, site_id="dc2")
    await add_rule(sweep_engine, "overdue_return", None, asset_type_id="crate", enabled=False)
    cases = {
        "rack-dc2": ("rack", "dc2"),
        "rack-dc1": ("rack", "dc1"),
        "crate-dc1": ("crate", "dc1"),
    }
    for asset_id, (type_id, site) in cases.items():
        await add_asset(sweep_engine, asset_id, type_id=type_id, site=site)
        await set_state(sweep_engine, asset_id, "in_transit", return_due_at=T0, site=site)

    await sweep_at(sweep_engine, T0 + DAY - TICK)
    assert await open_alerts(sweep_engine, "overdue_return") == {}
    await sweep_at(sweep_engine, T0 + DAY)  # the rack at dc2: type-at-site row, 1 day
    assert set(await open_alerts(sweep_engine, "overdue_return")) == {"rack-dc2"}
    await sweep_at(sweep_engine, T0 + 3 * DAY - TICK)
    assert set(await open_alerts(sweep_engine, "overdue_return")) == {"rack-dc2"}
    await sweep_at(sweep_engine, T0 + 3 * DAY)  # the rack at dc1: the row for everything
    assert set(await open_alerts(sweep_engine, "overdue_return")) == {"rack-dc2", "rack-dc1"}
    await sweep_at(sweep_engine, T0 + 365 * DAY)  # crates: the type's row disables the rule
    assert set(await open_alerts(sweep_engine, "overdue_return")) == {"rack-dc2", "rack-dc1"}


# ------------------------------------------------------------------ concurrency


async def _sweep_twice_at_once(engine: AsyncEngine, now: datetime) -> list[SweepReport]:
    async with engine.connect() as first, engine.connect() as second:
        return list(await asyncio.gather(sweep(first, now), sweep(second, now)))


@pytest.mark.slow
async def test_two_sweepers_at_once_never_raise_an_alert_twice(sweep_engine: AsyncEngine) -> None:
    assets_per_rule, rounds = 60, 25
    # quiet-* and gone-*: in service and silent (not_seen, then lost); out-*: overdue_return
    for n in range(assets_per_rule):
        await add_asset(sweep_engine, f"quiet-{n:03d}")
        await add_asset(sweep_engine, f"out-{n:03d}")
        await add_asset(sweep_engine, f"gone-{n:03d}")
    overlapped = 0
    for round_number in range(rounds):
        await run(sweep_engine, "TRUNCATE asset_state, alerts, asset_events, outbox CASCADE")
        await run(
            sweep_engine,
            "INSERT INTO asset_state (asset_id, status, site_id, last_seen_at, return_due_at) "
            "SELECT id, CASE WHEN id LIKE 'out-%' THEN 'in_transit' ELSE 'in_service' END, "
            "'dc1', CAST(:seen AS timestamptz), "
            "CASE WHEN id LIKE 'out-%' THEN CAST(:seen AS timestamptz) END FROM assets",
            seen=T0,
        )
        now = T0 + 7 * DAY + timedelta(seconds=round_number)
        first = await _sweep_twice_at_once(sweep_engine, now)
        later = await _sweep_twice_at_once(sweep_engine, now + 30 * DAY)

        # Did both see the same silent assets? (Before sweeps took the events lock they did in
        # most rounds, and the compare-and-set kept them from acting twice.)
        overlapped += all(report.of(AlertKind.not_seen).candidates for report in first)
        raised = sum(report.alerts_raised for report in first + later)
        # each quiet/gone asset: not_seen then lost; each out asset: one overdue_return
        assert raised == 5 * assets_per_rule, f"round {round_number}"
        for kind in ("not_seen", "lost", "overdue_return"):
            await open_alerts(sweep_engine, kind)  # asserts one open alert per asset
        async with sweep_engine.connect() as conn:
            per_asset = await conn.execute(
                text(
                    "SELECT asset_id, kind, payload ->> 'alert_kind', payload ->> 'to_status', "
                    "count(*) FROM asset_events GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"
                )
            )
            assert per_asset.all() == [], f"round {round_number}"
    # Sweeps insert events, so they hold the events lock from their statement to their commit:
    # the second sweeper of a pair now always starts from what the first committed.
    assert overlapped == 0, f"{overlapped} rounds where both sweepers acted on the same assets"


async def _wait_until_blocked(engine: AsyncEngine) -> None:
    """Until some session of this database waits for a row lock."""
    for _ in range(500):
        async with engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the sweep never waited for the consumer's lock")


async def _consumer_commits_during_sweep(
    engine: AsyncEngine, now: datetime, change: str, **params: Any
) -> SweepReport:
    """The consumer's batch locks the row and changes it; a sweep starts and must wait;
    the batch commits; the sweep then finishes."""
    async with engine.connect() as consumer:
        await consumer.begin()
        await consumer.execute(
            text("SELECT asset_id FROM asset_state ORDER BY asset_id FOR UPDATE")
        )
        await consumer.execute(text(change), params)
        swept: Awaitable[SweepReport] = asyncio.ensure_future(sweep_at(engine, now))
        await _wait_until_blocked(engine)
        await consumer.commit()
    return await swept


async def test_a_fresher_sighting_wins_over_a_concurrent_not_seen_sweep(
    sweep_engine: AsyncEngine,
) -> None:
    await add_asset(sweep_engine, "a1")
    await set_state(sweep_engine, "a1", "in_service", last_seen_at=T0)

    report = await _consumer_commits_during_sweep(
        sweep_engine,
        T0 + 8 * DAY,
        "UPDATE asset_state SET last_seen_at = :at",
        at=T0 + 8 * DAY - timedelta(minutes=1),
    )

    assert report.of(AlertKind.not_seen).candidates == 1  # it looked silent when it started
    assert report.status_changed == 0
    assert await statuses(sweep_engine) == {"a1": "in_service"}
    assert await open_alerts(sweep_engine, "not_seen") == {}
    assert await events_of(sweep_engine, "a1") == []


async def test_a_reappearance_wins_over_a_concurrent_lost_sweep(sweep_engine: AsyncEngine) -> None:
    await add_asset(sweep_engine, "a1")
    await set_state(sweep_engine, "a1", "in_service", last_seen_at=T0)
    await sweep_at(sweep_engine, T0 + 7 * DAY)
    back_at = T0 + 40 * DAY

    report = await _consumer_commits_during_sweep(
        sweep_engine,
        back_at,
        "UPDATE asset_state SET status = 'in_service', last_seen_at = :at",
        at=back_at - timedelta(minutes=1),
    )

    # The lock re-check already dropped it from the candidates.
    assert report.of(AlertKind.lost) == RuleOutcome(AlertKind.lost, 0, 0, 0, 0)
    assert await statuses(sweep_engine) == {"a1": "in_service"}
    assert await open_alerts(sweep_engine, "lost") == {}


async def test_a_return_wins_over_a_concurrent_overdue_sweep(sweep_engine: AsyncEngine) -> None:
    await add_asset(sweep_engine, "a1")
    await set_state(sweep_engine, "a1", "at_custodian", return_due_at=T0, site=None)

    report = await _consumer_commits_during_sweep(
        sweep_engine,
        T0 + DAY,
        "UPDATE asset_state SET status = 'in_service', site_id = 'dc1', return_due_at = NULL, "
        "custodian_id = 'site:dc1', last_seen_at = :at",
        at=T0 + DAY - timedelta(minutes=1),
    )

    assert report.alerts_raised == 0
    assert await open_alerts(sweep_engine, "overdue_return") == {}


async def test_sweep_rejects_a_naive_now(sweep_engine: AsyncEngine) -> None:
    async with sweep_engine.connect() as conn:
        with pytest.raises(ValueError, match="timezone-aware"):
            await sweep(conn, datetime(2026, 11, 2, 8, 0))
