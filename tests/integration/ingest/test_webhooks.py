"""Webhooks on the real PostgreSQL against a real HTTP receiver on loopback: signed events,
exactly the subscribed kinds, backoff, at-least-once without re-sends, concurrent workers,
a receiver that never recovers, and the CLI as a user runs it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import os
import random
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from typer.testing import CliRunner

from tagtrail.cli.webhooks import webhooks_app
from tagtrail.databases import drop_database
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.webhooks import (
    RetryPolicy,
    claim_due,
    create_webhook,
    deactivate_webhook,
    deliver_pass,
    expire_exhausted,
    fan_out,
    list_webhooks,
    post_event,
    record_attempt,
)

# Answer: what the receiver does with the n-th request (0-based) for one event on one path:
# an HTTP status, or None to say nothing until the sender hangs up.
Answer = Callable[[int], int | None]
EVENT_SEQUENCE = itertools.count(1_000)


def _always(status: int) -> Answer:
    return lambda _n: status


def _flaky(n: int) -> int | None:
    """Two 500s, then silence past the sender's timeout, then accepted."""
    return (500, 500, None)[n] if n < 3 else 204


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None


@dataclass
class Receiver:
    """Minimal HTTP/1.1 on 127.0.0.1: one request per connection, answer chosen per path."""

    answers: dict[str, Answer]
    delay_s: float = 0.0
    requests: list[Request] = field(default_factory=list)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def seen(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._exchange(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        _method, path, _version = head[0].split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (line.split(":", 1) for line in head[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        event_id = headers.get("x-tagtrail-event-id", "")
        earlier = sum(
            1 for r in self.seen(path) if r.headers.get("x-tagtrail-event-id") == event_id
        )
        status = self.answers[path](earlier)
        self.requests.append(Request(path, headers, body, status))
        if status is None:
            await asyncio.wait_for(reader.read(), timeout=30)  # until the sender gives up
            return
        await asyncio.sleep(self.delay_s * random.random())
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()


@contextlib.asynccontextmanager
async def receiving(
    answers: dict[str, Answer], delay_s: float = 0.0
) -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver(answers, delay_s)
    base = await receiver.start()
    try:
        yield receiver, base
    finally:
        await receiver.stop()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
async def webhook_db(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh database migrated to every head."""
    admin = await asyncpg.connect(_asyncpg_dsn(base_settings.db_url()), timeout=5)
    name = f"tagtrail_hooks_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = make_url(base_settings.db_url()).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url, "heads")
        yield url
    finally:
        await drop_database(base_settings.db_url(), name)


@pytest.fixture
async def engine(webhook_db: str) -> AsyncIterator[AsyncEngine]:
    """Every test starts with no subscriptions, no outbox, no deliveries."""
    created = create_async_engine(webhook_db, pool_size=10, max_overflow=10)
    async with created.begin() as conn:
        await conn.execute(text("TRUNCATE webhooks, outbox, webhook_deliveries CASCADE"))
    yield created
    await created.dispose()


# Short times for tests; no jitter where the test reads the delays, so they are exact.
FAST = RetryPolicy(base_s=0.05, cap_s=0.4, timeout_s=0.5, jitter=lambda ceiling: ceiling)


async def subscribe(engine: AsyncEngine, url: str, kinds: list[str]) -> tuple[int, str]:
    async with engine.begin() as conn:
        created = await create_webhook(conn, url, kinds)
    return created.webhook.id, created.secret


async def record_events(engine: AsyncEngine, kinds: list[str]) -> list[dict[str, Any]]:
    """Outbox rows as the consumer writes them: the event's id, kind and payload."""
    events = [
        {
            "id": next(EVENT_SEQUENCE),
            "asset_id": f"crate-{i}",
            "kind": kind,
            "occurred_at": "2026-11-02T08:00:00+00:00",
            "payload": {"reason": f"test {i}"},
        }
        for i, kind in enumerate(kinds)
    ]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (event_kind, asset_event_id, payload) "
                "VALUES (:kind, :id, CAST(:payload AS jsonb))"
            ),
            [
                {"kind": e["kind"], "id": e["id"], "payload": orjson.dumps(e).decode()}
                for e in events
            ],
        )
    return events


async def drain(engine: AsyncEngine, policy: RetryPolicy = FAST, *, within_s: float = 20) -> None:
    """Passes of the worker until no delivery is pending."""
    async with httpx.AsyncClient() as client:
        async with asyncio.timeout(within_s):
            while True:
                await deliver_pass(engine, client, policy)
                if not await scalar(
                    engine, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
                ):
                    return
                await asyncio.sleep(0.01)


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(text(sql), params))


def assert_signed(request: Request, secret: str) -> None:
    """The receiver's check, written from the documented format, not with tagtrail's code."""
    timestamp = request.headers["x-tagtrail-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert request.headers["x-tagtrail-signature"] == f"sha256={expected}"
    assert abs(int(timestamp) - datetime.now().timestamp()) < 60


async def test_flaky_receiver_gets_the_signed_event_after_backing_off(
    engine: AsyncEngine,
) -> None:
    async with receiving({"/flaky": _flaky}) as (receiver, base):
        _, secret = await subscribe(engine, base + "/flaky", ["alert_raised"])
        events = await record_events(engine, ["custody_transferred", "alert_raised"])
        await drain(engine)

    seen = receiver.seen("/flaky")
    assert [r.answered for r in seen] == [500, 500, None, 204]
    alert = events[1]
    for request in seen:
        assert_signed(request, secret)
        assert request.headers["x-tagtrail-event-id"] == str(alert["id"])
        assert request.headers["x-tagtrail-event-kind"] == "alert_raised"
        assert request.headers["content-type"] == "application/json"
        assert orjson.loads(request.body) == alert
    tampered = Request("/flaky", seen[0].headers, seen[0].body + b" ", None)
    with pytest.raises(AssertionError):
        assert_signed(tampered, secret)

    (delivery,) = await rows(
        engine,
        "SELECT id, status, attempts, last_status_code, last_error, delivered_at "
        "FROM webhook_deliveries",
    )
    assert delivery[1:5] == ("delivered", 4, 204, None)
    assert delivery.delivered_at is not None
    log = await rows(
        engine,
        "SELECT attempt, status_code, error, started_at, duration_ms, retry_at "
        "FROM webhook_attempts WHERE delivery_id = :id ORDER BY attempt",
        id=delivery.id,
    )
    assert [(a.attempt, a.status_code, a.error) for a in log] == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, None, "no answer within 0.5 s"),
        (4, 204, None),
    ]
    assert log[2].duration_ms >= 490  # the hung request was given its whole timeout
    assert log[3].retry_at is None
    waits = []
    for attempt, following in itertools.pairwise(log):
        finished = attempt.started_at + timedelta(milliseconds=attempt.duration_ms)
        wait = (attempt.retry_at - finished).total_seconds()
        assert (
            FAST.ceiling_s(attempt.attempt) - 0.01 <= wait <= FAST.ceiling_s(attempt.attempt) + 0.2
        )
        assert following.started_at >= attempt.retry_at - timedelta(milliseconds=10)
        waits.append(wait)
    assert waits == sorted(waits) and waits[0] < waits[-1]  # next_attempt_at moves ever later


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base_s=1, cap_s=3600)
    assert [policy.ceiling_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert policy.ceiling_s(12) == 2048 and policy.ceiling_s(13) == 3600
    assert policy.ceiling_s(10_000) == 3600
    delays = [policy.retry_delay_s(5) for _ in range(2000)]
    assert all(0 <= d <= 16 for d in delays)
    assert min(delays) < 2 and max(delays) > 14  # spread over the whole range, not a band
    assert policy.lease_s > policy.timeout_s
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


async def test_each_subscription_gets_exactly_its_kinds(engine: AsyncEngine) -> None:
    async with receiving({p: _always(200) for p in ("/custody", "/all", "/gone")}) as (
        receiver,
        base,
    ):
        await subscribe(engine, base + "/custody", ["custody_transferred", "asset_arrived"])
        _, all_secret = await subscribe(engine, base + "/all", ["*"])
        gone, _ = await subscribe(engine, base + "/gone", ["*"])
        async with engine.begin() as conn:
            assert await deactivate_webhook(conn, gone)
            assert not await deactivate_webhook(conn, gone)
        kinds = ["custody_transferred", "alert_raised", "asset_arrived", "asset_left_site"]
        events = await record_events(engine, kinds)
        await drain(engine)

    def kinds_at(path: str) -> list[str]:
        return sorted(r.headers["x-tagtrail-event-kind"] for r in receiver.seen(path))

    assert kinds_at("/custody") == ["asset_arrived", "custody_transferred"]
    assert kinds_at("/all") == sorted(kinds)
    assert kinds_at("/gone") == []
    by_id = {str(e["id"]): e for e in events}
    for request in receiver.seen("/all"):
        assert_signed(request, all_secret)
        assert orjson.loads(request.body) == by_id[request.headers["x-tagtrail-event-id"]]
    assert await scalar(engine, "SELECT count(*) FROM outbox WHERE dispatched_at IS NULL") == 0


async def test_a_delivered_event_is_never_sent_again(engine: AsyncEngine) -> None:
    async with receiving({"/ok": _always(200)}) as (receiver, base):
        await subscribe(engine, base + "/ok", ["alert_raised"])
        await record_events(engine, ["alert_raised"])
        await drain(engine)
        assert len(receiver.requests) == 1
        # A fan-out replayed over the same outbox row (as after a crash between two of its
        # statements) and more passes of the worker, some past what the backoff would wait.
        await scalar(engine, "UPDATE outbox SET dispatched_at = NULL RETURNING 1")
        assert await fan_out(engine) == 0
        async with httpx.AsyncClient() as client:
            for _ in range(5):
                await deliver_pass(engine, client, FAST)
                await asyncio.sleep(0.1)
    assert len(receiver.requests) == 1
    assert await scalar(engine, "SELECT count(*) FROM webhook_attempts") == 1


async def test_a_receiver_that_never_recovers_ends_failed(engine: AsyncEngine) -> None:
    policy = RetryPolicy(max_attempts=4, base_s=0.02, cap_s=0.1, timeout_s=0.5)
    async with receiving({"/down": _always(503)}) as (receiver, base):
        await subscribe(engine, base + "/down", ["*"])
        await record_events(engine, ["alert_raised"])
        await drain(engine, policy)
        async with httpx.AsyncClient() as client:
            for _ in range(3):
                await asyncio.sleep(0.15)
                await deliver_pass(engine, client, policy)
    assert len(receiver.requests) == 4
    (delivery,) = await rows(
        engine, "SELECT status, attempts, last_status_code, last_error FROM webhook_deliveries"
    )
    assert tuple(delivery) == ("failed", 4, 503, "HTTP 503")
    log = await rows(
        engine, "SELECT attempt, status_code, retry_at FROM webhook_attempts ORDER BY attempt"
    )
    assert [(a.attempt, a.status_code) for a in log] == [(n, 503) for n in (1, 2, 3, 4)]
    assert [a.retry_at is None for a in log] == [False, False, False, True]


async def test_two_workers_never_deliver_one_delivery_twice(
    engine: AsyncEngine, webhook_db: str
) -> None:
    count = 300
    # Slow enough answers (30 batches of 10 at 50 ms) that both workers are under way long
    # before the work runs out, even on a loaded machine.
    async with receiving({"/ok": _always(200)}, delay_s=0.05) as (receiver, base):
        await subscribe(engine, base + "/ok", ["*"])
        await record_events(engine, ["alert_raised"] * count)
        workers = [create_async_engine(webhook_db, pool_size=10) for _ in range(2)]
        for worker in workers:  # connected before the race starts
            await scalar(worker, "SELECT 1")
        try:
            reports = await asyncio.gather(*(_work_until_done(w, count) for w in workers))
        finally:
            for worker in workers:
                await worker.dispose()

    received = Counter(r.headers["x-tagtrail-event-id"] for r in receiver.requests)
    assert len(received) == count and set(received.values()) == {1}
    assert sorted(len(attempts) for attempts in reports) != [0, count]  # both did a share
    assert sum(len(attempts) for attempts in reports) == count
    assert await scalar(engine, "SELECT count(*) FROM webhook_deliveries") == count
    assert await scalar(engine, "SELECT max(attempts) FROM webhook_deliveries") == 1
    assert await scalar(engine, "SELECT count(*) FROM webhook_attempts") == count


async def _work_until_done(worker: AsyncEngine, expected: int) -> list[int]:
    """One worker's passes until every delivery is delivered; the deliveries it attempted."""
    attempted: list[int] = []
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            _, report = await deliver_pass(worker, client, FAST, batch=10)
            attempted += [attempt.delivery_id for attempt in report.attempts]
            delivered = await scalar(
                worker, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'"
            )
            if delivered == expected:
                return attempted
            await asyncio.sleep(0.005)


async def test_a_worker_past_its_lease_cannot_overwrite_a_newer_attempt(
    engine: AsyncEngine,
) -> None:
    async with receiving({"/ok": _always(200), "/down": _always(500)}) as (receiver, base):
        await subscribe(engine, base + "/ok", ["*"])
        await record_events(engine, ["alert_raised"])
        await fan_out(engine)
        async with engine.connect() as conn, httpx.AsyncClient() as client:
            (first,) = await claim_due(conn, FAST, 10)
            assert await claim_due(conn, FAST, 10) == []  # leased: nobody else takes it
            await conn.execute(text("UPDATE webhook_deliveries SET next_attempt_at = now()"))
            await conn.commit()
            (second,) = await claim_due(conn, FAST, 10)
            assert (first.attempt, second.attempt) == (1, 2)
            late = await post_event(client, first, FAST.timeout_s)
            assert (await record_attempt(conn, FAST, first, late)).outcome == "stale"
            failing = replace(second, url=base + "/down")
            result = await post_event(client, failing, FAST.timeout_s)
            assert (await record_attempt(conn, FAST, second, result)).outcome == "pending"
    (delivery,) = await rows(
        engine, "SELECT status, attempts, last_status_code FROM webhook_deliveries"
    )
    assert [(r.path, r.answered) for r in receiver.requests] == [("/ok", 200), ("/down", 500)]
    # The stale 200 of the first claim did not mark it delivered over the second's 500.
    assert tuple(delivery) == ("pending", 2, 500)
    logged = await rows(engine, "SELECT attempt, status_code FROM webhook_attempts ORDER BY id")
    assert [tuple(a) for a in logged] == [(1, 200), (2, 500)]


async def test_a_last_attempt_left_unrecorded_ends_failed(engine: AsyncEngine) -> None:
    policy = replace(FAST, max_attempts=1)
    async with receiving({"/ok": _always(200)}) as (_receiver, base):
        await subscribe(engine, base + "/ok", ["*"])
        await record_events(engine, ["alert_raised"])
        await fan_out(engine)
        async with engine.connect() as conn:
            assert len(await claim_due(conn, policy, 10)) == 1  # ...and the worker dies
            await conn.execute(text("UPDATE webhook_deliveries SET next_attempt_at = now()"))
            await conn.commit()
            assert await claim_due(conn, policy, 10) == []
            assert await expire_exhausted(conn, policy) == 1
    (delivery,) = await rows(engine, "SELECT status, attempts, last_error FROM webhook_deliveries")
    assert tuple(delivery) == ("failed", 1, "no result recorded for the last attempt")


def _cli(settings: Settings, *args: str) -> Any:
    return CliRunner().invoke(webhooks_app, list(args), obj=settings, catch_exceptions=False)


async def test_cli_manages_subscriptions_and_delivers(
    engine: AsyncEngine, webhook_db: str, base_settings: Settings
) -> None:
    settings = base_settings.model_copy(update={"database_url": SecretStr(webhook_db)})
    async with receiving({"/cli": _always(200)}) as (receiver, base):
        added = await asyncio.to_thread(
            _cli, settings, "add", "--url", base + "/cli", "--kinds", "alert_raised,asset_arrived"
        )
        assert added.exit_code == 0, added.output
        secret = added.stdout.strip()
        assert secret.startswith("whsec_") and len(secret) > 30
        listed = await asyncio.to_thread(_cli, settings, "list")
        assert base + "/cli" in listed.stdout and secret not in listed.stdout

        bad = await asyncio.to_thread(_cli, settings, "add", "--url", "ftp://x", "--kinds", "*")
        assert bad.exit_code == 2
        bad = await asyncio.to_thread(
            _cli, settings, "add", "--url", base + "/cli", "--kinds", "alert_rised"
        )
        assert bad.exit_code == 2 and "alert_rised" in bad.output

        await record_events(engine, ["asset_arrived", "asset_left_site"])
        code = await _deliver_once_process(webhook_db)
        assert code == 0
        assert [r.headers["x-tagtrail-event-kind"] for r in receiver.requests] == ["asset_arrived"]
        assert_signed(receiver.requests[0], secret)

    (webhook,) = await _webhooks(engine)
    removed = await asyncio.to_thread(_cli, settings, "remove", str(webhook.id))
    assert removed.exit_code == 0
    assert not (await _webhooks(engine))[0].active
    again = await asyncio.to_thread(_cli, settings, "remove", str(webhook.id))
    assert again.exit_code == 2


async def _webhooks(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return await list_webhooks(conn)


async def _deliver_once_process(database_url: str) -> int:
    """`webhooks deliver --once` in a process of its own, as the CLI runs it."""
    script = "from tagtrail.cli.webhooks import webhooks_app; webhooks_app()"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        "deliver",
        "--once",
        env={**os.environ, "TAGTRAIL_DATABASE_URL": database_url, "TAGTRAIL_METRICS_PORT": "0"},
    )
    return await asyncio.wait_for(process.wait(), timeout=60)
