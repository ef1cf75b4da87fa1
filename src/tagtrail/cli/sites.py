"""`tagtrail sites apply FILE [--prune] [--dry-run]`: make the database match a site file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import err_console, fail, settings_from
from tagtrail.settings import Settings
from tracker.siteconfig import (
    KINDS,
    Action,
    ChangeReport,
    SiteConfigConflict,
    SiteConfigError,
    SiteFile,
    apply_site_config,
    load_site_file,
)

_ACTION_STYLE = {
    Action.created: "green",
    Action.updated: "yellow",
    Action.deleted: "red",
    Action.unchanged: "dim",
}


def sites_apply_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The site file (YAML), e.g. examples/site.yaml.")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete zones and read points the file drops.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Create or update sites, zones, doors, readers, custodians and asset types from FILE."""
    try:
        config = load_site_file(file)
    except SiteConfigError as exc:
        for problem in exc.problems:
            err_console.print(f"  {problem}", highlight=False, soft_wrap=True)
        fail(f"{file}: {len(exc.problems)} problem(s), nothing applied")
    try:
        report = asyncio.run(_apply(settings_from(ctx), config, prune=prune, dry_run=dry_run))
    except SiteConfigConflict as exc:
        fail(f"nothing applied: {exc}", code=1)
    except (OSError, DBAPIError) as exc:
        fail(f"cannot apply {file}: {' '.join(str(exc).split())}", code=1)
    print_report(Console(), report, dry_run=dry_run)


async def _apply(
    settings: Settings, config: SiteFile, *, prune: bool, dry_run: bool
) -> ChangeReport:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            report = await apply_site_config(conn, config, prune=prune)
            # A dry run applies for real and rolls back: the report is exactly what would be.
            if dry_run:
                await transaction.rollback()
            else:
                await transaction.commit()
            return report
    finally:
        await engine.dispose()


def print_report(console: Console, report: ChangeReport, *, dry_run: bool) -> None:
    changed = [c for c in report.changes if c.action is not Action.unchanged]
    if changed:
        table = Table("kind", "id", "change", "fields", title="Changes")
        for change in changed:
            style = _ACTION_STYLE[change.action]
            table.add_row(
                change.kind, change.id, f"[{style}]{change.action}[/]", ", ".join(change.fields)
            )
        console.print(table)
    summary = Table("kind", *(action.value for action in Action), title="Summary")
    counts = report.counts()
    for kind in KINDS:
        summary.add_row(kind, *(str(counts[kind][action]) for action in Action))
    console.print(summary)
    if dry_run:
        console.print("dry run: nothing was written")
    elif not changed:
        console.print("no changes: the database already matches the file")
