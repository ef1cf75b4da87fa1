"""`tagtrail consume`: one member of the ingest consumer group (run N of them to scale out)."""

from __future__ import annotations

import asyncio
import signal

import structlog
import typer
import uvloop
from prometheus_client import start_http_server

from ingest.consumer import ConsumerConfig, TrackerConsumer
from ingest.enrol import AutoEnrolRule
from ingest.topics import ensure_topics, reads_topics
from tagtrail.bootstrap import configure_logging, create_engine
from tagtrail.cli.context import settings_from
from tagtrail.settings import Settings

log = structlog.get_logger("tagtrail.consume")


def consumer_config(settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(
        topic=settings.topic_reads,
        dlq_topic=settings.topic_dlq,
        group=settings.consumer_group,
        absence_s=settings.absence_s,
        cross_read_s=settings.cross_read_s,
        portal_min_peak_rssi=settings.portal_min_peak_rssi,
        max_batch=settings.consumer_max_batch,
        tick_s=settings.tick_s,
        auto_enrol=tuple(AutoEnrolRule(**rule.model_dump()) for rule in settings.auto_enrol),
    )


async def run_consumer(settings: Settings, stop: asyncio.Event) -> None:
    specs = reads_topics(
        settings.topic_reads,
        settings.topic_dlq,
        settings.reads_partitions,
        settings.topic_replication,
    )
    await ensure_topics(settings.kafka_client_options(), specs)
    engine = create_engine(settings)
    try:
        consumer = TrackerConsumer(
            engine, settings.kafka_client_options(), consumer_config(settings)
        )
        await consumer.run(stop)
    finally:
        await engine.dispose()


def consume_command(ctx: typer.Context) -> None:
    """Apply reads from Kafka to asset state in PostgreSQL until SIGTERM / Ctrl-C."""
    settings = settings_from(ctx)
    configure_logging(settings)
    if settings.metrics_port:
        try:
            start_http_server(settings.metrics_port)
        except OSError as exc:  # a second consumer on this host: metrics stay in the first
            log.warning(
                "metrics port busy; not serving metrics", port=settings.metrics_port, error=str(exc)
            )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("consumer starting", group=settings.consumer_group, topic=settings.topic_reads)
        await run_consumer(settings, stop)
        log.info("consumer stopped")

    uvloop.run(main())
