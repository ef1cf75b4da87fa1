"""/healthz (the process), /readyz (its dependencies), /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.resources import ApiResources
from api.responses import OrjsonResponse
from ingest.topics import kafka_reachable

router = APIRouter(tags=["ops"])


async def resources(request: Request) -> ApiResources:
    # async: a plain def dependency would cost a threadpool hop on every request.
    found: ApiResources = request.app.state.resources
    return found


ResourcesDep = Annotated[ApiResources, Depends(resources)]


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="PostgreSQL and Kafka are reachable",
    responses={503: {"description": "a dependency is unreachable"}},
)
async def readyz(res: ResourcesDep) -> OrjsonResponse:
    postgres, kafka = await asyncio.gather(_postgres_ok(res), kafka_reachable(res.kafka_options))
    checks: dict[str, Any] = {"postgres": postgres, "kafka": kafka}
    ready = all(checks.values())
    return OrjsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _postgres_ok(res: ApiResources) -> bool:
    try:
        async with asyncio.timeout(2), res.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OSError, TimeoutError, Exception):  # any failure means "not ready", never a 500
        return False
    return True


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
