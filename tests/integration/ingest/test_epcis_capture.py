"""POST /v1/epcis/capture on the real stack: partners' events, validated against the official
EPCIS 2.0 schema, become reads at the read points of their locations and go through Kafka and
the real consumer into the tracker's rules; a partner's word that a crate of ours was stolen or
destroyed raises an alert and moves nothing; foreign EPCs and duplicates are logged, bad events
roll the capture back or are reported per index (docs/epcis.md, "Capture")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ingest_harness import (
    api_client,
    create_topics,
    end_stream,
    fresh_database,
    make_key,
    scoped,
    sql,
    wait_caught_up,
)
from sqlalchemy.ext.asyncio import create_async_engine

from simulators.world import World
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings
from tracker.epcis import epcis_document
from tracker.epcis.identifiers import party
from tracker.store.custody_views import NewDispatch, create_dispatch

WORLD = World(asset_count=8, door_count=2)
CRATES = [asset.id for asset in WORLD.assets]
EPC = {asset.id: asset.epc_uri for asset in WORLD.assets}
ACME_DOCK = "urn:epc:id:sgln:4012345.00002.0"
CARRIER_HUB = "urn:epc:id:sgln:4012345.00003.0"
UNCONFIGURED = "urn:epc:id:sgln:4012345.00009.0"
FOREIGN = "urn:epc:id:grai:4012345.99999.77"
# Partner premises as tagtrail knows them: external zones with an SGLN, a handheld read
# point at acme's dock, a door (inside and outside antenna) at the carrier's hub.
SETUP = [
    "UPDATE custodians SET gln = '4012345000023' WHERE id = 'acme'",
    "INSERT INTO sites (id, name) VALUES ('partners', 'Partner premises')",
    "INSERT INTO zones (id, site_id, name, kind, sgln) VALUES "
    f"('acme-dock', 'partners', 'Acme dock', 'external', '{ACME_DOCK}'), "
    f"('carrier-hub', 'partners', 'Carrier hub', 'external', '{CARRIER_HUB}')",
    "INSERT INTO read_points (id, reader_id, antenna, zone_id, role, door) VALUES "
    "('acme-epcis', 'acme-epcis', NULL, 'acme-dock', 'handheld', NULL), "
    "('hub-in', 'hub-door', 1, 'carrier-hub', 'portal_inside', 'hub-door-1'), "
    "('hub-out', 'hub-door', 2, 'carrier-hub', 'portal_outside', 'hub-door-1')",
]
NOW = datetime.now(UTC).replace(microsecond=0)


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def event(
    epcs: list[str],
    biz_step: str,
    location: str,
    minutes_ago: float,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": at(minutes_ago),
        "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
        "action": "OBSERVE",
        "bizStep": biz_step,
        "disposition": "in_progress",
        "readPoint": {"id": location},
        "bizLocation": {"id": location},
        **extra,
    }


def document(*events: dict[str, Any]) -> dict[str, Any]:
    return epcis_document(list(events), NOW)


async def dispatch(url: str, dispatch_id: str, custodian: str, asset_ids: list[str]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await create_dispatch(
                conn,
                NewDispatch(
                    dispatch_id, custodian, "dc1", NOW + timedelta(days=9), None, asset_ids
                ),
                None,
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def stack(base_settings: Settings) -> AsyncIterator[tuple[Settings, str]]:
    async with fresh_database(base_settings, WORLD) as url:
        for statement in SETUP:
            await sql(url, statement)
        settings = scoped(base_settings, url, "capture", partitions=3, publish_timeout_s=5.0)
        await create_topics(settings)
        yield settings, url


async def consume(settings: Settings) -> None:
    await end_stream(settings)
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings, timeout_s=120)
    finally:
        stop.set()
        await consumer


async def states(url: str) -> dict[str, tuple[str, str | None]]:
    rows = await sql(url, "SELECT asset_id, status, custodian_id FROM asset_state")
    return {row["asset_id"]: (row["status"], row["custodian_id"]) for row in rows}


async def capture(
    http: httpx.AsyncClient, body: dict[str, Any], behaviour: str | None = None
) -> dict[str, Any]:
    headers = {"GS1-Capture-Error-Behaviour": behaviour} if behaviour else {}
    response = await http.post("/v1/epcis/capture", json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "10000"
    job_path = response.headers["Location"]
    polled = await http.get(job_path)
    assert polled.status_code == 200
    job: dict[str, Any] = polled.json()
    assert job == response.json()
    assert job_path == f"/v1/epcis/capture/{job['captureID']}"
    return job


async def test_partner_events_drive_custody(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    await dispatch(url, "D-ACME", "acme", [CRATES[0]])
    await dispatch(url, "D-GLOBEX", "globex", [CRATES[1]])
    to_acme = [{"type": "possessing_party", "destination": party("acme", "4012345000023")}]
    key = await make_key(url, "epcis:capture")
    received = event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 30, eventID="urn:uuid:1")
    stolen = event(
        [EPC[CRATES[4]]], "receiving", ACME_DOCK, 25, disposition="stolen", eventID="urn:uuid:2"
    )
    # Destroyed at the carrier's: DELETE, as CBV's `destroying` step goes.
    destroyed = event(
        [EPC[CRATES[6]]], "destroying", CARRIER_HUB, 21, action="DELETE", disposition="destroyed"
    )
    partner = document(
        received,
        received,  # the same eventID twice: applied once
        event([EPC[CRATES[1]]], "arriving", CARRIER_HUB, 60),
        event([EPC[CRATES[1]]], "departing", CARRIER_HUB, 20),
        event([FOREIGN], "receiving", ACME_DOCK, 25),
        event([EPC[CRATES[2]]], "receiving", UNCONFIGURED, 25),  # stored only
        stolen,
        stolen,  # the same claim twice: applied once
        # Claimed again in another event: still one open alert.
        event([EPC[CRATES[4]]], "receiving", ACME_DOCK, 22, disposition="stolen"),
        destroyed,
        event([FOREIGN], "departing", CARRIER_HUB, 24, disposition="stolen"),  # not ours
        # No dispatch: custody follows the event's possessing party, or nobody authorised it.
        event([EPC[CRATES[5]]], "receiving", ACME_DOCK, 25, destinationList=to_acme),
        event([EPC[CRATES[3]]], "receiving", ACME_DOCK, 25),
    )
    async with api_client(settings, key) as http:
        job = await capture(http, partner)
        again = await capture(http, document(received, stolen))
    assert job["status"] == "success" and job["success"] and not job["running"]
    assert (job["eventCount"], job["applied"], job["duplicates"]) == (13, 11, 2)
    assert job["captureErrorBehaviour"] == "rollback" and job["errors"] == []
    assert (again["applied"], again["duplicates"]) == (0, 2)

    await consume(settings)
    found = await states(url)
    assert found[CRATES[0]] == ("at_custodian", "acme")  # received at acme's dock
    # Arrived at the carrier (at_custodian: without it the departure would change nothing),
    # then an outbound pass through its door.
    assert found[CRATES[1]] == ("in_transit", "globex")
    assert found[CRATES[2]][0] == "in_service"  # a place tagtrail does not know: logged only
    # A partner's claim moves nothing: the crates are where, and whose, they were.
    assert found[CRATES[4]] == ("in_service", "site:dc1")
    assert found[CRATES[6]] == ("in_service", "site:dc1")
    assert found[CRATES[5]] == ("at_custodian", "acme")
    assert found[CRATES[3]] == ("at_custodian", "site:dc1")
    alerts = await sql(
        url,
        "SELECT asset_id, kind, severity, details->>'reason' AS reason FROM alerts "
        "WHERE resolved_at IS NULL ORDER BY asset_id",
    )
    assert [tuple(a)[:3] for a in alerts] == [
        (CRATES[3], "unauthorized_exit", "critical"),
        (CRATES[4], "reported_stolen", "critical"),
        (CRATES[6], "reported_destroyed", "warning"),
    ]
    assert alerts[1]["reason"].startswith("reported stolen by test (key ")
    assert alerts[2]["reason"].startswith("reported destroyed by test (key ")
    unknown = await sql(url, "SELECT tag, last_reader_id FROM unknown_tags")
    assert [(r["tag"], r["last_reader_id"]) for r in unknown] == [(FOREIGN, "acme-epcis")]
    logged = await sql(url, "SELECT epcs, outcome, location FROM epcis_captured_events")
    assert len(logged) == 11
    assert ([FOREIGN], "observed", ACME_DOCK) in [tuple(r) for r in logged]
    assert ([FOREIGN], "stored", CARRIER_HUB) in [tuple(r) for r in logged]
    assert ([EPC[CRATES[2]]], "stored", UNCONFIGURED) in [tuple(r) for r in logged]
    assert ([EPC[CRATES[6]]], "observed", CARRIER_HUB) in [tuple(r) for r in logged]
    claims = await sql(
        url,
        "SELECT count(*) AS n FROM asset_events WHERE kind = 'alert_raised' AND asset_id = $1",
        CRATES[4],
    )
    assert claims[0]["n"] == 1  # the second claim found its alert open


async def test_our_next_read_resolves_a_partner_claim(stack: tuple[Settings, str]) -> None:
    """The claim is applied in one batch, our handheld scan in a later one: the consumer
    learns from the open alert that there is a claim to resolve."""
    settings, url = stack
    partner = await make_key(url, "epcis:capture")
    scanner = await make_key(url, "scans:write")
    claim = event([EPC[CRATES[7]]], "receiving", ACME_DOCK, 10, disposition="stolen")
    async with api_client(settings, partner) as http:
        await capture(http, document(claim))
    await consume(settings)
    raised = await sql(url, "SELECT kind, status FROM alerts WHERE asset_id = $1", CRATES[7])
    scan = {
        "code": EPC[CRATES[7]],
        "device_id": "dc1-scanner",
        "operator": "ana",
        "action": "scan",
        "seen_at": at(5),
    }
    async with api_client(settings, scanner) as http:
        response = await http.post("/v1/scans", json=[scan])
        assert response.status_code == 202, response.text
    await consume(settings)

    assert [tuple(r) for r in raised] == [("reported_stolen", "open")]
    resolved = await sql(
        url, "SELECT kind, status, resolved_by, note FROM alerts WHERE asset_id = $1", CRATES[7]
    )
    assert [tuple(r) for r in resolved] == [
        ("reported_stolen", "resolved", "tracker", "asset seen again")
    ]
    assert (await states(url))[CRATES[7]][0] == "in_service"


async def test_a_bad_event_rolls_back_or_is_reported(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    await dispatch(url, "D-ACME", "acme", [CRATES[0], CRATES[1]])
    key = await make_key(url, "epcis:capture")
    good = event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 30)
    late = event([EPC[CRATES[1]]], "receiving", ACME_DOCK, 30, eventTime="1999-12-31T23:00:00Z")
    bad_epc = event(["urn:epc:id:grai:4012345.12345"], "receiving", ACME_DOCK, 30)
    async with api_client(settings, key) as http:
        rolled_back = await capture(http, document(good, late))
        logged = await sql(url, "SELECT count(*) AS n FROM epcis_captured_events")
        proceeded = await capture(http, document(good, late, bad_epc), "proceed")
    assert rolled_back["status"] == "errors" and not rolled_back["success"]
    assert rolled_back["applied"] == 0 and logged[0]["n"] == 0
    assert [(e["eventIndex"], e["reason"]) for e in rolled_back["errors"]] == [
        (1, "eventTime 1999-12-31T23:00:00Z is before 2000-01-01")
    ]
    assert proceeded["status"] == "errors" and proceeded["applied"] == 1
    assert [e["eventIndex"] for e in proceeded["errors"]] == [1, 2]
    assert "urn:epc:id:grai:4012345.12345" in proceeded["errors"][1]["reason"]

    await consume(settings)
    found = await states(url)
    assert found[CRATES[0]] == ("at_custodian", "acme")
    assert found[CRATES[1]][0] == "in_service"


async def test_schema_violations_sizes_and_behaviour(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    key = await make_key(url, "epcis:capture")
    bad_time = document(event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 1))
    bad_time["epcisBody"]["eventList"][0]["eventTime"] = "yesterday"
    no_action = document(event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 1))
    del no_action["epcisBody"]["eventList"][0]["action"]
    small = settings.model_copy(update={"epcis_capture_limit_bytes": 2048})
    big = document(*[event([EPC[CRATES[0]]], "receiving", ACME_DOCK, i) for i in range(20)])
    async with api_client(settings, key) as http:
        time_response = await http.post("/v1/epcis/capture", json=bad_time)
        action_response = await http.post("/v1/epcis/capture", json=no_action)
        not_json = await http.post("/v1/epcis/capture", content=b"{oops")
        # The official schema switches on `type`: it takes a lone event as well.
        lone = {
            "@context": bad_time["@context"],
            **event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 1),
        }
        not_a_document = await http.post("/v1/epcis/capture", json=lone)
        behaviour = await http.post(
            "/v1/epcis/capture",
            json=document(),
            headers={"GS1-Capture-Error-Behaviour": "maybe"},
        )
        missing = await http.get("/v1/epcis/capture/nope")
    async with api_client(small, key) as http:
        too_big = await http.post("/v1/epcis/capture", json=big)
    assert time_response.status_code == 400
    assert time_response.headers["content-type"] == "application/problem+json"
    assert time_response.json()["field"] == "$.epcisBody.eventList[0].eventTime"
    assert action_response.status_code == 400
    assert action_response.json()["field"].startswith("$.epcisBody.eventList[0]")
    assert "action" in action_response.text
    assert not_json.status_code == 400
    assert not_a_document.status_code == 400 and not_a_document.json()["field"] == "$.type"
    assert behaviour.status_code == 400
    assert missing.status_code == 404
    assert too_big.status_code == 413
    assert too_big.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "2048"
    jobs = await sql(url, "SELECT count(*) AS n FROM epcis_capture_jobs")
    assert jobs[0]["n"] == 0  # nothing that failed validation becomes a job


async def test_a_site_limited_key_captures_only_for_its_sites(
    stack: tuple[Settings, str],
) -> None:
    settings, url = stack
    key = await make_key(url, "epcis:capture", sites=["dc1"])
    other = await make_key(url, "epcis:capture")
    async with api_client(settings, key) as http:
        job = await capture(
            http, document(event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 5)), "proceed"
        )
    async with api_client(settings, other) as http:
        foreign_job = await http.get(f"/v1/epcis/capture/{job['captureID']}")
    assert job["status"] == "errors"
    assert "site this key may not capture for" in job["errors"][0]["reason"]
    assert foreign_job.status_code == 404  # a job is its key's (or an admin's) to read


async def test_kafka_down_applies_nothing_and_the_job_says_so(stack: tuple[Settings, str]) -> None:
    settings, url = stack
    key = await make_key(url, "epcis:capture")
    broken = settings.model_copy(
        update={"kafka_bootstrap": "127.0.0.1:9", "publish_timeout_s": 2.0}
    )
    received = event([EPC[CRATES[0]]], "receiving", ACME_DOCK, 5)
    async with api_client(broken, key) as http:
        refused = await http.post("/v1/epcis/capture", json=document(received))
    assert refused.status_code == 503 and "Retry-After" in refused.headers
    async with api_client(settings, key) as http:
        job = (await http.get(f"/v1/epcis/capture/{refused.json()['captureID']}")).json()
        retried = await capture(http, document(received))
    assert job["status"] == "errors" and job["applied"] == 0
    assert job["errors"][0]["eventIndex"] is None and "Kafka" in job["errors"][0]["reason"]
    assert (retried["applied"], retried["duplicates"]) == (1, 0)  # nothing was logged before
