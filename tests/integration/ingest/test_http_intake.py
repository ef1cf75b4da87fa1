"""HTTP intake on the real stack: reads and vendor pushes reach Kafka only when acknowledged,
bad input is named, scans are idempotent and can wait for their result."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from ingest_harness import T0, create_topics, fresh_database, make_key, scoped

from ingest.tagread import TagRead, decode_tagread, encode_tagread_batch
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "vendors"
WORLD = World(asset_count=6, door_count=2)
GRAI = "urn:epc:id:grai:0614141.12345.400"


@contextlib.asynccontextmanager
async def api(settings: Settings, key: str | None = "admin") -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app; by default it carries an admin key made in this database."""
    headers = {}
    if key == "admin":
        key = await make_key(settings.db_url(), "admin")
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    app = create_api(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://tt", headers=headers
        ) as client:
            yield client


async def topic_reads(settings: Settings, expected: int) -> list[tuple[bytes, TagRead]]:
    consumer = AIOKafkaConsumer(
        settings.topic_reads,
        **settings.kafka_client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[tuple[bytes, TagRead]] = []
    try:
        async with asyncio.timeout(20):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found += [(r.key or b"", decode_tagread(r.value or b"")) for r in records]
        # nothing more than expected arrives
        extra = await consumer.getmany(timeout_ms=1000)
        found += [
            (r.key or b"", decode_tagread(r.value or b""))
            for records in extra.values()
            for r in records
        ]
    finally:
        await consumer.stop()
    return found


@pytest.fixture
async def intake(base_settings: Settings) -> AsyncIterator[Settings]:
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "intake", partitions=3, publish_timeout_s=3.0)
        await create_topics(settings)
        yield settings


def _read(i: int, **changes: Any) -> dict[str, Any]:
    body = {
        "v": 1,
        "read_id": f"r-{i}",
        "reader_id": "dc1-dock-01",
        "antenna": 1,
        "tag": "3314257BF40C0E4000000190",
        "tag_kind": "epc",
        "seen_at": (T0 + timedelta(seconds=i)).isoformat(),
        "rssi": -50.0,
        "count": 2,
        "source": "push",
    }
    return {**body, **changes}


async def test_reads_are_accepted_after_kafka_acknowledged_them(intake: Settings) -> None:
    async with api(intake) as client:
        response = await client.post("/v1/reads", json=[_read(i) for i in range(5)])
    assert response.status_code == 202
    assert response.json() == {"accepted": 5, "skipped": 0}
    published = await topic_reads(intake, 5)
    assert len(published) == 5
    assert {key for key, _ in published} == {GRAI.encode()}  # keyed by the canonical tag
    assert sorted(read.read_id for _, read in published) == [f"r-{i}" for i in range(5)]


async def test_a_bad_read_is_named_and_nothing_is_published(intake: Settings) -> None:
    naive = _read(1, seen_at="2026-11-02T08:00:01")
    async with api(intake) as client:
        bad = await client.post("/v1/reads", json=[_read(0), naive])
        bad_tag = await client.post("/v1/reads", json=[_read(0, tag="not-an-epc")])
        too_many = await client.post(
            "/v1/reads",
            content=encode_tagread_batch([decode_tagread(orjson.dumps(_read(0)))] * 10_001),
        )
        garbage = await client.post("/v1/reads", content=b"{oops")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "$[1].seen_at"
    assert bad_tag.status_code == 422
    assert bad_tag.json()["field"] == "$[0].tag"
    assert too_many.status_code == 413
    assert garbage.status_code == 422
    assert await topic_reads(intake, 0) == []


async def test_kafka_down_means_503_with_retry_after(intake: Settings) -> None:
    broken = intake.model_copy(update={"kafka_bootstrap": "127.0.0.1:9"})
    async with api(broken) as client:
        response = await client.post("/v1/reads", json=[_read(0)])
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0


