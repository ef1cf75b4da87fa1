"""`tagtrail reader llrp …` (one reader) and `tagtrail reader run readers.yaml` (many)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
import uvloop
from aiokafka.errors import KafkaError
from prometheus_client import start_http_server
from pydantic import ValidationError

from ingest.publisher import Publisher, PublishUnavailable
from ingest.topics import ensure_topics, reads_topics
from readers.llrp.fleet import ReaderFleet
from readers.llrp.target import (
    LLRP_PORT,
    ReadersFileError,
    ReaderTarget,
    first_error,
    load_readers_file,
    parse_antennas,
)
from tagtrail.bootstrap import configure_logging, create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.settings import Settings

log = logging.getLogger(__name__)

HEALTH_INTERVAL_S = 5.0
BAD_INPUT = 2
FAILED = 1


def llrp_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="The reader's address.")],
    reader_id: Annotated[str, typer.Option(help="The reader's id in TagReads, e.g. dock-03.")],
    port: Annotated[int, typer.Option(help="The reader's LLRP port.")] = LLRP_PORT,
    antennas: Annotated[str, typer.Option(help="Antennas to inventory, comma-separated.")] = "1,2",
    tx_power: Annotated[
        int, typer.Option(help="Index into the reader's power table; 0 = its maximum.")
    ] = 0,
    mode: Annotated[
        int | None, typer.Option(help="C1G2 RF mode identifier; default: the reader's.")
    ] = None,
) -> None:
    """Read one LLRP reader and publish its reads to Kafka until SIGTERM / Ctrl-C."""
    _require_sllurp()
    try:
        antenna_ids = parse_antennas(antennas)
    except ValueError as exc:
        fail(f"--antennas: {exc}", BAD_INPUT)
    try:
        target = ReaderTarget(
            reader_id=reader_id,
            host=host,
            port=port,
            antennas=antenna_ids,
            tx_power=tx_power,
            mode=mode,
        )
    except ValidationError as exc:
        fail(first_error(exc), BAD_INPUT)
    _run(settings_from(ctx), [target])


def run_command(
    ctx: typer.Context,
    config: Annotated[Path, typer.Argument(help="readers.yaml: the readers to connect to.")],
) -> None:
    """Read every reader of a readers.yaml in one process until SIGTERM / Ctrl-C."""
    _require_sllurp()
    try:
        targets = load_readers_file(config)
    except ReadersFileError as exc:
        fail(str(exc), BAD_INPUT)
    _run(settings_from(ctx), targets)


def _require_sllurp() -> None:
    if importlib.util.find_spec("sllurp") is None:
        fail(
            "the LLRP adapter needs sllurp (GPL-3.0, optional): "
            "install the llrp extra, e.g. pip install 'tagtrail[llrp]'",
            BAD_INPUT,
        )


def _run(settings: Settings, targets: Sequence[ReaderTarget]) -> None:
    configure_logging(settings)
    if settings.metrics_port:
        try:
            start_http_server(settings.metrics_port)
        except OSError as exc:  # a consumer on this host already serves it
            log.warning("metrics port %d busy; not serving metrics: %s", settings.metrics_port, exc)
    try:
        uvloop.run(run_readers(settings, targets))
    except PublishUnavailable as exc:
        fail(str(exc), FAILED)


async def run_readers(settings: Settings, targets: Sequence[ReaderTarget]) -> None:
    """Until SIGTERM / SIGINT, then stop every reader cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    options = settings.kafka_client_options()
    specs = reads_topics(
        settings.topic_reads,
        settings.topic_dlq,
        settings.reads_partitions,
        settings.topic_replication,
    )
    try:
        await ensure_topics(options, specs)
    except (KafkaError, OSError) as exc:
        raise PublishUnavailable(f"Kafka unreachable: {exc!r}") from exc
    publisher = Publisher(options, settings.topic_reads)
    await publisher.start()
    engine = create_engine(settings)
    try:
        fleet = ReaderFleet(targets, publisher, engine, HEALTH_INTERVAL_S)
        log.info("reading %d LLRP reader(s) into %s", len(targets), settings.topic_reads)
        await fleet.run(stop)
    finally:
        await publisher.stop()
        await engine.dispose()
    log.info("LLRP readers stopped")
