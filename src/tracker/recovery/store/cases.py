"""Reading recovery cases: one case with everything on it, filtered lists (keyset paged),
open cases per stage, and the facts the rules decide on (row-locked for a step)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.recovery.model import (
    CaseFacts,
    CheckKind,
    Grade,
    RecoveryPath,
    ReturnCategory,
    Stage,
    TypeRecovery,
)
from tracker.recovery.rules import outstanding


class UnknownCase(LookupError):
    pass


# Where the asset is now; its home site while it is off our sites.
_SITE = "COALESCE(s.site_id, a.home_site_id)"
_FROM = """FROM recovery_cases c JOIN assets a ON a.id = c.asset_id
JOIN asset_types t ON t.id = a.type_id LEFT JOIN asset_state s ON s.asset_id = c.asset_id"""
_COLUMNS = f"""c.id, c.asset_id, a.type_id, {_SITE} AS site_id, a.home_site_id, c.stage,
    c.return_category, c.reason, c.condition_notes, c.opened_how, c.opened_by, c.opened_at,
    c.custodian_id, c.dispatch_id, c.grade, c.graded_at, c.graded_by, c.path, c.path_details,
    c.value_recovered, c.repair_cost, c.decided_at, c.decided_by, c.closed_at, c.closed_by"""
_CASE = f"SELECT {_COLUMNS} {_FROM}"
_CASE_DETAIL = text(f"SELECT {_COLUMNS}, c.usage {_FROM} WHERE c.id = :id")


@dataclass(frozen=True, slots=True)
class LockedCase:
    """A case row locked for one step, with what the step needs besides the rules."""

    facts: CaseFacts
    site_id: str | None
    asset_value: Decimal


_FACTS = f"""
SELECT c.id, c.asset_id, c.closed_at IS NOT NULL AS closed, c.grade, c.path, t.data_bearing,
    t.recovery_checks, t.recovery_open_on_return, t.recovery_return_category,
    {_SITE} AS site_id, COALESCE(a.value, t.replacement_value) AS asset_value
{_FROM} WHERE c.id = :id"""
_READ_FACTS, _LOCK_FACTS = text(_FACTS), text(_FACTS + " FOR UPDATE OF c")
_LATEST_CHECKS = text("""
SELECT DISTINCT ON ("check") "check", passed FROM recovery_checks WHERE case_id = :id
ORDER BY "check", checked_at DESC, id DESC""")
_CERTIFIED = text("SELECT EXISTS (SELECT 1 FROM erasure_certificates WHERE case_id = :id)")
_OPEN_REPAIRS = text(
    "SELECT id FROM repair_orders WHERE case_id = :id AND closed_at IS NULL ORDER BY id"
)


def type_recovery(
    data_bearing: bool, checks: list[str], open_on_return: bool, category: str | None
) -> TypeRecovery:
    """An asset type's recovery settings from its `asset_types` columns."""
    return TypeRecovery(
        data_bearing=data_bearing,
        required_checks=frozenset(CheckKind(check) for check in checks),
        open_on_return=open_on_return,
        return_category=ReturnCategory(category) if category else None,
    )


async def load_case(conn: AsyncConnection, case_id: str, *, lock: bool = False) -> LockedCase:
    """The case's facts; with `lock`, its row stays locked to the end of the transaction
    (every step of one case waits for the one before). UnknownCase when there is none."""
    statement = _LOCK_FACTS if lock else _READ_FACTS
    row = (await conn.execute(statement, {"id": case_id})).one_or_none()
    if row is None:
        raise UnknownCase(case_id)
    checks = {
        CheckKind(check): passed
        for check, passed in await conn.execute(_LATEST_CHECKS, {"id": case_id})
    }
    repairs = tuple(int(i) for i in (await conn.execute(_OPEN_REPAIRS, {"id": case_id})).scalars())
    facts = CaseFacts(
        case_id=row.id,
        asset_id=row.asset_id,
        rules=type_recovery(
            row.data_bearing,
            row.recovery_checks,
            row.recovery_open_on_return,
            row.recovery_return_category,
        ),
        closed=row.closed,
        grade=Grade(row.grade) if row.grade else None,
        path=RecoveryPath(row.path) if row.path else None,
        checks=checks,
        certified=bool(await conn.scalar(_CERTIFIED, {"id": case_id})),
        open_repairs=repairs,
    )
    return LockedCase(facts, row.site_id, Decimal(row.asset_value))


async def case_sites(conn: AsyncConnection, case_id: str) -> tuple[str, str | None]:
    """(home site, current site) of the case's asset: who may see the case."""
    row = (
        await conn.execute(
            text(f"SELECT a.home_site_id, s.site_id {_FROM} WHERE c.id = :id"), {"id": case_id}
        )
    ).one_or_none()
    if row is None:
        raise UnknownCase(case_id)
    return str(row[0]), row[1]


