"""One pass of the delivery worker: fan the outbox out, then deliver everything due."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tracker.webhooks.backoff import RetryPolicy
from tracker.webhooks.delivery import DeliveryReport, deliver_due
from tracker.webhooks.fanout import fan_out


async def deliver_pass(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    policy: RetryPolicy,
    batch: int = 20,
    keep_going: Callable[[], bool] = lambda: True,
) -> tuple[int, DeliveryReport]:
    """(deliveries fanned out, what was attempted). Runs batches until nothing is due or
    `keep_going` says stop, so a backlog drains within one pass; retries scheduled meanwhile
    wait for a later pass."""
    fanned = await fan_out(engine)
    report = DeliveryReport()
    while keep_going():
        batch_report = await deliver_due(engine, client, policy, batch)
        report.attempts += batch_report.attempts
        report.expired += batch_report.expired
        if len(batch_report.attempts) < batch:
            break
    return fanned, report
