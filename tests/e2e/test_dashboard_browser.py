"""The dashboard in a real browser — Debian's chromium driven by Playwright — against a real
`tagtrail api` process while a short scenario plays: crates leave through dock doors without
a dispatch, the in-process consumer applies the reads, and the page shows it live; crates back
home go through recovery at the bench, and the recovery and value-stream panels follow.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from biip.checksums import gs1_standard_check_digit
from e2e_harness import RunningApi
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.publisher import Publisher
from ingest.records import TICK_HEADER
from simulators.dock_stream import DockScenario, Pass, pass_reads
from simulators.world import World, seed
from tagtrail.cli.consume import run_consumer
from tagtrail.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; never a browser Playwright downloads
HAVE_CHROMIUM = CHROMIUM.exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Names of its own, so the world cannot collide with what other tests put in the session DB.
WORLD = World(
    site_id="dc5",
    door_count=4,
    asset_count=10,
    first_serial=7000,
    asset_type="crate-dashboard",
    customers=("northwind",),
)
# Crates that go out and come back, then through recovery (cases opened by hand).
BENCH_WORLD = World(
    site_id="dc6",
    door_count=2,
    asset_count=6,
    first_serial=7100,
    asset_type="crate-bench",
    customers=(),
)
LEAVING = 6  # the first six crates leave without a dispatch; the first one comes back
CASE_STAGES = ("intake", "grading", "sanitisation", "repair", "decision")  # the panel's order
WAIT_MS = 30_000
SETTLE = timedelta(seconds=15)  # past absence_s + cross_read_s: every door visit is decided


def grai_barcode(epc_uri: str) -> str:
    """The crate's printed GRAI, `(8003)0 + company prefix + asset type + check + serial`."""
    prefix, asset_type, serial = epc_uri.rsplit(":", 1)[1].split(".")
    digits = f"0{prefix}{asset_type}"
    return f"(8003){digits}{gs1_standard_check_digit(digits)}{serial}"


async def publish_passes(settings: Settings, passes: Sequence[Pass], settle_at: datetime) -> None:
    """The passes' raw reads, then a watermark tick into every partition (as the consumer's
    idle ticker would write) so each door visit ends and becomes a pass now, not in 10 s."""
    rng = random.Random(11)
    reads = sorted(
        (read for p in passes for read in pass_reads(p, rng, None)),
        key=lambda r: (r.seen_at, r.read_id),
    )
    publisher = Publisher(settings.kafka_client_options(), settings.topic_reads)
    await publisher.start()
    try:
        await publisher.publish(reads)
        tick = str(int(settle_at.timestamp() * 1_000_000)).encode()
        for partition in range(settings.reads_partitions):
            await publisher.send_raw(b"", partition=partition, headers=[(TICK_HEADER, tick)])
    finally:
        await publisher.stop()


@pytest.fixture(scope="module")
async def consumer(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Settings]:
    """The world seeded, and an ingest consumer running in this process."""
    async with engine.begin() as conn:
        await seed(conn, WORLD)
        await seed(conn, BENCH_WORLD)
    scoped = settings.model_copy(update={"tick_s": 0.0, "metrics_port": 0})
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(scoped, stop))
    try:
        yield scoped
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        for world in (WORLD, BENCH_WORLD):
            await forget_world(engine, world)


# Children before parents; assets cascade to their state, identifiers and alerts.
_FORGET = (
    "DELETE FROM outbox WHERE asset_event_id IN"
    " (SELECT id FROM asset_events WHERE asset_id = ANY(:assets))",
    "DELETE FROM asset_events WHERE asset_id = ANY(:assets)",
    "DELETE FROM assets WHERE id = ANY(:assets)",
    "DELETE FROM custodians WHERE id = ANY(:custodians)",
    "DELETE FROM sites WHERE id = :site",
    "DELETE FROM asset_types WHERE id = :asset_type",
)


async def forget_world(engine: AsyncEngine, world: World) -> None:
    """Other e2e tests share the session database and some read every event from id 0 (or
    fuzz the alerts there): leave it as this module found it. Recovery cases go with their
    assets."""
    names = {
        "assets": [a.id for a in world.assets],
        "custodians": [f"site:{world.site_id}", *world.customers],
        "site": world.site_id,
        "asset_type": world.asset_type,
    }
    async with engine.begin() as conn:
        for statement in _FORGET:
            await conn.execute(text(statement), names)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail("no /usr/bin/chromium: run scripts/setup.sh (apt-get install chromium)")
    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


