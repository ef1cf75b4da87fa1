"""EPCIS as the interchange between two tagtrail instances: a history built on one (reads
through Kafka and the real consumer, the sweeper's missing and lost, recovery and retirement
through the API) is exported with `tagtrail epcis export` and captured by a fresh tagtrail
that shares the site file; once its consumer has applied what the capture published, every
asset has the same place, custodian and status on both. Capturing the export again changes
nothing (docs/epcis.md, "Capture from another tagtrail")."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from epcis_support import schema_errors
from ingest_harness import (
    api_client,
    create_topics,
    fresh_database,
    make_key,
    publish,
    running_consumer,
    scoped,
    sql,
    tick,
    wait_caught_up,
)
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from ingest.records import to_us
from ingest.tagread import TagRead
from simulators.world import World
from tagtrail.cli import app
from tagtrail.settings import Settings
from tracker.siteconfig import apply_site_config, parse_site_yaml
from tracker.store.custody_views import NewDispatch, create_dispatch
from tracker.sweep import sweep

# Both instances apply this file: the master data two companies exchanging EPCIS agree on
# (sites and zones with their SGLNs, custodians with their GLNs, asset types). The yard and
# globex have no GS1 key: their events name them by tagtrail URIs.
SITE_FILE: dict[str, Any] = {
    "sites": [
        {
            "id": "dc1",
            "name": "DC Hamburg",
            "gln": "4012345000016",
            "timezone": "Europe/Berlin",
            "zones": [
                {
                    "id": "dc1-dock",
                    "name": "Dock",
                    "kind": "dock",
                    "sgln": "urn:epc:id:sgln:4012345.00001.dock",
                },
                {
                    "id": "dc1-storage",
                    "name": "Storage",
                    "kind": "storage",
                    "sgln": "urn:epc:id:sgln:4012345.00001.stor",
                },
                {"id": "dc1-yard", "name": "Yard", "kind": "yard"},
            ],
            "doors": [
                {
                    "id": "dc1-door-1",
                    "zone": "dc1-dock",
                    "reader": "dc1-dock-01",
                    "inside_antenna": 1,
                    "outside_antenna": 2,
                }
            ],
            "zone_readers": [
                {"reader": "dc1-storage-reader", "zone": "dc1-storage"},
                {"reader": "dc1-yard-reader", "zone": "dc1-yard"},
            ],
            "handhelds": [{"device": "dc1-scanner", "zone": "dc1-dock"}],
        },
        {
            "id": "acme-premises",
            "name": "ACME Retail premises",
            "zones": [
                {
                    "id": "acme-yard",
                    "name": "ACME yard",
                    "kind": "external",
                    "sgln": "urn:epc:id:sgln:4012345.00002.yard",
                }
            ],
            "doors": [
                {
                    "id": "acme-gate",
                    "zone": "acme-yard",
                    "reader": "acme-gate-reader",
                    "inside_antenna": 1,
                    "outside_antenna": 2,
                }
            ],
            "handhelds": [{"device": "acme-scanner", "zone": "acme-yard"}],
        },
    ],
    "custodians": [
        {"id": "acme", "name": "ACME Retail", "kind": "customer", "gln": "4012345000023"},
        {"id": "globex", "name": "Globex", "kind": "customer"},
    ],
    "asset_types": [World().asset_type_entry()],
}

SITE_YAML = yaml.safe_dump(SITE_FILE, sort_keys=False)
WORLD = World(asset_count=16)
CRATES = {f"c{i}": asset for i, asset in enumerate(WORLD.assets)}
# Known only by a GS1 barcode without EPC form, and only by a serial: their events name them
# by a Digital Link and by a tagtrail URI.
OTHERS = [("dc1-box-1", "(8003)04012345000016", "gs1"), ("dc1-tool-1", "SN-77", "serial")]
# The scenario: 60 days ago, then the sweeper's days; recovery and retirement happen now.
START = (datetime.now(UTC) - timedelta(days=60)).replace(minute=0, second=0, microsecond=0)


def at(days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
    return START + timedelta(days=days, hours=hours, seconds=seconds)


def _read(
    name: str, reader: str, when: datetime, antenna: int | None = None, **extra: Any
) -> TagRead:
    tag = CRATES[name].epc_uri if name in CRATES else name
    source = "handheld" if reader.endswith("scanner") else "push"
    fields: dict[str, Any] = {"rssi": -40.0} if source == "push" else {"operator": "ana"}
    return TagRead(
        v=1,
        read_id=f"{name}@{reader}:{antenna}:{to_us(when)}",
        reader_id=reader,
        antenna=antenna,
        tag=tag,
        tag_kind="epc" if name in CRATES else "barcode",
        seen_at=when,
        source=source,
        **{**fields, **extra},
    )


def door(name: str, reader: str, when: datetime, outbound: bool) -> list[TagRead]:
    """Inside then outside a second later (outbound), or the other way round."""
    sides = (1, 2) if outbound else (2, 1)
    return [
        _read(name, reader, when, sides[0]),
        _read(name, reader, when + timedelta(seconds=1), sides[1]),
    ]


def zone(name: str, reader: str, when: datetime) -> list[TagRead]:
    return [_read(name, reader, when)]


def scan(name: str, reader: str, when: datetime, action: str = "scan", **extra: Any) -> TagRead:
    return _read(name, reader, when, action=action, **extra)


def day_zero() -> list[TagRead]:
    """Every crate into storage, then the day's movements."""
    reads: list[TagRead] = []
    for i, name in enumerate(CRATES):
        reads += zone(name, "dc1-storage-reader", at(hours=1, seconds=10 * i))
    reads += zone("c1", "dc1-yard-reader", at(hours=2))  # moved to the yard
    for i, name in enumerate(("c2", "c3", "c4", "c5")):  # c2-c4 on dispatches, c5 without
        reads += door(name, "dc1-dock-01", at(hours=3, seconds=30 * i), outbound=True)
    reads.append(scan("c6", "dc1-scanner", at(hours=4), "check_out", custodian="globex"))
    reads.append(scan("c3", "acme-scanner", at(hours=5)))  # received at acme's yard
    reads.append(scan("c4", "acme-scanner", at(hours=5, seconds=30)))
    reads += door("c4", "acme-gate-reader", at(hours=6), outbound=True)  # on its way back
    reads += door("c4", "dc1-dock-01", at(hours=8), outbound=False)  # back home
    reads += door("c12", "dc1-dock-01", at(hours=9), outbound=True)  # out without a dispatch
    reads += door("c12", "dc1-dock-01", at(hours=10), outbound=False)  # and back
    reads += [scan(name, "dc1-scanner", at(hours=11)) for name, _, _ in OTHERS]
    return reads


