"""Custody through the API on real PostgreSQL (and Kafka for the consumer): custodians CRUD,
dispatches created, listed, closed — and a dispatch made here that the consumer honours."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ingest_harness import (
    create_topics,
    end_stream,
    fresh_database,
    make_key,
    publish,
    scoped,
    sql,
    wait_caught_up,
)

from simulators.dock_stream import Pass, pass_reads
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

WORLD = World(asset_count=8, door_count=2)
A = [asset.id for asset in WORLD.assets]
SOON = (datetime.now(UTC) + timedelta(days=7)).isoformat()


@dataclass
class Api:
    client: httpx.AsyncClient  # no key by default
    url: str
    settings: Settings
    reader: dict[str, str]
    writer: dict[str, str]
    elsewhere: dict[str, str]  # assets:read + assets:write for site dc9 only
    unrelated: dict[str, str]  # a key with neither assets scope


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def api(base_settings: Settings) -> AsyncIterator[Api]:
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "custody", partitions=2)
        keys = [
            await make_key(url, "assets:read"),
            await make_key(url, "assets:read", "assets:write"),
            await make_key(url, "assets:read", "assets:write", sites=["dc9"]),
            await make_key(url, "reads:write", "alerts:write"),
        ]
        app = create_api(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            yield Api(client, url, settings, *(bearer(k) for k in keys))


ROUTES = [  # method, path, scope it needs
    ("GET", "/v1/custodians", "assets:read"),
    ("POST", "/v1/custodians", "assets:write"),
    ("GET", "/v1/custodians/acme", "assets:read"),
    ("PATCH", "/v1/custodians/acme", "assets:write"),
    ("DELETE", "/v1/custodians/acme", "assets:write"),
    ("GET", "/v1/custodians/acme/assets", "assets:read"),
    ("POST", "/v1/dispatches", "assets:write"),
    ("GET", "/v1/dispatches", "assets:read"),
    ("GET", "/v1/dispatches/D-1", "assets:read"),
    ("POST", "/v1/dispatches/D-1/close", "assets:write"),
]


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_every_route_wants_a_key_with_its_scope(
    api: Api, method: str, path: str, scope: str
) -> None:
    anonymous = await api.client.request(method, path, json={})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    lacking = await api.client.request(method, path, json={}, headers=api.unrelated)
    assert lacking.status_code == 403
    assert scope in lacking.json()["title"]
    if scope == "assets:write":  # a read-only key may not write
        assert (
            await api.client.request(method, path, json={}, headers=api.reader)
        ).status_code == 403


async def test_custodians_are_created_read_edited_and_deleted(api: Api) -> None:
    body = {"id": "initech", "name": "Initech", "kind": "carrier", "contact": {"tel": "+49 1"}}
    created = await api.client.post("/v1/custodians", json=body, headers=api.writer)
    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("id", "name", "kind", "site_id", "return_days")} == {
        "id": "initech",
        "name": "Initech",
        "kind": "carrier",
        "site_id": None,
        "return_days": None,
    }
    again = await api.client.post("/v1/custodians", json=body, headers=api.writer)
    assert again.status_code == 409
    edited = await api.client.patch(
        "/v1/custodians/initech", json={"return_days": 21}, headers=api.writer
    )
    assert (edited.json()["return_days"], edited.json()["name"]) == (21, "Initech")
    assert edited.json()["contact"] == {"tel": "+49 1"}
    fetched = (await api.client.get("/v1/custodians/initech", headers=api.reader)).json()
    assert fetched["return_days"] == 21
    deleted = await api.client.delete("/v1/custodians/initech", headers=api.writer)
    assert deleted.status_code == 204
    gone = await api.client.get("/v1/custodians/initech", headers=api.reader)
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {"id": "x", "name": "X", "kind": "site"},  # site custodians come with their sites
        {"id": "has space", "name": "X", "kind": "customer"},
        {"id": "x", "name": "", "kind": "customer"},
        {"id": "x", "name": "X\u0000", "kind": "customer"},
        {"id": "x", "name": "X", "kind": "customer", "return_days": 0},
        {"id": "x", "name": "X", "kind": "customer", "colour": "red"},
    ],
)
async def test_bad_custodians_are_refused_with_the_field(api: Api, body: dict[str, Any]) -> None:
    refused = await api.client.post("/v1/custodians", json=body, headers=api.writer)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("body")


async def test_custodian_pages_return_every_custodian_once(api: Api) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/custodians", params=params, headers=api.reader)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    stored = [r["id"] for r in await sql(api.url, "SELECT id FROM custodians ORDER BY id")]
    assert seen == stored
    assert {"acme", "globex", "site:dc1"} <= set(seen)
    limited = await api.client.get("/v1/custodians", headers=api.elsewhere)
    assert "site:dc1" not in [c["id"] for c in limited.json()["items"]]  # not its site
    bad = await api.client.get("/v1/custodians", params={"cursor": "%%"}, headers=api.reader)
    assert bad.status_code == 422


def dispatch_body(*assets: str, **extra: Any) -> dict[str, Any]:
    return {
        "custodian_id": "acme",
        "from_site_id": "dc1",
        "expected_return_at": SOON,
        "asset_ids": list(assets),
        **extra,
    }


async def test_a_dispatch_is_created_shown_and_closed_by_hand(api: Api) -> None:
    body = dispatch_body(A[3], A[4], id="D-close", reference="DESADV 1")
    created = await api.client.post("/v1/dispatches", json=body, headers=api.writer)
    assert created.status_code == 201
    dispatch = created.json()
    assert (dispatch["status"], dispatch["overdue"], dispatch["line_count"]) == ("open", False, 2)
    assert [(line["asset_id"], line["outcome"]) for line in dispatch["lines"]] == [
        (A[3], "pending"),
        (A[4], "pending"),
    ]
    fetched = (await api.client.get("/v1/dispatches/D-close", headers=api.reader)).json()
    assert fetched == dispatch
    taken = await api.client.post(
        "/v1/dispatches", json=dispatch_body(A[4], A[5]), headers=api.writer
    )
    assert taken.status_code == 409
    assert A[4] in taken.json()["title"]
    assert "D-close" in taken.json()["title"]
    held = await api.client.delete("/v1/custodians/acme", headers=api.writer)
    assert held.status_code == 409  # an open dispatch
    close = {"by": "ana@dc1", "note": "order cancelled"}
    closed = await api.client.post("/v1/dispatches/D-close/close", json=close, headers=api.writer)
    assert closed.status_code == 200
    assert closed.json()["status"] == "cancelled"  # nothing had left
    assert {line["outcome"] for line in closed.json()["lines"]} == {"cancelled"}
    twice = await api.client.post("/v1/dispatches/D-close/close", json=close, headers=api.writer)
    assert twice.status_code == 409
    history = (await api.client.get(f"/v1/assets/{A[3]}/history", headers=api.reader)).json()
    event = next(e for e in history["items"] if e["kind"] == "dispatch_closed")
    assert (event["payload"]["by"], event["payload"]["note"]) == ("ana@dc1", "order cancelled")
    # Closed, the asset may go out on a new dispatch.
    again = await api.client.post("/v1/dispatches", json=dispatch_body(A[4]), headers=api.writer)
    assert again.status_code == 201
    assert again.json()["id"].startswith("D-")
    retire = {"reason": "worn", "by": "ana@dc1"}
    busy = await api.client.post(f"/v1/assets/{A[4]}/retire", json=retire, headers=api.writer)
    assert busy.status_code == 409  # promised to a customer first
    assert again.json()["id"] in busy.json()["title"]


async def test_a_custodian_with_dispatch_history_is_not_deleted(api: Api) -> None:
    body = {"id": "umbrella", "name": "Umbrella", "kind": "customer"}
    assert (await api.client.post("/v1/custodians", json=body, headers=api.writer)).is_success
    sent = dispatch_body(A[5], id="D-umbrella", custodian_id="umbrella")
    assert (await api.client.post("/v1/dispatches", json=sent, headers=api.writer)).is_success
    open_one = await api.client.delete("/v1/custodians/umbrella", headers=api.writer)
    assert open_one.status_code == 409
    assert "1 open dispatch" in open_one.json()["title"]
    close = {"by": "ana@dc1"}
    await api.client.post("/v1/dispatches/D-umbrella/close", json=close, headers=api.writer)
    closed_one = await api.client.delete("/v1/custodians/umbrella", headers=api.writer)
    assert closed_one.status_code == 409
    assert "history" in closed_one.json()["title"]
    kept = await api.client.get("/v1/custodians/umbrella", headers=api.reader)
    assert kept.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expected_return_at": "2030-01-01T10:00:00"}, "body.expected_return_at"),  # naive
        ({"expected_return_at": "2020-01-01T10:00:00Z"}, "body.expected_return_at"),  # past
        ({"asset_ids": []}, "body.asset_ids"),
        ({"asset_ids": ["no-such-crate"]}, "body.asset_ids"),
        ({"custodian_id": "nobody"}, "body.custodian_id"),
        ({"custodian_id": "site:dc1"}, "body.custodian_id"),  # to the site it leaves
        ({"from_site_id": "nowhere"}, "body.from_site_id"),
        ({"id": "D 1"}, "body.id"),
        ({"reference": "x" * 201}, "body.reference"),
    ],
)
async def test_bad_dispatches_are_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    refused = await api.client.post(
        "/v1/dispatches", json={**dispatch_body(A[6]), **change}, headers=api.writer
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"].startswith(field)


async def test_site_limited_keys_touch_only_their_sites(api: Api) -> None:
    other = await api.client.post("/v1/dispatches", json=dispatch_body(A[6]), headers=api.elsewhere)
    assert other.status_code == 403
    made = await api.client.post(
        "/v1/dispatches", json=dispatch_body(A[6], id="D-dc1"), headers=api.writer
    )
    assert made.status_code == 201
    hidden = await api.client.get("/v1/dispatches/D-dc1", headers=api.elsewhere)
    assert hidden.status_code == 404
    listed = await api.client.get("/v1/dispatches", headers=api.elsewhere)
    assert listed.json()["items"] == []
    closing = await api.client.post(
        "/v1/dispatches/D-dc1/close", json={"by": "x"}, headers=api.elsewhere
    )
    assert closing.status_code == 404
    assert (await api.client.get("/v1/dispatches/nope", headers=api.reader)).status_code == 404


async def test_dispatches_list_by_status_and_page_every_one_once(api: Api) -> None:
    made = await api.client.post(
        "/v1/dispatches", json=dispatch_body(A[7], id="D-late"), headers=api.writer
    )
    assert made.status_code == 201
    # The API refuses a past return date; the clock moving on is what makes one overdue.
    await sql(
        api.url,
        "UPDATE dispatches SET expected_return_at = now() - interval '1 day' WHERE id = 'D-late'",
    )
    overdue = (
        await api.client.get("/v1/dispatches", params={"status": "overdue"}, headers=api.reader)
    ).json()
    assert [d["id"] for d in overdue["items"]] == ["D-late"]
    assert overdue["items"][0]["overdue"] is True
    open_ids = await _all_ids(api, {"status": "open"})
    closed_ids = await _all_ids(api, {"status": "closed"})
    every = await _all_ids(api, {})
    stored = await sql(api.url, "SELECT id, status FROM dispatches ORDER BY id")
    assert every == [r["id"] for r in stored]
    assert open_ids == [r["id"] for r in stored if r["status"] == "open"]
    assert closed_ids == [r["id"] for r in stored if r["status"] != "open"]
    assert "D-late" in open_ids
    bad = await api.client.get("/v1/dispatches", params={"status": "lost"}, headers=api.reader)
    assert bad.status_code == 422


async def _all_ids(api: Api, params: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/dispatches", params=query, headers=api.reader)).json()
        ids += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def outbound_reads(count: int) -> list[Any]:
    """Crates 0..count-1 leave through door 1, five seconds apart (no return)."""
    rng = random.Random(11)
    start = datetime.now(UTC) - timedelta(minutes=10)
    passes = [
        Pass(asset, WORLD.doors[0], "outbound", start + i * timedelta(seconds=5))
        for i, asset in enumerate(WORLD.assets[:count])
    ]
    reads = [read for p in passes for read in pass_reads(p, rng, None)]
    return sorted(reads, key=lambda r: (r.seen_at, r.read_id))


async def test_the_consumer_honours_a_dispatch_made_through_the_api(api: Api) -> None:
    made = await api.client.post(
        "/v1/dispatches", json=dispatch_body(A[0], A[1], id="D-out"), headers=api.writer
    )
    assert made.status_code == 201
    settings = api.settings
    await create_topics(settings)
    await publish(settings, outbound_reads(3))  # crate 2 leaves with no dispatch
    await end_stream(settings)
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings)
    finally:
        stop.set()
        await consumer
    held = (await api.client.get("/v1/custodians/acme/assets", headers=api.reader)).json()
    assert [(a["id"], a["status"], a["dispatch_id"]) for a in held["items"]] == [
        (A[0], "in_transit", "D-out"),
        (A[1], "in_transit", "D-out"),
    ]
    alerts = (
        await api.client.get("/v1/alerts", params={"kind": "unauthorized_exit"}, headers=api.reader)
    ).json()
    assert [a["asset_id"] for a in alerts["items"]] == [A[2]]  # only the undispatched crate
    dispatch = (await api.client.get("/v1/dispatches/D-out", headers=api.reader)).json()
    assert [line["outcome"] for line in dispatch["lines"]] == ["out", "out"]
    assert all(line["left_at"] is not None for line in dispatch["lines"])
    home = await _custodian_assets(api, "site:dc1")
    assert home == sorted(A[2:])  # an unauthorized exit moves no custody
    refused = await api.client.delete("/v1/custodians/acme", headers=api.writer)
    assert refused.status_code == 409
    assert "holds 2 asset(s)" in refused.json()["title"]


async def _custodian_assets(api: Api, custodian: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (
            await api.client.get(
                f"/v1/custodians/{custodian}/assets", params=query, headers=api.reader
            )
        ).json()
        ids += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
