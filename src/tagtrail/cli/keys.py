"""`tagtrail keys create | list | revoke`: API keys (the secret is shown once)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth import SCOPES, new_key
from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tracker.store.keys import insert_key, list_keys, revoke_key

keys_app = typer.Typer(no_args_is_help=True, help="API keys with scopes.")


def _words(value: str | None) -> list[str]:
    return [word.strip() for word in (value or "").split(",") if word.strip()]


@keys_app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who uses it, e.g. dock-readers.")],
    scopes: Annotated[str, typer.Option(help=f"Comma-separated: {', '.join(SCOPES)}.")],
    sites: Annotated[
        str | None, typer.Option(help="Limit to these sites (comma-separated).")
    ] = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    wanted = _words(scopes)
    unknown = sorted(set(wanted) - set(SCOPES))
    if not wanted or unknown:
        fail(
            f"unknown scope(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(SCOPES)}"
        )
    key_id, full_key, secret_digest = new_key()
    site_list = _words(sites) or None

    async def run() -> None:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                await insert_key(conn, key_id, name, secret_digest, wanted, site_list)
        finally:
            await engine.dispose()

    asyncio.run(run())
    typer.echo(full_key)
    typer.echo(
        f"key {key_id} ({name}): {', '.join(wanted)}"
        + (f" for sites {', '.join(site_list)}" if site_list else "")
        + " — store it now, it is not shown again",
        err=True,
    )


@keys_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """Every key: id, name, scopes, sites, created, revoked (never the secret)."""

    async def run() -> None:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.connect() as conn:
                keys = await list_keys(conn)
        finally:
            await engine.dispose()
        table = Table("id", "name", "scopes", "sites", "created", "revoked")
        for key in keys:
            table.add_row(
                key.id,
                key.name,
                ",".join(key.scopes),
                ",".join(key.sites) if key.sites else "all",
                key.created_at.isoformat(timespec="seconds"),
                key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
            )
        Console().print(table)

    asyncio.run(run())


@keys_app.command()
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke a key (takes effect within seconds in running API processes)."""

    async def run() -> bool:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await revoke_key(conn, key_id)
        finally:
            await engine.dispose()

    if not asyncio.run(run()):
        fail(f"no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")