async def test_dashboard_shows_the_scenario_live(
    running_api: RunningApi, consumer: Settings, browser: Browser
) -> None:
    site = WORLD.site_id
    start = datetime.now(UTC) - timedelta(minutes=2)
    out = DockScenario(WORLD, start, gap=timedelta(seconds=30)).passes()
    leaving = [p for p in out if p.direction == "outbound"][:LEAVING]
    back = next(p for p in out if p.direction == "inbound" and p.asset == WORLD.assets[0])
    crate = WORLD.assets[0].id

    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    await page.goto(running_api.base_url + "/")

    # Asked for a key once; a wrong one is refused, the right one is kept.
    await expect(page.locator("#key-dialog")).to_be_visible()
    await page.fill("#key-input", "tt_000000000000_not-a-key")
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("#key-error")).to_contain_text("not accepted")
    await page.fill("#key-input", running_api.admin_key)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("#key-dialog")).to_be_hidden()
    assert await page.evaluate("localStorage.getItem('tagtrail.key')") == running_api.admin_key

    # Before anything moved: ten crates at home, none seen in a zone yet; four dock doors.
    here = page.locator(f'article[data-site="{site}"] .site-total b')
    await expect(here).to_have_text("10")
    await expect(page.locator(f'.tile[data-zone="{site}:unplaced"] .big')).to_have_text("10")
    await expect(page.locator(f'.tile[data-zone="{site}-dock"] .door')).to_have_text(
        ["1", "2", "3", "4"]
    )
    await expect(page.locator("#live")).to_have_text("live")
    # Other tests may share the database: the totals are compared with what they showed.
    in_transit = page.locator('.total[data-status="in_transit"] .big')
    away = page.locator('.tile[data-zone="away"] .big')
    in_transit_before = int(await in_transit.inner_text())
    away_before = int(await away.inner_text()) if await away.count() else 0
    await shot(page, "1-before")

    # Six crates leave through the dock doors, no dispatch: the page follows without a reload.
    await publish_passes(consumer, leaving, start + SETTLE)
    await expect(here).to_have_text("4")
    await expect(away).to_have_text(str(away_before + LEAVING))
    await expect(in_transit).to_have_text(str(in_transit_before + LEAVING))
    await expect(page.locator("#feed")).to_contain_text(f"{crate} left {site} dock")
    rows = page.locator(f'#alerts tr[data-asset^="{site}-"]')
    await expect(rows).to_have_count(LEAVING)
    await expect(rows.first).to_contain_text("Left without dispatch")
    await shot(page, "2-left")

    # Acknowledge one: the operator's name is asked once and goes into the alert.
    row = page.locator(f'#alerts tr[data-asset="{crate}"]')
    await row.locator('button[data-act="ack"]').click()
    await expect(page.locator("#operator-dialog")).to_be_visible()
    await page.fill("#operator-input", "ana@dc5")
    await page.click("#operator-form button[type=submit]")
    await expect(row).to_contain_text("acked by ana@dc5")
    await expect(row.locator('button[data-act="ack"]')).to_have_count(0)
    await expect(page.locator("#feed")).to_contain_text("acknowledged by ana@dc5")
    async with httpx.AsyncClient(
        base_url=running_api.base_url,
        headers={"Authorization": f"Bearer {running_api.admin_key}"},
        timeout=10,
    ) as client:
        listed = await client.get(
            "/v1/alerts", params={"asset": crate, "kind": "unauthorized_exit"}
        )
    alerts = listed.json()["items"]
    assert [(a["status"], a["acked_by"]) for a in alerts] == [("acked", "ana@dc5")]

    # One crate comes back in: counts move again.
    await publish_passes(consumer, [back], back.start + SETTLE)
    await expect(here).to_have_text("5")
    await expect(away).to_have_text(str(away_before + LEAVING - 1))
    await expect(in_transit).to_have_text(str(in_transit_before + LEAVING - 1))
    await expect(page.locator("#feed")).to_contain_text(f"{crate} arrived at {site} dock")
    await shot(page, "3-back")

    # Looked up by its printed GRAI barcode: the asset and its history as a timeline.
    await page.fill("#search-input", grai_barcode(WORLD.assets[0].epc_uri))
    await page.click("#search-form button[type=submit]")
    card = page.locator("#search-result .asset-card")
    await expect(card.locator("h3")).to_contain_text(crate)
    await expect(card).to_contain_text(f"{site} dock")
    steps = page.locator("#search-result .timeline .step .what")
    texts = await steps.all_inner_texts()
    assert f"left {site} dock" in texts
    assert f"arrived at {site} dock" in texts
    assert "alert: left without dispatch" in texts
    assert "left without dispatch acknowledged by ana@dc5" in texts
    # Newest first: the arrival is above the departure.
    assert texts.index(f"arrived at {site} dock") < texts.index(f"left {site} dock")
    await page.locator("#search-h").scroll_into_view_if_needed()
    await shot(page, "4-timeline")
    assert failures == [], failures

    # What the page's EventSource does when it reconnects: same URL (?key=, maybe ?after=),
    # plus Last-Event-ID — which wins, so it resumes right after the last event it saw.
    first, second = await first_events(running_api, 2, {})
    assert await first_events(running_api, 1, {"Last-Event-ID": first}) == [second]


