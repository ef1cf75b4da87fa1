"""Registering assets from the pipeline (auto-enrolment); the bulk import lives elsewhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class Enrolment:
    asset_id: str
    type_id: str
    home_site_id: str
    identifier: str  # canonical EPC URI


_ASSETS = text("""
INSERT INTO assets (id, type_id, home_site_id, attributes)
SELECT id, t, s, '{"enrolled": "auto"}'::jsonb
FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[]), CAST(:sites AS text[])) AS v(id, t, s)
ON CONFLICT (id) DO NOTHING
""")
_IDENTIFIERS = text("""
INSERT INTO asset_identifiers (value, scheme, asset_id)
SELECT v, 'epc', a FROM unnest(CAST(:values AS text[]), CAST(:ids AS text[])) AS x(v, a)
ON CONFLICT (value) DO NOTHING
""")
_MARK_UNKNOWN = text(
    "UPDATE unknown_tags SET enrolled_asset_id = v.a FROM unnest(CAST(:values AS text[]), "
    "CAST(:ids AS text[])) AS v(t, a) WHERE unknown_tags.tag = v.t"
)


async def enrol(conn: AsyncConnection, enrolments: Sequence[Enrolment]) -> None:
    ids = [e.asset_id for e in enrolments]
    values = [e.identifier for e in enrolments]
    await conn.execute(
        _ASSETS,
        {
            "ids": ids,
            "types": [e.type_id for e in enrolments],
            "sites": [e.home_site_id for e in enrolments],
        },
    )
    await conn.execute(_IDENTIFIERS, {"values": values, "ids": ids})
    await conn.execute(_MARK_UNKNOWN, {"values": values, "ids": ids})
