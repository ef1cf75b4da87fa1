"""The demo's own database and topics, its network, its dispatches, its site file and its
keys."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import yaml
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from api.auth import new_key
from ingest.topics import ensure_topics, reads_topics
from simulators.scenario import Dispatch
from simulators.world import World, seed
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.siteconfig import ChangeReport, apply_site_config, load_site_file
from tracker.store.keys import insert_key

DEMO_DATABASE_PREFIX = "tagtrail_demo_"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fresh_demo_settings(base: Settings) -> Settings:
    """A database and topics of this run's own, so the demo never touches the main database.
    Earlier demos' databases are dropped (which first ends any session a crashed demo left
    behind, so it cannot write into this run)."""
    run = uuid.uuid4().hex[:6]
    database = f"{DEMO_DATABASE_PREFIX}{run}"
    admin = await asyncpg.connect(_dsn(base.db_url()))
    try:
        for (old,) in await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tagtrail\\_demo%'"
        ):
            await drop_database(base.db_url(), old)
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = make_url(base.db_url()).set(database=database).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade, url)
    settings = base.model_copy(
        update={
            "database_url": SecretStr(url),
            "topic_reads": f"tagtrail.demo.{run}.reads",
            "topic_dlq": f"tagtrail.demo.{run}.reads.dlq",
            "consumer_group": f"tagtrail-demo-{run}",
            "tick_s": 2.0,
        }
    )
    await ensure_topics(
        settings.kafka_client_options(),
        reads_topics(
            settings.topic_reads,
            settings.topic_dlq,
            settings.reads_partitions,
            settings.topic_replication,
        ),
    )
    return settings


async def seed_network(
    settings: Settings, worlds: list[World], dispatches: list[Dispatch], from_site: str
) -> None:
    engine = create_async_engine(settings.db_url())
    try:
        async with engine.begin() as conn:
            for world in worlds:
                await seed(conn, world)
        conn_raw = await asyncpg.connect(_dsn(settings.db_url()))
        try:
            await conn_raw.executemany(
                "INSERT INTO dispatches (id, custodian_id, from_site_id, expected_return_at) "
                "VALUES ($1, $2, $3, $4)",
                [(d.id, d.custodian_id, from_site, d.expected_return_at) for d in dispatches],
            )
            await conn_raw.executemany(
                "INSERT INTO dispatch_lines (dispatch_id, asset_id) VALUES ($1, $2)",
                [(d.id, asset_id) for d in dispatches for asset_id in d.asset_ids],
            )
        finally:
            await conn_raw.close()
    finally:
        await engine.dispose()


# Every crate that comes back from a dispatch is inspected before it goes out again.
CRATE_RECOVERY = {
    "checks": ["functional", "cosmetic"],
    "open_on_return": True,
    "return_category": "end_of_lease",
}


def write_site_file(path: Path, worlds: list[World]) -> Path:
    """The demo's site file: its sites as seeded, and the crate type with its recovery
    settings — the part a user would change with `tagtrail sites apply`."""
    document = {
        "sites": [{"id": w.site_id, "name": f"DC {w.site_id}"} for w in worlds],
        "asset_types": [worlds[0].asset_type_entry(recovery=CRATE_RECOVERY)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


async def apply_site_file(settings: Settings, path: Path) -> ChangeReport:
    """What `tagtrail sites apply FILE` does: read and check the file, then apply it."""
    config = load_site_file(path)
    engine = create_async_engine(settings.db_url())
    try:
        async with engine.connect() as conn:
            return await apply_site_config(conn, config)
    finally:
        await engine.dispose()


async def make_keys(settings: Settings) -> dict[str, str]:
    """Keys for the simulated handhelds and bench operator, a read-only one to give the
    person watching, and one that may also ack and resolve alerts."""
    engine = create_async_engine(settings.db_url())
    keys = {}
    try:
        async with engine.begin() as conn:
            for name, scopes in (
                ("demo-handhelds", ["scans:write"]),
                ("demo-bench", ["assets:read", "recovery:write"]),
                ("demo-dashboard", ["assets:read"]),
                ("demo-operator", ["assets:read", "alerts:write"]),
            ):
                key_id, full_key, digest = new_key()
                await insert_key(conn, key_id, name, digest, scopes, None)
                keys[name] = full_key
    finally:
        await engine.dispose()
    return keys
