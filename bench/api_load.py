"""The API benchmark's load generator, in a process of its own so it never shares an event
loop with the server it measures:

    python -m bench.api_load URL open --rate 1000 --duration 30 [--key KEY] [--seed S]
    python -m bench.api_load URL closed --concurrency 32 --duration 10

The requests are drawn here from the bench database's assets (see `request_paths`), so the
paths are the same for a given seed whichever app is measured.

`open`: requests leave on a fixed schedule (request i at start + i/rate) whether or not
earlier ones were answered, each on an idle keep-alive connection or a new one; latency is
completion minus the *scheduled* send time, so a server that falls behind shows its queue in
the percentiles instead of slowing the generator down (coordinated omission).
`closed`: N connections each send the next request as soon as the previous one is answered;
the completion rate is the server's saturation throughput.

HTTP/1.1 is spoken by hand over asyncio streams (GET with Content-Length answers only):
a generic client such as httpx spends about a millisecond of CPU per request, which on a
2-core machine would make the generator, not the server, the thing being measured.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import uvloop
from epcpy.epc_schemes.grai import GRAI, GRAIFilterValue

from simulators.world import COMPANY_PREFIX, World

TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256  # open loop: past this, requests queue for a connection (still timed)
CLOSED_LOOP_RPS = 5_000  # generous: enough distinct paths that a saturated run rarely repeats

WORLD = World(asset_count=1)  # its site, zones, custodians and type; the first of the assets
SITE = WORLD.site_id
LIST_STATUSES = ("in_service", "missing", "in_recovery")  # the statuses found at a site


def asset_id(n: int) -> str:
    """The n-th bench asset, named as `simulators.world` names its crates."""
    return f"{SITE}-crate-{WORLD.first_serial + n}"


def epc_uri(n: int) -> str:
    return f"urn:epc:id:grai:{COMPANY_PREFIX}.12345.{WORLD.first_serial + n}"


def epc_hex(n: int) -> str:
    grai = GRAI(epc_uri(n))
    return str(
        grai.hex(
            binary_coding_scheme=GRAI.BinaryCodingScheme.GRAI_96,
            filter_value=GRAIFilterValue.ALL_OTHERS,
        )
    ).upper()


def request_paths(count: int, assets: int, seed: int, list_share: float = 0.2) -> list[str]:
    """Random assets: `list_share` first pages of a site + status list; of the rest, half one
    asset by id, a quarter a lookup by EPC URI, a quarter by raw EPC hex."""
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        n, kind = rng.randrange(assets), rng.random()
        if kind < list_share:
            paths.append(f"/v1/assets?site={SITE}&status={rng.choice(LIST_STATUSES)}&limit=50")
        elif kind < list_share + (1 - list_share) / 2:
            paths.append(f"/v1/assets/{asset_id(n)}")
        elif kind < list_share + (1 - list_share) * 3 / 4:
            paths.append(f"/v1/assets/lookup?tag={quote(epc_uri(n), safe=':')}")
        else:
            paths.append(f"/v1/assets/lookup?tag={epc_hex(n)}")
    return paths


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def get(self, request: bytes) -> tuple[int, bool]:
        """(status, whether the connection may be reused)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise ValueError("answer without Content-Length")
        end = lower.index(b"\r\n", at + 2)
        await self.reader.readexactly(int(lower[at + 17 : end]))
        return status, b"\r\nconnection: close" not in lower

    def close(self) -> None:
        self.writer.close()


def kind_of(path: str) -> str:
    return "list" if path.startswith("/v1/assets?") else "lookup" if "/lookup?" in path else "asset"


@dataclass
class Tally:
    latencies_s: dict[str, list[float]] = field(default_factory=dict)  # per request kind
    statuses: Counter[str] = field(default_factory=Counter)
    send_lag_s: list[float] = field(default_factory=list)
    last_done: float = 0.0
    window_s: float = 0.0

    def record(self, kind: str, status: str, latency_s: float) -> None:
        """Every request counts in the percentiles, a failed one at the time it took to fail:
        timeouts must not make a server that falls behind look fast."""
        self.statuses[status] += 1
        self.latencies_s.setdefault(kind, []).append(latency_s)


def percentile_ms(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)


