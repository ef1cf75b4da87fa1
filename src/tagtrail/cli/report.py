"""`tagtrail report value-stream | loss | recovery`: the reports as a table, CSV or JSON.

`--by` picks the rows of the table and the CSV (one row per group; without it, one row of
overall figures); JSON is the whole report, as `GET /v1/reports/...` answers it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tracker.reports import (
    STAGES,
    Grouping,
    LossReport,
    RecoveryReport,
    ReportScope,
    ValueStreamGroup,
    ValueStreamReport,
    loss_report,
    recovery_report,
    value_stream_report,
)

report_app = typer.Typer(
    no_args_is_help=True,
    help="Reports: the value stream of the asset loop, loss, recovery (docs/reports.md).",
)

Report = TypeVar("Report", bound=BaseModel)
Rows = list[dict[str, Any]]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


SinceOption = Annotated[
    str | None,
    typer.Option(help="From this moment on: ISO 8601 with an offset, or a date (00:00 UTC)."),
]
UntilOption = Annotated[str | None, typer.Option(help="Before this moment (same forms).")]
SiteOption = Annotated[
    list[str] | None, typer.Option("--site", help="Only assets of this home site (repeatable).")
]
FormatOption = Annotated[Format, typer.Option("--format", help="table, csv or json.")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write csv/json here, not to stdout.")
]


def parse_moment(name: str, value: str | None) -> datetime | None:
    """An aware datetime, or a plain date read as midnight UTC; anything else is exit 2."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name}: not an ISO 8601 date or date-time: {value!r}")
    if moment.utcoffset() is None:
        fail(f"--{name}: {value!r} has no UTC offset (add Z or +hh:mm)")
    return moment


def build_scope(since: str | None, until: str | None, sites: list[str] | None) -> ReportScope:
    try:
        return ReportScope(
            since=parse_moment("since", since),
            until=parse_moment("until", until),
            sites=tuple(sorted(set(sites))) if sites else None,
        )
    except ValueError as exc:
        fail(f"--until: {exc}")


def _fetch(
    ctx: typer.Context,
    compute: Callable[[AsyncConnection, ReportScope], Awaitable[Report]],
    scope: ReportScope,
) -> Report:
    async def run() -> Report:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.connect() as conn:
                return await compute(conn, scope)
        finally:
            await engine.dispose()

    return asyncio.run(run())


# -- rows -------------------------------------------------------------------------------------


def value_stream_rows(report: ValueStreamReport, by: str | None) -> Rows:
    groups = {"type": report.by_type, "custodian": report.by_custodian}.get(by or "")
    return [_stream_row(g) for g in (groups if groups is not None else [report.overall])]


def _stream_row(group: ValueStreamGroup) -> dict[str, Any]:
    row: dict[str, Any] = {
        "key": group.key,
        "loops": group.loops,
        "lead_time_p50_s": group.lead_time_p50_s,
        "lead_time_p90_s": group.lead_time_p90_s,
        "bottleneck": group.bottleneck,
    }
    for stage in group.stages:
        row[f"{stage.stage}_loops"] = stage.loops
        row[f"{stage.stage}_p50_s"] = stage.p50_s
        row[f"{stage.stage}_p90_s"] = stage.p90_s
        row[f"{stage.stage}_share"] = stage.share
    return row


def loss_rows(report: LossReport, by: str | None) -> Rows:
    if by == "week":
        return [{"key": w.week, **w.model_dump(exclude={"week"})} for w in report.weekly]
    groups = {"custodian": report.by_custodian, "site": report.by_site}.get(by or "")
    if groups is None:
        return [{"key": None, **report.overall.model_dump()}]
    return [{"key": g.key, **g.model_dump(exclude={"key"})} for g in groups]


def recovery_rows(report: RecoveryReport, by: str | None) -> Rows:
    if by == "week":
        return [{"key": w.week, **w.model_dump(exclude={"week"})} for w in report.weekly]
    groups = {"category": report.by_category, "path": report.by_path}.get(by or "")
    if groups is None:
        return [{"key": None, **report.overall.model_dump()}]
    return [{"key": g.key, **g.model_dump(exclude={"key"})} for g in groups]


