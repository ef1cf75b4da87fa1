"""`tagtrail topics create`: the reads topic and its DLQ on any cluster (idempotent)."""

from __future__ import annotations

import asyncio

import typer

from ingest.topics import ensure_topics, reads_topics, wait_for_kafka
from tagtrail.cli.context import fail, settings_from

topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics.")


@topics_app.command()
def create(ctx: typer.Context) -> None:
    """Create the reads topic and its DLQ where missing (partitions: TAGTRAIL_READS_PARTITIONS)."""
    s = settings_from(ctx)
    specs = reads_topics(s.topic_reads, s.topic_dlq, s.reads_partitions, s.topic_replication)

    async def run() -> list[str]:
        await wait_for_kafka(s.kafka_client_options(), timeout_s=60)
        return await ensure_topics(s.kafka_client_options(), specs)

    try:
        created = asyncio.run(run())
    except TimeoutError as exc:
        fail(str(exc), code=1)
    typer.echo(f"topics ready; created: {', '.join(created) or 'none'}")
