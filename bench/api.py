"""`tagtrail bench api` (issue 7): the read API against a bare Starlette + asyncpg baseline.

A database of 1,000,000 assets and 10,000,000 events is served by a real `tagtrail api`
process and by `bench.api_baseline`, each alone in turn, one uvicorn worker each.
`bench.api_load`, a process of its own, offers each the same mix of `GET /v1/assets/{id}`,
`GET /v1/assets/lookup?tag=` (EPC URI or raw EPC hex) and the first page of
`GET /v1/assets?site=&status=&limit=50`, random assets, the same seed for both:

- open loop at `rate` requests/s for `duration` s → p50/p99 from the scheduled send time;
- closed loop, `concurrency` connections for `saturation_s` s → saturation rps.

`rps` and `baseline_rps` are the saturation figures and `ratio` = rps / baseline_rps;
`p50_ms` / `p99_ms` / `baseline_p99_ms` are at the offered rate.

The database (`tagtrail_bench_api`) is seeded once with asyncpg COPY and kept; a later run
reuses it when the seed marker on it matches, and only migrates it to head.

    .venv/bin/python -m bench.api [--duration 30] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from api.auth import new_key
from bench.api_load import SITE, WORLD, asset_id, epc_uri, request_paths
from bench.sandbox import _drop_database, asyncpg_dsn, seeded_state_rows
from simulators.world import seed
from tagtrail.migrate import upgrade
from tagtrail.settings import Settings
from tracker.store.keys import insert_key

Log = Callable[[str], None]
Row = tuple[object, ...]
CHUNK = 50_000  # assets per COPY round (about 500,000 events)
SEEDED_AT = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
ZONES = [f"{SITE}-{kind}" for kind in ("dock", "storage", "storage", "storage", "yard", "repair")]
POINTS = [*(f"{door.id}-in" for door in WORLD.doors), f"{SITE}-storage-rp", f"{SITE}-yard-rp"]
ATTRIBUTES = ['{"colour": "blue"}', '{"colour": "grey", "batch": "2024-07"}', "{}", "{}"]


def _stderr(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


# -- the data ---------------------------------------------------------------------------------


def _cycle(customer: str) -> list[tuple[str, str | None, str | None, str]]:
    """(kind, site, zone, payload) of one loop through a customer, as the tracker writes them."""
    dock, store, home = f"{SITE}-dock", f"{SITE}-storage", f"site:{SITE}"
    moved = '{{"site_id": "{s}", "from_zone_id": "{a}", "to_zone_id": "{b}"}}'
    status = '{{"from_status": "{a}", "to_status": "{b}", "cause": "{c}"}}'
    arrived = f'{{"site_id": "{SITE}", "zone_id": "{dock}", "zone_kind": "dock", "at_home": true}}'
    return [
        ("asset_moved", SITE, store, moved.format(s=SITE, a=dock, b=store)),
        ("asset_moved", SITE, dock, moved.format(s=SITE, a=store, b=dock)),
        ("asset_left_site", SITE, dock, f'{{"site_id": "{SITE}", "zone_id": "{dock}"}}'),
        (
            "custody_transferred",
            None,
            None,
            f'{{"from_custodian_id": "{home}", "to_custodian_id": "{customer}"}}',
        ),
        (
            "asset_status_changed",
            None,
            None,
            status.format(a="in_service", b="in_transit", c="exited"),
        ),
        (
            "asset_status_changed",
            None,
            None,
            status.format(a="in_transit", b="at_custodian", c="seen_external"),
        ),
        ("asset_arrived", SITE, dock, arrived),
        (
            "custody_transferred",
            SITE,
            dock,
            f'{{"from_custodian_id": "{customer}", "to_custodian_id": "{home}"}}',
        ),
        (
            "asset_status_changed",
            SITE,
            dock,
            status.format(a="at_custodian", b="in_service", c="seen_on_site"),
        ),
        (
            "turnaround_recorded",
            SITE,
            dock,
            f'{{"custodian_id": "{customer}", "returned_to_site_id": "{SITE}", '
            '"duration": 1209600.0, "overdue": false, "return_seen": true}',
        ),
    ]


CYCLES = [_cycle(customer) for customer in WORLD.customers]
FIRST_ARRIVAL = ("asset_arrived", SITE, f"{SITE}-dock", CYCLES[0][6][3])


# (share up to, status, on our site, zone: None any / "" none, with a customer and due back)
MIX = (
    (0.78, "in_service", True, None, False),
    (0.86, "at_custodian", False, "", True),
    (0.90, "in_transit", False, "", True),
    (0.94, "missing", True, None, False),
    (0.96, "in_recovery", True, f"{SITE}-repair", False),
    (0.97, "lost", False, "", True),
    (0.98, "retired", True, None, False),
)  # the other 2 %: never observed, so no state row (the API shows them at home)
ALERTS = {"missing": ("not_seen", "warning", 7 * DAY), "lost": ("lost", "critical", 44 * DAY)}


def _state(n: int, rng: random.Random, seen: datetime) -> tuple[Row | None, Row | None]:
    """(asset_state row or None when never observed, open alert row or None)."""
    share = rng.random() if n else 0.0  # the first asset, seeded by the world, in service
    found = next((m for m in MIX if share < m[0]), None)
    if found is None:
        return None, None
    _, status, on_site, zone, away = found
    custodian = WORLD.customers[n % len(WORLD.customers)] if away else f"site:{SITE}"
    site = SITE if on_site else None
    zone = rng.choice(ZONES) if zone is None else zone or None
    due = seen + 14 * DAY if away else None
    state = (asset_id(n), status, site, zone, custodian, seen - DAY, due, seen)
    alert: Row | None = None
    if status in ALERTS:
        kind, severity, after = ALERTS[status]
        value = Decimal("42.50") if kind == "lost" else None
        alert = (asset_id(n), kind, severity, seen + after, site, custodian, value)
    return (*state, rng.choice(POINTS), seen, f"obs-{n}-last", n % 17), alert


def _events(n: int, rng: random.Random, start: datetime) -> Iterator[Row]:
    """8 to 12 events (10 on average) of loops through a customer, hours to days apart."""
    cycle, at, one_s = CYCLES[n % len(CYCLES)], start, timedelta(seconds=1)
    for i in range(8 + n % 5):
        kind, site, zone, payload = FIRST_ARRIVAL if i == 0 else cycle[(i - 1) % len(cycle)]
        at += timedelta(seconds=rng.randrange(600, 4 * 86_400))
        yield (asset_id(n), kind, at, at + one_s, f"obs-{n}-{i}", site, zone, payload)


def _chunk(first: int, last: int) -> dict[str, list[Row]]:
    """The rows of assets first..last-1 for each table."""
    rng = random.Random(first)
    rows: dict[str, list[Row]] = {"assets": [], "ids": [], "state": [], "alerts": [], "events": []}
    for n in range(first, last):
        created = SEEDED_AT - timedelta(days=400 + n % 300)
        events = list(_events(n, rng, created))
        last_seen = events[-1][2]
        assert isinstance(last_seen, datetime)
        state, alert = _state(n, rng, last_seen)
        rows["events"] += events
        if state is not None:
            rows["state"].append(state)
        if alert is not None:
            rows["alerts"].append(alert)
        if n == 0:  # simulators.world.seed wrote the first asset and its identifier
            continue
        retired = last_seen if state is not None and state[1] == "retired" else None
        owner = "pool-north" if n % 7 == 0 else None
        value = Decimal("55.00") if n % 100 == 0 else None
        attributes = ATTRIBUTES[n % len(ATTRIBUTES)]
        rows["assets"].append(
            (asset_id(n), WORLD.asset_type, SITE, owner, value, attributes, created, retired)
        )
        rows["ids"].append((epc_uri(n), "epc", asset_id(n)))
    return rows


COLUMNS = {
    "assets": (
        "assets",
        [
            "id",
            "type_id",
            "home_site_id",
            "owner",
            "value",
            "attributes",
            "created_at",
            "retired_at",
        ],
    ),
    "ids": ("asset_identifiers", ["value", "scheme", "asset_id"]),
    "state": (
        "asset_state",
        [
            "asset_id",
            "status",
            "site_id",
            "zone_id",
            "custodian_id",
            "custody_since",
            "return_due_at",
            "last_seen_at",
            "last_read_point_id",
            "last_event_at",
            "last_observation_id",
            "trips",
        ],
    ),
    "alerts": (
        "alerts",
        ["asset_id", "kind", "severity", "raised_at", "site_id", "custodian_id", "value_at_risk"],
    ),
    "events": (
        "asset_events",
        [
            "asset_id",
            "kind",
            "occurred_at",
            "recorded_at",
            "observation_id",
            "site_id",
            "zone_id",
            "payload",
        ],
    ),
}


# -- the database -----------------------------------------------------------------------------


def _marker(assets: int) -> str:
    return f"tagtrail bench api: {assets} assets, seed v1"


async def seeded_database(base: Settings, assets: int, log: Log) -> tuple[str, float]:
    """(URL, seconds spent seeding): the kept bench database, (re)seeded when its marker —
    written last, after every row and the ANALYZE — is missing or differs."""
    name = "tagtrail_bench_api" + ("" if assets == 1_000_000 else f"_{assets}")
    url = make_url(base.db_url()).set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(asyncpg_dsn(base.db_url()))
    try:
        marker = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
        if marker == _marker(assets):
            log(f"reusing {name}")
            await asyncio.to_thread(upgrade, url, "heads")
            return url, 0.0
        started = time.perf_counter()
        log(f"seeding {name}: {assets:,} assets")
        await _drop_database(base, name)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await asyncio.to_thread(upgrade, url, "heads")
        await _seed(url, assets, log)
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_marker(assets)}'")
        return url, time.perf_counter() - started
    finally:
        await admin.close()


async def _seed(url: str, assets: int, log: Log) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await seed(conn, WORLD)  # site, zones, read points, custodians, type, first asset
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        # Secondary indexes of the events are built once at the end: maintaining the
        # occurred_at index row by row over 10M random times costs more than the COPY.
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset_events' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["indexname"]}"')
        async with seeded_state_rows(conn):
            for first in range(0, assets, CHUNK):
                rows = _chunk(first, min(assets, first + CHUNK))
                async with conn.transaction():
                    for part, (table, columns) in COLUMNS.items():
                        await conn.copy_records_to_table(table, records=rows[part], columns=columns)
                if first % (10 * CHUNK) == 0:
                    log(f"  {first + CHUNK:,} assets")
        log("  indexing and analysing")
        for index in indexes:
            await conn.execute(index["indexdef"])
        # What autovacuum would have done on a system that has been running a while.
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# -- the measurement --------------------------------------------------------------------------


async def _reader_key(url: str) -> str:
    key_id, full_key, digest = new_key()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await insert_key(conn, key_id, "bench-api", digest, ["assets:read"], None)
    finally:
        await engine.dispose()
    return full_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds so far of a process and its children (uvicorn's workers),
    from /proc."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return [d for child in direct for d in (child, *_children(child))]


async def _wait_healthy(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(150):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{base_url} did not come up")


async def _answers(base_url: str, key: str, paths: list[str]) -> list[Any]:
    """Each path's status and the asset ids in its answer, to compare the two apps."""
    answers: list[Any] = []
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        for path in paths:
            response = await client.get(path)
            body = response.json()
            ids = [item["id"] for item in body["items"]] if "items" in body else body.get("id")
            answers.append([response.status_code, ids])
    return answers


