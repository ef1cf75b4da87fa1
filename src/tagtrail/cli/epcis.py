"""`tagtrail epcis export [--since] [--until] [--site] [-o FILE]`: an EPCISDocument of the
asset history, streamed (constant memory), with a progress bar on stderr (docs/epcis.md)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.cli.report import SinceOption, UntilOption, parse_moment
from tagtrail.settings import Settings
from tracker.epcis import (
    DocumentWriter,
    EventEncoder,
    ExportFilter,
    count_rows,
    load_directory,
    stream_records,
)

epcis_app = typer.Typer(
    no_args_is_help=True, help="GS1 EPCIS 2.0: asset events as standard events (docs/epcis.md)."
)


@epcis_app.command("export")
def export_command(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    site: Annotated[
        str | None,
        typer.Option(help="A site's history: events there, and all of its assets' events."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the document here, not stdout.")
    ] = None,
) -> None:
    """Every asset event (and each asset's registration) as an EPCIS 2.0 document, in event
    time order; the same history exported twice has the same eventIDs."""
    scope = ExportFilter(
        since=parse_moment("since", since), until=parse_moment("until", until), site_id=site
    )
    if scope.since and scope.until and scope.since >= scope.until:
        fail("--until must be later than --since")
    console = Console(stderr=True)
    try:
        with _destination(output) as out:
            events = asyncio.run(_export(settings_from(ctx), scope, out, console))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    except DBAPIError as exc:
        fail(f"export failed: {' '.join(str(exc).split())}", code=1)
    where = f" to {output}" if output else ""
    console.print(f"{events} events exported{where}", highlight=False)


@contextlib.contextmanager
def _destination(path: Path | None) -> Iterator[BinaryIO]:
    """stdout, or a file that appears only once the document is complete."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


class _UnknownSite(Exception):
    pass


async def _export(settings: Settings, scope: ExportFilter, out: BinaryIO, console: Console) -> int:
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            # One snapshot: the count, the directory and the rows agree.
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                if scope.site_id and not await _site_exists(conn, scope.site_id):
                    raise _UnknownSite(scope.site_id)
                directory = await load_directory(conn)
                total = await count_rows(conn, scope)
                writer = DocumentWriter(out, datetime.now(UTC))
                with _progress(console) as progress:
                    task = progress.add_task("exporting EPCIS events", total=total)
                    writer.open()
                    encoder = EventEncoder(directory)
                    async for batch in stream_records(conn, scope):
                        writer.write_encoded(encoder.encode(batch))
                        progress.advance(task, len(batch))
                    writer.close()
                return writer.events
    except _UnknownSite as exc:
        fail(f"--site: no site {exc.args[0]!r}")
    finally:
        await engine.dispose()


async def _site_exists(conn: AsyncConnection, site_id: str) -> bool:
    found = await conn.scalar(text("SELECT 1 FROM sites WHERE id = :id"), {"id": site_id})
    return found is not None


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
