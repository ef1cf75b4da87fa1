"""`tagtrail audit open | close | list`: scheduled counts of a site or zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tracker.audits import (
    AuditRefused,
    AuditReport,
    AuditSummary,
    close_audit,
    list_audits,
    open_audit,
)

audit_app = typer.Typer(
    no_args_is_help=True,
    help="Audits: count a site or zone with handheld `audit` scans, then close for a report.",
)


@audit_app.command("open")
def open_command(
    ctx: typer.Context,
    site: Annotated[str, typer.Option(help="Site to count.")],
    by: Annotated[str, typer.Option(help="Who opens it.")],
    zone: Annotated[str | None, typer.Option(help="Only this zone of the site.")] = None,
) -> None:
    """Open an audit; prints its id. Scans with action `audit` there count from now on."""

    async def run() -> int:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await open_audit(conn, site, zone, by, datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        audit_id = asyncio.run(run())
    except AuditRefused as exc:
        fail(str(exc))
    typer.echo(audit_id)
    place = f"{site}/{zone}" if zone else site
    typer.echo(f"audit {audit_id} open at {place}; close it with `tagtrail audit close`", err=True)


def report_table(report: AuditReport) -> Table:
    table = Table("outcome", "count", "assets", title=f"audit {report.audit_id}")
    outcomes = {
        "found": report.found,
        "missing (now marked missing)": report.missing,
        "unexpected": report.unexpected,
        "not counted, but sighted since opening": report.sighted_since_opening,
    }
    for outcome, assets in outcomes.items():
        table.add_row(outcome, str(len(assets)), ", ".join(assets))
    return table


@audit_app.command("close")
def close_command(
    ctx: typer.Context,
    audit_id: Annotated[int, typer.Argument(metavar="ID", help="Audit id.")],
    by: Annotated[str, typer.Option(help="Who closes it.")],
) -> None:
    """Close an audit: report found / missing / unexpected; the missing become `missing`."""

    async def run() -> AuditReport:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await close_audit(conn, audit_id, by, datetime.now(UTC))
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(run())
    except AuditRefused as exc:
        fail(str(exc))
    Console(width=160).print(report_table(report))


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


@audit_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
) -> None:
    """The newest audits first, with their counts once closed."""
    if status not in (None, "open", "closed"):
        fail(f"--status must be open or closed, got {status!r}")

    async def run() -> list[AuditSummary]:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.connect() as conn:
                return await list_audits(conn, status=status)
        finally:
            await engine.dispose()

    table = Table(
        "id",
        "site",
        "zone",
        "status",
        "opened",
        "by",
        "closed",
        "by",
        "expected",
        "found",
        "missing",
        "unexpected",
    )
    for audit in asyncio.run(run()):
        table.add_row(
            str(audit.id),
            audit.site_id,
            audit.zone_id or "",
            audit.status,
            _when(audit.opened_at),
            audit.opened_by,
            _when(audit.closed_at),
            audit.closed_by or "",
            str(audit.expected),
            _count(audit.found),
            _count(audit.missing),
            _count(audit.unexpected),
        )
    Console(width=200).print(table)
