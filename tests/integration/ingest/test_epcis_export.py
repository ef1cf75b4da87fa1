"""`tagtrail epcis export` on a real history: dock passes through Kafka and the consumer
(dispatched and unauthorised exits, returns), recovery cases, a retirement, alert and
dispatch actions through the API. Every exported event is valid against the official
EPCIS 2.0 schema, every event is there once, and exporting twice gives the same eventIDs."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from epcis_support import schema_errors
from ingest_harness import (
    T0,
    create_topics,
    end_stream,
    fresh_database,
    make_key,
    publish,
    scoped,
    sql,
    wait_caught_up,
)
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner, Result

from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.cli import app
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings
from tracker.store.custody_views import NewDispatch, create_dispatch

WORLD = World(asset_count=12, door_count=2)
CRATES = [asset.id for asset in WORLD.assets]
DISPATCHED = CRATES[4:8]  # out to acme on a dispatch; the others leave unauthorised
SETUP = [
    "UPDATE sites SET gln = '4012345000016', timezone = 'Europe/Berlin' WHERE id = 'dc1'",
    "UPDATE zones SET sgln = 'urn:epc:id:sgln:4012345.00001.dock' WHERE id = 'dc1-dock'",
    "UPDATE custodians SET gln = '4012345000023' WHERE id = 'acme'",
    # Known only by a GRAI barcode without serial, and only by a serial number.
    "INSERT INTO assets (id, type_id, home_site_id) VALUES "
    "('dc1-box-1', 'crate-60x40', 'dc1'), ('dc1-tool-1', 'crate-60x40', 'dc1')",
    "INSERT INTO asset_identifiers (value, scheme, asset_id) VALUES "
    "('(8003)04012345000016', 'gs1', 'dc1-box-1'), ('SN-77', 'serial', 'dc1-tool-1')",
]


async def dispatch(url: str, dispatch_id: str, asset_ids: list[str]) -> None:
    engine = create_async_engine(url)
    due = datetime.now(UTC) + timedelta(days=14)
    try:
        async with engine.begin() as conn:
            await create_dispatch(
                conn, NewDispatch(dispatch_id, "acme", "dc1", due, None, asset_ids), None
            )
    finally:
        await engine.dispose()


async def dock_traffic(settings: Settings) -> None:
    """Every crate out through a door and back in, through Kafka and the real consumer."""
    await create_topics(settings)
    reads = list(DockScenario(WORLD, T0, stray_share=0.0, gap=timedelta(seconds=30)).reads())
    await publish(settings, reads)
    await end_stream(settings)
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings, timeout_s=120)
    finally:
        stop.set()
        await consumer


class Api:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def case(self, asset_id: str, *steps: tuple[str, dict[str, Any]]) -> None:
        made = await self.post(
            "/v1/recovery/cases",
            {"asset_id": asset_id, "return_category": "end_of_lease", "by": "ana"},
        )
        for path, body in steps:
            body = {"by": "ben", **body}
            await self.post(f"/v1/recovery/cases/{made['id']}{path}", body)


CHECKS = ("/checks", {"checks": [{"check": "functional", "passed": True}]})
FAILED = ("/checks", {"checks": [{"check": "cosmetic", "passed": False, "notes": "cracked"}]})


async def office_work(base: Settings, url: str) -> None:
    """Recovery cases down three paths, a retirement, an alert acked and resolved, and a
    dispatch closed before anything left — all through the API."""
    key = await make_key(url, "recovery:write", "assets:read", "assets:write", "alerts:write")
    app_ = create_api(scoped(base, url, "epcis-api"))
    async with (
        app_.router.lifespan_context(app_),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app_), base_url="http://tt") as client,
    ):
        api = Api(client, key)
        await api.case(
            CRATES[0],
            CHECKS,
            ("/grade", {"grade": "ready_to_redeploy"}),
            ("/decision", {"path": "redeploy"}),
            ("/close", {}),
        )
        await api.case(
            CRATES[1],
            FAILED,
            ("/grade", {"grade": "repairable"}),
            ("/repairs", {"description": "new lid", "cost": "4.80"}),
            ("/repairs/1/close", {"outcome": "repaired", "cost": "5.20"}),
            ("/grade", {"grade": "ready_to_redeploy"}),
            ("/decision", {"path": "resale", "price": "20.00", "channel": "refurb-market"}),
            ("/close", {}),
        )
        await api.case(
            CRATES[2],
            ("/grade", {"grade": "disposal"}),
            ("/decision", {"path": "recycling", "weight_kg": "2.4", "vendor": "GreenCycle"}),
            ("/close", {}),
        )
        await api.post(f"/v1/assets/{CRATES[11]}/retire", {"reason": "cracked base", "by": "ana"})
        alerts = (await client.get("/v1/alerts", headers=api.headers)).json()["items"]
        await api.post(f"/v1/alerts/{alerts[0]['id']}/ack", {"by": "ana"})
        await api.post(f"/v1/alerts/{alerts[0]['id']}/resolve", {"by": "ana", "note": "ours"})
        await dispatch(url, "D-never", [CRATES[10]])
        await api.post("/v1/dispatches/D-never/close", {"by": "ana", "note": "order cancelled"})


@pytest.fixture(scope="module")
async def history(base_settings: Settings) -> AsyncIterator[str]:
    async with fresh_database(base_settings, WORLD) as url:
        for statement in SETUP:
            await sql(url, statement)
        await dispatch(url, "D-acme-1", DISPATCHED)
        await dock_traffic(scoped(base_settings, url, "epcis", partitions=2))
        await office_work(base_settings, url)
        yield url


def export(url: str, out: Path, *options: str) -> Result:
    env = {**os.environ, "TAGTRAIL_DATABASE_URL": url}
    return CliRunner().invoke(app, ["epcis", "export", "-o", str(out), *options], env=env)


async def exported(url: str, out: Path, *options: str) -> dict[str, Any]:
    result = await asyncio.to_thread(export, url, out, *options)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(await asyncio.to_thread(out.read_bytes))
    return document


async def test_the_whole_history_exports_valid_and_complete(history: str, tmp_path: Path) -> None:
    document = await exported(history, tmp_path / "all.jsonld")
    events = document["epcisBody"]["eventList"]

    assert schema_errors(document) == []
    rows = await sql(history, "SELECT (SELECT count(*) FROM asset_events), count(*) FROM assets")
    assert len(events) == rows[0][0] + rows[0][1]
    kinds = Counter(event["tagtrail:kind"] for event in events)
    assert kinds["asset_registered"] == len(CRATES) + 2
    assert {
        "asset_left_site",
        "custody_transferred",
        "asset_status_changed",
        "asset_arrived",
        "turnaround_recorded",
        "alert_raised",
        "alert_acknowledged",
        "alert_resolved",
        "dispatch_closed",
        "recovery_opened",
        "recovery_checked",
        "recovery_graded",
        "repair_ordered",
        "repair_closed",
        "recovery_decided",
        "recovery_closed",
    } <= set(kinds)
    times = [datetime.fromisoformat(event["eventTime"]) for event in events]
    assert times == sorted(times)
    ids = [event["eventID"] for event in events]
    assert len(set(ids)) == len(ids)


async def test_exporting_twice_gives_the_same_event_ids(history: str, tmp_path: Path) -> None:
    first = await exported(history, tmp_path / "first.jsonld")
    second = await exported(history, tmp_path / "second.jsonld")

    first_ids = [e["eventID"] for e in first["epcisBody"]["eventList"]]
    assert first_ids == [e["eventID"] for e in second["epcisBody"]["eventList"]]
    assert all(i.startswith("ni:///sha-256;") and i.endswith("?ver=CBV2.0") for i in first_ids)


async def test_the_events_name_assets_places_and_parties_by_their_gs1_keys(
    history: str, tmp_path: Path
) -> None:
    events = (await exported(history, tmp_path / "all.jsonld"))["epcisBody"]["eventList"]

    def of(asset_id: str) -> list[dict[str, Any]]:
        return [e for e in events if e["tagtrail:asset"] == asset_id]

    assert {tuple(e["epcList"]) for e in of(CRATES[4])} == {(WORLD.assets[4].epc_uri,)}
    assert of("dc1-box-1")[0]["epcList"] == ["https://id.gs1.org/8003/04012345000016"]
    assert of("dc1-tool-1")[0]["epcList"] == ["urn:tagtrail:asset:dc1-tool-1"]
    shipped = [e for e in of(CRATES[4]) if e.get("bizStep") == "shipping"]
    assert shipped[0]["readPoint"] == {"id": "urn:epc:id:sgln:4012345.00001.dock"}
    assert shipped[0]["eventTimeZoneOffset"] == "+01:00"
    handed = next(e for e in of(CRATES[4]) if e["tagtrail:kind"] == "custody_transferred")
    assert handed["destinationList"] == [
        {"type": "possessing_party", "destination": "urn:epc:id:pgln:4012345.00002"}
    ]
    resold = [e for e in of(CRATES[1]) if e.get("action") == "DELETE"]
    assert [e["type"] for e in resold] == ["ObjectEvent", "TransactionEvent"]
    assert resold[0]["sourceList"][0]["type"] == "owning_party"
    retired = [e for e in of(CRATES[11]) if e["type"] == "ObjectEvent" and e["action"] == "DELETE"]
    assert [(e["bizStep"], e["disposition"]) for e in retired] == [("decommissioning", "inactive")]


async def test_since_until_and_site_pick_the_events(history: str, tmp_path: Path) -> None:
    before = await exported(history, tmp_path / "none.jsonld", "--until", "2026-11-01")
    later = await exported(
        history, tmp_path / "later.jsonld", "--since", (T0 + timedelta(hours=1)).isoformat()
    )
    site = await exported(history, tmp_path / "site.jsonld", "--site", "dc1")
    full = await exported(history, tmp_path / "full.jsonld")

    assert before["epcisBody"]["eventList"] == []
    assert schema_errors(before) == []
    kinds = {e["tagtrail:kind"] for e in later["epcisBody"]["eventList"]}
    assert "asset_left_site" not in kinds and "recovery_closed" in kinds
    assert site["epcisBody"] == full["epcisBody"]  # every asset of this world is homed at dc1


async def test_bad_options_are_a_one_line_error(history: str, tmp_path: Path) -> None:
    unknown = await asyncio.to_thread(export, history, tmp_path / "x.jsonld", "--site", "nowhere")
    backwards = await asyncio.to_thread(
        export, history, tmp_path / "x.jsonld", "--since", "2026-11-03", "--until", "2026-11-02"
    )

    assert unknown.exit_code == 2 and "no site 'nowhere'" in unknown.output
    assert backwards.exit_code == 2 and "--until" in backwards.output
    assert not await asyncio.to_thread((tmp_path / "x.jsonld").exists)
