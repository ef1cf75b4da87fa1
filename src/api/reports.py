"""GET /v1/reports/value-stream | loss | recovery: the figures of docs/reports.md, as JSON.

Every report takes the same scope: `since`/`until` (with an offset) bound the range, `site`
(repeatable) limits it to assets of those home sites; a key limited to sites sees only its
own, and asking for another site is a 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime

from api.auth import AssetsReader, Principal
from api.ops import ResourcesDep
from api.registry import error_responses
from tracker.reports import (
    Grouping,
    LossReport,
    RecoveryReport,
    ReportScope,
    ValueStreamReport,
    loss_report,
    recovery_report,
    value_stream_report,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _in_utc(moment: datetime) -> datetime:
    # The database compares in UTC: a moment that has none (year 1 at +01:00) is refused here.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Since = Annotated[
    Moment | None, Query(description="from this moment on (inclusive), with an offset")
]
Until = Annotated[Moment | None, Query(description="before this moment, with an offset")]
Sites = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]] | None,
    Query(description="only assets of these home sites (repeat the parameter for several)"),
]
_RESPONSES = error_responses(422, scope="assets:read")


def report_scope(
    key: Principal, since: datetime | None, until: datetime | None, site: list[str] | None
) -> ReportScope:
    if since is not None and until is not None and until <= since:
        raise RequestValidationError(
            [{"loc": ("query", "until"), "msg": "must be after since", "type": "value_error"}]
        )
    if site is None:
        sites = tuple(sorted(key.sites)) if key.sites is not None else None
    else:
        hidden = sorted(s for s in set(site) if not key.sees_site(s))
        if hidden:
            raise HTTPException(403, f"this key does not see site {hidden[0]!r}")
        sites = tuple(sorted(set(site)))
    return ReportScope(since=since, until=until, sites=sites)


@router.get("/value-stream", response_model=ValueStreamReport, responses=_RESPONSES)
async def get_value_stream(
    res: ResourcesDep,
    key: AssetsReader,
    since: Since = None,
    until: Until = None,
    site: Sites = None,
    by: Annotated[
        list[Grouping] | None,
        Query(description="also per asset type and/or per custodian (repeatable)"),
    ] = None,
) -> ValueStreamReport:
    """The asset loop: lead time, dwell per stage and the bottleneck over the loops completed
    (back in service) in the range, overall and, if asked, per asset type and per custodian."""
    scope = report_scope(key, since, until, site)
    async with res.engine.connect() as conn:
        return await value_stream_report(conn, scope, sorted(set(by or ())))


@router.get("/loss", response_model=LossReport, responses=_RESPONSES)
async def get_loss(
    res: ResourcesDep,
    key: AssetsReader,
    since: Since = None,
    until: Until = None,
    site: Sites = None,
) -> LossReport:
    """Overdue returns, missing and lost assets (alerts raised in the range), counted and
    priced per custodian, per home site and per week."""
    scope = report_scope(key, since, until, site)
    async with res.engine.connect() as conn:
        return await loss_report(conn, scope)


@router.get("/recovery", response_model=RecoveryReport, responses=_RESPONSES)
async def get_recovery(
    res: ResourcesDep,
    key: AssetsReader,
    since: Since = None,
    until: Until = None,
    site: Sites = None,
) -> RecoveryReport:
    """Recovery cases closed in the range: value recovered and net of repairs per return
    category, per path and per week; turnaround; the redeployment rate."""
    scope = report_scope(key, since, until, site)
    async with res.engine.connect() as conn:
        return await recovery_report(conn, scope)
