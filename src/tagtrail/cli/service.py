"""`tagtrail service record | due`: service and life records, and the assets due."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tracker.service import (
    DueAsset,
    RecordedService,
    ServiceEntry,
    ServiceKind,
    UnknownAsset,
    assets_due,
    record_service,
)

service_app = typer.Typer(
    no_args_is_help=True, help="Service, calibration, repair and inspection records; what is due."
)


def parse_moment(option: str, value: str) -> datetime:
    """An RFC 3339 / ISO 8601 time with an offset; a naive one is refused (exit 2)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not an ISO 8601 time: {value!r}")
    if moment.utcoffset() is None:
        fail(f"{option}: give a timezone offset, e.g. {value}Z or {value}+01:00")
    return moment


def _parse_cost(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        fail(f"--cost: not a number: {value!r}")


@service_app.command()
def record(
    ctx: typer.Context,
    asset: Annotated[str, typer.Argument(metavar="ASSET", help="Asset id.")],
    kind: Annotated[ServiceKind, typer.Option(help="What was done.")],
    at: Annotated[str, typer.Option(help="When, with an offset: 2026-11-24T09:30:00+01:00.")],
    by: Annotated[str, typer.Option(help="Who did it.")],
    next_due: Annotated[
        str | None, typer.Option(help="Next due date; default: --at + the type's interval.")
    ] = None,
    cost: Annotated[str | None, typer.Option(help="Cost, e.g. 12.50.")] = None,
    notes: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Record a service, calibration, repair or inspection; prints the next due date."""
    try:
        entry = ServiceEntry(
            asset_id=asset,
            kind=kind,
            performed_at=parse_moment("--at", at),
            performed_by=by,
            next_due_at=parse_moment("--next-due", next_due) if next_due else None,
            cost=_parse_cost(cost),
            notes=notes,
        )
    except ValueError as exc:
        fail(str(exc))

    async def run() -> RecordedService:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await record_service(conn, entry, datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        recorded = asyncio.run(run())
    except UnknownAsset:
        fail(f"no asset {asset!r}")
    due = recorded.next_due_at.isoformat() if recorded.next_due_at else "none (no interval)"
    typer.echo(f"recorded {kind.value} #{recorded.id} for {asset}; next due {due}")
    if recorded.resolved_alert:
        typer.echo(f"resolved the open service_due alert of {asset}")


def _due_table(due: list[DueAsset]) -> Table:
    table = Table("asset", "type", "site", "status", "due for", "due at", "trips")
    for row in due:
        when = row.due_at.isoformat(timespec="seconds") if row.due_at else "trip limit"
        table.add_row(
            row.asset_id,
            row.type_id,
            row.site_id,
            row.status,
            row.due_for.value,
            when,
            str(row.trips),
        )
    return table


@service_app.command()
def due(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only assets at this site.")] = None,
) -> None:
    """Assets due now for service (past their next due date) or replacement (age, trips)."""

    async def run() -> list[DueAsset]:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.connect() as conn:
                return await assets_due(conn, datetime.now(UTC), site_id=site)
        finally:
            await engine.dispose()

    found = asyncio.run(run())
    if not found:
        typer.echo("nothing due" + (f" at {site}" if site else ""))
        return
    Console().print(_due_table(found))
