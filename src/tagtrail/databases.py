"""Dropping the databases tagtrail makes beside the main one: the demo's, the tests', the
benchmarks'."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://…`) as the DSN asyncpg itself takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str, attempts: int = 20) -> None:
    """Ends our own sessions on `name`, then a plain DROP, retried while it is in use.

    Not `DROP … WITH (FORCE)`: that also tries to end an autovacuum worker busy in the
    database (fresh rows attract one), which a role without pg_signal_backend may not signal
    (InsufficientPrivilege). A plain DROP makes that worker stop by itself.
    """
    admin = await asyncpg.connect(asyncpg_dsn(server_url), timeout=10)
    try:
        for attempt in range(attempts):
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
                "AND usename = current_user AND pid <> pg_backend_pid()",
                name,
            )
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except asyncpg.ObjectInUseError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
