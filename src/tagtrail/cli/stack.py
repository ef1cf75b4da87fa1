"""`tagtrail stack up | down | status | logs`."""

from __future__ import annotations

import logging
import subprocess
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tagtrail.cli.context import fail, settings_from
from tagtrail.stack import LocalStack, StackError

stack_app = typer.Typer(no_args_is_help=True, help="The local Kafka + PostgreSQL stack.")
console = Console()


@stack_app.command()
def up(ctx: typer.Context) -> None:
    """Install (when missing) and start PostgreSQL and Kafka; wait until both answer."""
    stack = LocalStack(settings_from(ctx))
    # While the broker boots, aiokafka logs every refused connection; the steps say enough.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    started = time.monotonic()
    try:
        with console.status("starting the stack…") as status:

            def step(message: str) -> None:
                status.update(message)
                console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}", highlight=False)

            stack.up(step)
    except StackError as exc:
        fail(str(exc), code=1)
    console.print(f"[green]stack up[/] in {time.monotonic() - started:.1f} s")


@stack_app.command()
def down(
    ctx: typer.Context,
    wipe: Annotated[bool, typer.Option(help="Also delete the data (jars are kept).")] = False,
) -> None:
    """Stop exactly the processes `up` started; keep the data unless --wipe."""
    stack = LocalStack(settings_from(ctx))
    try:
        stack.down(wipe=wipe)
    except StackError as exc:
        fail(str(exc), code=1)
    console.print("[green]stack down[/]" + (" and wiped" if wipe else ""))


@stack_app.command()
def status(ctx: typer.Context) -> None:
    """Both services with state, PID, address and version. Exit 1 when one is not running."""
    statuses = LocalStack(settings_from(ctx)).status()
    table = Table("service", "state", "pid", "address", "version", "note")
    for s in statuses:
        state = "[green]running[/]" if s.running else "[red]stopped[/]"
        table.add_row(s.name, state, str(s.pid or "-"), s.address, s.version, s.note)
    console.print(table)
    if not all(s.running for s in statuses):
        raise typer.Exit(1)


@stack_app.command()
def logs(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="postgresql or kafka")] = "kafka",
    lines: Annotated[int, typer.Option("--lines", "-n", min=1)] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
) -> None:
    """Show the last lines of a service's log (and follow it with -f)."""
    stack = LocalStack(settings_from(ctx))
    files = {"postgresql": stack.postgres.log_file, "kafka": stack.kafka.log_file}
    if service not in files:
        fail(f"unknown service {service!r}: choose postgresql or kafka")
    path = files[service]
    if not path.exists():
        fail(f"no log yet at {path}", code=1)
    subprocess.run(["tail", f"-n{lines}", *(["-F"] if follow else []), str(path)], check=False)