class Target:
    def __init__(self, url: str, key: str | None, paths: list[str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        auth = f"Authorization: Bearer {key}\r\n" if key else ""
        self.requests = [
            (kind_of(path), f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{auth}\r\n".encode())
            for path in paths
        ]
        self.idle: list[Connection] = []
        self.waiting: list[asyncio.Future[Connection | None]] = []
        self.opened = self.most_opened = 0

    async def acquire(self) -> Connection | None:
        """An idle connection, or None to open one — at once below MAX_CONNECTIONS, else when
        a busy one breaks; otherwise the next connection released."""
        if self.idle:
            return self.idle.pop()
        if self.opened < MAX_CONNECTIONS:
            self.opened += 1
            self.most_opened = max(self.most_opened, self.opened)
            return None
        waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        return await waiter

    def release(self, conn: Connection | None) -> None:
        """Back to a waiter or the idle list; None: the connection broke, its slot is free."""
        if self.waiting:
            self.waiting.pop(0).set_result(conn)
        elif conn is not None:
            self.idle.append(conn)
        else:
            self.opened -= 1


async def timed_get(
    target: Target, conn: Connection | None, request: bytes
) -> tuple[Connection | None, str]:
    """Sends on `conn` (or a fresh connection): the connection to keep, and the outcome.
    A kept-alive connection the server closed while idle (uvicorn's keep-alive timeout is
    5 s) answers nothing at all: the request is sent again once on a new connection, as
    HTTP clients do for a GET, and the time of both attempts counts."""
    reused = conn is not None
    try:
        async with asyncio.timeout(TIMEOUT_S):
            try:
                if conn is None:
                    conn = await Connection.open(target.host, target.port)
                status, reusable = await conn.get(request)
            except (asyncio.IncompleteReadError, ConnectionResetError) as error:
                partial = isinstance(error, asyncio.IncompleteReadError) and bool(error.partial)
                if not reused or conn is None or partial:
                    raise
                conn.close()
                conn = await Connection.open(target.host, target.port)
                status, reusable = await conn.get(request)
    except (OSError, ValueError, TimeoutError, asyncio.IncompleteReadError) as error:
        if conn is not None:
            conn.close()
        return None, type(error).__name__
    if not reusable:
        conn.close()
        return None, str(status)
    return conn, str(status)


async def open_loop(target: Target, rate: float, duration_s: float, warmup_s: float) -> Tally:
    # perf_counter, not loop.time(): uvloop's clock has millisecond steps and is read once
    # per loop iteration.
    tally, warm = Tally(), Tally()
    count = int(rate * (warmup_s + duration_s))
    measured_from = int(rate * warmup_s)
    start = time.perf_counter() + 0.05
    tasks: set[asyncio.Task[None]] = set()
    unanswered: dict[int, float] = {}  # measured requests in flight: i → scheduled time

    async def one(i: int, scheduled: float) -> None:
        into = tally if i >= measured_from else warm
        kind, request = target.requests[i % len(target.requests)]
        kept, outcome = await timed_get(target, await target.acquire(), request)
        into.last_done = time.perf_counter()
        into.record(kind, outcome, into.last_done - scheduled)
        unanswered.pop(i, None)
        target.release(kept)

    for i in range(count):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if i >= measured_from:
            tally.send_lag_s.append(max(0.0, time.perf_counter() - scheduled))
            unanswered[i] = scheduled
        task = asyncio.create_task(one(i, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=2 * TIMEOUT_S)
    # Still queued for a connection after the drain: failures, at the time they waited.
    now = time.perf_counter()
    for i, scheduled in unanswered.items():
        tally.record(target.requests[i % len(target.requests)][0], "unanswered", now - scheduled)
    for task in tasks:
        task.cancel()
    # Achieved rate: over the scheduled window, or until the last answer if that came later.
    tally.window_s = max(duration_s, tally.last_done - (start + warmup_s))
    return tally


async def closed_loop(
    target: Target, concurrency: int, duration_s: float, warmup_s: float
) -> Tally:
    tally = Tally(window_s=duration_s)
    measure_from = time.perf_counter() + warmup_s
    deadline = measure_from + duration_s
    counter = iter(range(10**9))
    target.most_opened = concurrency

    async def worker() -> None:
        conn: Connection | None = None
        while (sent := time.perf_counter()) < deadline:
            kind, request = target.requests[next(counter) % len(target.requests)]
            conn, outcome = await timed_get(target, conn, request)
            done = time.perf_counter()
            if sent >= measure_from and done <= deadline:
                tally.record(kind, outcome, done - sent)
        if conn is not None:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


def summary(tally: Tally, connections: int, cpu_s: float) -> dict[str, Any]:
    every = [s for latencies in tally.latencies_s.values() for s in latencies]
    ok = tally.statuses["200"]
    return {
        "requests": sum(tally.statuses.values()),
        "ok": ok,
        "statuses": dict(tally.statuses),
        "rps": round(ok / tally.window_s, 1),
        "p50_ms": percentile_ms(every, 0.50),
        "p90_ms": percentile_ms(every, 0.90),
        "p99_ms": percentile_ms(every, 0.99),
        "max_ms": percentile_ms(every, 1.0),
        "by_kind": {
            kind: {
                "requests": len(latencies),
                "p50_ms": percentile_ms(latencies, 0.5),
                "p99_ms": percentile_ms(latencies, 0.99),
            }
            for kind, latencies in sorted(tally.latencies_s.items())
        },
        "send_lag_p99_ms": percentile_ms(tally.send_lag_s, 0.99),
        "connections": connections,
        "loader_cpu_s": round(cpu_s, 2),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.warmup + args.duration
    count = int(seconds * (args.rate if args.mode == "open" else CLOSED_LOOP_RPS))
    paths = request_paths(count, args.assets, args.seed, args.list_share)
    target = Target(args.url, args.key, paths)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if args.mode == "open":
        tally = await open_loop(target, args.rate, args.duration, args.warmup)
    else:
        tally = await closed_loop(target, args.concurrency, args.duration, args.warmup)
    after = resource.getrusage(resource.RUSAGE_SELF)
    for conn in target.idle:
        conn.close()
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    figures = summary(tally, target.most_opened, cpu_s)
    figures["wall_s"] = round(time.perf_counter() - started, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("mode", choices=("open", "closed"))
    parser.add_argument("--assets", type=int, default=1_000_000, help="in the bench database")
    parser.add_argument("--seed", type=int, default=0, help="of the random request mix")
    parser.add_argument("--list-share", type=float, default=0.2, help="share of list requests")
    parser.add_argument("--key", default=None, help="sent as Authorization: Bearer KEY")
    parser.add_argument("--rate", type=float, default=1000.0, help="open loop: requests/s")
    parser.add_argument("--concurrency", type=int, default=32, help="closed loop: connections")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    args = parser.parse_args()
    print(json.dumps(uvloop.run(run(args))))


if __name__ == "__main__":
    main()
