"""Bulk mode: the registry's foreign keys are checked once per statement, not once per row.

A row-level foreign key check costs ~7 µs (a lookup and a row lock per referenced row): for
a million crates, three checks each are ~30 s, most of an import. PostgreSQL's advice for
bulk loads ("Populating a Database") is to drop the foreign keys, load, and add them again;
adding one validates every row in a single join. Done inside the import's transaction, no
other session ever sees the tables without their keys, and a failure restores them.
The price: the registry tables are locked while it runs; readers of them (the consumer,
the API) wait. So only large imports use it. `asset_state` is among them: inserting assets
gives each its default state row (a trigger, migration 0012), whose keys would otherwise be
checked row by row too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import ForeignKeyConstraint, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import AddConstraint, DropConstraint

from tracker.tables import asset_identifiers, asset_state, assets

# New assets from which bulk mode pays for its locks and its re-validation (~1 s a key).
BULK_MIN_NEW_ASSETS = 50_000

# In the order the consumer takes them (it resolves identifiers, reads assets, then locks
# their state rows), so the two never wait for each other in a cycle.
_LOCK = text("LOCK TABLE asset_identifiers, assets, asset_state IN ACCESS EXCLUSIVE MODE")


def _registry_foreign_keys() -> list[ForeignKeyConstraint]:
    # From the table definitions, so the keys come back exactly as the migrations made them.
    return sorted(
        [
            *assets.foreign_key_constraints,
            *asset_identifiers.foreign_key_constraints,
            *asset_state.foreign_key_constraints,
        ],
        key=lambda constraint: str(constraint.name),
    )


@asynccontextmanager
async def foreign_keys_checked_per_statement(conn: AsyncConnection) -> AsyncIterator[None]:
    """Within the caller's transaction: drop the registry's foreign keys, re-add on exit
    (which validates every row; a violation raises and the transaction rolls back)."""
    await conn.execute(_LOCK)
    keys = _registry_foreign_keys()
    for key in keys:
        await conn.execute(DropConstraint(key))
    yield
    for key in keys:
        await conn.execute(AddConstraint(key))
