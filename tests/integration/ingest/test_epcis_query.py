"""`GET /v1/epcis/events` (EPCIS 2.0 REST binding) over a small history written straight into
the tables, so every expectation below is computed by hand: each parameter, their
combination, paging (every event exactly once, both directions), GS1-EPC-Format, a
site-limited key, the events of one EPC, and the QueryParameterException answers.

The history (T0 = 2026-11-02 08:00 UTC; dc1 has a GLN and its dock an SGLN, dc2 neither):

    label  asset kind                   event time  where            maps to
    rA     A     registration           T0-3d       home dc1         ADD commissioning active
    rB     B     registration           T0-2d       home dc1         ADD commissioning active
    rC     C     registration           T0-1d       home dc2         ADD commissioning active
    e1     A     asset_arrived          T0+1h       dc1-dock         OBSERVE arriving
    e2     A     asset_moved            T0+2h       dc1-storage      OBSERVE storing
    e3     B     asset_left_site        T0+3h       dc1-dock         OBSERVE shipping in_transit
    e4     C     asset_arrived          T0+4h       dc2-dock         OBSERVE arriving
    e5     B     asset_status_changed   T0+5h       (nowhere)        OBSERVE marking_missing unknown
    e6     A     asset_status_changed   T0+6h       dc1              DELETE decommissioning inactive
    e7     C     alert_raised           T0+7h       dc2              OBSERVE
    e8     B     dispatch_closed        T0+8h       dc1              TX DELETE void_shipping
    e9     A     (a kind tagtrail may add later) T0+9h  dc1         OBSERVE
    e10    B     recovery_opened        T0+10h      dc1              OBSERVE (no case: not a TX)

TX: a TransactionEvent; a TransactionEvent without its transaction maps to a plain
ObjectEvent, which the kind predicates derived from the mapping table must allow for.

Events are recorded in the reverse order of their event time: e_i at T0+10h+(10-i) min;
a registration's record time is its event time.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import orjson
import pytest
from epcis_support import schema_validator
from ingest_harness import T0, fresh_database, make_key, scoped

from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings
from tracker.epcis.digital_link import digital_link

WORLD = World(asset_count=3, door_count=1)
A, B, C = (asset.id for asset in WORLD.assets)
EPC = {asset.id: asset.epc_uri for asset in WORLD.assets}
DC1 = "urn:epc:id:sgln:4012345.00001.0"
DC1_DOCK = "urn:epc:id:sgln:4012345.00001.dock"
DC2 = "urn:tagtrail:site:dc2"
DC1_STORAGE = "urn:tagtrail:zone:dc1-storage"
H = timedelta(hours=1)
EVENTS: list[tuple[str, str, str, datetime, str | None, str | None, dict[str, Any]]] = [
    ("e1", A, "asset_arrived", T0 + 1 * H, "dc1", "dc1-dock", {}),
    ("e2", A, "asset_moved", T0 + 2 * H, "dc1", "dc1-storage", {}),
    ("e3", B, "asset_left_site", T0 + 3 * H, "dc1", "dc1-dock", {"dispatch_id": "D1"}),
    ("e4", C, "asset_arrived", T0 + 4 * H, "dc2", "dc2-dock", {}),
    ("e5", B, "asset_status_changed", T0 + 5 * H, None, None, {"to_status": "missing"}),
    ("e6", A, "asset_status_changed", T0 + 6 * H, "dc1", None, {"to_status": "retired"}),
    ("e7", C, "alert_raised", T0 + 7 * H, "dc2", None, {"alert_kind": "left_unauthorised"}),
    (
        "e8",
        B,
        "dispatch_closed",
        T0 + 8 * H,
        "dc1",
        None,
        {"dispatch_id": "D1", "outcome": "cancelled"},
    ),
    ("e9", A, "asset_weighed", T0 + 9 * H, "dc1", None, {"kg": 2}),
    ("e10", B, "recovery_opened", T0 + 10 * H, "dc1", None, {"custodian_id": "acme"}),
]
REGISTRATIONS = ["rA", "rB", "rC"]
ALL = [*REGISTRATIONS, *(label for label, *_ in EVENTS)]


def recorded(label: str) -> datetime:
    return T0 + 10 * H + timedelta(minutes=10 - int(label[1:]))


async def build(url: str) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute("UPDATE sites SET gln = '4012345000016' WHERE id = 'dc1'")
        await conn.execute(f"UPDATE zones SET sgln = '{DC1_DOCK}' WHERE id = 'dc1-dock'")
        await conn.execute("INSERT INTO sites (id, name) VALUES ('dc2', 'DC 2')")
        await conn.execute(
            "INSERT INTO zones (id, site_id, name, kind) VALUES ('dc2-dock', 'dc2', 'Dock', 'dock')"
        )
        await conn.execute("UPDATE assets SET home_site_id = 'dc2' WHERE id = $1", C)
        for days, asset in ((3, A), (2, B), (1, C)):
            await conn.execute(
                "UPDATE assets SET created_at = $1 WHERE id = $2", T0 - timedelta(days=days), asset
            )
        await conn.executemany(
            "INSERT INTO asset_events (observation_id, asset_id, kind, occurred_at, recorded_at,"
            " site_id, zone_id, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
            [
                (
                    label,
                    asset,
                    kind,
                    at,
                    recorded(label),
                    site,
                    zone,
                    orjson.dumps(payload).decode(),
                )
                for label, asset, kind, at, site, zone, payload in EVENTS
            ],
        )
    finally:
        await conn.close()


class Query:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    async def get(self, path: str = "/v1/epcis/events", **headers: str) -> httpx.Response:
        return await self.client.get(path, headers={**self.headers, **headers})

    async def events(self, query: str = "", **headers: str) -> list[dict[str, Any]]:
        response = await self.get(f"/v1/epcis/events{query}", **headers)
        assert response.status_code == 200, response.text
        assert "link" not in response.headers  # one page: the default perPage is enough
        events: list[dict[str, Any]] = response.json()["epcisBody"]["queryResults"]["resultsBody"][
            "eventList"
        ]
        return events

    async def labels(self, query: str = "") -> list[str]:
        return [label(event) for event in await self.events(query)]

    async def paged(self, query: str) -> list[str]:
        """Every page, following the Link header."""
        found, path = [], f"/v1/epcis/events{query}"
        for _ in range(len(ALL) + 1):  # a page that never advances would loop forever
            response = await self.get(path)
            assert response.status_code == 200, response.text
            body = response.json()["epcisBody"]["queryResults"]["resultsBody"]
            found += [label(event) for event in body["eventList"]]
            link = response.headers.get("link")
            if link is None:
                return found
            assert link.endswith('>; rel="next"'), link
            path = link[1 : link.index(">")]
        raise AssertionError(f"more pages than events: {found}")


def label(event: dict[str, Any]) -> str:
    observation: str | None = event.get("tagtrail:observation")
    return observation or f"r{'ABC'[[A, B, C].index(event['tagtrail:asset'])]}"


@pytest.fixture(scope="module")
async def api(base_settings: Settings) -> AsyncIterator[tuple[Query, str]]:
    async with fresh_database(base_settings, WORLD) as url:
        await build(url)
        key = await make_key(url, "assets:read")
        app = create_api(scoped(base_settings, url, "epcis-query"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tt") as c,
        ):
            yield Query(c, key), url


@pytest.fixture
def query(api: tuple[Query, str]) -> Query:
    return api[0]


async def test_the_answer_is_a_valid_epcis_query_document(query: Query) -> None:
    response = await query.get()

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["gs1-epcis-version"] == "2.0.0"
    assert response.headers["gs1-cbv-version"] == "2.0.0"
    document = response.json()
    assert document["type"] == "EPCISQueryDocument"
    assert document["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    errors = [e.message for e in schema_validator().iter_errors(document)]
    assert errors == []
    events = document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [label(e) for e in events] == ALL  # event time, oldest first
    assert events[3]["recordTime"] == "2026-11-02T18:09:00.000Z"
    assert events[0]["recordTime"] == "2026-10-30T08:00:00.000Z"


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ("eventType=TransactionEvent", ["e8"]),
        ("eventType=AggregationEvent", []),
        ("eventType=ObjectEvent", [x for x in ALL if x != "e8"]),
        ("EQ_action=ADD", REGISTRATIONS),
        ("EQ_action=DELETE", ["e6", "e8"]),
        ("EQ_action=ADD|DELETE", [*REGISTRATIONS, "e6", "e8"]),
        (
            "EQ_action=OBSERVE&eventType=ObjectEvent",
            ["e1", "e2", "e3", "e4", "e5", "e7", "e9", "e10"],
        ),
        ("EQ_bizStep=arriving", ["e1", "e4"]),
        ("EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping", ["e3"]),
        ("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-storing|void_shipping", ["e2", "e8"]),
        ("EQ_bizStep=urn:tagtrail:bizstep:marking_missing", ["e5"]),
        ("EQ_disposition=in_transit", ["e3"]),
        ("EQ_disposition=unknown|inactive", ["e5", "e6"]),
        ("EQ_disposition=active", REGISTRATIONS),
        (f"EQ_readPoint={DC1_DOCK}", ["e1", "e3"]),
        (f"EQ_readPoint={DC1}", ["e6", "e8", "e9", "e10"]),
        (f"EQ_readPoint={DC2}|{DC1_STORAGE}", ["e2", "e7"]),
        (f"EQ_bizLocation={DC1}", ["rA", "rB", "e8", "e9", "e10"]),
        (f"EQ_bizLocation={DC1_DOCK}", ["e1"]),  # e3 leaves: in transit, no bizLocation
        (f"WD_bizLocation={DC1}", ["rA", "rB", "e1", "e2", "e8", "e9", "e10"]),
        (f"WD_bizLocation={DC2}", ["rC", "e4", "e7"]),
        ("WD_bizLocation=urn:tagtrail:zone:dc2-dock", ["e4"]),
        ("WD_bizLocation=urn:tagtrail:site:nowhere", []),
        (f"MATCH_epc={EPC[A]}", ["rA", "e1", "e2", "e6", "e9"]),
        (f"MATCH_anyEPC={EPC[B]}|{EPC[C]}", ["rB", "rC", "e3", "e4", "e5", "e7", "e8", "e10"]),
        (f"MATCH_epc={digital_link(EPC[C])}", ["rC", "e4", "e7"]),
        ("MATCH_anyEPC=urn:epc:idpat:grai:0614141.12345.*", ALL),
        ("MATCH_epc=urn:epc:idpat:grai:0614141.99999.*", []),
        ("GE_eventTime=2026-11-02T11:00:00Z&LT_eventTime=2026-11-02T14:00:00Z", ["e3", "e4", "e5"]),
        ("LT_eventTime=2026-11-01T00:00:00%2B01:00", ["rA", "rB"]),
        ("GE_recordTime=2026-11-02T18:05:00Z", ["e1", "e2", "e3", "e4", "e5"]),
        (f"EQ_bizStep=arriving&WD_bizLocation={DC2}", ["e4"]),
        (f"EQ_action=DELETE&MATCH_epc={EPC[B]}", ["e8"]),
        ("orderBy=recordTime", [*(f"e{i}" for i in range(1, 11)), "rC", "rB", "rA"]),
        (
            "orderBy=recordTime&orderDirection=ASC",
            ["rA", "rB", "rC", *(f"e{i}" for i in range(10, 0, -1))],
        ),
        ("orderBy=eventTime", ALL[::-1]),  # the standard's default direction: DESC
        ("orderDirection=DESC", ALL[::-1]),
        ("eventType=ObjectEvent&eventType=TransactionEvent", ALL),  # a repeated parameter adds
    ],
)
async def test_each_parameter_selects_the_events_by_hand(
    query: Query, parameters: str, expected: list[str]
) -> None:
    assert await query.labels(f"?{parameters}") == expected


async def test_eq_event_id_finds_one_event(query: Query) -> None:
    ids = {label(e): e["eventID"] for e in await query.events()}

    assert await query.labels(f"?EQ_eventID={quote(ids['e4'])}") == ["e4"]
    both = quote(f"{ids['e9']}|{ids['rB']}")
    assert await query.labels(f"?EQ_eventID={both}") == ["rB", "e9"]


@pytest.mark.parametrize(
    "parameters",
    [
        "",
        "orderBy=recordTime",
        "orderDirection=DESC",
        "EQ_action=OBSERVE",  # checked after mapping: pages span dropped rows
        f"WD_bizLocation={DC1}",
        "GE_eventTime=2026-11-02T09:00:00Z",
    ],
)
@pytest.mark.parametrize("per_page", [1, 2, 5])
async def test_paging_returns_every_event_exactly_once(
    query: Query, parameters: str, per_page: int
) -> None:
    whole = await query.labels(f"?{parameters}")

    paged = await query.paged(f"?{parameters}&perPage={per_page}")

    assert paged == whole
    assert len(set(paged)) == len(paged)


async def test_a_full_last_page_has_no_next_link(query: Query) -> None:
    response = await query.get("/v1/epcis/events?EQ_action=DELETE&perPage=2")

    assert len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2
    assert "link" not in response.headers


async def test_gs1_epc_format_chooses_urns_or_digital_links(query: Query) -> None:
    plain = await query.events()
    urns = await query.events(**{"GS1-EPC-Format": "Never_Translates"})
    links = await query.events(**{"GS1-EPC-Format": "Always_GS1_Digital_Link"})

    assert plain == urns
    assert [e["epcList"] for e in urns][:3] == [[EPC[A]], [EPC[B]], [EPC[C]]]
    assert [e["epcList"] for e in links][:3] == [[digital_link(EPC[x])] for x in (A, B, C)]
    assert all(e["epcList"][0].startswith("https://id.gs1.org/8003/") for e in links)
    # The hash reads an EPC in either form alike: the same events, the same ids.
    assert [e["eventID"] for e in links] == [e["eventID"] for e in urns]
    response = await query.get(**{"GS1-EPC-Format": "Always_GS1_Digital_Link"})
    assert response.headers["gs1-epc-format"] == "Always_GS1_Digital_Link"
    errors = [e.message for e in schema_validator().iter_errors(response.json())]
    assert errors == []


async def test_the_events_of_one_epc(query: Query) -> None:
    for form in (EPC[C], digital_link(EPC[C])):
        response = await query.get(f"/v1/epcis/epcs/{form}/events")
        assert response.status_code == 200, response.text
        events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert [label(e) for e in events] == ["rC", "e4", "e7"]
    narrowed = await query.get(f"/v1/epcis/epcs/{EPC[C]}/events?EQ_bizStep=arriving")
    assert [
        label(e) for e in narrowed.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ] == ["e4"]
    unknown = await query.get("/v1/epcis/epcs/urn:epc:id:grai:0614141.12345.42/events")
    assert unknown.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        (["dc2"], ["rC", "e4", "e7"]),  # its asset's history, and what happened there
        (["dc1"], ["rA", "rB", "e1", "e2", "e3", "e5", "e6", "e8", "e9", "e10"]),
    ],
)
async def test_a_site_limited_key_sees_only_its_sites(
    api: tuple[Query, str], sites: list[str], expected: list[str]
) -> None:
    query, url = api
    limited = Query(query.client, await make_key(url, "assets:read", sites=sites))

    assert await limited.labels() == expected
    assert await limited.paged("?perPage=2") == expected
    other = "rA" if sites == ["dc2"] else "rC"
    epc = EPC[A] if other == "rA" else EPC[C]
    assert await limited.labels(f"?MATCH_epc={epc}") == []
    assert other not in expected


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ("?EQ_foo=1", "EQ_foo"),
        ("?eventCountLimit=5", "eventCountLimit"),
        ("?eventType=Foo", "eventType"),
        ("?EQ_action=add", "EQ_action"),
        ("?EQ_bizStep=", "EQ_bizStep"),
        ("?EQ_bizStep=a||b", "EQ_bizStep"),
        ("?GE_eventTime=2026-11-02T08:00:00", "GE_eventTime"),
        ("?GE_recordTime=0001-01-01T00:00:00%2B01:00", "GE_recordTime"),
        ("?LT_eventTime=yesterday", "LT_eventTime"),
        ("?GE_eventTime=2026-11-02T08:00:00Z&GE_eventTime=2026-11-03T08:00:00Z", "GE_eventTime"),
        ("?orderBy=bizStep", "orderBy"),
        ("?orderDirection=up", "orderDirection"),
        ("?perPage=0", "perPage"),
        ("?perPage=1001", "perPage"),
        ("?perPage=x", "perPage"),
        ("?nextPageToken=garbage", "nextPageToken"),
        (f"?nextPageToken={base64.urlsafe_b64encode(b'[1,2,3]').decode()}", "nextPageToken"),
    ],
)
async def test_bad_parameters_are_a_query_parameter_exception(
    query: Query, parameters: str, field: str
) -> None:
    response = await query.get(f"/v1/epcis/events{parameters}")

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "QueryParameterException"
    assert problem["field"] == field


async def test_a_page_token_belongs_to_its_query(query: Query) -> None:
    first = await query.get("/v1/epcis/events?EQ_action=OBSERVE&perPage=2")
    link = first.headers["link"]
    token = link[link.index("nextPageToken=") + len("nextPageToken=") : link.index(">")]

    elsewhere = await query.get(f"/v1/epcis/events?EQ_action=ADD&perPage=2&nextPageToken={token}")
    assert elsewhere.status_code == 400
    assert elsewhere.json()["field"] == "nextPageToken"
    # The same query with another page size may go on from there.
    onwards = await query.get(f"/v1/epcis/events?EQ_action=OBSERVE&perPage=3&nextPageToken={token}")
    assert onwards.status_code == 200


async def test_a_bad_epc_format_is_refused(query: Query) -> None:
    response = await query.get(**{"GS1-EPC-Format": "Sometimes"})

    assert response.status_code == 400
    assert response.json()["field"] == "GS1-EPC-Format"
