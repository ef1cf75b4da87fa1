"""API keys with scopes: `Authorization: Bearer tt_<id>_<secret>`.

401 without a valid key, 403 with a key that lacks the scope. Only the secret's sha256 is
stored. A verified key is cached for `CACHE_S` seconds so the hot read paths do not pay a
database round trip per request; a revocation takes effect within that time.

GET /v1/stream alone also takes the key as `?key=` (`authenticate_stream`), because a browser's
EventSource cannot send an Authorization header; every other route reads the header only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from api.ops import ResourcesDep
from tracker.store.keys import find_key

SCOPES = (
    "reads:write",
    "scans:write",
    "assets:read",
    "assets:write",
    "alerts:write",
    "recovery:write",
    "epcis:capture",
    "admin",
)
CACHE_S = 10.0
_PREFIX = "tt_"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    name: str
    scopes: frozenset[str]
    sites: frozenset[str] | None  # None: every site

    def may(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    def sees_site(self, site_id: str | None) -> bool:
        return self.sites is None or site_id in self.sites


def new_key() -> tuple[str, str, str]:
    """(key id, full key to show once, sha256 of the secret to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return key_id, f"{_PREFIX}{key_id}_{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    if not presented.startswith(_PREFIX):
        return None
    key_id, sep, secret = presented[len(_PREFIX) :].partition("_")
    return (key_id, secret) if sep and key_id and secret else None


_cache: dict[str, tuple[float, Principal]] = {}


async def authenticate(request: Request, res: ResourcesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    return await _verify(presented.strip() if scheme.lower() == "bearer" else "", res)


async def authenticate_stream(
    request: Request,
    res: ResourcesDep,
    key: Annotated[
        str | None,
        Query(
            max_length=200,
            description="the API key, for clients that cannot send headers (a browser's "
            "EventSource); the Authorization header wins when both are given",
        ),
    ] = None,
) -> Principal:
    """The header, or else `?key=`: for the SSE stream only."""
    if "authorization" in request.headers or key is None:
        return await authenticate(request, res)
    return await _verify(key.strip(), res)


async def _verify(presented: str, res: ResourcesDep) -> Principal:
    parts = split_key(presented)
    if parts is None:
        raise _unauthorized("missing or malformed API key")
    cached = _cache.get(presented)
    if cached is not None and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    async with res.reads.connect() as conn:
        stored = await find_key(conn, parts[0])
    if (
        stored is None
        or stored.revoked_at is not None
        or not hmac.compare_digest(stored.secret_sha256, digest(parts[1]))
    ):
        _cache.pop(presented, None)
        raise _unauthorized("unknown or revoked API key")
    principal = Principal(
        stored.id,
        stored.name,
        frozenset(stored.scopes),
        frozenset(stored.sites) if stored.sites is not None else None,
    )
    _cache[presented] = (time.monotonic(), principal)
    return principal


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="tagtrail"'})


def require(
    scope: str, via: Callable[..., Awaitable[Principal]] | None = None
) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller's key (from the Authorization header, or read by `via`),
    which must carry `scope` (or admin)."""
    assert scope in SCOPES, scope

    def allowed(principal: Principal) -> Principal:
        if not principal.may(scope):
            raise HTTPException(403, f"this key lacks the {scope} scope")
        return principal

    if via is None:
        # One dependency, not one on top of another: each level costs FastAPI a solve on
        # every request (a few percent of a hot read).
        async def check(request: Request, res: ResourcesDep) -> Principal:
            return allowed(await authenticate(request, res))

    else:
        # A default, not an Annotated hint: `via` is local, and hints here are strings.
        async def check(principal: Principal = Depends(via)) -> Principal:  # type: ignore[misc]
            return allowed(principal)

    check.required_scope = scope  # type: ignore[attr-defined]  # read by the scope tests
    return check


ReadsWriter = Annotated[Principal, Depends(require("reads:write"))]
ScansWriter = Annotated[Principal, Depends(require("scans:write"))]
AssetsReader = Annotated[Principal, Depends(require("assets:read"))]
StreamReader = Annotated[Principal, Depends(require("assets:read", authenticate_stream))]
RecoveryWriter = Annotated[Principal, Depends(require("recovery:write"))]
EpcisCapturer = Annotated[Principal, Depends(require("epcis:capture"))]
Admin = Annotated[Principal, Depends(require("admin"))]
