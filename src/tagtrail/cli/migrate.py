"""`tagtrail migrate`: the schema changes only through Alembic revisions."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from tagtrail import migrate as migrations
from tagtrail.cli.context import fail, settings_from


def migrate_command(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision (upgrade).")] = "head",
    down: Annotated[
        str | None, typer.Option(help="Downgrade to this revision instead (e.g. base).")
    ] = None,
) -> None:
    """Upgrade the database to the newest schema (or another revision)."""
    url = settings_from(ctx).db_url()
    try:
        if down is not None:
            migrations.downgrade(url, down)
        else:
            migrations.upgrade(url, revision)
    except (OSError, DBAPIError) as exc:
        fail(f"cannot migrate: {exc}", code=1)
    typer.echo(f"database at {'revision ' + down if down else revision}")
