"""Value at risk against hand-computed figures on a small fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
from ingest_harness import fresh_database, make_key, scoped

from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings

WORLD = World(asset_count=6, door_count=1)  # crates worth 42.50 each (the type's value)


async def test_overdue_missing_and_lost_are_priced_per_custodian_and_site(
    base_settings: Settings,
) -> None:
    now = datetime.now(UTC)
    a = [asset.id for asset in WORLD.assets]
    async with fresh_database(base_settings, WORLD) as url:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            await conn.execute("UPDATE assets SET value = 100 WHERE id = $1", a[1])
            rows = [  # asset, status, custodian, return due
                (a[0], "at_custodian", "acme", now - timedelta(days=3)),  # overdue
                (a[1], "in_transit", "acme", now - timedelta(hours=1)),  # overdue, 100
                (a[2], "at_custodian", "acme", now + timedelta(days=5)),  # out, not due
                (a[3], "missing", "globex", None),
                (a[4], "lost", "globex", None),
                (a[5], "in_service", "site:dc1", None),  # home: no risk
            ]
            await conn.executemany(
                "UPDATE asset_state SET status = $2, site_id = 'dc1', custodian_id = $3,"
                " return_due_at = $4 WHERE asset_id = $1",
                rows,
            )
        finally:
            await conn.close()
        reader = await make_key(url, "assets:read")
        elsewhere = await make_key(url, "assets:read", sites=["dc9"])
        app = create_api(scoped(base_settings, url, "risk"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            auth = {"Authorization": f"Bearer {reader}"}
            by_custodian = (await client.get("/v1/value-at-risk", headers=auth)).json()
            by_site = (await client.get("/v1/value-at-risk?group=site", headers=auth)).json()
            hidden = await client.get(
                "/v1/value-at-risk", headers={"Authorization": f"Bearer {elsewhere}"}
            )
            bad = await client.get("/v1/value-at-risk?group=planet", headers=auth)
    figures = {row["key"]: row for row in by_custodian}
    assert set(figures) == {"acme", "globex"}
    acme, globex = figures["acme"], figures["globex"]
    assert (acme["overdue_count"], Decimal(acme["overdue_value"])) == (2, Decimal("142.50"))
    assert (acme["missing_count"], acme["lost_count"]) == (0, 0)
    assert (globex["missing_count"], Decimal(globex["missing_value"])) == (1, Decimal("42.50"))
    assert (globex["lost_count"], Decimal(globex["lost_value"])) == (1, Decimal("42.50"))
    assert [row["key"] for row in by_custodian] == ["acme", "globex"]  # largest first
    assert len(by_site) == 1
    assert by_site[0]["key"] == "dc1"
    assert Decimal(by_site[0]["total_value"]) == Decimal("227.50")
    assert hidden.json() == []  # a key for another site sees none of dc1's losses
    assert bad.status_code == 422
