"""GET /v1/stream from a real API process: a client that reconnects with Last-Event-ID gets
exactly the events after the last one it saw, and new events arrive live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from e2e_harness import RunningApi
from sqlalchemy import text

from tagtrail.settings import Settings


def _insert_events(settings: Settings, kinds: list[str], site: str = "dc1") -> int:
    """Insert events (as writers do, under the events lock); the last id before them."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> int:
        engine = create_async_engine(settings.db_url())
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(7234001)"))
            before = int(await conn.scalar(text("SELECT COALESCE(max(id), 0) FROM asset_events")))
            for kind in kinds:
                await conn.execute(
                    text(
                        "INSERT INTO asset_events (asset_id, kind, occurred_at, site_id, payload) "
                        "VALUES ('stream-crate', :kind, :now, :site, '{}')"
                    ),
                    {"kind": kind, "now": datetime.now(UTC), "site": site},
                )
        await engine.dispose()
        return before

    return asyncio.run(run())


@pytest.fixture(scope="module")
def api(running_api: RunningApi) -> tuple[str, str]:
    return running_api.base_url, running_api.admin_key


def _read_events(
    base: str,
    key: str,
    count: int,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    during: Any = None,
) -> list[dict[str, Any]]:
    """Open the stream, optionally do something once connected, read `count` events."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with httpx.stream(
        "GET",
        f"{base}/v1/stream",
        params=params,
        timeout=20,
        headers={"Authorization": f"Bearer {key}", **(headers or {})},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        if during is not None:
            during()
        for line in response.iter_lines():
            if line.startswith(("id:", "event:", "data:")):
                field, _, value = line.partition(":")
                current[field] = value.strip()
            elif line == "" and "id" in current:
                events.append({**current, "data": orjson.loads(current["data"])})
                current = {}
                if len(events) == count:
                    break
    return events


def test_resume_after_last_event_id_and_live_delivery(
    api: tuple[str, str], settings: Settings
) -> None:
    base, key = api
    # Other e2e tests write events too: start from the last id before ours.
    before = _insert_events(
        settings,
        ["asset_moved", "asset_left_site", "alert_raised", "custody_transferred", "asset_arrived"],
    )
    first = _read_events(base, key, 3, params={"after": str(before)})
    assert [e["event"] for e in first] == ["asset_moved", "asset_left_site", "alert_raised"]
    ids = [int(e["id"]) for e in first]
    assert ids == sorted(ids)
    # A dashboard that lost its connection reconnects with the last id it saw.
    resumed = _read_events(base, key, 2, headers={"Last-Event-ID": str(ids[-1])})
    assert [e["event"] for e in resumed] == ["custody_transferred", "asset_arrived"]
    assert int(resumed[0]["id"]) > ids[-1]
    # Connected from "now": only what happens afterwards, as it happens.
    live = _read_events(base, key, 1, during=lambda: _insert_events(settings, ["asset_moved"]))
    assert live[0]["event"] == "asset_moved"
    assert int(live[0]["id"]) > int(resumed[-1]["id"])
    alerts_only = _read_events(base, key, 1, params={"after": str(before), "kinds": "alert_raised"})
    assert alerts_only[0]["data"]["kind"] == "alert_raised"


def test_stream_needs_a_key(api: tuple[str, str]) -> None:
    base, _ = api
    assert httpx.get(f"{base}/v1/stream", timeout=5).status_code == 401
