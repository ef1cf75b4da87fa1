"""Every route of the API that needs a scope answers 401 without a key and 403 with a key
that lacks the scope — found by walking the app's routes, so a new route cannot be missed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from ingest_harness import fresh_database, make_key, scoped

from api.auth import SCOPES
from simulators.world import World
from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings


def _required_scopes(route: APIRoute) -> set[str]:
    found, pending = set(), list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        scope = getattr(dependency.call, "required_scope", None)
        if scope is not None:
            found.add(scope)
        pending.extend(dependency.dependencies)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's routes; included routers (kept as wrappers by FastAPI) are opened up."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
    return found


def _scoped_routes() -> list[tuple[str, str, str]]:
    app = create_api(Settings())
    routes = []
    for route in _api_routes(app.routes):
        for scope in _required_scopes(route):
            for method in sorted(route.methods - {"HEAD"}):
                # Path parameters get a plausible value; the check happens before lookup.
                path = re.sub(r"\{[^}]+\}", "1", route.path)
                routes.append((method, path, scope))
    return routes


ROUTES = _scoped_routes()


def test_the_walk_finds_the_routes() -> None:
    paths = {path for _, path, _ in ROUTES}
    assert {
        "/v1/reads",
        "/v1/scans",
        "/v1/assets",
        "/v1/alerts/1/ack",
        "/v1/stream",
        "/v1/dispatches",
        "/v1/sites/apply",
        "/v1/readers",
        "/v1/reports/value-stream",
        "/v1/reports/loss",
        "/v1/reports/recovery",
        "/v1/recovery/cases",
        "/v1/recovery/cases/1/decision",
        "/v1/recovery/cases/1/repairs/1/close",
        "/v1/epcis/events",
        "/v1/epcis/epcs/1/events",
        "/v1/epcis/capture",
        "/v1/epcis/capture/1",
    } <= paths
    assert len(ROUTES) >= 35


@pytest.fixture(scope="module")
async def keyed_client(base_settings: Settings) -> Any:
    async with fresh_database(base_settings, World(asset_count=1, door_count=1)) as url:
        keys = {scope: await make_key(url, scope) for scope in SCOPES if scope != "admin"}
        app = create_api(scoped(base_settings, url, "scopes"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://tt"
            ) as client,
        ):
            yield client, keys


@pytest.mark.parametrize(
    ("method", "path", "scope"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_route_needs_its_scope(keyed_client: Any, method: str, path: str, scope: str) -> None:
    client, keys = keyed_client
    anonymous = await client.request(method, path, json={})
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["content-type"] == "application/problem+json"
    other = next(k for s, k in keys.items() if s != scope)
    refused = await client.request(
        method, path, json={}, headers={"Authorization": f"Bearer {other}"}
    )
    assert refused.status_code == 403, (scope, refused.text)