# -- output -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _humane(name: str, value: Any) -> str:
    """Durations as days/hours for people; the CSV keeps seconds."""
    if name.endswith("_s") and isinstance(value, float):
        return f"{value / 86_400:.1f} d" if value >= 86_400 else f"{value / 3_600:.1f} h"
    if name.endswith(("_share", "_rate")) and isinstance(value, float):
        return f"{value:.0%}"
    return _cell(value)


def render_csv(rows: Rows) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def render_table(
    rows: Rows, title: str, columns: Sequence[str] | None = None, blank_key: str = ""
) -> Table:
    """`blank_key` stands in for a null key: "all" for the overall row, "(none)" for a group
    without one (a loop that left without a custodian)."""
    names = list(columns or (rows[0] if rows else ["key"]))
    table = Table(*names, title=title)
    for row in rows:
        cells = [_humane(name, row.get(name)) for name in names]
        if names[0] == "key" and row.get("key") is None:
            cells[0] = blank_key
        table.add_row(*cells)
    return table


def emit(
    report: BaseModel,
    rows: Rows,
    fmt: Format,
    output: Path | None,
    title: str,
    columns: Sequence[str] | None,
) -> None:
    if fmt is Format.table:
        blank_key = "(none)" if title.partition(" by ")[2] else "all"
        Console(width=220).print(render_table(rows, title, columns, blank_key))
        return
    text = (
        json.dumps(report.model_dump(mode="json"), indent=2) + "\n"
        if fmt is Format.json
        else render_csv(rows)
    )
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        typer.echo(f"wrote {output}", err=True)


def check_options(
    by: str | None, allowed: tuple[str, ...], fmt: Format, output: Path | None
) -> None:
    """Before any database work: the options that cannot go together."""
    if by is not None and by not in allowed:
        fail(f"--by must be one of {', '.join(allowed)}; got {by!r}")
    if fmt is Format.table and output is not None:
        fail("--output is for csv and json; a table goes to the terminal")


# -- commands ---------------------------------------------------------------------------------

_STREAM_COLUMNS = [
    "key",
    "loops",
    "lead_time_p50_s",
    "lead_time_p90_s",
    "bottleneck",
    *(f"{stage}_p50_s" for stage in STAGES),
]


@report_app.command("value-stream")
def value_stream_command(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    site: SiteOption = None,
    by: Annotated[str | None, typer.Option(help="type or custodian.")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Loop lead time and dwell per stage (p50/p90), the bottleneck: loops back in service
    in the range, overall or per asset type or custodian."""
    check_options(by, ("type", "custodian"), fmt, output)
    groupings: list[Grouping] = ["type"] if by == "type" else ["custodian"] if by else []

    async def compute(conn: AsyncConnection, scope: ReportScope) -> ValueStreamReport:
        return await value_stream_report(conn, scope, groupings)

    report = _fetch(ctx, compute, build_scope(since, until, site))
    title = f"value stream by {by}" if by else "value stream"
    emit(report, value_stream_rows(report, by), fmt, output, title, _STREAM_COLUMNS)


@report_app.command("loss")
def loss_command(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    site: SiteOption = None,
    by: Annotated[str | None, typer.Option(help="custodian, site or week.")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Overdue, missing and lost (alerts raised in the range), counted and priced."""
    check_options(by, ("custodian", "site", "week"), fmt, output)
    report = _fetch(ctx, loss_report, build_scope(since, until, site))
    emit(report, loss_rows(report, by), fmt, output, f"loss by {by}" if by else "loss", None)


@report_app.command("recovery")
def recovery_command(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    site: SiteOption = None,
    by: Annotated[str | None, typer.Option(help="category, path or week.")] = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Recovery cases closed in the range: value recovered, net of repairs, turnaround,
    redeployment rate."""
    check_options(by, ("category", "path", "week"), fmt, output)
    report = _fetch(ctx, recovery_report, build_scope(since, until, site))
    title = f"recovery by {by}" if by else "recovery"
    emit(report, recovery_rows(report, by), fmt, output, title, None)
