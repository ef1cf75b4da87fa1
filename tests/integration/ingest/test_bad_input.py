"""Poison messages go to the DLQ with their reason; duplicates apply once; nothing is lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer
from ingest_harness import (
    T0,
    create_topics,
    end_stream,
    fresh_database,
    publish,
    publish_raw,
    scoped,
    wait_caught_up,
)

from ingest.tagread import TagRead, encode_tagread
from simulators.dock_stream import DockScenario
from simulators.world import World
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import AutoEnrolSetting, Settings

WORLD = World(asset_count=12, door_count=4)


async def consume_all(settings: Settings) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop))
    try:
        await wait_caught_up(settings, timeout_s=120)
    finally:
        stop.set()
        await task


async def dead_letters(settings: Settings, expected: int) -> list[dict[str, bytes]]:
    consumer = AIOKafkaConsumer(
        settings.topic_dlq,
        **settings.kafka_client_options(),
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
        fetch_max_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    found: list[dict[str, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found += [{**dict(r.headers), "value": r.value or b""} for r in records]
    finally:
        await consumer.stop()
    return found


def _good_json(read: TagRead) -> bytes:
    return encode_tagread(read)


async def test_poison_messages_reach_the_dlq_and_good_reads_around_them_apply(
    base_settings: Settings,
) -> None:
    reads = list(DockScenario(WORLD, T0, stray_share=0.0, gap=timedelta(seconds=30)).reads())
    sample = _good_json(reads[0]).decode()
    poison = {
        "not json": b"this is not json {",
        "wrong v": sample.replace('"v":1', '"v":2').encode(),
        "naive datetime": sample.replace("+00:00", "").replace("Z", "").encode(),
        "1 MB garbage": b"\x00\xff" * 512 * 1024,
        "missing fields": b'{"v":1,"read_id":"x-1"}',
    }
    assert poison["naive datetime"] != sample.encode()
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "poison", partitions=3)
        await create_topics(settings)
        half = len(reads) // 2
        await publish(settings, reads[:half])
        await publish_raw(settings, [(b"poison", value) for value in poison.values()])
        await publish(settings, reads[half:])
        await end_stream(settings)
        await consume_all(settings)

        letters = await dead_letters(settings, expected=len(poison))
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            statuses = dict(
                await conn.fetch("SELECT status, count(*) FROM asset_state GROUP BY status")
            )
            exits = await conn.fetchval(
                "SELECT count(*) FROM asset_events WHERE kind = 'asset_left_site'"
            )
        finally:
            await conn.close()
    assert len(letters) == len(poison)
    reason_of = {letter["value"]: letter["tagtrail-dlq-reason"].decode() for letter in letters}
    assert set(reason_of) == set(poison.values())
    # Each reason says what is wrong and, where there is one, the field at fault.
    assert reason_of[poison["not json"]].startswith("JSON is malformed")
    assert reason_of[poison["1 MB garbage"]].startswith("JSON is malformed")
    assert "`$.v`" in reason_of[poison["wrong v"]]
    assert "timezone" in reason_of[poison["naive datetime"]]
    assert "`$.seen_at`" in reason_of[poison["naive datetime"]]
    assert "missing required field" in reason_of[poison["missing fields"]]
    assert all(
        letter["tagtrail-source-topic"] == settings.topic_reads.encode() for letter in letters
    )
    assert all(letter["tagtrail-source-offset"].isdigit() for letter in letters)
    # Every crate still went out and came back: the reads around the poison all applied.
    assert statuses == {"in_service": len(WORLD.assets)}
    assert exits == len(WORLD.assets)


def _scan(asset_epc_uri: str, read_id: str, action: str, seconds: int) -> TagRead:
    return TagRead(
        v=1,
        read_id=read_id,
        reader_id=f"{WORLD.site_id}-scanner",
        tag=asset_epc_uri,
        tag_kind="epc",
        seen_at=T0 + timedelta(seconds=seconds),
        source="handheld",
        operator="op-7",
        action=action,  # type: ignore[arg-type]
        custodian="acme",
    )


async def test_a_read_published_twice_is_applied_once(base_settings: Settings) -> None:
    crate = WORLD.assets[0]
    check_out = _scan(crate.epc_uri, "scan-0001", "check_out", 10)
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "dup", partitions=2)
        await create_topics(settings)
        # A producer retry: the same read (same read_id) arrives twice, back to back and
        # again after a later scan of another crate.
        other = _scan(WORLD.assets[1].epc_uri, "scan-0002", "scan", 20)
        await publish(settings, [check_out, check_out, other, check_out])
        await consume_all(settings)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            custody = await conn.fetch(
                "SELECT payload->>'to_custodian_id' AS who FROM asset_events "
                "WHERE asset_id = $1 AND kind = 'custody_transferred'",
                crate.id,
            )
            state = await conn.fetchrow(
                "SELECT status, custodian_id FROM asset_state WHERE asset_id = $1", crate.id
            )
        finally:
            await conn.close()
    assert [row["who"] for row in custody] == ["acme"]
    assert (state["status"], state["custodian_id"]) == ("in_transit", "acme")


async def test_unknown_tags_are_counted_and_unknown_readers_dead_lettered(
    base_settings: Settings,
) -> None:
    stranger = "urn:epc:id:grai:0614141.99999.77"
    door = WORLD.doors[0]
    reads = [
        TagRead(
            v=1,
            read_id=f"u-{i}",
            reader_id=door.reader_id,
            antenna=1,
            tag=stranger,
            tag_kind="epc",
            seen_at=T0 + timedelta(seconds=i),
            rssi=-50.0,
            source="llrp",
        )
        for i in range(3)
    ]
    unconfigured = TagRead(
        v=1,
        read_id="r-1",
        reader_id="nobody-configured-me",
        antenna=1,
        tag=WORLD.assets[0].epc_uri,
        tag_kind="epc",
        seen_at=T0,
        rssi=-50.0,
        source="llrp",
    )
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(base_settings, url, "unknown", partitions=2)
        await create_topics(settings)
        await publish(settings, [*reads, unconfigured])
        await consume_all(settings)
        letters = await dead_letters(settings, expected=1)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            row = await conn.fetchrow("SELECT * FROM unknown_tags WHERE tag = $1", stranger)
        finally:
            await conn.close()
    assert row is not None
    assert row["read_count"] == 3
    assert row["first_seen_at"] == T0
    assert row["last_seen_at"] == T0 + timedelta(seconds=2)
    assert row["last_reader_id"] == door.reader_id
    assert len(letters) == 1
    assert "unknown read point" in letters[0]["tagtrail-dlq-reason"].decode()


async def test_auto_enrol_rule_registers_matching_unknown_tags(base_settings: Settings) -> None:
    ours = "urn:epc:id:grai:0614141.55555.9"
    foreign = "urn:epc:id:grai:0999999.55555.9"
    door = WORLD.doors[0]
    reads = [
        TagRead(
            v=1,
            read_id=f"e-{tag[-14:]}-{i}",
            reader_id=door.reader_id,
            antenna=1,
            tag=tag,
            tag_kind="epc",
            seen_at=T0 + timedelta(seconds=i),
            rssi=-50.0,
            source="llrp",
        )
        for tag in (ours, foreign)
        for i in range(2)
    ]
    async with fresh_database(base_settings, WORLD) as url:
        settings = scoped(
            base_settings,
            url,
            "enrol",
            partitions=2,
            auto_enrol=[
                AutoEnrolSetting(
                    scheme="grai",
                    company_prefix="0614141",
                    asset_type=WORLD.asset_type,
                    home_site=WORLD.site_id,
                )
            ],
        )
        await create_topics(settings)
        await publish(settings, reads)
        await consume_all(settings)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            asset = await conn.fetchrow(
                "SELECT a.id, a.type_id, a.home_site_id, s.last_seen_at FROM asset_identifiers i"
                " JOIN assets a ON a.id = i.asset_id"
                " LEFT JOIN asset_state s ON s.asset_id = a.id WHERE i.value = $1",
                ours,
            )
            unknown = await conn.fetch("SELECT tag FROM unknown_tags")
        finally:
            await conn.close()
    assert asset is not None
    assert (asset["type_id"], asset["home_site_id"]) == (WORLD.asset_type, WORLD.site_id)
    assert asset["last_seen_at"] == T0 + timedelta(seconds=1)  # its reads were applied too
    assert [row["tag"] for row in unknown] == [foreign]  # another company's crate: not ours