def _load(base_url: str, env: dict[str, str], args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.api_load", base_url, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _phase(
    command: list[str], env: dict[str, str], plan: dict[str, Any], load: list[str], sample: bool
) -> dict[str, Any]:
    """One load phase against a freshly started app. A saturated app can hold a backlog of
    requests past the phase's end: it is killed, and the database left to finish its queries,
    so that nothing of one phase runs into the next."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    common = ["--key", plan["key"], "--assets", str(plan["assets"])]
    common += ["--list-share", str(plan["list_share"])]
    figures: dict[str, Any] = {}
    try:
        asyncio.run(_wait_healthy(base_url))
        if sample:
            figures["sample"] = asyncio.run(_answers(base_url, plan["key"], plan["sample"]))
        cpu, started = _cpu_s(process.pid), time.perf_counter()
        figures |= _load(base_url, env, [*load, *common])
        cores = (_cpu_s(process.pid) - cpu) / (time.perf_counter() - started)
        figures["server_cpu_cores"] = round(cores, 2)
        return figures
    finally:
        process.terminate()
        try:
            _, errors = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate(timeout=10)
        if process.returncode not in (0, -15, -9):
            raise RuntimeError(f"{command} exited {process.returncode}: {errors.decode()[-2000:]}")
        asyncio.run(_wait_quiet(plan["url"]))


async def _wait_quiet(url: str, timeout_s: float = 180.0) -> None:
    """Until no other session of the bench database runs a query (twice in a row)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with asyncio.timeout(timeout_s):
            quiet = 0
            while quiet < 2:
                busy = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND state <> 'idle' "
                    "AND pid <> pg_backend_pid()"
                )
                quiet = quiet + 1 if busy == 0 else 0
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


