"""Cases opened by rule: a return (inbound pass through the real consumer, or a handheld
check-in) of an asset whose type opens a case on return gets one at the next sweep — once,
and not when the type has no such rule, the return was never seen, a case was already opened
by hand, or the asset left again. Plus the CLI at the bench, on the same database."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ingest_harness import (
    create_topics,
    end_stream,
    fresh_database,
    publish,
    scoped,
    wait_caught_up,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from simulators.dock_stream import Pass, pass_reads
from simulators.world import World
from tagtrail.cli.consume import run_consumer
from tagtrail.cli.recovery import recovery_app
from tagtrail.settings import Settings
from tracker.domain import (
    HandheldAction,
    HandheldScanned,
    Observation,
    OpenDispatch,
    PortalDirection,
    PortalPassed,
    ZoneKind,
    apply,
)
from tracker.recovery import (
    CheckKind,
    CheckResult,
    Grade,
    RecoveryRefused,
    Redeploy,
    ReturnCategory,
)
from tracker.recovery.store import (
    CaseRequest,
    close_case,
    decide_path,
    grade_case,
    open_case,
    open_cases_on_return,
    record_checks,
)
from tracker.siteconfig import apply_site_config, parse_site_yaml
from tracker.store import BatchWrites, load_states, save
from tracker.store.custody_views import NewDispatch, close_dispatch, create_dispatch
from tracker.sweep import sweep

WORLD = World(asset_count=24, door_count=1)
CRATES = [asset.id for asset in WORLD.assets]
RACKS = [f"dc1-rack-{n}" for n in range(1, 4)]
DUE = datetime.now(UTC) + timedelta(days=14)


# The recovery rules come in the site file, as an operator sets them.
SITE_FILE = """
sites:
  - {id: dc1, name: DC dc1}
asset_types:
  - id: crate-60x40
    name: Returnable crate 60x40
    replacement_value: 42.50
    expected_cycle_days: 21
    recovery:
      checks: [functional]
      open_on_return: true
      return_category: end_of_lease
  - {id: rack, name: "Rack: no recovery rule"}