async def open_case_of(conn: AsyncConnection, asset_id: str) -> str | None:
    """The asset's open recovery case, if it has one."""
    case_id = await conn.scalar(
        text("SELECT id FROM recovery_cases WHERE asset_id = :id AND closed_at IS NULL"),
        {"id": asset_id},
    )
    return str(case_id) if case_id is not None else None


async def case_asset(conn: AsyncConnection, case_id: str) -> str:
    asset_id = await conn.scalar(
        text("SELECT asset_id FROM recovery_cases WHERE id = :id"), {"id": case_id}
    )
    if asset_id is None:
        raise UnknownCase(case_id)
    return str(asset_id)


_CHECK_ROWS = text("""
SELECT id, "check", passed, notes, checked_by, checked_at FROM recovery_checks
WHERE case_id = :id ORDER BY checked_at, id""")
_CERTIFICATE_ROWS = text("""
SELECT id, method, tool, operator, performed_at, certificate_sha256, created_at
FROM erasure_certificates WHERE case_id = :id ORDER BY performed_at, id""")
_REPAIR_ROWS = text("""
SELECT id, description, cost, opened_at, opened_by, closed_at, closed_by, outcome
FROM repair_orders WHERE case_id = :id ORDER BY id""")


async def get_case(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    """The case with its checks, certificates, repair orders, usage at intake, the asset
    type's recovery settings and what is left to do."""
    row = (await conn.execute(_CASE_DETAIL, {"id": case_id})).one_or_none()
    if row is None:
        return None
    case = dict(row._mapping)
    facts = (await load_case(conn, case_id)).facts
    params = {"id": case_id}
    case["checks"] = [dict(r._mapping) for r in await conn.execute(_CHECK_ROWS, params)]
    case["certificates"] = [dict(r._mapping) for r in await conn.execute(_CERTIFICATE_ROWS, params)]
    case["repairs"] = [dict(r._mapping) for r in await conn.execute(_REPAIR_ROWS, params)]
    case["data_bearing"] = facts.rules.data_bearing
    case["required_checks"] = sorted(facts.rules.required_checks)
    case["outstanding"] = outstanding(facts)
    return case


@dataclass(frozen=True, slots=True)
class CaseFilter:
    stage: Stage | None = None
    category: ReturnCategory | None = None
    site: str | None = None  # where the asset is now (its home site while away)
    closed: bool | None = None  # None: open and closed
    asset: str | None = None
    visible_sites: list[str] | None = None  # a site-limited key: home or current site in it


def _where(f: CaseFilter) -> tuple[str, dict[str, Any]]:
    clauses = ["TRUE"]
    params: dict[str, Any] = {}
    for column, name, value in (
        ("c.stage", "stage", f.stage),
        ("c.return_category", "category", f.category),
        (_SITE, "site", f.site),
        ("c.asset_id", "asset", f.asset),
    ):
        if value is not None:
            clauses.append(f"{column} = :{name}")
            params[name] = str(value)
    if f.closed is not None:
        clauses.append(f"c.closed_at IS {'NOT ' if f.closed else ''}NULL")
    if f.visible_sites is not None:
        clauses.append("(a.home_site_id = ANY(:visible) OR s.site_id = ANY(:visible))")
        params["visible"] = f.visible_sites
    return " AND ".join(clauses), params


async def list_cases(
    conn: AsyncConnection, f: CaseFilter, after: tuple[datetime, str] | None, limit: int
) -> list[dict[str, Any]]:
    """Oldest first, by (opened_at, id); `after` is the last of the previous page."""
    where, params = _where(f)
    if after is not None:
        where += " AND (c.opened_at, c.id) > (:after_at, :after_id)"
        params.update(after_at=after[0], after_id=after[1])
    rows = await conn.execute(
        text(f"{_CASE} WHERE {where} ORDER BY c.opened_at, c.id LIMIT :limit"),
        {**params, "limit": limit},
    )
    return [dict(row._mapping) for row in rows]


async def open_cases_by_stage(
    conn: AsyncConnection, visible_sites: list[str] | None
) -> list[dict[str, Any]]:
    """Open cases per stage and return category, every open stage listed (zero included)."""
    where, params = _where(CaseFilter(closed=False, visible_sites=visible_sites))
    rows = await conn.execute(
        text(
            f"SELECT c.stage, c.return_category, count(*) AS cases {_FROM} WHERE {where} "
            "GROUP BY 1, 2"
        ),
        params,
    )
    counts: dict[str, dict[str, int]] = {stage: {} for stage in Stage if stage is not Stage.done}
    for stage, category, cases in rows:
        counts[stage][category] = int(cases)
    return [
        {"stage": stage, "open_cases": sum(by.values()), "by_category": by}
        for stage, by in counts.items()
    ]
