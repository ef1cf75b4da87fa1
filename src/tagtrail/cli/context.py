"""What every command shares: the one Settings object, and how a command fails."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from tagtrail.settings import Settings

err_console = Console(stderr=True)


def build_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        fail(f"bad setting TAGTRAIL_{where.upper()}: {first['msg']}")


def settings_from(ctx: typer.Context) -> Settings:
    """The Settings built once by the root callback (built here if a test calls a command)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = build_settings()
    return root.obj


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr and an exit code: 2 for bad input, 1 for a failed operation."""
    err_console.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