def _measure(command: list[str], env: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    """The app's answers to the sample, then the open loop, then the closed loop."""
    rate, duration = str(plan["rate"]), str(plan["duration"])
    open_loop = ["open", "--rate", rate, "--duration", duration, "--seed", str(plan["seed"])]
    closed_loop = ["closed", "--concurrency", str(plan["concurrency"])]
    closed_loop += ["--duration", str(plan["saturation_s"]), "--seed", str(plan["seed"] + 1)]
    opened = _phase(command, env, plan, open_loop, sample=True)
    return {
        "sample": opened.pop("sample"),
        "open": opened,
        "closed": _phase(command, env, plan, closed_loop, sample=False),
    }


def run_api_bench(
    settings: Settings,
    duration: float = 30.0,
    rate: float = 1000.0,
    saturation_s: float = 10.0,
    concurrency: int = 32,
    assets: int = 1_000_000,
    log: Log = _stderr,
    list_share: float = 0.2,
    workers: int = 1,
) -> dict[str, Any]:
    """Seeds (or reuses) the bench database, then measures the baseline and the API."""
    started = time.perf_counter()
    url, seed_s = asyncio.run(seeded_database(settings, assets, log))
    seed = random.randrange(2**31)
    plan: dict[str, Any] = {
        "key": asyncio.run(_reader_key(url)),
        "assets": assets,
        "rate": rate,
        "duration": duration,
        "saturation_s": saturation_s,
        "concurrency": concurrency,
        "seed": seed,
        "url": url,
        "list_share": list_share,
        "workers": workers,
        "sample": request_paths(24, assets, seed + 2, list_share),
    }
    env = {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": url,
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_LOG_LEVEL": "WARNING",
    }
    log("baseline: bench.api_baseline")
    each = ["--workers", str(workers)]
    base = _measure([sys.executable, "-m", "bench.api_baseline", *each], env, plan)
    log(f"baseline: p99 {base['open']['p99_ms']} ms, saturated {base['closed']['rps']} rps")
    log("api: tagtrail api")
    ours = _measure([sys.executable, "-m", "tagtrail", "api", *each], env, plan)
    log(f"api: p99 {ours['open']['p99_ms']} ms, saturated {ours['closed']['rps']} rps")
    if ours.pop("sample") != base.pop("sample"):
        raise RuntimeError("the API and the baseline answered the sample differently")
    return _figures(ours, base, plan, seed_s, time.perf_counter() - started)


def _figures(
    ours: dict[str, Any], base: dict[str, Any], plan: dict[str, Any], seed_s: float, wall_s: float
) -> dict[str, Any]:
    def failed(phases: dict[str, Any]) -> int:
        return sum(int(phase["requests"] - phase["ok"]) for phase in phases.values())

    return {
        "rps": ours["closed"]["rps"],
        "p50_ms": ours["open"]["p50_ms"],
        "p99_ms": ours["open"]["p99_ms"],
        "baseline_rps": base["closed"]["rps"],
        "baseline_p50_ms": base["open"]["p50_ms"],
        "baseline_p99_ms": base["open"]["p99_ms"],
        "ratio": round(ours["closed"]["rps"] / base["closed"]["rps"], 3),
        "offered_rps": plan["rate"],
        "achieved_rps": ours["open"]["rps"],
        "baseline_achieved_rps": base["open"]["rps"],
        "saturation_p99_ms": ours["closed"]["p99_ms"],
        "baseline_saturation_p99_ms": base["closed"]["p99_ms"],
        "server_cpu_cores_at_rate": ours["open"]["server_cpu_cores"],
        "baseline_server_cpu_cores_at_rate": base["open"]["server_cpu_cores"],
        "loader_send_lag_p99_ms": max(
            ours["open"]["send_lag_p99_ms"] or 0, base["open"]["send_lag_p99_ms"] or 0
        ),
        "failed_requests": failed(ours),
        "baseline_failed_requests": failed(base),
        "duration_s": plan["duration"],
        "saturation_s": plan["saturation_s"],
        "concurrency": plan["concurrency"],
        "mix": {
            "list": plan["list_share"],
            "asset": round((1 - plan["list_share"]) / 2, 3),
            "lookup_uri": round((1 - plan["list_share"]) / 4, 3),
            "lookup_hex": round((1 - plan["list_share"]) / 4, 3),
        },
        "assets": plan["assets"],
        "api_workers": plan["workers"],
        "seed_s": round(seed_s, 1),
        "wall_s": round(wall_s, 1),
        "phases": {"api": ours, "baseline": base},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--saturation-s", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--list-share", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    figures = run_api_bench(
        Settings(),
        args.duration,
        args.rate,
        args.saturation_s,
        args.concurrency,
        args.assets,
        list_share=args.list_share,
        workers=args.workers,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
