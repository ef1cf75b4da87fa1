"""`tagtrail api`: the operations API under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from tagtrail.cli.context import settings_from


def api_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Default: TAGTRAIL_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: TAGTRAIL_API_PORT.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the API (uvloop + httptools); every worker builds its resources in its lifespan."""
    settings = settings_from(ctx)
    uvicorn.run(
        "tagtrail.bootstrap:api_factory",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        access_log=False,
    )
