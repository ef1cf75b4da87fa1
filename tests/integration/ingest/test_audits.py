"""Audits on the real PostgreSQL: what an audit expects, which scans count, the report, and the
missing crates becoming `missing` through the domain with the audit as the cause."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ingest_harness import fresh_database
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from simulators.world import World
from tagtrail.cli.audit import audit_app
from tagtrail.settings import Settings
from tracker.audits import (
    AuditRefused,
    AuditReport,
    audit_observation_id,
    close_audit,
    list_audits,
    open_audit,
)

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
OPENED = T0 + timedelta(hours=1)
CLOSED = T0 + timedelta(hours=2)
WORLD = World(asset_count=8, door_count=1)
CRATES = [asset.id for asset in WORLD.assets]
STORAGE, YARD = "dc1-storage", "dc1-yard"


@pytest.fixture
async def engine(base_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Crates 0-4 in storage and 5 in the yard, all in service, seen before the audit; 6 out
    with a customer; 7 retired (never expected)."""
    async with fresh_database(base_settings, WORLD) as url:
        created = create_async_engine(url)
        placed = [(crate, "in_service", STORAGE) for crate in CRATES[:5]]
        placed += [(CRATES[5], "in_service", YARD), (CRATES[6], "at_custodian", None)]
        async with created.begin() as conn:
            for crate, status, zone in placed:
                await conn.execute(
                    text(
                        "UPDATE asset_state SET status = :status, site_id = :site, "
                        "zone_id = :zone, custodian_id = :custodian, last_seen_at = :seen "
                        "WHERE asset_id = :id"
                    ),
                    {
                        "id": crate,
                        "status": status,
                        "site": "dc1" if zone else None,
                        "zone": zone,
                        "custodian": "site:dc1" if zone else "acme",
                        "seen": T0,
                    },
                )
            await conn.execute(
                text("UPDATE assets SET retired_at = :at WHERE id = :id"),
                {"at": T0, "id": CRATES[7]},
            )
        yield created
        await created.dispose()


