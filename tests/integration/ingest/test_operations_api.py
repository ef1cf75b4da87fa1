"""The operations API over state the real consumer produced: assets, lookup, history, counts,
alerts with ack/resolve — paging returns everything exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from ingest_harness import (
    T0,
    create_topics,
    end_stream,
    fresh_database,
    make_key,
    publish,
    scoped,
    wait_caught_up,
)

from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

WORLD = World(asset_count=6, door_count=2)


@pytest.fixture(scope="module")
async def ops(base_settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """Six crates went out without a dispatch (six unauthorized exits) and came back."""
    reads = list(DockScenario(WORLD, T0, stray_share=0.0, gap=timedelta(seconds=30)).reads())
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "ops", partitions=2)
        await create_topics(settings)
        await publish(settings, reads)
        await end_stream(settings)
        stop = asyncio.Event()
        consumer = asyncio.create_task(run_consumer(settings, stop))
        await wait_caught_up(settings)
        stop.set()
        await consumer
        reader, operator = (
            await make_key(url, "assets:read"),
            await make_key(url, "assets:read", "alerts:write"),
        )
        app = create_api(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://tt",
                headers={"Authorization": f"Bearer {reader}"},
            ) as client,
        ):
            yield client, operator, url


async def test_asset_pages_return_every_asset_once(ops: Any) -> None:
    client, _, _ = ops
    first = (await client.get("/v1/assets", params={"limit": 4})).json()
    second = (
        await client.get("/v1/assets", params={"limit": 4, "cursor": first["next_cursor"]})
    ).json()
    ids = [a["id"] for a in first["items"] + second["items"]]
    assert sorted(ids) == sorted(a.id for a in WORLD.assets)
    assert len(set(ids)) == len(ids)
    assert second["next_cursor"] is None
    home = (
        await client.get("/v1/assets", params={"status": "in_service", "has_open_alert": "true"})
    ).json()
    assert len(home["items"]) == len(WORLD.assets)
    assert (await client.get("/v1/assets", params={"cursor": "garbage!"})).status_code == 422


async def test_lookup_by_any_identifier_form(ops: Any) -> None:
    client, _, _ = ops
    crate = WORLD.assets[0]
    serial = crate.epc_uri.rsplit(".", 1)[1]
    grai = f"(8003)00614141123452{serial}"  # the crate's printed barcode (check digit 2)
    found = [
        (await client.get("/v1/assets/lookup", params={"tag": form})).json()["id"]
        for form in (crate.epc_uri, crate.epc_hex, crate.epc_hex.lower(), grai)
    ]
    assert found == [crate.id] * 4
    missing = await client.get("/v1/assets/lookup", params={"tag": "urn:epc:id:grai:1.2.3"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    one = (await client.get(f"/v1/assets/{crate.id}")).json()
    assert {"scheme": "epc", "value": crate.epc_uri} in one["identifiers"]
    assert (await client.get("/v1/assets/no-such-crate")).status_code == 404


async def test_history_pages_in_event_time_order(ops: Any) -> None:
    client, _, url = ops
    crate = WORLD.assets[1]
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/v1/assets/{crate.id}/history", params=params)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM asset_events WHERE asset_id = $1", crate.id
        )
    finally:
        await conn.close()
    assert len(items) == stored
    assert [i["occurred_at"] for i in items] == sorted(i["occurred_at"] for i in items)
    kinds = [i["kind"] for i in items]
    assert kinds.index("asset_left_site") < kinds.index("asset_arrived")


async def test_location_counts_cover_every_asset(ops: Any) -> None:
    client, _, _ = ops
    counts = (await client.get("/v1/stats/locations")).json()
    assert sum(c["assets"] for c in counts) == len(WORLD.assets)
    assert {c["status"] for c in counts} == {"in_service"}


async def test_alerts_are_acknowledged_and_resolved_once(ops: Any) -> None:
    client, operator, _ = ops
    listed = (
        await client.get("/v1/alerts", params={"status": "open", "kind": "unauthorized_exit"})
    ).json()
    assert len(listed["items"]) == len(WORLD.assets)
    alert = listed["items"][0]
    who = {"by": "ana@dc1", "note": "carrier forgot the paperwork"}
    as_reader = await client.post(f"/v1/alerts/{alert['id']}/ack", json=who)
    assert as_reader.status_code == 403  # assets:read is not alerts:write
    auth = {"Authorization": f"Bearer {operator}"}
    acked = await client.post(f"/v1/alerts/{alert['id']}/ack", json=who, headers=auth)
    assert (acked.json()["status"], acked.json()["acked_by"]) == ("acked", "ana@dc1")
    again = await client.post(f"/v1/alerts/{alert['id']}/ack", json=who, headers=auth)
    assert again.status_code == 409
    resolved = await client.post(
        f"/v1/alerts/{alert['id']}/resolve", json={"by": "ben@dc1"}, headers=auth
    )
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["note"] == "carrier forgot the paperwork"
    history = (
        await client.get(f"/v1/assets/{alert['asset_id']}/history", params={"limit": 1000})
    ).json()["items"]
    steps = [
        (e["kind"], e["payload"].get("by"))
        for e in history
        if e["kind"] in ("alert_acknowledged", "alert_resolved")
    ]
    assert steps == [("alert_acknowledged", "ana@dc1"), ("alert_resolved", "ben@dc1")]
    assert (
        await client.post("/v1/alerts/999999/resolve", json=who, headers=auth)
    ).status_code == 404


async def test_a_nul_in_a_url_or_a_body_is_a_clear_422(ops: Any) -> None:
    client, operator, _ = ops
    in_url = await client.get("/v1/assets?site=%00")
    assert in_url.status_code == 422
    assert in_url.headers["content-type"] == "application/problem+json"
    alert = (await client.get("/v1/alerts", params={"status": "active"})).json()["items"][0]
    in_body = await client.post(
        f"/v1/alerts/{alert['id']}/resolve",
        json={"by": "a\u0000b"},
        headers={"Authorization": f"Bearer {operator}"},
    )
    assert in_body.status_code == 422  # PostgreSQL refuses NUL in text: SQLSTATE 22021
    assert in_body.headers["content-type"] == "application/problem+json"
