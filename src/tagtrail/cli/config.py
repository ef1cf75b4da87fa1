"""`tagtrail config show`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from tagtrail.cli.context import settings_from

config_app = typer.Typer(no_args_is_help=True, help="The effective configuration.")


@config_app.command()
def show(ctx: typer.Context) -> None:
    """Print every setting's effective value (from env, .env, defaults); secrets masked."""
    table = Table("setting", "value", title="tagtrail settings (env prefix TAGTRAIL_)")
    for name, value in settings_from(ctx).masked().items():
        table.add_row(name, value)
    Console().print(table)
