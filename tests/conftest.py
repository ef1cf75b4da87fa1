"""Shared fixtures. Integration and e2e tests run against the real stack (`tagtrail stack up`)
or the clusters named by TAGTRAIL_DATABASE_URL / TAGTRAIL_KAFKA_BOOTSTRAP: never a mock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ingest.topics import ensure_topics, kafka_reachable, reads_topics
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings

TESTS = Path(__file__).parent
RUN_ID = uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder decides the marker: tests/unit, tests/integration, tests/e2e."""
    for item in items:
        kind = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if kind in ("unit", "integration", "e2e"):
            item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings()


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
async def database_url(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh, migrated database for this test session; dropped at the end."""
    server_url = base_settings.db_url()
    try:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL unreachable at {make_url(server_url)!r} ({exc}); "
            "run `tagtrail stack up` or set TAGTRAIL_DATABASE_URL",
            pytrace=False,
        )
    name = f"tagtrail_test_{RUN_ID}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await admin.close()  # a test may restart PostgreSQL: reconnect to drop at the end
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await drop_database(server_url, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_engine(database_url, pool_size=5, pool_pre_ping=True)
    yield created
    await created.dispose()


@pytest.fixture(scope="session")
async def kafka_options(base_settings: Settings) -> dict[str, object]:
    options = base_settings.kafka_client_options()
    if not await kafka_reachable(options, timeout_s=10):
        pytest.fail(
            f"Kafka unreachable at {base_settings.bootstrap_servers()}; "
            "run `tagtrail stack up` or set TAGTRAIL_KAFKA_BOOTSTRAP",
            pytrace=False,
        )
    return options


@pytest.fixture(scope="session")
async def settings(
    base_settings: Settings, database_url: str, kafka_options: dict[str, object]
) -> Settings:
    """Settings pointing at this session's database and its own, freshly created topics."""
    configured = base_settings.model_copy(
        update={
            "database_url": SecretStr(database_url),
            "topic_reads": f"tagtrail.test.{RUN_ID}.reads",
            "topic_dlq": f"tagtrail.test.{RUN_ID}.reads.dlq",
            "consumer_group": f"tagtrail-test-{RUN_ID}",
        }
    )
    specs = reads_topics(
        configured.topic_reads,
        configured.topic_dlq,
        configured.reads_partitions,
        configured.topic_replication,
    )
    await ensure_topics(dict(kafka_options), specs)
    return configured


@pytest.fixture
def unique_topic() -> str:
    return f"tagtrail.test.{RUN_ID}.{uuid.uuid4().hex[:8]}"