async def scan(engine: AsyncEngine, crate: str, zone: str, seen_at: datetime) -> None:
    """An `audit` scan as the consumer records it (tracker.store.record_audit_scans)."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit_scans (read_id, asset_id, site_id, zone_id, device_id, "
                "operator, seen_at) VALUES (:read, :asset, 'dc1', :zone, 'dc1-scanner', 'olga', "
                ":seen)"
            ),
            {
                "read": f"r-{crate}-{seen_at.isoformat()}",
                "asset": crate,
                "zone": zone,
                "seen": seen_at,
            },
        )


async def open_storage_audit(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        return await open_audit(conn, "dc1", STORAGE, "olga", OPENED)


async def close(engine: AsyncEngine, audit_id: int, at: datetime = CLOSED) -> AuditReport:
    async with engine.begin() as conn:
        return await close_audit(conn, audit_id, "piotr", at)


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


async def statuses(engine: AsyncEngine) -> dict[str, str]:
    found = await rows(engine, "SELECT asset_id, status FROM asset_state")
    return {row["asset_id"]: row["status"] for row in found}


async def test_closing_reports_found_missing_unexpected_and_marks_the_missing(
    engine: AsyncEngine,
) -> None:
    audit_id = await open_storage_audit(engine)
    await scan(engine, CRATES[3], STORAGE, OPENED - timedelta(minutes=1))  # before: not counted
    for minute, crate in enumerate(CRATES[:3]):
        await scan(engine, crate, STORAGE, OPENED + timedelta(minutes=10 + minute))
    await scan(engine, CRATES[5], STORAGE, OPENED + timedelta(minutes=20))  # from the yard

    report = await close(engine, audit_id)

    assert report.found == tuple(CRATES[:3])
    assert report.missing == (CRATES[3], CRATES[4])
    assert report.unexpected == (CRATES[5],)
    assert report.sighted_since_opening == ()
    after = await statuses(engine)
    assert [after[c] for c in CRATES[:6]] == ["in_service"] * 3 + ["missing"] * 2 + ["in_service"]
    alerts = await rows(
        engine,
        "SELECT asset_id, raised_at, site_id, details FROM alerts "
        "WHERE kind = 'not_seen' AND status = 'open' ORDER BY asset_id",
    )
    assert [a["asset_id"] for a in alerts] == [CRATES[3], CRATES[4]]
    assert {(a["raised_at"], a["site_id"]) for a in alerts} == {(CLOSED, "dc1")}
    assert {a["details"]["reason"] for a in alerts} == {"marked missing by audit"}
    changes = await rows(
        engine,
        "SELECT asset_id, occurred_at, observation_id, payload FROM asset_events "
        "WHERE kind = 'asset_status_changed' ORDER BY asset_id",
    )
    assert [c["asset_id"] for c in changes] == [CRATES[3], CRATES[4]]
    for change in changes:
        assert change["observation_id"] == audit_observation_id(audit_id)
        assert change["occurred_at"] == CLOSED
        assert change["payload"] == {
            "from_status": "in_service",
            "to_status": "missing",
            "cause": "marked_missing",
        }
    outbox = await rows(engine, "SELECT event_kind FROM outbox ORDER BY id")
    assert [o["event_kind"] for o in outbox] == ["asset_status_changed", "alert_raised"] * 2


async def test_closing_twice_is_refused_and_changes_nothing(engine: AsyncEngine) -> None:
    audit_id = await open_storage_audit(engine)
    await close(engine, audit_id)
    events_before = await rows(engine, "SELECT id FROM asset_events")

    with pytest.raises(AuditRefused, match="already closed"):
        await close(engine, audit_id, CLOSED + timedelta(hours=1))

    assert await rows(engine, "SELECT id FROM asset_events") == events_before
    (summary,) = await _list(engine)
    assert (summary.status, summary.closed_at, summary.closed_by) == ("closed", CLOSED, "piotr")
    assert (summary.expected, summary.found, summary.missing, summary.unexpected) == (5, 0, 5, 0)


async def _list(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list(await list_audits(conn))


async def test_the_expected_set_is_taken_when_the_audit_opens(engine: AsyncEngine) -> None:
    """A site audit expects every in-service crate there, not the one out with a customer or
    the retired one; a crate dispatched after opening and seen leaving is not called missing."""
    async with engine.begin() as conn:
        audit_id = await open_audit(conn, "dc1", None, "olga", OPENED)
    async with engine.begin() as conn:  # the consumer sees crate 0 leave during the count
        await conn.execute(
            text(
                "UPDATE asset_state SET status = 'in_transit', site_id = NULL, zone_id = NULL, "
                "custodian_id = 'acme', last_seen_at = :seen WHERE asset_id = :id"
            ),
            {"seen": OPENED + timedelta(minutes=5), "id": CRATES[0]},
        )
    for crate in CRATES[1:5]:
        await scan(engine, crate, STORAGE, OPENED + timedelta(minutes=15))

    report = await close(engine, audit_id)

    assert report.found == tuple(CRATES[1:5])
    assert report.missing == (CRATES[5],)  # in the yard, not counted anywhere
    assert report.sighted_since_opening == (CRATES[0],)
    assert report.unexpected == ()
    after = await statuses(engine)
    assert (after[CRATES[0]], after[CRATES[5]], after[CRATES[6]]) == (
        "in_transit",
        "missing",
        "at_custodian",
    )


async def test_an_audit_of_an_unknown_place_is_refused(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        with pytest.raises(AuditRefused, match="no zone 'dc9-storage'"):
            await open_audit(conn, "dc1", "dc9-storage", "olga", OPENED)
        with pytest.raises(AuditRefused, match="no site 'dc9'"):
            await open_audit(conn, "dc9", None, "olga", OPENED)
    assert await _list(engine) == []


async def test_the_cli_closes_an_audit_and_prints_its_report(engine: AsyncEngine) -> None:
    audit_id = await open_storage_audit(engine)
    await scan(engine, CRATES[0], STORAGE, datetime.now(UTC))
    env = {**os.environ, "TAGTRAIL_DATABASE_URL": engine.url.render_as_string(False)}
    runner = CliRunner()

    closed = await asyncio.to_thread(
        runner.invoke, audit_app, ["close", str(audit_id), "--by", "piotr"], env=env
    )
    again = await asyncio.to_thread(
        runner.invoke, audit_app, ["close", str(audit_id), "--by", "piotr"], env=env
    )
    listed = await asyncio.to_thread(runner.invoke, audit_app, ["list"], env=env)

    assert closed.exit_code == 0, closed.output
    assert "found" in closed.output
    assert CRATES[0] in closed.output
    assert f"{CRATES[1]}, {CRATES[2]}" in closed.output  # among the missing
    assert again.exit_code == 2
    assert "already closed" in again.output
    assert listed.exit_code == 0
    assert "closed" in listed.output