# In service at home throughout: seen before each sweep, so the sweeper leaves them alone.
AT_HOME = ["c0", "c1", "c4", "c9", "c10", "c11", "c12", "c14"]


def seen_again(day: float, names: Sequence[str]) -> list[TagRead]:
    reads: list[TagRead] = []
    for i, name in enumerate(names):
        when = at(days=day, seconds=10 * i)
        if name in CRATES:
            reader = "dc1-yard-reader" if name in ("c1", "c15") else "dc1-storage-reader"
            reads += zone(name, reader, when)
        else:
            reads.append(scan(name, "dc1-scanner", when))
    return reads


OTHER_IDS = [value for _, value, _ in OTHERS]
# (reads, the watermark after them, the sweep after that)
PHASES: list[tuple[list[TagRead], datetime, datetime | None]] = [
    (day_zero(), at(hours=12), None),
    # c8, c13 and c15 stay silent: missing at the first sweep.
    (seen_again(7.5, [*AT_HOME, "c7", *OTHER_IDS]), at(days=7.6), at(days=8)),
    # c13 turns up again where it was (only its status changes), c15 in the yard.
    (seen_again(9, ["c13", "c15"]), at(days=9.1), None),
    # c7 stays silent now: missing at the second sweep, which writes c8 off (lost).
    (seen_again(39.5, [*AT_HOME, "c13", "c15", *OTHER_IDS]), at(days=39.6), at(days=40)),
]


