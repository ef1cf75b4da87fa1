"""GET /v1/value-at-risk: overdue, missing and lost assets, counted and priced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import AssetsReader
from api.ops import ResourcesDep
from tracker.store.risk import RiskRow, value_at_risk

router = APIRouter(prefix="/v1", tags=["alerts"])


@router.get(
    "/value-at-risk",
    response_model=list[RiskRow],
    responses={401: {"description": "no valid API key"}, 403: {"description": "lacks assets:read"}},
)
async def get_value_at_risk(
    res: ResourcesDep,
    key: AssetsReader,
    group: Annotated[str, Query(pattern="^(custodian|site)$")] = "custodian",
) -> list[RiskRow]:
    """Per custodian (who holds them) or per home site (who bears the loss), largest first."""
    sites = sorted(key.sites) if key.sites is not None else None
    async with res.engine.connect() as conn:
        return await value_at_risk(
            conn, "site" if group == "site" else "custodian", datetime.now(UTC), sites
        )
