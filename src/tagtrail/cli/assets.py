"""`tagtrail assets import FILE.csv [--rejects PATH]`: load an asset registry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.settings import Settings
from tracker.registry_import import ImportReport, RegistryFileError, import_registry


def assets_import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV: asset_id,type,home_site,epc,barcode,serial,owner,value")
    ],
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where refused rows go, with line and reason (default: FILE.rejects.csv)."
        ),
    ] = None,
) -> None:
    """Create or update assets and their identifiers from a registry CSV, in one transaction."""
    rejects_path = rejects or file.with_name(f"{file.stem}.rejects.csv")
    console = Console(stderr=True)
    started = time.monotonic()
    try:
        with _replaced_on_success(rejects_path) as rejects_out:
            size = file.stat().st_size
            report = asyncio.run(_import(settings_from(ctx), file, size, rejects_out, console))
    except RegistryFileError as exc:
        fail(f"{file}: {exc}; nothing imported")
    except OSError as exc:
        fail(f"cannot import {file}: {exc.strerror or exc}; nothing imported")
    except DBAPIError as exc:
        fail(f"import of {file} failed, nothing imported: {' '.join(str(exc).split())}", code=1)
    print_report(Console(), report, rejects_path, time.monotonic() - started)


@contextlib.contextmanager
def _replaced_on_success(path: Path) -> Iterator[TextIO]:
    """A rejects file appears only for an import that committed; a failed one leaves none."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", newline="", encoding="utf-8") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


async def _import(
    settings: Settings, file: Path, size: int, rejects: TextIO, console: Console
) -> ImportReport:
    engine = create_engine(settings)
    try:
        with (
            file.open("rb") as source,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task(f"reading {file.name}", total=size)

            def advance(bytes_read: int) -> None:
                progress.update(task, completed=bytes_read)
                if bytes_read >= size:
                    progress.update(task, description="merging into the registry")

            async with engine.begin() as conn:
                return await import_registry(conn, source, rejects=rejects, progress=advance)
    finally:
        await engine.dispose()


def print_report(console: Console, report: ImportReport, rejects: Path, seconds: float) -> None:
    table = Table("", "created", "updated", "unchanged", title="Registry import")
    table.add_row(
        "assets",
        str(report.assets_created),
        str(report.assets_updated),
        str(report.assets_unchanged),
    )
    table.add_row(
        "identifiers", str(report.identifiers_created), "-", str(report.identifiers_unchanged)
    )
    console.print(table)
    rate = report.rows / seconds if seconds > 0 else 0.0
    console.print(f"{report.rows} rows in {seconds:.1f} s ({rate:,.0f} rows/s)")
    if report.rejected:
        reasons = ", ".join(f"{n} {problem}" for problem, n in sorted(report.problems.items()))
        console.print(f"[yellow]{report.rejected} rows rejected[/] ({reasons}): {rejects}")
    else:
        console.print(f"no rows rejected ({rejects} lists none)")
