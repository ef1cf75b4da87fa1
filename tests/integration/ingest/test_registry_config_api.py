"""Registering, editing and retiring assets; sites, zones, read points and site files through
the API; unknown tags listed and enrolled — on real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from ingest_harness import fresh_database, make_key, scoped, sql

from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings

WORLD = World(asset_count=4, door_count=2)
A = [asset.id for asset in WORLD.assets]
NEW_URI = "urn:epc:id:grai:0614141.12345.5001"
NEW_HEX = "3314257BF40C0E4000001389"  # the same GRAI-96, as a reader reports it


@dataclass
class Api:
    client: httpx.AsyncClient
    url: str
    reader: dict[str, str]
    writer: dict[str, str]
    admin: dict[str, str]
    elsewhere: dict[str, str]  # everything, but for site dc9 only
    unrelated: dict[str, str]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
async def api(base_settings: Settings) -> AsyncIterator[Api]:
    async with fresh_database(base_settings, WORLD) as url:
        keys = [
            await make_key(url, "assets:read"),
            await make_key(url, "assets:read", "assets:write"),
            await make_key(url, "admin"),
            await make_key(url, "assets:read", "assets:write", "admin", sites=["dc9"]),
            await make_key(url, "reads:write", "scans:write"),
        ]
        app = create_api(scoped(base_settings, url, "registry"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            yield Api(client, url, *(bearer(k) for k in keys))


ROUTES = [
    ("POST", "/v1/assets", "assets:write"),
    ("PATCH", f"/v1/assets/{A[0]}", "assets:write"),
    ("POST", f"/v1/assets/{A[0]}/retire", "assets:write"),
    ("GET", "/v1/sites", "assets:read"),
    ("GET", "/v1/sites/dc1", "assets:read"),
    ("GET", "/v1/zones", "assets:read"),
    ("GET", "/v1/read-points", "assets:read"),
    ("POST", "/v1/sites/apply", "admin"),
    ("GET", "/v1/unknown-tags", "assets:read"),
    ("POST", "/v1/unknown-tags/ABC/enrol", "assets:write"),
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
    if scope != "assets:read":
        read_only = await api.client.request(method, path, json={}, headers=api.reader)
        assert read_only.status_code == 403


def new_asset(**extra: Any) -> dict[str, Any]:
    return {
        "id": "dc1-crate-5001",
        "type_id": "crate-60x40",
        "home_site_id": "dc1",
        "owner": "pool-north",
        "attributes": {"colour": "blue"},
        "identifiers": [
            {"scheme": "epc_hex", "value": NEW_HEX.lower()},
            {"scheme": "gs1", "value": "(8003)006141411234525001"},  # same crate, printed
            {"scheme": "serial", "value": " SN-5001 "},
        ],
        **extra,
    }


async def test_an_asset_is_registered_with_canonical_identifiers(api: Api) -> None:
    created = await api.client.post("/v1/assets", json=new_asset(), headers=api.writer)
    assert created.status_code == 201
    asset = created.json()
    assert (asset["id"], asset["status"], asset["custodian_id"]) == (
        "dc1-crate-5001",
        "in_service",
        "site:dc1",
    )
    assert Decimal(asset["value"]) == Decimal("42.50")  # the type's value: none given
    assert asset["identifiers"] == [
        {"scheme": "epc", "value": NEW_URI},
        {"scheme": "serial", "value": "SN-5001"},
    ]
    found = await api.client.get("/v1/assets/lookup", params={"tag": NEW_HEX}, headers=api.reader)
    assert found.json()["id"] == "dc1-crate-5001"
    again = await api.client.post("/v1/assets", json=new_asset(), headers=api.writer)
    assert again.status_code == 409


async def test_a_taken_identifier_is_409_naming_it_and_registers_nothing(api: Api) -> None:
    crate = WORLD.assets[0]
    serial = crate.epc_uri.rsplit(".", 1)[1]
    body = new_asset(
        id="dc1-crate-dup",
        identifiers=[
            {"scheme": "serial", "value": "SN-dup"},
            {"scheme": "gs1", "value": f"(8003)00614141123452{serial}"},  # crate 0's barcode
        ],
    )
    refused = await api.client.post("/v1/assets", json=body, headers=api.writer)
    assert refused.status_code == 409
    assert crate.epc_uri in refused.json()["title"]
    assert crate.id in refused.json()["title"]
    missing = await api.client.get("/v1/assets/dc1-crate-dup", headers=api.reader)
    assert missing.status_code == 404
    assert await sql(api.url, "SELECT 1 FROM asset_identifiers WHERE value = 'SN-dup'") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type_id": "no-such-type"}, "body.type_id"),
        ({"home_site_id": "nowhere"}, "body.home_site_id"),
        ({"identifiers": [{"scheme": "epc", "value": "not an epc"}]}, "body.identifiers.0.value"),
        ({"identifiers": [{"scheme": "rfid", "value": "x"}]}, "body.identifiers.0.scheme"),
        ({"value": "-1"}, "body.value"),
        ({"value": "1.001"}, "body.value"),
        ({"id": "a/b"}, "body.id"),
        ({"attributes": {"note": "nul\u0000"}}, "body.attributes"),
    ],
)
async def test_bad_assets_are_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    refused = await api.client.post(
        "/v1/assets", json={**new_asset(id="dc1-crate-bad"), **change}, headers=api.writer
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["field"].startswith(field)


async def test_an_asset_is_edited_field_by_field(api: Api) -> None:
    path = f"/v1/assets/{A[1]}"
    edited = await api.client.patch(
        path, json={"owner": "pool-south", "value": "39.90"}, headers=api.writer
    )
    assert edited.status_code == 200
    assert (edited.json()["owner"], Decimal(edited.json()["value"])) == (
        "pool-south",
        Decimal("39.90"),
    )
    cleared = await api.client.patch(path, json={"value": None}, headers=api.writer)
    assert Decimal(cleared.json()["value"]) == Decimal("42.50")  # back to the type's value
    assert cleared.json()["owner"] == "pool-south"  # untouched
    for body in ({"type_id": None}, {"type_id": "no-such-type"}, {"status": "lost"}):
        assert (await api.client.patch(path, json=body, headers=api.writer)).status_code == 422
    unknown = await api.client.patch("/v1/assets/nope", json={"owner": "x"}, headers=api.writer)
    assert unknown.status_code == 404
    moving = await api.client.patch(path, json={"home_site_id": "dc9"}, headers=api.elsewhere)
    assert moving.status_code == 404  # dc1's asset is not this key's to see


async def test_retiring_goes_through_the_lifecycle(api: Api) -> None:
    retire = {"reason": "cracked base", "by": "ana@dc1"}
    done = await api.client.post(f"/v1/assets/{A[2]}/retire", json=retire, headers=api.writer)
    assert done.status_code == 200
    assert done.json()["status"] == "retired"
    assert done.json()["retired_at"] is not None
    history = (await api.client.get(f"/v1/assets/{A[2]}/history", headers=api.reader)).json()
    changed = [e for e in history["items"] if e["kind"] == "asset_status_changed"]
    assert len(changed) == 1
    assert {k: changed[0]["payload"][k] for k in ("from_status", "to_status", "reason", "by")} == {
        "from_status": "in_service",
        "to_status": "retired",
        "reason": "cracked base",
        "by": "ana@dc1",
    }
    twice = await api.client.post(f"/v1/assets/{A[2]}/retire", json=retire, headers=api.writer)
    assert twice.status_code == 409
    # Out with a customer: it has to come back (or go missing) before it can be retired.
    await sql(
        api.url,
        "UPDATE asset_state SET status = 'at_custodian', site_id = NULL, custodian_id = 'acme' "
        "WHERE asset_id = $1",
        A[3],
    )
    away = await api.client.post(f"/v1/assets/{A[3]}/retire", json=retire, headers=api.writer)
    assert away.status_code == 409
    assert "at_custodian" in away.json()["title"]
    no_reason = await api.client.post(
        f"/v1/assets/{A[3]}/retire", json={"by": "x"}, headers=api.writer
    )
    assert no_reason.status_code == 422


DOOR_READ_POINTS = ["dc1-door-01-in", "dc1-door-01-out", "dc1-door-02-in", "dc1-door-02-out"]


async def test_sites_zones_and_read_points_are_listed(api: Api) -> None:
    sites = (await api.client.get("/v1/sites", headers=api.reader)).json()
    assert [(s["id"], s["zone_count"], s["read_point_count"]) for s in sites][:1] == [
        ("dc1", 4, 8)  # dock, storage, yard, repair; 2 doors x 2 + 3 zone readers + handheld
    ]
    site = (await api.client.get("/v1/sites/dc1", headers=api.reader)).json()
    assert [z["id"] for z in site["zones"]] == ["dc1-dock", "dc1-repair", "dc1-storage", "dc1-yard"]
    assert [p["id"] for p in site["read_points"] if p["role"].startswith("portal")] == (
        DOOR_READ_POINTS
    )
    zones = (await api.client.get("/v1/zones", params={"site": "dc1"}, headers=api.reader)).json()
    assert zones == site["zones"]
    points = await api.client.get("/v1/read-points", params={"site": "dc1"}, headers=api.reader)
    assert points.json() == site["read_points"]
    assert (await api.client.get("/v1/sites/nowhere", headers=api.reader)).status_code == 404
    assert (await api.client.get("/v1/sites/dc1", headers=api.elsewhere)).status_code == 404
    assert (await api.client.get("/v1/zones", headers=api.elsewhere)).json() == []


def site_file(site_id: str = "dc2", door_zone: str = "dc2-dock") -> dict[str, Any]:
    return {
        "sites": [
            {
                "id": site_id,
                "name": "DC Süd",
                "timezone": "Europe/Berlin",
                "zones": [
                    {"id": f"{site_id}-dock", "name": "Dock", "kind": "dock"},
                    {"id": f"{site_id}-yard", "name": "Yard", "kind": "yard"},
                ],
                "doors": [
                    {
                        "id": f"{site_id}-door-01",
                        "zone": door_zone,
                        "reader": f"{site_id}-dock-01",
                        "inside_antenna": 1,
                        "outside_antenna": 2,
                    }
                ],
            }
        ],
        "custodians": [{"id": "hauler", "name": "Hauler GmbH", "kind": "carrier"}],
    }


async def test_a_site_file_is_applied_dry_run_first(api: Api) -> None:
    dry = await api.client.post(
        "/v1/sites/apply", params={"dry_run": "true"}, json=site_file(), headers=api.admin
    )
    assert dry.status_code == 200
    assert dry.json()["dry_run"] is True
    assert dry.json()["counts"]["read_point"]["created"] == 2
    ids = [s["id"] for s in (await api.client.get("/v1/sites", headers=api.reader)).json()]
    assert "dc2" not in ids  # a dry run writes nothing
    real = await api.client.post("/v1/sites/apply", json=site_file(), headers=api.admin)
    assert real.json()["changes"] == dry.json()["changes"]
    created = {(c["kind"], c["id"]) for c in real.json()["changes"] if c["action"] == "created"}
    assert created == {
        ("site", "dc2"),
        ("custodian", "site:dc2"),
        ("custodian", "hauler"),
        ("zone", "dc2-dock"),
        ("zone", "dc2-yard"),
        ("read_point", "dc2-door-01-in"),
        ("read_point", "dc2-door-01-out"),
    }
    site = (await api.client.get("/v1/sites/dc2", headers=api.reader)).json()
    assert (site["name"], site["zone_count"], site["read_point_count"]) == ("DC Süd", 2, 2)
    again = await api.client.post("/v1/sites/apply", json=site_file(), headers=api.admin)
    assert again.json()["changed"] is False


async def test_a_bad_site_file_is_422_with_its_paths_and_applies_nothing(api: Api) -> None:
    bad = site_file("dc3", door_zone="dc3-nowhere")
    bad["sites"][0]["zones"][1]["kind"] = "lake"
    refused = await api.client.post("/v1/sites/apply", json=bad, headers=api.admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in refused.json()["errors"]]
    assert "body.sites[0].zones[1].kind" in fields
    assert (await api.client.get("/v1/sites/dc3", headers=api.reader)).status_code == 404
    assert (
        await api.client.post("/v1/sites/apply", json=[1], headers=api.admin)
    ).status_code == 422
    other = await api.client.post("/v1/sites/apply", json=site_file(), headers=api.elsewhere)
    assert other.status_code == 403  # an admin key for dc9 may not rewrite dc2


UNKNOWN = [  # tag, kind, minutes ago, last read point
    ("urn:epc:id:grai:0614141.12345.7001", "epc", 30, "dc1-door-01-in"),
    ("E28011606000020A1B2C3D4E", "epc", 20, None),
    ("(8003)006141411234527002", "barcode", 10, "dc1-handheld"),
]


async def test_unknown_tags_are_listed_newest_first_and_enrolled(api: Api) -> None:
    now = datetime.now(UTC)
    await sql(
        api.url,
        "INSERT INTO unknown_tags (tag, tag_kind, first_seen_at, last_seen_at, read_count, "
        "last_reader_id, last_read_point_id) SELECT t, k, s, s, 3, 'r', rp "
        "FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS v(t, k, s, rp)",
        [u[0] for u in UNKNOWN],
        [u[1] for u in UNKNOWN],
        [now - timedelta(minutes=u[2]) for u in UNKNOWN],
        [u[3] for u in UNKNOWN],
    )
    tags = await _all_unknown(api, api.reader)
    assert tags == [u[0] for u in reversed(UNKNOWN)]
    assert await _all_unknown(api, api.elsewhere) == []  # none was read at dc9
    enrol = {"asset_id": "dc1-crate-7001", "type_id": "crate-60x40", "home_site_id": "dc1"}
    path = f"/v1/unknown-tags/{UNKNOWN[0][0]}/enrol"
    enrolled = await api.client.post(path, json=enrol, headers=api.writer)
    assert enrolled.status_code == 201
    assert enrolled.json()["identifiers"] == [{"scheme": "epc", "value": UNKNOWN[0][0]}]
    found = await api.client.get(
        "/v1/assets/lookup", params={"tag": "(8003)006141411234527001"}, headers=api.reader
    )
    assert found.json()["id"] == "dc1-crate-7001"
    again = await api.client.post(path, json=enrol, headers=api.writer)
    assert again.status_code == 409
    left = await api.client.get(
        "/v1/unknown-tags", params={"enrolled": "false"}, headers=api.reader
    )
    assert [t["tag"] for t in left.json()["items"]] == [UNKNOWN[2][0], UNKNOWN[1][0]]


async def test_enrolling_refuses_unknown_tags_and_taken_asset_ids(api: Api) -> None:
    tag = "E2801160600002AAAAAAAAAA"  # no GS1 scheme: stored as hex
    await sql(
        api.url,
        "INSERT INTO unknown_tags (tag, tag_kind, first_seen_at, last_seen_at, read_count) "
        "VALUES ($1, 'epc', now(), now(), 1)",
        tag,
    )
    enrol = {"asset_id": A[0], "type_id": "crate-60x40", "home_site_id": "dc1"}
    clash = await api.client.post(f"/v1/unknown-tags/{tag}/enrol", json=enrol, headers=api.writer)
    assert clash.status_code == 409  # that asset id exists
    stored = await sql(api.url, "SELECT enrolled_asset_id FROM unknown_tags WHERE tag = $1", tag)
    assert stored[0]["enrolled_asset_id"] is None
    fresh = {**enrol, "asset_id": "dc1-tool-1"}
    made = await api.client.post(f"/v1/unknown-tags/{tag}/enrol", json=fresh, headers=api.writer)
    assert made.json()["identifiers"] == [{"scheme": "epc_hex", "value": tag}]
    nothing = await api.client.post("/v1/unknown-tags/NOPE/enrol", json=enrol, headers=api.writer)
    assert nothing.status_code == 404
    bad = await api.client.get("/v1/unknown-tags", params={"cursor": "WzFd"}, headers=api.reader)
    assert bad.status_code == 422


async def _all_unknown(api: Api, key: dict[str, str]) -> list[str]:
    tags: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/unknown-tags", params=params, headers=key)).json()
        tags += [t["tag"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return tags