"""


@pytest.fixture(scope="module")
async def database(base_settings: Settings) -> AsyncIterator[str]:
    async with fresh_database(base_settings, WORLD) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            report = await apply_site_config(conn, parse_site_yaml(SITE_FILE))
            await conn.execute(
                text(
                    "INSERT INTO assets (id, type_id, home_site_id) "
                    "SELECT unnest(CAST(:ids AS text[])), 'rack', 'dc1'"
                ),
                {"ids": RACKS},
            )
        await engine.dispose()
        changed = {(c.kind, c.id): c.fields for c in report.changes}
        assert set(changed[("asset_type", "crate-60x40")]) == {
            "recovery_checks",
            "recovery_open_on_return",
            "recovery_return_category",
        }
        yield url


@pytest.fixture(scope="module")
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(database, pool_size=4)
    yield created
    await created.dispose()


async def dispatched(engine: AsyncEngine, dispatch_id: str, *asset_ids: str) -> OpenDispatch:
    async with engine.begin() as conn:
        await create_dispatch(
            conn, NewDispatch(dispatch_id, "acme", "dc1", DUE, None, list(asset_ids)), None
        )
    return OpenDispatch(dispatch_id=dispatch_id, custodian_id="acme", expected_return_at=DUE)


async def observe(engine: AsyncEngine, asset_id: str, observation: Observation) -> None:
    """What the consumer does with one smoothed observation: apply, then save."""
    async with engine.begin() as conn:
        state = (await load_states(conn, [asset_id]))[asset_id]
        after, events = apply(state, observation, datetime.now(UTC))
        await save(conn, BatchWrites(states={asset_id: after}, events=events))


def door(asset_id: str, direction: PortalDirection, at: datetime, dispatch: OpenDispatch) -> Any:
    return PortalPassed(
        observation_id=f"{asset_id}:{direction}:{at.timestamp()}",
        seen_at=at,
        direction=direction,
        site_id="dc1",
        zone_id="dc1-dock",
        read_point_id="dc1-door-01-in",
        open_dispatch=dispatch,
    )


async def round_trip(engine: AsyncEngine, asset_id: str, dispatch: OpenDispatch) -> None:
    """Out through the door on the dispatch, three days at the customer, back in."""
    back = datetime.now(UTC) - timedelta(minutes=5)
    await observe(
        engine,
        asset_id,
        door(asset_id, PortalDirection.outbound, back - timedelta(days=3), dispatch),
    )
    await observe(engine, asset_id, door(asset_id, PortalDirection.inbound, back, dispatch))


async def cases_of(engine: AsyncEngine, *asset_ids: str) -> dict[str, dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM recovery_cases WHERE asset_id = ANY(:ids)"),
            {"ids": list(asset_ids)},
        )
        return {row.asset_id: dict(row._mapping) for row in rows}


async def status_of(engine: AsyncEngine, asset_id: str) -> str:
    async with engine.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM asset_state WHERE asset_id = :id"), {"id": asset_id}
        )
    return str(status)


async def sweep_now(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        report = await sweep(conn, datetime.now(UTC))
    return report.recovery.cases_opened


async def test_a_return_through_the_consumer_opens_a_case_at_the_next_sweep(
    base_settings: Settings, database: str, engine: AsyncEngine
) -> None:
    crate = WORLD.assets[0]
    await dispatched(engine, "D-consumer", crate.id)
    settings = scoped(base_settings, database, "recovery-sweep", partitions=2)
    await create_topics(settings)
    rng = random.Random(9)
    start = datetime.now(UTC) - timedelta(minutes=20)
    passes = [
        Pass(crate, WORLD.doors[0], "outbound", start),
        Pass(crate, WORLD.doors[0], "inbound", start + timedelta(minutes=10)),
    ]
    reads = sorted((r for p in passes for r in pass_reads(p, rng, None)), key=lambda r: r.seen_at)
    await publish(settings, reads)
    await end_stream(settings)
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings)
    finally:
        stop.set()
        await consumer
    assert await status_of(engine, crate.id) == "in_service"  # back home, not yet in recovery

    assert await sweep_now(engine) == 1
    case = (await cases_of(engine, crate.id))[crate.id]
    assert (case["opened_how"], case["opened_by"], case["return_category"]) == (
        "rule",
        "tagtrail-sweep",
        "end_of_lease",
    )
    assert (case["custodian_id"], case["dispatch_id"], case["stage"]) == (
        "acme",
        "D-consumer",
        "intake",
    )
    assert case["usage"]["trips"] == 1
    assert case["usage"]["custodians"] == ["acme"]
    assert case["usage"]["days_out"] == 0.01  # ten minutes out, in days to two places
    assert await status_of(engine, crate.id) == "in_recovery"
    async with engine.connect() as conn:
        kinds = (
            await conn.execute(
                text(
                    "SELECT kind, payload ->> 'by' FROM asset_events WHERE asset_id = :id "
                    "ORDER BY occurred_at, id"
                ),
                {"id": crate.id},
            )
        ).all()
    assert [tuple(k) for k in kinds[-2:]] == [
        ("asset_status_changed", "tagtrail-sweep"),
        ("recovery_opened", "tagtrail-sweep"),
    ]
    assert await sweep_now(engine) == 0  # once per return


async def test_a_handheld_check_in_opens_one_too(engine: AsyncEngine) -> None:
    crate = CRATES[1]
    dispatch = await dispatched(engine, "D-handheld", crate)
    out = datetime.now(UTC) - timedelta(days=2)
    await observe(engine, crate, door(crate, PortalDirection.outbound, out, dispatch))
    check_in = HandheldScanned(
        observation_id=f"{crate}:check-in",
        seen_at=datetime.now(UTC) - timedelta(minutes=1),
        action=HandheldAction.check_in,
        operator="ana",
        site_id="dc1",
        zone_id="dc1-dock",
        zone_kind=ZoneKind.dock,
        open_dispatch=dispatch,
    )
    await observe(engine, crate, check_in)
    assert await sweep_now(engine) == 1
    case = (await cases_of(engine, crate))[crate]
    assert (case["opened_how"], case["dispatch_id"]) == ("rule", "D-handheld")
    assert case["usage"]["days_out"] == pytest.approx(2, abs=0.01)


async def test_no_case_without_the_rule_for_unseen_returns_or_after_one_by_hand(
    engine: AsyncEngine,
) -> None:
    rack, by_hand, left_again, unseen = RACKS[0], CRATES[2], CRATES[3], CRATES[4]
    dispatch = await dispatched(engine, "D-mixed", rack, by_hand, left_again, unseen)
    for asset_id in (rack, by_hand, left_again):
        await round_trip(engine, asset_id, dispatch)
    # Opened by hand after its return, and already redeployed: that return has had its case.
    made = await asyncio.to_thread(
        invoke, engine, "open", by_hand, "--category", "customer_return", "--by", "ana"
    )
    assert made.exit_code == 0, made.output
    case_id = made.output.strip().splitlines()[0]
    for step in (
        ("check", case_id, "functional=pass"),
        ("grade", case_id, "ready_to_redeploy"),
        ("decide", case_id, "redeploy"),
        ("close", case_id),
    ):
        done = await asyncio.to_thread(invoke, engine, *step, "--by", "ana")
        assert done.exit_code == 0, done.output
    assert await status_of(engine, by_hand) == "in_service"
    # Left again on a new dispatch before the sweep came round: not at the bench any more.
    again = await dispatched(engine, "D-again", left_again)
    await observe(
        engine,
        left_again,
        door(left_again, PortalDirection.outbound, datetime.now(UTC) - timedelta(minutes=1), again),
    )
    # Out; its dispatch closed by hand; out again on another one: the asset came back unseen
    # in between (a `turnaround_recorded` with return_seen false), and is gone again.
    await observe(
        engine,
        unseen,
        door(unseen, PortalDirection.outbound, datetime.now(UTC) - timedelta(days=1), dispatch),
    )
    async with engine.begin() as conn:
        assert await close_dispatch(conn, "D-mixed", "ana", None, datetime.now(UTC))
    other = await dispatched(engine, "D-unseen", unseen)
    await observe(
        engine,
        unseen,
        door(unseen, PortalDirection.outbound, datetime.now(UTC) - timedelta(minutes=2), other),
    )

    assert await sweep_now(engine) == 0
    cases = await cases_of(engine, rack, by_hand, left_again, unseen)
    assert list(cases) == [by_hand]
    assert (cases[by_hand]["id"], cases[by_hand]["opened_how"]) == (case_id, "manual")
    assert cases[by_hand]["custodian_id"] == "acme"  # from its last return


async def test_many_returns_open_in_batches_and_two_sweepers_open_each_case_once(
    engine: AsyncEngine,
) -> None:
    crates = CRATES[10:17]
    dispatch = await dispatched(engine, "D-batch", *crates)
    for crate in crates:
        await round_trip(engine, crate, dispatch)

    async def sweep_in_batches_of_two() -> int:
        async with engine.connect() as conn:
            return (await open_cases_on_return(conn, datetime.now(UTC), batch=2)).cases_opened

    opened = await asyncio.gather(sweep_in_batches_of_two(), sweep_in_batches_of_two())
    cases = await cases_of(engine, *crates)
    assert sorted(cases) == sorted(crates)
    assert sum(opened) == len(crates)
    assert {await status_of(engine, crate) for crate in crates} == {"in_recovery"}


async def test_returns_already_in_history_when_the_rule_came_open_nothing(
    engine: AsyncEngine,
) -> None:
    crate = CRATES[18]
    await round_trip(engine, crate, await dispatched(engine, "D-history", crate))
    # What migration 0013 does to a database with history: start after the newest event.
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM event_cursors"))
    assert await sweep_now(engine) == 0
    assert await cases_of(engine, crate) == {}
    # Returns after that open cases again.
    later = CRATES[19]
    await round_trip(engine, later, await dispatched(engine, "D-later", later))
    assert await sweep_now(engine) == 1
    assert list(await cases_of(engine, later)) == [later]


def invoke(engine: AsyncEngine, *args: str) -> Any:
    env = {**os.environ, "TAGTRAIL_DATABASE_URL": engine.url.render_as_string(False)}
    return CliRunner().invoke(recovery_app, list(args), env=env)


async def test_the_bench_cli_takes_a_case_from_intake_to_recycling(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    crate = CRATES[20]

    async def cli(*args: str) -> Any:
        return await asyncio.to_thread(invoke, engine, *args)

    made = await cli(
        "open", crate, "--category", "damaged_in_use", "--by", "ana", "--notes", "split base"
    )
    assert made.exit_code == 0, made.output
    case_id = made.output.strip().splitlines()[0]
    early = await cli("grade", case_id, "disposal", "--by", "ben")
    assert early.exit_code == 1
    assert "check(s) functional required before grading" in early.output
    checked = await cli("check", case_id, "functional=fail", "cosmetic=fail", "--by", "ben")
    assert checked.exit_code == 0, checked.output
    assert checked.output.strip() == f"{case_id}: stage grading; next: grade"
    assert (await cli("check", case_id, "functional=maybe", "--by", "ben")).exit_code == 2
    assert (await cli("grade", case_id, "disposal", "--by", "ben")).exit_code == 0
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(b"%PDF-1.7 destroyed")
    erased = await cli(
        "erase",
        case_id,
        "--certificate",
        "SHRED-1",
        "--method",
        "physical_destruction",
        "--tool",
        "shredder",
        "--operator",
        "dana",
        "--at",
        datetime.now(UTC).isoformat(),
        "--file",
        str(certificate),
    )
    assert erased.exit_code == 0, erased.output
    no_vendor = await cli("decide", case_id, "recycling", "--by", "ben", "--weight-kg", "2")
    assert no_vendor.exit_code == 2
    assert "--vendor" in no_vendor.output
    redeploy = await cli("decide", case_id, "redeploy", "--by", "ben")
    assert redeploy.exit_code == 1
    assert "graded disposal cannot take path redeploy" in redeploy.output
    decided = await cli(
        "decide",
        case_id,
        "recycling",
        "--by",
        "ben",
        "--weight-kg",
        "2.35",
        "--vendor",
        "GreenCycle",
        "--proceeds",
        "0.40",
    )
    assert decided.exit_code == 0, decided.output
    shown = await cli("show", case_id)
    assert shown.exit_code == 0, shown.output
    for expected in (
        "damaged_in_use",
        "split base",
        "SHRED-1",
        hashlib.sha256(b"%PDF-1.7 destroyed").hexdigest(),
        "recycling",
        "0.40",
    ):
        assert expected in shown.output
    closed = await cli("close", case_id, "--by", "ben")
    assert closed.exit_code == 0, closed.output
    assert closed.output.strip() == f"{case_id}: stage done"
    assert await status_of(engine, crate) == "retired"
    listed = await cli("list", "--closed")
    assert case_id in listed.output
    assert case_id not in (await cli("list", "--open")).output
    assert (await cli("show", "rc_000000000000")).exit_code == 2


async def test_an_asset_sent_to_a_refurbisher_and_back_closes_as_redeployed(
    engine: AsyncEngine,
) -> None:
    crate = CRATES[21]
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        request = CaseRequest(
            asset_id=crate, return_category=ReturnCategory.damaged_in_use, by="ana"
        )
        case_id = await open_case(conn, request, now)
    refurbisher = await dispatched(engine, "D-refurb", crate)
    out, back = now + timedelta(seconds=1), now + timedelta(seconds=2)
    await observe(engine, crate, door(crate, PortalDirection.outbound, out, refurbisher))
    assert await status_of(engine, crate) == "in_transit"
    async with engine.begin() as conn:
        await record_checks(
            conn, case_id, [CheckResult(check=CheckKind.functional, passed=True)], "ben", now
        )
        await grade_case(conn, case_id, Grade.ready_to_redeploy, "ben", now)
        await decide_path(conn, case_id, Redeploy(), "ben", now)
    with pytest.raises(RecoveryRefused, match=f"asset {crate} is in_transit"):
        async with engine.begin() as conn:
            await close_case(conn, case_id, "ben", now)
    await observe(engine, crate, door(crate, PortalDirection.inbound, back, refurbisher))
    assert await status_of(engine, crate) == "in_service"  # seen home: in service again
    assert await sweep_now(engine) == 0  # its case is still open: the rule opens no other
    async with engine.begin() as conn:
        await close_case(conn, case_id, "ben", datetime.now(UTC))
    assert await status_of(engine, crate) == "in_service"
    assert (await cases_of(engine, crate))[crate]["stage"] == "done"
