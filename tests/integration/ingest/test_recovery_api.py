"""Recovery through the API on real PostgreSQL: the bench flow from intake to redeploy or
retirement, each rule's 409 (the sanitisation block among them), one open case per asset,
idempotent creates, scopes and site-limited keys, and every step in the asset's history."""

from __future__ import annotations

import base64
import hashlib
import json
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

WORLD = World(asset_count=12, door_count=1)
CRATES = [asset.id for asset in WORLD.assets]
TERMINALS = [f"dc1-term-{n}" for n in range(1, 5)]
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@dataclass
class Api:
    client: httpx.AsyncClient
    url: str
    writer: dict[str, str]  # recovery:write + assets:read
    reader: dict[str, str]  # assets:read only
    elsewhere: dict[str, str]  # both scopes, limited to site dc9
    unrelated: dict[str, str]  # neither


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


_SETUP = [
    # Crates: two checks before grading. Terminals: data-bearing, functional and software lock.
    "UPDATE asset_types SET recovery_checks = '{functional,cosmetic}'",
    "INSERT INTO asset_types (id, name, replacement_value, data_bearing, recovery_checks) "
    "VALUES ('terminal', 'Handheld terminal', 1450.00, true, '{functional,software_lock}')",
    "INSERT INTO assets (id, type_id, home_site_id) "
    f"SELECT unnest(CAST('{{{','.join(TERMINALS)}}}' AS text[])), 'terminal', 'dc1'",
    "INSERT INTO service_records (asset_id, kind, performed_at, performed_by) VALUES "
    "('dc1-term-1', 'calibration', '2026-09-01T10:00:00Z', 'lab'), "
    "('dc1-term-1', 'service', '2026-10-01T10:00:00Z', 'workshop')",
]


