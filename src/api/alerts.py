"""Alerts: list with filters, acknowledge and resolve (who, note) — each step in the history."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from api.auth import AssetsReader, Principal, require
from api.ops import ResourcesDep
from tracker.store.alert_views import (
    AlertFilter,
    acknowledge,
    get_alert,
    list_alerts,
    record_operator_action,
    resolve,
)

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
AlertsWriter = Annotated[Principal, Depends(require("alerts:write"))]
BIGINT_MAX = 2**63 - 1
AlertId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]


class AlertPublic(BaseModel):
    id: int
    asset_id: str
    kind: str
    severity: str
    status: str
    raised_at: datetime
    site_id: str | None
    custodian_id: str | None
    value_at_risk: Decimal | None
    details: dict[str, Any]
    acked_by: str | None
    acked_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    note: str | None


class AlertPage(BaseModel):
    items: list[AlertPublic]
    next_before: int | None = Field(description="pass as ?before= for the next (older) page")


class AlertAction(BaseModel):
    by: str = Field(min_length=1, max_length=64, examples=["ana@dc1"])
    note: str | None = Field(default=None, max_length=2000)


@router.get("", response_model=AlertPage, responses={401: {}, 403: {}})
async def get_alerts(
    res: ResourcesDep,
    key: AssetsReader,
    status: Annotated[str | None, Query(pattern="^(open|acked|resolved|active)$")] = None,
    kind: str | None = None,
    site: str | None = None,
    custodian: str | None = None,
    asset: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertPage:
    f = AlertFilter(
        status, kind, site, custodian, asset, sorted(key.sites) if key.sites is not None else None
    )
    async with res.engine.connect() as conn:
        rows = await list_alerts(conn, f, before, limit + 1)
    page = rows[:limit]
    return AlertPage(
        items=[AlertPublic(**row) for row in page],
        next_before=page[-1]["id"] if len(rows) > limit else None,
    )


async def _act(
    res: ResourcesDep, key: Principal, alert_id: int, action: AlertAction, ack: bool
) -> AlertPublic:
    now = datetime.now(UTC)
    async with res.engine.begin() as conn:
        alert = await get_alert(conn, alert_id)
        if alert is None or not key.sees_site(alert["site_id"]):
            raise HTTPException(404, f"no alert {alert_id}")
        change = acknowledge if ack else resolve
        outcome = await change(conn, alert_id, action.by, action.note, now)
        if outcome == "already":
            raise HTTPException(409, f"alert {alert_id} is already {alert['status']}")
        await record_operator_action(
            conn,
            alert_id,
            "alert_acknowledged" if ack else "alert_resolved",
            action.by,
            action.note,
            now,
        )
        updated = await get_alert(conn, alert_id)
    return AlertPublic(**(updated or alert))


@router.post(
    "/{alert_id}/ack",
    response_model=AlertPublic,
    responses={401: {}, 403: {}, 404: {}, 409: {"description": "not open"}},
)
async def ack_alert(
    res: ResourcesDep, key: AlertsWriter, alert_id: AlertId, action: AlertAction
) -> AlertPublic:
    return await _act(res, key, alert_id, action, ack=True)


@router.post(
    "/{alert_id}/resolve",
    response_model=AlertPublic,
    responses={401: {}, 403: {}, 404: {}, 409: {"description": "already resolved"}},
)
async def resolve_alert(
    res: ResourcesDep, key: AlertsWriter, alert_id: AlertId, action: AlertAction
) -> AlertPublic:
    return await _act(res, key, alert_id, action, ack=False)
