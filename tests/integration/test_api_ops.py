"""The ops endpoints against the real services, through the app's own lifespan."""

from __future__ import annotations

import httpx

from tagtrail.bootstrap import create_api
from tagtrail.settings import Settings


async def _get(settings: Settings, path: str) -> httpx.Response:
    app = create_api(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tagtrail") as client:
            return await client.get(path)


async def test_ready_when_postgres_and_kafka_answer(settings: Settings) -> None:
    response = await _get(settings, "/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": True, "kafka": True}


async def test_not_ready_names_the_missing_dependency(settings: Settings) -> None:
    # Port 9 (discard) has no Kafka on loopback: the probe must say so, not hang or 500.
    broken = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:9"})
    response = await _get(broken, "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"postgres": True, "kafka": False}


async def test_unknown_route_is_problem_json(settings: Settings) -> None:
    response = await _get(settings, "/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