async def apply_site_file(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await apply_site_config(conn, parse_site_yaml(SITE_YAML))
    finally:
        await engine.dispose()


async def register(url: str) -> None:
    crates = [(a.id, a.epc_uri, "epc") for a in CRATES.values()]
    await sql(
        url,
        "INSERT INTO assets (id, type_id, home_site_id) SELECT unnest($1::text[]), $2, 'dc1'",
        [asset_id for asset_id, _, _ in [*crates, *OTHERS]],
        WORLD.asset_type,
    )
    await sql(
        url,
        "INSERT INTO asset_identifiers (asset_id, value, scheme) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
        *map(list, zip(*[*crates, *OTHERS], strict=True)),
    )


async def dispatch(url: str, dispatch_id: str, custodian: str, names: list[str]) -> None:
    engine = create_async_engine(url)
    due = datetime.now(UTC) + timedelta(days=30)
    try:
        async with engine.begin() as conn:
            assets = [CRATES[name].id for name in names]
            await create_dispatch(
                conn, NewDispatch(dispatch_id, custodian, "dc1", due, None, assets), None
            )
    finally:
        await engine.dispose()


async def post(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await http.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def recovery_case(http: httpx.AsyncClient, name: str, *steps: tuple[str, Any]) -> None:
    body = {"asset_id": CRATES[name].id, "return_category": "end_of_lease", "by": "ana"}
    case = await post(http, "/v1/recovery/cases", body)
    for path, step in steps:
        await post(http, f"/v1/recovery/cases/{case['id']}{path}", {"by": "ben", **step})


async def office_work(settings: Settings, url: str) -> None:
    """Now: c9 enters recovery, c11 goes through it back into service, c14 is resold (retired),
    c10 is retired by hand."""
    key = await make_key(url, "recovery:write", "assets:write")
    async with api_client(settings, key) as http:
        await recovery_case(http, "c9")
        await recovery_case(
            http,
            "c11",
            ("/grade", {"grade": "ready_to_redeploy"}),
            ("/decision", {"path": "redeploy"}),
            ("/close", {}),
        )
        await recovery_case(
            http,
            "c14",
            ("/grade", {"grade": "ready_to_redeploy"}),
            ("/decision", {"path": "resale", "price": "20.00", "channel": "refurb-market"}),
            ("/close", {}),
        )
        await post(
            http, f"/v1/assets/{CRATES['c10'].id}/retire", {"reason": "cracked", "by": "ana"}
        )


async def build_history(base: Settings, url: str) -> None:
    await apply_site_file(url)
    await register(url)
    await dispatch(url, "D-acme", "acme", ["c2", "c3"])
    await dispatch(url, "D-globex", "globex", ["c4"])
    settings = scoped(base, url, "roundtrip-a", partitions=2)
    await create_topics(settings)
    engine = create_async_engine(url)
    try:
        async with running_consumer(settings):
            for reads, watermark, sweep_at in PHASES:
                await publish(settings, reads)
                await tick(settings, to_us(watermark))
                await wait_caught_up(settings, timeout_s=120)
                if sweep_at is not None:
                    async with engine.connect() as conn:
                        await sweep(conn, sweep_at)
    finally:
        await engine.dispose()
    await office_work(settings, url)


async def export(url: str, out: Path) -> dict[str, Any]:
    """`tagtrail epcis export -o FILE`, as a user runs it."""
    env = {**os.environ, "TAGTRAIL_DATABASE_URL": url}
    command = ["epcis", "export", "-o", str(out)]
    result = await asyncio.to_thread(CliRunner().invoke, app, command, env=env)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(await asyncio.to_thread(out.read_bytes))
    return document


StateRow = tuple[str | None, str | None, str, str]


async def states(url: str) -> dict[str, StateRow]:
    rows = await sql(
        url, "SELECT asset_id, site_id, zone_id, custodian_id, status FROM asset_state"
    )
    return {
        r["asset_id"]: (r["site_id"], r["zone_id"], r["custodian_id"], r["status"]) for r in rows
    }


@pytest.fixture(scope="module")
async def history(
    base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The first tagtrail: its database and its export."""
    async with fresh_database(base_settings) as url:
        await build_history(base_settings, url)
        yield url, await export(url, tmp_path_factory.mktemp("roundtrip") / "a.jsonld")


async def capture(http: httpx.AsyncClient, document: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/v1/epcis/capture", json=document)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


async def consume(settings: Settings) -> None:
    async with running_consumer(settings):
        await wait_caught_up(settings, timeout_s=120)


# What the tracker of the capturing tagtrail derives again from the facts, compared row by row
# with the first's. Not: the dispatch's turnaround and the recovery cases' steps, records of
# processes (dispatches, recovery cases) the capturing tagtrail does not run; they are in its
# capture log. The sweeper names the site on the alert events it writes, `apply` leaves that to
# the alert row: the alert events' site is not compared.
_TRANSITIONS = """
SELECT asset_id, kind, occurred_at, CASE WHEN kind LIKE 'alert%' THEN NULL ELSE site_id END,
    zone_id, payload->>'to_status' AS status,
    payload->>'to_custodian_id' AS custodian, payload->>'alert_kind' AS alert
FROM asset_events WHERE kind = ANY($1::text[])
ORDER BY asset_id, occurred_at, kind, status, alert"""
DERIVED = [
    "asset_arrived",
    "asset_moved",
    "asset_left_site",
    "custody_transferred",
    "asset_status_changed",
    "alert_raised",
    "alert_resolved",
]


async def test_a_fresh_tagtrail_captures_the_export_into_the_same_states(
    base_settings: Settings, history: tuple[str, dict[str, Any]]
) -> None:
    url_a, document = history
    expected = await states(url_a)
    assert Counter(status for *_, status in expected.values()) == {
        "in_service": 9,  # at home in a zone; c4 and c12 back home, c11 redeployed
        "in_transit": 3,  # out on a dispatch, on a handheld check-out, without authorisation
        "at_custodian": 1,
        "missing": 1,
        "lost": 1,
        "in_recovery": 1,
        "retired": 2,  # by hand, and resold through recovery
    }
    assert schema_errors(document) == []
    count = len(document["epcisBody"]["eventList"])
    async with fresh_database(base_settings) as url_b:
        await apply_site_file(url_b)  # the same master data; no assets
        settings = scoped(base_settings, url_b, "roundtrip-b", partitions=3)
        await create_topics(settings)
        key = await make_key(url_b, "epcis:capture", "assets:write")
        async with api_client(settings, key) as http:
            job = await capture(http, document)
            await consume(settings)
            assert await states(url_b) == expected
            transitions = await sql(url_b, _TRANSITIONS, DERIVED)
            again = await capture(http, document)
            await consume(settings)
            assert await states(url_b) == expected
            assert await sql(url_b, _TRANSITIONS, DERIVED) == transitions
        assert (job["status"], job["applied"], job["duplicates"]) == ("success", count, 0)
        assert (again["status"], again["applied"], again["duplicates"]) == ("success", 0, count)
        assert transitions == await sql(url_a, _TRANSITIONS, DERIVED)
        logged = await sql(
            url_b, "SELECT outcome, count(*) AS n FROM epcis_captured_events GROUP BY outcome"
        )
        assert {r["outcome"]: r["n"] for r in logged}["registered"] == len(expected)
        retired = "SELECT id, retired_at FROM assets WHERE retired_at IS NOT NULL ORDER BY id"
        assert await sql(url_b, retired) == await sql(url_a, retired)


async def test_a_partner_key_cannot_replay_tagtrail_facts(
    base_settings: Settings, history: tuple[str, dict[str, Any]]
) -> None:
    """Registering assets and tagtrail's own decisions (missing, written off, retired…) are
    for a key that may write assets; with `epcis:capture` alone the export is a partner's
    document like any other: its ADDs and decisions stay in the log."""
    _, document = history
    async with fresh_database(base_settings) as url_b:
        await apply_site_file(url_b)
        settings = scoped(base_settings, url_b, "roundtrip-partner", partitions=1)
        await create_topics(settings)
        key = await make_key(url_b, "epcis:capture")
        async with api_client(settings, key) as http:
            job = await capture(http, document)
        assert job["status"] == "success"
        assert await sql(url_b, "SELECT id FROM assets") == []
        outcomes = await sql(url_b, "SELECT DISTINCT outcome FROM epcis_captured_events")
        assert "registered" not in {r["outcome"] for r in outcomes}
