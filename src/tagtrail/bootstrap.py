"""Builds the real adapters from Settings. Nothing connects at import time; callers close."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import structlog
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from api.app import create_app
from api.resources import ApiResources
from ingest.publisher import Publisher
from tagtrail.settings import Settings


def create_engine(settings: Settings, *, serving: bool = False) -> AsyncEngine:
    """The engine of a worker (consumer, sweeper, CLI), or with `serving` the API's.

    A worker's pool pings each connection at checkout (a round trip; three outside
    AUTOCOMMIT: BEGIN, the ping, ROLLBACK), so a unit of work never starts on a connection
    PostgreSQL dropped. The API's cannot afford a round trip per request: it only asks
    asyncpg whether the connection's socket was closed (PostgreSQL closes its clients' when
    it stops), which costs nothing, and answers 503 for a request that meets a connection
    dying under it (api.problems). It keeps all of its 2 * db_pool_size connections open:
    overflow connections, closed on return, meant a new connection (TLS negotiation,
    statement preparation) every few requests under load.
    """
    engine = create_async_engine(
        settings.db_url(),
        pool_size=2 * settings.db_pool_size if serving else settings.db_pool_size,
        max_overflow=0 if serving else settings.db_pool_size,
        pool_pre_ping=not serving,
        pool_recycle=600 if serving else -1,
        json_deserializer=orjson.loads,
    )
    if serving:
        event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(_: Any, record: ConnectionPoolEntry, __: Any) -> None:
    # The pool discards the connection and checks out another (SQLAlchemy's documented
    # "pessimistic disconnect handling" hook).
    if record.driver_connection is None or record.driver_connection.is_closed():
        raise DisconnectionError("the connection was closed by PostgreSQL")


def configure_logging(settings: Settings) -> None:
    """structlog for our lines and the stdlib's (aiokafka, uvicorn), JSON when log_json."""
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@asynccontextmanager
async def open_api_resources(settings: Settings) -> AsyncIterator[ApiResources]:
    engine = create_engine(settings, serving=True)
    publisher = Publisher(
        settings.kafka_client_options(),
        settings.topic_reads,
        delivery_timeout_s=settings.publish_timeout_s,
    )
    try:
        yield ApiResources(
            engine=engine,
            kafka_options=settings.kafka_client_options(),
            publisher=publisher,
            epcis_schema_dir=settings.epcis_schema_dir,
            epcis_capture_limit_bytes=settings.epcis_capture_limit_bytes,
        )
    finally:
        await publisher.stop()
        await engine.dispose()


def create_api(settings: Settings) -> FastAPI:
    return create_app(lambda: open_api_resources(settings))


def api_factory() -> FastAPI:
    """uvicorn's factory (`tagtrail.bootstrap:api_factory`): each worker builds its own."""
    settings = Settings()
    configure_logging(settings)
    return create_api(settings)