async def open_the_page(api: RunningApi, browser: Browser) -> tuple[Page, list[str]]:
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    failures: list[str] = []
    page.on("pageerror", lambda exc: failures.append(str(exc)))
    await page.goto(api.base_url + "/")
    await page.fill("#key-input", api.admin_key)
    await page.click("#key-form button[type=submit]")
    await expect(page.locator("#live")).to_have_text("live")
    return page, failures


async def crates_back_home(api: httpx.AsyncClient, consumer: Settings) -> None:
    """Every BENCH_WORLD crate out through one door and, half a minute later, back in through
    the other: each a completed loop of the asset's value stream. The reads are of the last
    minute: after the watermark the module's first test left (older reads would be late)."""
    crates, (door_a, door_b) = BENCH_WORLD.assets, BENCH_WORLD.doors
    start = datetime.now(UTC) - timedelta(seconds=58)
    out = [
        Pass(c, door_a, "outbound", start + timedelta(seconds=2 * i)) for i, c in enumerate(crates)
    ]
    back = [Pass(p.asset, door_b, "inbound", p.start + timedelta(seconds=30)) for p in out]
    await publish_passes(consumer, out, out[-1].start + SETTLE)
    await publish_passes(consumer, back, back[-1].start + SETTLE)
    for crate in crates:
        for _ in range(150):
            history = (await api.get(f"/v1/assets/{crate.id}/history")).json()["items"]
            moves = [
                e["payload"]["to_status"] for e in history if e["kind"] == "asset_status_changed"
            ]
            if moves == ["in_transit", "in_service"]:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError(f"{crate.id} did not go out and come back: {moves}")


# Per crate: the bench steps after opening its case, and the stage it is left in.
BENCH_STEPS: list[tuple[list[tuple[str, dict[str, object]]], str]] = [
    (
        [
            ("checks", {"checks": [{"check": "functional", "passed": True}]}),
            ("grade", {"grade": "ready_to_redeploy"}),
            ("decision", {"path": "redeploy"}),
            ("close", {}),
        ],
        "done",
    ),
    (
        [
            ("grade", {"grade": "ready_to_redeploy"}),
            ("decision", {"path": "redeploy"}),
            ("close", {}),
        ],
        "done",
    ),
    ([("checks", {"checks": [{"check": "cosmetic", "passed": False}]})], "grading"),
    (
        [
            ("grade", {"grade": "repairable"}),
            ("repairs", {"description": "replace latch", "cost": "4.80"}),
        ],
        "repair",
    ),
    ([], "intake"),
    (
        [
            ("grade", {"grade": "components_only"}),
            ("decision", {"path": "parts", "parts": [{"part": "lid", "value": "6.00"}]}),
        ],
        "decision",
    ),
]


async def work_the_bench(api: httpx.AsyncClient) -> None:
    for crate, (steps, stage) in zip(BENCH_WORLD.assets, BENCH_STEPS, strict=True):
        opened = await api.post(
            "/v1/recovery/cases",
            json={"asset_id": crate.id, "return_category": "customer_return", "by": "ana@dc6"},
        )
        assert opened.status_code == 201, opened.text
        case = opened.json()
        for step, body in steps:
            done = await api.post(
                f"/v1/recovery/cases/{case['id']}/{step}", json={**body, "by": "ana@dc6"}
            )
            assert done.is_success, done.text
            case = done.json()
        assert case["stage"] == stage, case


