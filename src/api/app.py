"""The FastAPI application factory. Routes are thin; queries live in tracker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import (
    alerts,
    assets,
    config,
    custody,
    dashboard,
    epcis,
    epcis_capture,
    intake,
    ops,
    problems,
    readers,
    recovery,
    recovery_steps,
    registry,
    reports,
    risk,
    scans,
    stream,
)
from api.resources import ResourcesFactory
from api.responses import OrjsonResponse


def create_app(open_resources: ResourcesFactory) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources() as resources:
            app.state.resources = resources
            yield

    app = FastAPI(
        title="tagtrail",
        version="0.1.0",
        summary="Where every returnable asset is, who holds it, and which are going missing.",
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
    )
    problems.install(app)
    app.include_router(ops.router)
    app.include_router(intake.router)
    app.include_router(scans.router)
    app.include_router(readers.router)
    app.include_router(risk.router)
    app.include_router(reports.router)
    app.include_router(assets.router)
    app.include_router(epcis.router)
    app.include_router(epcis_capture.router)
    app.include_router(alerts.router)
    app.include_router(stream.router)
    app.include_router(registry.router)
    app.include_router(custody.router)
    app.include_router(config.router)
    app.include_router(recovery.router)
    app.include_router(recovery_steps.router)
    app.include_router(dashboard.router)
    return app
