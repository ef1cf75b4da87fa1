"""The real database: a transaction either lands whole or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tracker.tables import consumer_offsets, sites


async def test_committed_transaction_is_visible(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(sites).values(id="tx-commit", name="Commit DC"))
    async with engine.connect() as conn:
        name = await conn.scalar(select(sites.c.name).where(sites.c.id == "tx-commit"))
    assert name == "Commit DC"


async def test_failed_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                insert(consumer_offsets).values(
                    group_id="g", topic="t", partition=0, next_offset=10
                )
            )
            await conn.execute(insert(sites).values(id="tx-rollback", name="A"))
            await conn.execute(insert(sites).values(id="tx-rollback", name="duplicate"))
    async with engine.connect() as conn:
        offsets = await conn.scalar(
            select(func.count())
            .select_from(consumer_offsets)
            .where(consumer_offsets.c.group_id == "g")
        )
        site = await conn.scalar(select(sites.c.id).where(sites.c.id == "tx-rollback"))
    assert offsets == 0
    assert site is None
