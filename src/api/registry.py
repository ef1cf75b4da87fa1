"""Assets, the write side: register (with identifiers), edit, retire."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from api.assets import AssetDetail
from api.auth import Principal, require
from api.ops import ResourcesDep
from tracker.domain import AssetStatus, Retired, apply
from tracker.identity import IdentifierError
from tracker.recovery.store import open_case_of
from tracker.siteconfig.model import Id
from tracker.store import BatchWrites, load_states, save
from tracker.store.asset_views import get_asset
from tracker.store.custody_views import open_dispatch_lines
from tracker.store.registry_writes import (
    AssetExists,
    DuplicateIdentifier,
    NewAsset,
    UnknownReference,
    annotate_events,
    canonical_identifier,
    create_asset,
    update_asset,
)

router = APIRouter(prefix="/v1", tags=["assets"])
AssetsWriter = Annotated[Principal, Depends(require("assets:write"))]


def error_responses(*codes: int, scope: str = "assets:write") -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: 401/403 always, plus the codes it may answer."""
    known: dict[int, str] = {
        401: "no valid API key",
        403: f"lacks {scope}, or the key is limited to other sites",
        404: "no such resource (or not one of this key's sites)",
        409: "conflicts with what is stored; the detail says with what",
        422: "invalid input; problem+json naming the field",
    }
    return {code: {"description": known[code]} for code in (401, 403, *codes)}


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def storable_json(value: dict[str, Any], max_bytes: int = 16_384) -> dict[str, Any]:
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        raise ValueError("must be JSON whose integers fit in 64 bits") from None
    if b"\\u0000" in encoded:
        raise ValueError("must not contain NUL characters")
    if len(encoded) > max_bytes:
        raise ValueError(f"at most {max_bytes} bytes of JSON")
    return value


Words = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_storable)]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_storable)]
Who = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_storable)]
JsonObject = Annotated[dict[str, Any], AfterValidator(storable_json)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
# Ids in paths may predate today's id rules (an import), so only what the database cannot take.
PathId = Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[^\x00]+$")]


def invalid(loc: tuple[str | int, ...], message: str) -> RequestValidationError:
    """A 422 in the same problem+json shape as a validation error, naming the field."""
    return RequestValidationError([{"loc": loc, "msg": message, "type": "value_error"}])


def sees_or_403(key: Principal, site_id: str) -> None:
    if not key.sees_site(site_id):
        raise HTTPException(403, f"this key is limited to other sites than {site_id!r}")


class IdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheme: Literal["epc", "epc_hex", "gs1", "serial"]
    value: Annotated[
        str, StringConstraints(min_length=1, max_length=256), AfterValidator(_storable)
    ]


class AssetCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "dc1-crate-2001",
                    "type_id": "crate-60x40",
                    "home_site_id": "dc1",
                    "owner": "pool-north",
                    "value": "42.50",
                    "attributes": {"colour": "blue"},
                    "identifiers": [
                        {"scheme": "epc", "value": "urn:epc:id:grai:0614141.12345.2001"},
                        {"scheme": "serial", "value": "SN-2001"},
                    ],
                }
            ]
        },
    )
    id: Id
    type_id: Id
    home_site_id: Id
    owner: Words | None = None
    value: Money | None = Field(default=None, description="null: the type's replacement value")
    attributes: JsonObject = {}
    identifiers: Annotated[list[IdentifierIn], Field(max_length=20)] = []


class AssetUpdate(BaseModel):
    """Only the fields present change; `owner` and `value` may be set to null."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"owner": "pool-south", "value": "39.90"}]},
    )
    owner: Words | None = None
    value: Money | None = None
    attributes: JsonObject | None = None
    home_site_id: Id | None = None
    type_id: Id | None = None

    @model_validator(mode="after")
    def _required_stay_set(self) -> AssetUpdate:
        for name in ("attributes", "home_site_id", "type_id"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class RetireRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "cracked base", "by": "ana@dc1"}]},
    )
    reason: Words
    by: Who


def canonical_identifiers(identifiers: list[IdentifierIn]) -> list[tuple[str, str]]:
    """(stored value, scheme) each, once: a crate's EPC and its GRAI barcode are one value."""
    stored: dict[str, str] = {}
    for i, identifier in enumerate(identifiers):
        try:
            value, scheme = canonical_identifier(identifier.scheme, identifier.value)
        except IdentifierError as exc:
            raise invalid(("body", "identifiers", i, "value"), str(exc)) from None
        stored.setdefault(value, scheme)
    return list(stored.items())


