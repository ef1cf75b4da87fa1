"""Alembic is the only way the schema changes: up, down and up again, and no drift."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tagtrail.databases import drop_database
from tagtrail.migrate import downgrade, upgrade
from tagtrail.settings import Settings
from tracker.tables import metadata


@pytest.fixture
async def scratch_url(base_settings: Settings) -> AsyncIterator[str]:
    server = make_url(base_settings.db_url())
    admin = await asyncpg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    name = f"tagtrail_mig_{uuid.uuid4().hex[:8]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await drop_database(base_settings.db_url(), name)


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_migrations_up_down_up(scratch_url: str) -> None:
    await asyncio.to_thread(upgrade, scratch_url)
    assert await _tables(scratch_url) == set(metadata.tables)
    await asyncio.to_thread(downgrade, scratch_url, "base")
    assert await _tables(scratch_url) == set()
    await asyncio.to_thread(upgrade, scratch_url)
    assert await _tables(scratch_url) == set(metadata.tables)


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_models_and_migrated_schema_agree(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == [], f"autogenerate sees a difference; write a revision: {diff}"
