"""Alembic, configured from Settings: `tagtrail migrate` and the test fixtures use this."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

import tagtrail


def migrations_dir() -> Path:
    """The Alembic scripts: $TAGTRAIL_MIGRATIONS_DIR, the source checkout's, or ./migrations."""
    configured = os.environ.get("TAGTRAIL_MIGRATIONS_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [
        Path(tagtrail.__file__).resolve().parents[2] / "migrations",
        Path.cwd() / "migrations",
    ]
    for candidate in candidates:
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError(
        "no Alembic migrations found; set TAGTRAIL_MIGRATIONS_DIR to the migrations folder"
    )


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # '%' must be doubled in ConfigParser values (URL-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=False)