def registry_problem(exc: Exception) -> Exception:
    """The answer to a failed registry write."""
    if isinstance(exc, UnknownReference):
        return invalid(("body", exc.field_name), str(exc))
    return HTTPException(409, str(exc))


async def visible_asset(conn: AsyncConnection, key: Principal, asset_id: str) -> dict[str, Any]:
    asset = await get_asset(conn, asset_id)
    if asset is None or not (
        key.sees_site(asset["home_site_id"]) or key.sees_site(asset["site_id"])
    ):
        raise HTTPException(404, f"no asset {asset_id!r}")
    return asset


@router.post(
    "/assets",
    summary="Register an asset with its identifiers",
    status_code=201,
    response_model=AssetDetail,
    responses=error_responses(409, 422),
)
async def post_asset(res: ResourcesDep, key: AssetsWriter, body: AssetCreate) -> AssetDetail:
    """Identifier values are stored canonically (an EPC in hex and its URI are one value); one
    that already belongs to an asset is a 409 naming it."""
    sees_or_403(key, body.home_site_id)
    asset = NewAsset(
        body.id,
        body.type_id,
        body.home_site_id,
        body.owner,
        body.value,
        body.attributes,
        canonical_identifiers(body.identifiers),
    )
    try:
        async with res.engine.begin() as conn:
            await create_asset(conn, asset)
            created = await get_asset(conn, body.id)
    except (AssetExists, DuplicateIdentifier, UnknownReference) as exc:
        raise registry_problem(exc) from None
    return AssetDetail(**(created or {}))


@router.patch(
    "/assets/{asset_id}",
    summary="Change an asset's owner, value, attributes, home site or type",
    response_model=AssetDetail,
    responses=error_responses(404, 422),
)
async def patch_asset(
    res: ResourcesDep, key: AssetsWriter, asset_id: PathId, body: AssetUpdate
) -> AssetDetail:
    changes = body.model_dump(include=body.model_fields_set)
    if body.home_site_id is not None:
        sees_or_403(key, body.home_site_id)
    try:
        async with res.engine.begin() as conn:
            await visible_asset(conn, key, asset_id)
            await update_asset(conn, asset_id, changes)
            updated = await get_asset(conn, asset_id)
    except UnknownReference as exc:
        raise registry_problem(exc) from None
    return AssetDetail(**(updated or {}))


@router.post(
    "/assets/{asset_id}/retire",
    summary="Retire an asset for good",
    response_model=AssetDetail,
    responses=error_responses(404, 409, 422),
)
async def retire_asset(
    res: ResourcesDep, key: AssetsWriter, asset_id: PathId, body: RetireRequest
) -> AssetDetail:
    """Through the tracker's lifecycle: only an asset at home, missing, lost or in recovery
    can be retired (409 otherwise, and while a recovery case is open: its path retires it).
    Its history gets an `asset_status_changed` event with the reason and who retired it."""
    now = datetime.now(UTC)
    async with res.engine.begin() as conn:
        await visible_asset(conn, key, asset_id)
        state = (await load_states(conn, [asset_id]))[asset_id]
        on_dispatch = await open_dispatch_lines(conn, [asset_id])
        if on_dispatch:
            raise HTTPException(
                409, f"asset {asset_id!r} is on open dispatch {on_dispatch[asset_id]!r}"
            )
        if case_id := await open_case_of(conn, asset_id):
            raise HTTPException(
                409,
                f"asset {asset_id!r} is in recovery case {case_id!r}: retire it by closing the "
                "case on a resale, parts or recycling path",
            )
        last = state.last_applied
        # After everything already applied, even a reader clock slightly ahead of ours.
        at = max(now, last.seen_at + timedelta(microseconds=1)) if last else now
        retired = Retired(
            observation_id=f"api:retire:{uuid.uuid4().hex}", seen_at=at, reason=body.reason
        )
        new_state, events = apply(state, retired, now)
        if new_state.status is not AssetStatus.retired or state.status is AssetStatus.retired:
            raise HTTPException(409, f"asset {asset_id!r} is {state.status}: it cannot be retired")
        await save(conn, BatchWrites(states={asset_id: new_state}, events=events))
        extra: dict[str, str | None] = {"reason": body.reason, "by": body.by}
        await annotate_events(conn, asset_id, retired.observation_id, extra)
        asset = await get_asset(conn, asset_id)
    return AssetDetail(**(asset or {}))
