"""`tagtrail demo`: stack, a day of crates through LLRP readers and handhelds, the summary
against the scenario's ground truth, then the API and dashboard until Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tagtrail.bootstrap import configure_logging
from tagtrail.cli.context import fail, settings_from
from tagtrail.demo.run import DemoResult, run_demo
from tagtrail.demo.tables import recovery_table, value_stream_table
from tagtrail.migrate import upgrade
from tagtrail.stack import LocalStack, StackError

console = Console(stderr=True)


def demo_command(
    ctx: typer.Context,
    exit_after: Annotated[bool, typer.Option("--exit", help="Stop after the summary.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    assets: Annotated[int, typer.Option(min=1_000, help="Crates at the home site.")] = 10_000,
    port: Annotated[int, typer.Option(help="Port of the API and dashboard.")] = 8000,
    pace: Annotated[float, typer.Option(min=0, help="Seconds per scenario hour, at least.")] = 4.0,
) -> None:
    """Run the demo: a day of the crate loop (~2 minutes), compared with its ground truth."""
    settings = settings_from(ctx)
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    # sllurp reports every reader it lets go of at the end; the summary says what matters.
    logging.getLogger("sllurp").setLevel(logging.ERROR)
    try:
        LocalStack(settings).up(lambda message: console.log(message))
    except StackError as exc:
        fail(str(exc), code=1)
    upgrade(settings.db_url())
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        hours = bar.add_task("scenario hours", total=24, detail="")
        result = asyncio.run(
            run_demo(
                settings,
                assets,
                port,
                pace,
                lambda message: console.log(message),
                lambda done, total, detail: bar.update(hours, completed=done, detail=detail),
            )
        )
    try:
        _report(result.summary, as_json)
        if not exit_after:
            _serve_until_interrupted(result)
    finally:
        for process in (result.api, result.consumer):
            process.terminate()
            process.wait(timeout=20)


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table("figure", "value", title="tagtrail demo: one day of the crate loop")
    for name in (
        "reads",
        "reads_per_s",
        "transitions",
        "assets",
        "assets_by_status",
        "alerts_by_kind",
        "value_at_risk",
        "location_accuracy",
        "custody_accuracy",
        "status_accuracy",
    ):
        table.add_row(name, str(summary[name]))
    console.print(table)
    alerts = Table(
        "alert kind",
        "expected",
        "raised",
        "precision",
        "recall",
        title="alerts against the ground truth",
    )
    for kind, figures in summary["alerts"].items():
        alerts.add_row(
            kind, *(str(figures[k]) for k in ("expected", "raised", "precision", "recall"))
        )
    console.print(alerts)
    console.print(recovery_table(summary["recovery"]))
    console.print(value_stream_table(summary["value_stream"]))


def _serve_until_interrupted(result: DemoResult) -> None:
    console.print(
        f"\n[bold green]Dashboard and API:[/] {result.api_url}/  (docs: {result.api_url}/docs)"
    )
    console.print(f"Read-only key: {result.keys['demo-dashboard']}")
    console.print(f"Operator key (ack/resolve alerts): {result.keys['demo-operator']}")
    console.print("Ctrl-C stops the API and the consumer (the stack keeps running).")
    # Blocked, then waited for: SIGTERM too comes back here, so the processes are stopped.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    signal.sigwait(stop_signals)