@pytest.fixture(scope="module")
async def api(base_settings: Settings) -> AsyncIterator[Api]:
    async with fresh_database(base_settings, WORLD) as url:
        for statement in _SETUP:
            await sql(url, statement)
        keys = [
            await make_key(url, "recovery:write", "assets:read"),
            await make_key(url, "assets:read"),
            await make_key(url, "recovery:write", "assets:read", sites=["dc9"]),
            await make_key(url, "reads:write"),
        ]
        app = create_api(scoped(base_settings, url, "recovery"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            yield Api(client, url, *(bearer(k) for k in keys))


async def post(api: Api, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await api.client.post(
        f"/v1/recovery{path}", json=body, headers={**api.writer, **headers}
    )


async def opened(api: Api, asset_id: str, category: str = "customer_return") -> dict[str, Any]:
    response = await post(
        api, "/cases", {"asset_id": asset_id, "return_category": category, "by": "ana"}
    )
    assert response.status_code == 201, response.text
    case: dict[str, Any] = response.json()
    return case


async def step(api: Api, case: dict[str, Any], path: str, body: dict[str, Any]) -> Any:
    response = await post(api, f"/cases/{case['id']}{path}", body)
    assert response.status_code in (200, 201), response.text
    return response.json()


async def refused(api: Api, case: dict[str, Any], path: str, body: dict[str, Any]) -> str:
    response = await post(api, f"/cases/{case['id']}{path}", body)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    title: str = response.json()["title"]
    return title


async def asset_status(api: Api, asset_id: str) -> tuple[str, str | None]:
    asset = (await api.client.get(f"/v1/assets/{asset_id}", headers=api.reader)).json()
    return asset["status"], asset["retired_at"]


async def history(api: Api, asset_id: str) -> list[dict[str, Any]]:
    page = await api.client.get(
        f"/v1/assets/{asset_id}/history", params={"limit": 1000}, headers=api.reader
    )
    items: list[dict[str, Any]] = page.json()["items"]
    return items


PASS_BOTH = {
    "checks": [{"check": "functional", "passed": True}, {"check": "cosmetic", "passed": True}],
    "by": "ben",
}


async def test_a_crate_goes_from_intake_to_redeployed_with_every_step_in_its_history(
    api: Api,
) -> None:
    crate = CRATES[0]
    case = await opened(api, crate, "end_of_lease")
    assert (case["stage"], case["opened_how"], case["opened_by"]) == ("intake", "manual", "ana")
    assert case["outstanding"] == [
        "record check cosmetic",
        "record check functional",
        "grade",
        "decide a path",
        "close",
    ]
    assert await asset_status(api, crate) == ("in_recovery", None)
    checked = await step(api, case, "/checks", PASS_BOTH)
    assert checked["stage"] == "grading"
    graded = await step(api, case, "/grade", {"grade": "ready_to_redeploy", "by": "ben"})
    assert (graded["stage"], graded["grade"], graded["graded_by"]) == (
        "decision",
        "ready_to_redeploy",
        "ben",
    )
    decided = await step(api, case, "/decision", {"path": "redeploy", "by": "cleo"})
    assert (decided["path"], Decimal(decided["value_recovered"])) == ("redeploy", Decimal("42.5"))
    closed = await step(api, case, "/close", {"by": "cleo"})
    assert (closed["stage"], closed["closed_by"], closed["outstanding"]) == ("done", "cleo", [])
    assert await asset_status(api, crate) == ("in_service", None)

    events = await history(api, crate)
    recovery = [e for e in events if e["kind"].startswith(("recovery_", "asset_status"))]
    assert [(e["kind"], e["payload"].get("by")) for e in recovery] == [
        ("asset_status_changed", "ana"),
        ("recovery_opened", "ana"),
        ("recovery_checked", "ben"),
        ("recovery_graded", "ben"),
        ("recovery_decided", "cleo"),
        ("asset_status_changed", "cleo"),
        ("recovery_closed", "cleo"),
    ]
    assert all(e["payload"]["case_id"] == case["id"] for e in recovery)
    changes = [
        (e["payload"]["from_status"], e["payload"]["to_status"])
        for e in recovery
        if e["kind"] == "asset_status_changed"
    ]
    assert changes == [("in_service", "in_recovery"), ("in_recovery", "in_service")]
    whens = [datetime.fromisoformat(e["occurred_at"]) for e in recovery]
    assert whens == sorted(whens)
    assert datetime.now(UTC) - whens[0] < timedelta(minutes=1)
    stored = await sql(
        api.url, "SELECT stage, closed_at FROM recovery_cases WHERE id = $1", case["id"]
    )
    assert stored[0]["stage"] == "done"
    assert stored[0]["closed_at"] == whens[-1]
    # every step also reaches the webhook outbox, in history order, with its facts
    outbox = await sql(
        api.url,
        "SELECT o.event_kind, o.payload FROM outbox o JOIN asset_events e "
        "ON e.id = o.asset_event_id WHERE e.asset_id = $1 ORDER BY o.id",
        crate,
    )
    published = [(row["event_kind"], json.loads(row["payload"])) for row in outbox]
    assert [kind for kind, _ in published if kind.startswith("recovery_")] == [
        "recovery_opened",
        "recovery_checked",
        "recovery_graded",
        "recovery_decided",
        "recovery_closed",
    ]
    decided_payload = next(p for k, p in published if k == "recovery_decided")
    assert decided_payload["kind"] == "recovery_decided"
    assert decided_payload["payload"]["path"] == "redeploy"
    assert decided_payload["payload"]["case_id"] == case["id"]


async def test_a_data_bearing_asset_is_not_redeployed_or_resold_without_an_erasure_certificate(
    api: Api,
) -> None:
    terminal = TERMINALS[0]
    case = await opened(api, terminal, "end_of_lease")
    assert case["data_bearing"] is True
    assert case["usage"]["last_calibration_at"].startswith("2026-09-01")
    assert case["usage"]["last_service_at"].startswith("2026-10-01")
    checks = {
        "checks": [
            {"check": "functional", "passed": True},
            {"check": "software_lock", "passed": True, "notes": "MDM released"},
        ],
        "by": "ben",
    }
    await step(api, case, "/checks", checks)
    graded = await step(api, case, "/grade", {"grade": "ready_to_redeploy", "by": "ben"})
    assert graded["stage"] == "sanitisation"
    for path, extra in (("redeploy", {}), ("resale", {"price": "300.00", "channel": "ebay"})):
        title = await refused(api, case, "/decision", {"path": path, "by": "ben", **extra})
        assert title == f"erasure certificate required: asset {terminal} is data-bearing"
    again = (await api.client.get(f"/v1/recovery/cases/{case['id']}", headers=api.reader)).json()
    assert (again["stage"], again["path"]) == ("sanitisation", None)

    certificate_file = b'{"device": "dc1-term-1", "result": "erased", "passes": 1}'
    body = {
        "id": "BL-0001",
        "method": "crypto_erase",
        "tool": "Blancco 7.9",
        "operator": "dana",
        "performed_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "certificate_base64": base64.b64encode(certificate_file).decode(),
    }
    certified = await step(api, case, "/certificates", body)
    [kept] = certified["certificates"]
    assert kept["certificate_sha256"] == hashlib.sha256(certificate_file).hexdigest()
    assert (kept["id"], kept["operator"], certified["stage"]) == ("BL-0001", "dana", "decision")
    # The same certificate again changes nothing; its id with another file is a conflict.
    assert len((await step(api, case, "/certificates", body))["certificates"]) == 1
    other = {**body, "certificate_base64": None, "certificate_sha256": SHA}
    assert "already on file" in await refused(api, case, "/certificates", other)

    await step(api, case, "/decision", {"path": "redeploy", "by": "ben"})
    closed = await step(api, case, "/close", {"by": "ben"})
    assert Decimal(closed["value_recovered"]) == Decimal("1450.00")
    assert await asset_status(api, terminal) == ("in_service", None)
    sanitised = [e for e in await history(api, terminal) if e["kind"] == "asset_sanitised"]
    assert len(sanitised) == 1
    assert sanitised[0]["payload"]["certificate_sha256"] == kept["certificate_sha256"]
    assert sanitised[0]["payload"]["by"] == "dana"


async def test_grading_rules_and_a_repair_before_resale_that_retires_the_asset(api: Api) -> None:
    crate = CRATES[1]
    case = await opened(api, crate, "damaged_in_use")
    only_functional = {"checks": [{"check": "functional", "passed": False}], "by": "ben"}
    await step(api, case, "/checks", only_functional)
    title = await refused(api, case, "/grade", {"grade": "repairable", "by": "ben"})
    assert title.startswith("check(s) cosmetic required before grading")
    await step(
        api, case, "/checks", {"checks": [{"check": "cosmetic", "passed": True}], "by": "ben"}
    )
    title = await refused(api, case, "/grade", {"grade": "ready_to_redeploy", "by": "ben"})
    assert "failed functional check cannot grade ready_to_redeploy" in title
    assert "graded repairable" in await refused(
        api, case, "/repairs", {"description": "hinge", "cost": "4.80", "by": "ben"}
    )
    assert "grade case" in await refused(
        api,
        case,
        "/decision",
        {"path": "parts", "by": "ben", "parts": [{"part": "lid", "value": "2"}]},
    )
    graded = await step(api, case, "/grade", {"grade": "repairable", "by": "ben"})
    assert graded["stage"] == "repair"

    ordered = await step(
        api, case, "/repairs", {"description": "new hinge", "cost": "4.80", "by": "eve"}
    )
    [repair] = ordered["repairs"]
    assert (ordered["stage"], Decimal(ordered["repair_cost"])) == ("repair", Decimal("4.80"))
    resale = {"path": "resale", "by": "ben", "price": "25.00", "channel": "marketplace"}
    assert "still open" in await refused(api, case, "/decision", resale)
    repaired = await step(
        api,
        case,
        f"/repairs/{repair['id']}/close",
        {"outcome": "repaired", "by": "eve", "cost": "6.10"},
    )
    assert (repaired["stage"], repaired["grade"]) == ("grading", None)
    assert Decimal(repaired["repair_cost"]) == Decimal("6.10")
    assert "is not open" in await refused(
        api, case, f"/repairs/{repair['id']}/close", {"outcome": "repaired", "by": "eve"}
    )
    missing = await post(
        api, f"/cases/{case['id']}/repairs/999999/close", {"outcome": "repaired", "by": "eve"}
    )
    assert missing.status_code == 404
    # Still the failed functional check: checked again after the repair, it may be ready.
    await step(
        api, case, "/checks", {"checks": [{"check": "functional", "passed": True}], "by": "ben"}
    )
    await step(api, case, "/grade", {"grade": "ready_to_redeploy", "by": "ben"})
    decided = await step(api, case, "/decision", resale)
    assert decided["path_details"] == {"price": "25.00", "channel": "marketplace"}
    closed = await step(api, case, "/close", {"by": "ben"})
    assert (Decimal(closed["value_recovered"]), Decimal(closed["repair_cost"])) == (
        Decimal("25.00"),
        Decimal("6.10"),
    )
    status, retired_at = await asset_status(api, crate)
    assert status == "retired"
    assert retired_at is not None
    assert "is closed" in await refused(api, case, "/checks", PASS_BOTH)
    steps = [
        (e["kind"], e["payload"]["by"], e["payload"].get("stage"))
        for e in await history(api, crate)
        if e["kind"].startswith(("recovery_", "repair_"))
    ]
    assert steps == [
        ("recovery_opened", "ana", None),
        ("recovery_checked", "ben", "grading"),
        ("recovery_checked", "ben", "grading"),
        ("recovery_graded", "ben", "repair"),
        ("repair_ordered", "eve", "repair"),
        ("repair_closed", "eve", "grading"),
        ("recovery_checked", "ben", "grading"),
        ("recovery_graded", "ben", "decision"),
        ("recovery_decided", "ben", "decision"),
        ("recovery_closed", "ben", "done"),
    ]


async def test_recycling_and_parts_retire_the_asset_with_what_they_recovered(api: Api) -> None:
    for crate, decision, value in (
        (
            CRATES[2],
            {
                "path": "recycling",
                "weight_kg": "1.9",
                "vendor": "GreenCycle",
                "certificate": "GC-77",
            },
            "0.00",
        ),
        (
            CRATES[3],
            {
                "path": "parts",
                "parts": [{"part": "lid", "value": "3.50"}, {"part": "base", "value": "6.00"}],
            },
            "9.50",
        ),
    ):
        case = await opened(api, crate, "product_failure")
        await step(api, case, "/checks", PASS_BOTH)
        await step(api, case, "/grade", {"grade": "components_only", "by": "ben"})
        title = await refused(api, case, "/decision", {"path": "redeploy", "by": "ben"})
        assert "graded components_only cannot take path redeploy" in title
        await step(api, case, "/decision", {**decision, "by": "ben"})
        closed = await step(api, case, "/close", {"by": "fay"})
        assert Decimal(closed["value_recovered"]) == Decimal(value)
        status, retired_at = await asset_status(api, crate)
        assert (status, retired_at is not None) == ("retired", True)
        [change] = [
            e
            for e in await history(api, crate)
            if e["kind"] == "asset_status_changed" and e["payload"]["to_status"] == "retired"
        ]
        assert (change["payload"]["by"], change["payload"]["path"]) == ("fay", decision["path"])


async def test_one_open_case_per_asset_and_an_idempotent_open(api: Api) -> None:
    crate = CRATES[4]
    body = {"asset_id": crate, "return_category": "recall", "by": "ana"}
    first = await post(api, "/cases", body, **{"Idempotency-Key": "open-crate-4"})
    repeat = await post(api, "/cases", body, **{"Idempotency-Key": "open-crate-4"})
    assert (first.status_code, repeat.status_code) == (201, 201)
    assert repeat.json()["id"] == first.json()["id"]
    second = await post(api, "/cases", body)
    assert second.status_code == 409
    assert second.json()["title"] == (
        f"asset {crate} already has open recovery case {first.json()['id']}"
    )
    reused = await post(
        api,
        "/cases",
        {**body, "return_category": "recall", "by": "bob"},
        **{"Idempotency-Key": "open-crate-4"},
    )
    assert reused.status_code == 422
    rows = await sql(api.url, "SELECT count(*) FROM recovery_cases WHERE asset_id = $1", crate)
    opened_events = await sql(
        api.url,
        "SELECT count(*) FROM asset_events WHERE asset_id = $1 AND kind = 'recovery_opened'",
        crate,
    )
    assert (rows[0][0], opened_events[0][0]) == (1, 1)
    # The checks endpoint creates rows too: a retried request with its key records once.
    case = first.json()
    for _ in range(2):
        retried = await post(
            api, f"/cases/{case['id']}/checks", PASS_BOTH, **{"Idempotency-Key": "checks-crate-4"}
        )
        assert retried.status_code == 201
    assert len(retried.json()["checks"]) == 2


async def test_only_an_asset_at_one_of_our_sites_can_enter_recovery(api: Api) -> None:
    crate = CRATES[5]
    await sql(
        api.url,
        "UPDATE asset_state SET status = 'at_custodian', site_id = NULL, custodian_id = 'acme' "
        "WHERE asset_id = $1",
        crate,
    )
    response = await post(
        api, "/cases", {"asset_id": crate, "return_category": "recall", "by": "ana"}
    )
    assert response.status_code == 409
    assert response.json()["title"] == (
        f"asset {crate} is at_custodian: only an asset in service at one of our sites can "
        "enter recovery (check it in first)"
    )
    unknown = await post(
        api, "/cases", {"asset_id": "nope", "return_category": "recall", "by": "ana"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.asset_id"
    # By any identifier, as the bench scanner reads it.
    by_tag = await post(
        api,
        "/cases",
        {"identifier": WORLD.assets[6].epc_uri, "return_category": "shipping_error", "by": "ana"},
    )
    assert by_tag.status_code == 201
    assert by_tag.json()["asset_id"] == CRATES[6]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/cases", {"asset_id": "x", "return_category": "lost_in_space", "by": "ana"}),
        ("/cases", {"asset_id": "x", "identifier": "y", "return_category": "recall", "by": "a"}),
        ("/cases/CASE/grade", {"grade": "shiny", "by": "ana"}),
        ("/cases/CASE/checks", {"checks": [], "by": "ana"}),
        (
            "/cases/CASE/certificates",
            {
                "id": "c",
                "method": "overwrite",
                "tool": "t",
                "operator": "o",
                "performed_at": "2026-11-24T09:00:00",
                "certificate_sha256": SHA,
            },
        ),
        (
            "/cases/CASE/certificates",
            {
                "id": "c",
                "method": "overwrite",
                "tool": "t",
                "operator": "o",
                "performed_at": "2026-11-24T09:00:00Z",
                "certificate_sha256": "xyz",
            },
        ),
        (
            "/cases/CASE/certificates",
            {
                "id": "c",
                "method": "overwrite",
                "tool": "t",
                "operator": "o",
                "performed_at": "2099-11-24T09:00:00Z",
                "certificate_sha256": SHA,
            },
        ),
        (
            "/cases/CASE/certificates",
            {
                "id": "c",
                "method": "overwrite",
                "tool": "t",
                "operator": "o",
                "performed_at": "2026-11-24T09:00:00Z",
                "certificate_base64": "not base64!",
            },
        ),
        ("/cases/CASE/decision", {"path": "resale", "by": "ana", "price": "-1", "channel": "x"}),
        ("/cases/CASE/decision", {"path": "resale", "by": "ana", "price": "1", "channel": " "}),
        ("/cases/CASE/decision", {"path": "parts", "by": "ana", "parts": []}),
        ("/cases/CASE/repairs", {"description": "x", "cost": "1.234", "by": "ana"}),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    case = await _a_case(api)
    response = await post(api, path.replace("CASE", case), body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"].startswith(("body", "header"))


async def _a_case(api: Api) -> str:
    """An open case to send bad input to (made once)."""
    rows = await sql(api.url, "SELECT id FROM recovery_cases WHERE asset_id = $1", CRATES[7])
    if rows:
        return str(rows[0]["id"])
    return str((await opened(api, CRATES[7]))["id"])


async def test_unknown_cases_are_404_and_keys_see_only_their_sites(api: Api) -> None:
    case = await opened(api, CRATES[8])
    missing = await api.client.get("/v1/recovery/cases/rc_000000000000", headers=api.reader)
    assert missing.status_code == 404
    grade = await post(api, "/cases/rc_000000000000/grade", {"grade": "disposal", "by": "a"})
    assert grade.status_code == 404
    elsewhere = await api.client.get(f"/v1/recovery/cases/{case['id']}", headers=api.elsewhere)
    assert elsewhere.status_code == 404
    hidden = await api.client.post(
        f"/v1/recovery/cases/{case['id']}/close", json={"by": "x"}, headers=api.elsewhere
    )
    assert hidden.status_code == 404
    listed = await api.client.get("/v1/recovery/cases", headers=api.elsewhere)
    assert listed.json()["items"] == []
    opening = await api.client.post(
        "/v1/recovery/cases",
        json={"asset_id": CRATES[9], "return_category": "recall", "by": "x"},
        headers=api.elsewhere,
    )
    assert opening.status_code == 422
    assert (await api.client.get("/v1/recovery/cases", headers=api.unrelated)).status_code == 403
    read_only = await api.client.post(
        f"/v1/recovery/cases/{case['id']}/close", json={"by": "x"}, headers=api.reader
    )
    assert read_only.status_code == 403
    assert "recovery:write" in read_only.json()["title"]


async def test_cases_are_listed_by_filter_oldest_first_one_page_at_a_time(api: Api) -> None:
    await opened(api, CRATES[10], "delivery_refusal")
    stored = await sql(
        api.url,
        "SELECT id, stage, closed_at IS NULL AS open, return_category "
        "FROM recovery_cases ORDER BY opened_at, id",
    )
    ids: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await api.client.get("/v1/recovery/cases", params=params, headers=api.reader)
        ).json()
        ids += [case["id"] for case in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == [row["id"] for row in stored]

    async def listed(**params: str) -> list[str]:
        page = await api.client.get(
            "/v1/recovery/cases", params={**params, "limit": 500}, headers=api.reader
        )
        assert page.status_code == 200, page.text
        return [case["id"] for case in page.json()["items"]]

    assert await listed(status="open") == [r["id"] for r in stored if r["open"]]
    assert await listed(status="closed") == [r["id"] for r in stored if not r["open"]]
    assert await listed(stage="intake") == [r["id"] for r in stored if r["stage"] == "intake"]
    assert await listed(category="delivery_refusal") == [
        r["id"] for r in stored if r["return_category"] == "delivery_refusal"
    ]
    assert await listed(site="dc9") == []
    assert len(await listed(site="dc1")) == len(stored)
    bad = await api.client.get(
        "/v1/recovery/cases", params={"cursor": "bm9wZQ=="}, headers=api.reader
    )
    assert bad.status_code == 422

    stages = (await api.client.get("/v1/recovery/stages", headers=api.reader)).json()
    counted = {row["stage"]: row["open_cases"] for row in stages}
    assert set(counted) == {"intake", "grading", "sanitisation", "repair", "decision"}
    for stage, count in counted.items():
        assert count == sum(1 for r in stored if r["open"] and r["stage"] == stage)


async def test_an_asset_with_an_open_case_is_retired_by_its_path_not_the_assets_api(
    api: Api,
) -> None:
    crate = CRATES[11]
    case = await opened(api, crate)
    retirer = bearer(await make_key(api.url, "assets:write"))
    retire = {"reason": "cracked", "by": "ana"}
    response = await api.client.post(f"/v1/assets/{crate}/retire", json=retire, headers=retirer)
    assert response.status_code == 409, response.text
    assert case["id"] in response.json()["title"]
    assert await asset_status(api, crate) == ("in_recovery", None)
