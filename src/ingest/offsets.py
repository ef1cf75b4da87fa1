"""Offsets, watermarks and smoother state in PostgreSQL: the consumer's exactly-once ledger.

The rows change in the same transaction as the asset state derived from the messages before
`next_offset`, so state and position can never disagree. The update is fenced on the offset
the batch started from: a consumer that lost its partition (a zombie after a rebalance)
cannot commit over the new owner's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class FencedError(RuntimeError):
    """Another consumer moved a partition's offset since this batch began: drop the batch."""


@dataclass(frozen=True, slots=True)
class PartitionPosition:
    partition: int
    next_offset: int
    watermark_us: int


async def load_positions(
    conn: AsyncConnection, group: str, topic: str, partitions: Sequence[int]
) -> dict[int, PartitionPosition]:
    rows = await conn.execute(
        text(
            "SELECT partition, next_offset, watermark_us FROM consumer_offsets "
            "WHERE group_id = :g AND topic = :t AND partition = ANY(:p)"
        ),
        {"g": group, "t": topic, "p": list(partitions)},
    )
    return {p: PartitionPosition(p, o, w) for p, o, w in rows}


async def load_presence_rows(
    conn: AsyncConnection, group: str, topic: str, partition: int
) -> list[list[object]]:
    rows = await conn.execute(
        text(
            "SELECT state FROM presences WHERE group_id = :g AND topic = :t AND partition = :p "
            "ORDER BY seq"
        ),
        {"g": group, "t": topic, "p": partition},
    )
    return [list(state) for (state,) in rows]


_ADVANCE = text("""
UPDATE consumer_offsets SET next_offset = :next, watermark_us = :wm, updated_at = now()
WHERE group_id = :g AND topic = :t AND partition = :p AND next_offset = :expected
""")
_FIRST = text("""
INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, watermark_us)
VALUES (:g, :t, :p, :next, :wm) ON CONFLICT DO NOTHING
""")


async def advance(
    conn: AsyncConnection,
    group: str,
    topic: str,
    start: PartitionPosition | None,
    end: PartitionPosition,
) -> None:
    """Move one partition from `start` (None: never stored) to `end`, or raise FencedError."""
    params = {
        "g": group,
        "t": topic,
        "p": end.partition,
        "next": end.next_offset,
        "wm": end.watermark_us,
    }
    if start is None:
        result = await conn.execute(_FIRST, params)
    else:
        result = await conn.execute(_ADVANCE, {**params, "expected": start.next_offset})
    if result.rowcount != 1:
        raise FencedError(f"{topic}[{end.partition}] moved on under us; dropping the batch")


_UPSERT_PRESENCES = text("""
INSERT INTO presences (group_id, topic, partition, key, state)
SELECT :g, :t, :p, k, s
FROM unnest(CAST(:keys AS text[]), CAST(:states AS jsonb[])) WITH ORDINALITY AS v(k, s, n)
ORDER BY n
ON CONFLICT (group_id, topic, partition, key) DO UPDATE SET state = EXCLUDED.state
""")
_DELETE_PRESENCES = text(
    "DELETE FROM presences WHERE group_id = :g AND topic = :t AND partition = :p "
    "AND key = ANY(:keys)"
)


async def save_presences(
    conn: AsyncConnection,
    group: str,
    topic: str,
    partition: int,
    upserts: Sequence[tuple[str, Sequence[object]]],
    deletes: Sequence[str],
) -> None:
    scope = {"g": group, "t": topic, "p": partition}
    if deletes:
        await conn.execute(_DELETE_PRESENCES, {**scope, "keys": list(deletes)})
    if upserts:
        await conn.execute(
            _UPSERT_PRESENCES,
            {
                **scope,
                "keys": [key for key, _ in upserts],
                "states": [orjson.dumps(list(row)).decode() for _, row in upserts],
            },
        )
