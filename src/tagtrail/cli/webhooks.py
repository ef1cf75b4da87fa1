"""`tagtrail webhooks add | list | remove | deliver`: subscriptions and the delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import httpx
import structlog
import typer
import uvloop
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tagtrail.bootstrap import configure_logging, create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.settings import Settings
from tracker.webhooks import (
    CreatedWebhook,
    DeliveryReport,
    RetryPolicy,
    Webhook,
    create_webhook,
    deactivate_webhook,
    deliver_pass,
    list_webhooks,
)

webhooks_app = typer.Typer(no_args_is_help=True, help="Webhook subscriptions and deliveries.")
log = structlog.get_logger("tagtrail.webhooks")


@webhooks_app.command()
def add(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="Where to POST, http(s)://…")],
    kinds: Annotated[str, typer.Option(help="Comma-separated event kinds, or * for all.")],
) -> None:
    """Subscribe a URL; prints its signing secret once."""

    async def run() -> CreatedWebhook:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await create_webhook(conn, url, kinds.split(","))
        finally:
            await engine.dispose()

    try:
        created = asyncio.run(run())
    except ValueError as exc:
        fail(str(exc))
    typer.echo(created.secret)
    typer.echo(
        f"webhook {created.webhook.id} → {created.webhook.url} "
        f"({', '.join(created.webhook.event_kinds)}) — store the secret now, it is not shown again",
        err=True,
    )


@webhooks_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every subscription: id, URL, kinds, active, created (never the secret)."""

    async def run() -> list[Webhook]:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.connect() as conn:
                return await list_webhooks(conn)
        finally:
            await engine.dispose()

    table = Table("id", "url", "kinds", "active", "created")
    for webhook in asyncio.run(run()):
        table.add_row(
            str(webhook.id),
            webhook.url,
            ",".join(webhook.event_kinds),
            "yes" if webhook.active else "no",
            webhook.created_at.isoformat(timespec="seconds"),
        )
    Console(width=200).print(table)


@webhooks_app.command()
def remove(ctx: typer.Context, webhook_id: Annotated[int, typer.Argument()]) -> None:
    """Deactivate a subscription and cancel its pending deliveries (the log is kept)."""

    async def run() -> bool:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await deactivate_webhook(conn, webhook_id)
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        fail(f"no active webhook {webhook_id}")
    typer.echo(f"removed webhook {webhook_id}")


def log_pass(fanned: int, report: DeliveryReport) -> None:
    for attempt in report.attempts:
        log.info(
            "webhook attempt",
            delivery_id=attempt.delivery_id,
            attempt=attempt.attempt,
            outcome=attempt.outcome,
            status_code=attempt.status_code,
            error=attempt.error,
            retry_at=attempt.retry_at.isoformat() if attempt.retry_at else None,
        )
    if fanned or report.attempts or report.expired:
        log.info(
            "webhooks pass",
            fanned_out=fanned,
            delivered=report.count("delivered"),
            retrying=report.count("pending"),
            failed=report.count("failed") + report.expired,
        )


async def run_deliverer(
    engine: AsyncEngine, policy: RetryPolicy, stop: asyncio.Event, *, once: bool, every: float
) -> int:
    """The loop; returns the exit code. A stop takes effect between batches: the POSTs of
    a claimed batch finish and are recorded, so none waits for its lease to end."""

    def not_stopped() -> bool:
        return not stop.is_set()

    async with httpx.AsyncClient(follow_redirects=False) as client:
        while not stop.is_set():
            try:
                log_pass(*await deliver_pass(engine, client, policy, keep_going=not_stopped))
            except (DBAPIError, OSError) as exc:
                # PostgreSQL restarting: claimed deliveries are retried when their lease ends.
                log.error("webhooks pass failed", error=str(exc).splitlines()[0])
                if once:
                    return 1
            if once:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
    return 0


@webhooks_app.command()
def deliver(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    every: Annotated[float, typer.Option(help="Seconds between passes.")] = 1.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts before a delivery fails.")] = 12,
    timeout: Annotated[float, typer.Option(help="Seconds per POST.")] = 5.0,
) -> None:
    """The delivery worker: outbox → deliveries → signed POSTs with retries. Any number may
    run at once; run it apart from `tagtrail consume`, which it never slows down."""
    if not every > 0:
        fail(f"--every must be a positive number of seconds, got {every}")
    try:
        policy = RetryPolicy(max_attempts=max_attempts, timeout_s=timeout)
    except ValueError as exc:
        fail(str(exc))
    settings: Settings = settings_from(ctx)
    configure_logging(settings)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("webhook deliverer starting", every_s=every, once=once)
        engine = create_engine(settings)
        try:
            return await run_deliverer(engine, policy, stop, once=once, every=every)
        finally:
            await engine.dispose()
            log.info("webhook deliverer stopped")

    code = uvloop.run(main())
    if code:
        raise typer.Exit(code)
