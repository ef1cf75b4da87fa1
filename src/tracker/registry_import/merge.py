"""From the staging tables into the registry, set-based: first every check that needs the
database marks its bad rows, then the good rows are merged in a handful of statements."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.registry_import.bulk import foreign_keys_checked_per_statement
from tracker.registry_import.staging import IDENTIFIERS_TABLE as IDS
from tracker.registry_import.staging import ROWS_TABLE as ROWS

# Each check only looks at rows nothing has rejected yet, so a row keeps its first reason.
# Where a value is repeated, the first line of the file keeps it and later lines are rejected.
_CHECKS = (
    f"""UPDATE {ROWS} r SET problem = 'unknown_type',
        reason = format('unknown asset type %s', quote_literal(r.type_id))
    WHERE r.problem IS NULL AND NOT EXISTS (SELECT 1 FROM asset_types t WHERE t.id = r.type_id)""",
    f"""UPDATE {ROWS} r SET problem = 'unknown_site',
        reason = format('unknown home_site %s', quote_literal(r.home_site_id))
    WHERE r.problem IS NULL AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.id = r.home_site_id)""",
    f"""UPDATE {ROWS} r SET problem = 'duplicate_asset_id',
        reason = format('asset_id %s is also on line %s', quote_literal(r.asset_id), d.first_line)
    FROM (SELECT asset_id, min(line) AS first_line FROM {ROWS}
          GROUP BY asset_id HAVING count(*) > 1) d
    WHERE r.asset_id = d.asset_id AND r.line > d.first_line AND r.problem IS NULL""",
    f"""UPDATE {ROWS} r SET problem = 'duplicate_identifier',
        reason = format('identifier %s is also on line %s', i.value, d.first_line)
    FROM {IDS} i, (SELECT value, min(line) AS first_line FROM {IDS}
                   GROUP BY value HAVING count(*) > 1) d
    WHERE i.value = d.value AND i.line > d.first_line AND r.line = i.line
      AND r.problem IS NULL""",
    f"""UPDATE {ROWS} r SET problem = 'identifier_taken',
        reason = format('identifier %s already belongs to asset %s', i.value,
                        quote_literal(a.asset_id))
    FROM {IDS} i JOIN asset_identifiers a ON a.value = i.value
    WHERE r.line = i.line AND a.asset_id <> i.asset_id AND r.problem IS NULL""",
)
# Identifiers of rejected rows go; what stays in the identifiers table is what loads.
_DROP_REJECTED_IDENTIFIERS = f"""
DELETE FROM {IDS} i USING {ROWS} r WHERE r.line = i.line AND r.problem IS NOT NULL
"""
_UPDATE_ASSETS = f"""
UPDATE assets a SET type_id = r.type_id, home_site_id = r.home_site_id, owner = r.owner,
    value = r.amount, updated_at = now()
FROM {ROWS} r
WHERE a.id = r.asset_id AND r.problem IS NULL
  AND (a.type_id, a.home_site_id, a.owner, a.value)
      IS DISTINCT FROM (r.type_id, r.home_site_id, r.owner, r.amount)
"""
_NEW_ASSETS = f"""
SELECT count(*) FILTER (WHERE problem IS NULL),
       count(*) FILTER (WHERE problem IS NULL
                        AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = r.asset_id))
FROM {ROWS} r
"""
# The anti-joins let a re-run skip known rows in one hash join instead of a conflict per row;
# ON CONFLICT still covers a concurrent import of the same rows.
_INSERT_ASSETS = f"""
INSERT INTO assets (id, type_id, home_site_id, owner, value)
SELECT r.asset_id, r.type_id, r.home_site_id, r.owner, r.amount FROM {ROWS} r
WHERE r.problem IS NULL AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = r.asset_id)
ON CONFLICT (id) DO NOTHING
"""
_INSERT_IDENTIFIERS = f"""
INSERT INTO asset_identifiers (value, scheme, asset_id)
SELECT i.value, i.scheme, i.asset_id FROM {IDS} i
WHERE NOT EXISTS (SELECT 1 FROM asset_identifiers a WHERE a.value = i.value)
ON CONFLICT (value) DO NOTHING
"""
_PROBLEMS = f"SELECT problem, count(*) FROM {ROWS} WHERE problem IS NOT NULL GROUP BY problem"


@dataclass(frozen=True, slots=True)
class MergeCounts:
    good_rows: int
    assets_created: int
    assets_updated: int
    identifiers: int
    identifiers_created: int
    problems: dict[str, int]


async def merge(conn: AsyncConnection, *, bulk_min_new_assets: int) -> MergeCounts:
    await _mark_rejected_rows(conn)
    await conn.execute(text(_DROP_REJECTED_IDENTIFIERS))
    good_rows, new_assets = (await conn.execute(text(_NEW_ASSETS))).one()
    identifiers = (await conn.execute(text(f"SELECT count(*) FROM {IDS}"))).scalar_one()
    updated = (await conn.execute(text(_UPDATE_ASSETS))).rowcount
    bulk = new_assets >= bulk_min_new_assets
    async with foreign_keys_checked_per_statement(conn) if bulk else nullcontext():
        created = (await conn.execute(text(_INSERT_ASSETS))).rowcount
        identifiers_created = (await conn.execute(text(_INSERT_IDENTIFIERS))).rowcount
    problems = {str(p): int(n) for p, n in await conn.execute(text(_PROBLEMS))}
    return MergeCounts(
        good_rows=int(good_rows),
        assets_created=created,
        assets_updated=updated,
        identifiers=int(identifiers),
        identifiers_created=identifiers_created,
        problems=problems,
    )


async def _mark_rejected_rows(conn: AsyncConnection) -> None:
    # Temporary tables are never analysed automatically; without statistics the planner
    # guesses a few rows and picks nested loops over a million.
    await conn.execute(text(f"ANALYZE {ROWS}, {IDS}"))
    for check in _CHECKS:
        await conn.execute(text(check))