async def test_impinj_and_zebra_pushes_map_to_tag_reads(intake: Settings) -> None:
    impinj = (FIXTURES / "impinj_r700_tag_inventory.json").read_bytes()
    zebra = (FIXTURES / "zebra_iotc_tag_data.ndjson").read_bytes()
    ndjson = b"\n".join(orjson.dumps(event) for event in orjson.loads(impinj))
    async with api(intake) as client:
        as_array = await client.post("/v1/reads/impinj", content=impinj)
        as_lines = await client.post("/v1/reads/impinj", content=ndjson)
        from_zebra = await client.post("/v1/reads/zebra?reader_id=fx9600-dock-02", content=zebra)
        no_reader = await client.post("/v1/reads/zebra", content=zebra)
    assert as_array.json() == {"accepted": 2, "skipped": 1}  # inventoryStatus is no read
    assert as_lines.json() == {"accepted": 2, "skipped": 1}
    assert from_zebra.json() == {"accepted": 2, "skipped": 0}
    assert no_reader.status_code == 422
    reads = [read for _, read in await topic_reads(intake, 6)]
    impinj_reads = [r for r in reads if r.reader_id == "impinj-14-46-36"]
    zebra_reads = sorted(
        (r for r in reads if r.reader_id == "fx9600-dock-02"), key=lambda r: r.seen_at
    )
    # The same report posted twice (array, then NDJSON) keeps its read ids: it dedupes.
    assert len({r.read_id for r in impinj_reads}) == 2
    first = min(impinj_reads, key=lambda r: r.seen_at)
    assert (first.antenna, first.rssi, first.tag) == (1, -48.5, "3314257BF40C0E4000000190")
    assert first.seen_at.isoformat() == "2026-11-24T10:02:00.118000+00:00"
    assert [(r.antenna, r.rssi, r.count) for r in zebra_reads] == [(1, -49.0, 4), (2, -52.0, 2)]


def _scan(action: str, minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "code": WORLD.assets[0].epc_uri,
        "device_id": "dc1-scanner",
        "operator": "ana",
        "action": action,
        "seen_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


async def test_a_retried_scan_returns_the_first_answer_and_publishes_nothing_new(
    intake: Settings,
) -> None:
    body = [_scan("check_out", 0, custodian="acme")]
    headers = {"Idempotency-Key": "scan-batch-0001"}
    async with api(intake) as client:
        first = await client.post("/v1/scans", json=body, headers=headers)
        again = await client.post("/v1/scans", json=body, headers=headers)
        other_body = await client.post("/v1/scans", json=[_scan("scan", 1)], headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert other_body.status_code == 422
    assert len(await topic_reads(intake, 1)) == 1


async def test_wait_returns_the_state_the_consumer_applied(intake: Settings) -> None:
    stop = asyncio.Event()
    consumer = asyncio.create_task(run_consumer(intake, stop))
    try:
        async with api(intake) as client:
            await asyncio.sleep(3)  # the consumer joins its group
            out = await client.post(
                "/v1/scans?wait=true", json=_scan("check_out", 0, custodian="acme")
            )
            # An offline device uploads an hour of backlog in one go, newest first.
            backlog = await client.post(
                "/v1/scans?wait=true",
                json=[_scan("check_in", 60), _scan("check_out", 30, custodian="globex")],
            )
    finally:
        stop.set()
        await consumer
    result = out.json()["results"][0]
    assert result["applied"] is True
    assert result["asset_id"] == WORLD.assets[0].id
    assert result["state"]["status"] == "in_transit"
    assert result["state"]["custodian_id"] == "acme"
    final = backlog.json()["results"]
    assert all(r["applied"] for r in final)
    # As if on time: out to globex at +30 min, back home at +60 min.
    assert final[-1]["state"]["status"] == "in_service"
    assert final[-1]["state"]["custodian_id"] == f"site:{WORLD.site_id}"


async def test_writes_need_a_key_with_the_right_scope(intake: Settings) -> None:
    readers_key = await make_key(intake.db_url(), "reads:write")
    scanner_key = await make_key(intake.db_url(), "scans:write")
    dashboard_key = await make_key(intake.db_url(), "assets:read")
    reads = [_read(0)]
    scan = _scan("scan", 0)
    async with api(intake, key=None) as anonymous:
        assert (await anonymous.post("/v1/reads", json=reads)).status_code == 401
        bad = await anonymous.post(
            "/v1/scans", json=scan, headers={"Authorization": "Bearer tt_nope_nope"}
        )
        assert bad.status_code == 401
        assert bad.headers["WWW-Authenticate"].startswith("Bearer")
    async with api(intake, key=dashboard_key) as dashboard:
        for path in ("/v1/reads", "/v1/reads/impinj", "/v1/reads/zebra?reader_id=x"):
            assert (await dashboard.post(path, json=reads)).status_code == 403, path
        assert (await dashboard.post("/v1/scans", json=scan)).status_code == 403
    async with api(intake, key=readers_key) as readers:
        assert (await readers.post("/v1/reads", json=reads)).status_code == 202
        assert (await readers.post("/v1/scans", json=scan)).status_code == 403
    async with api(intake, key=scanner_key) as scanner:
        assert (await scanner.post("/v1/scans", json=scan)).status_code == 202
        assert (await scanner.post("/v1/reads", json=reads)).status_code == 403