async def test_dashboard_shows_recovery_stages_and_the_value_stream(
    running_api: RunningApi, consumer: Settings, browser: Browser
) -> None:
    async with httpx.AsyncClient(
        base_url=running_api.base_url,
        headers={"Authorization": f"Bearer {running_api.admin_key}"},
        timeout=30,
    ) as api:
        await crates_back_home(api, consumer)
        page, failures = await open_the_page(running_api, browser)
        # Other tests may share the database: the panel is compared with what the API says.
        before = {
            s["stage"]: s["open_cases"] for s in (await api.get("/v1/recovery/stages")).json()
        }
        stage_counts = page.locator("#recovery-stages li .stage-count")
        await expect(stage_counts).to_have_text([str(before[s]) for s in CASE_STAGES])

        await work_the_bench(api)
        stages = (await api.get("/v1/recovery/stages")).json()
        after = {s["stage"]: s["open_cases"] for s in stages}
        assert {s: after[s] - before[s] for s in CASE_STAGES} == {
            "intake": 1,
            "grading": 1,
            "sanitisation": 0,
            "repair": 1,
            "decision": 1,
        }
        # The page follows from the live stream, without a reload.
        await expect(stage_counts).to_have_text([str(after[s]) for s in CASE_STAGES])
        report = (await api.get("/v1/reports/recovery")).json()
        redeployed = next(p for p in report["by_path"] if p["key"] == "redeploy")
        await expect(
            page.locator('#recovery-paths tr[data-path="redeploy"] td').first
        ).to_have_text(str(redeployed["cases"]))
        rate = round(report["overall"]["redeployment_rate"] * 100)
        await expect(page.locator("#recovery-rate .big")).to_have_text(f"{rate} %")

        # The value stream: our crates' loops (out, back, recovery, redeployed) are in it, and
        # the chart marks the bottleneck the report names (refreshed at most every 10 s).
        flow = (await api.get("/v1/reports/value-stream")).json()["overall"]
        assert flow["bottleneck"] is not None
        in_recovery = next(s for s in flow["stages"] if s["stage"] == "in_recovery")
        assert in_recovery["loops"] >= 2
        chart = page.locator("#flow-chart svg[role=img]")
        marked = chart.locator("g.bottleneck")
        await expect(marked).to_have_count(1)
        await expect(marked).to_have_attribute("data-stage", flow["bottleneck"])
        await expect(marked.locator(".tag")).to_have_text(" · bottleneck")
        recovery_row = chart.locator('g[data-stage="in_recovery"]')
        await expect(recovery_row.locator("rect.p50")).to_have_count(1)
        await expect(page.locator("#flow-chart-title")).to_have_text(
            f"Time per stage over {flow['loops']:,} completed loops"
        )
        await expect(page.locator("#flow-table tbody tr")).to_contain_text(["In recovery"])
        await expect(page.locator("#flow-chart-desc")).to_contain_text("Bottleneck: ")
        assert float(await recovery_row.locator("rect.p90").get_attribute("width") or 0) > 0
        await page.locator("#recovery-h").scroll_into_view_if_needed()
        await shot(page, "5-recovery")
        assert failures == [], failures


async def first_events(api: RunningApi, count: int, headers: dict[str, str]) -> list[str]:
    ids: list[str] = []
    params = {"key": api.admin_key, "after": "0"}
    async with (
        httpx.AsyncClient(timeout=20) as client,
        client.stream(
            "GET", f"{api.base_url}/v1/stream", params=params, headers=headers
        ) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                ids.append(line.partition(":")[2].strip())
                if len(ids) == count:
                    break
    return ids


def test_only_the_stream_takes_the_key_in_the_query(running_api: RunningApi) -> None:
    base, key = running_api.base_url, running_api.admin_key
    # Every other route reads the header only: a key in the URL is no key there.
    listed = httpx.get(f"{base}/v1/stats/locations", params={"key": key}, timeout=5)
    assert listed.status_code == 401
    assert httpx.get(f"{base}/v1/stream", params={"key": "tt_x_y"}, timeout=5).status_code == 401
    # The page itself needs no key and stays out of the API's schema.
    page = httpx.get(f"{base}/", timeout=5)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert 'src="/dashboard/main.js"' in page.text
    module = httpx.get(f"{base}/dashboard/main.js", timeout=5)
    assert module.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{base}/dashboard/..%2Fauth.py", timeout=5).status_code == 404
    paths = httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"]
    assert "/" not in paths
    assert not any(path.startswith("/dashboard") for path in paths)
