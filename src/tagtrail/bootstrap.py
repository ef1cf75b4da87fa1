"""Builds the real adapters from Settings. Nothing connects at import time; callers close."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.app import create_app
from api.resources import ApiResources
from ingest.publisher import Publisher
from tagtrail.settings import Settings


def create_engine(settings: Settings, *, pre_ping: bool = True) -> AsyncEngine:
    """`pre_ping` costs a round trip per checkout (three outside AUTOCOMMIT: BEGIN, the ping,
    ROLLBACK). Workers that must not fail a unit of work on a connection PostgreSQL dropped
    keep it; the API goes without and answers 503 once instead (see api.problems)."""
    return create_async_engine(
        settings.db_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=pre_ping,
        pool_recycle=-1 if pre_ping else 600,
    )


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
    engine = create_engine(settings, pre_ping=False)
    publisher = Publisher(
        settings.kafka_client_options(),
        settings.topic_reads,
        delivery_timeout_s=settings.publish_timeout_s,
    )
    try:
        yield ApiResources(
            engine=engine, kafka_options=settings.kafka_client_options(), publisher=publisher
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
