"""RFC 9457 problem details for every error the API answers with; never a bare 500 from input."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.responses import OrjsonResponse

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str = "", **extra: Any) -> OrjsonResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return OrjsonResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """`body.0.seen_at` style path of the field at fault."""
    return ".".join(str(part) for part in loc)


async def _validation_problem(_: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_path(error["loc"]), "message": error["msg"]} for error in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return problem(422, "Invalid request", f"{first['field']}: {first['message']}", errors=errors)


async def _http_problem(_: Request, exc: Exception) -> OrjsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _database_problem(_: Request, exc: Exception) -> OrjsonResponse:
    """A database error, wrapped by SQLAlchemy or raised by asyncpg itself (the hot reads use
    the driver directly), that is not the server's fault.

    Input the route's own checks let through but the database refused as data (a number out
    of range, a NUL in text, an impossible date) is the client's: 422, never a 500. A
    connection PostgreSQL dropped is a 503: the pool discards dead connections (the API's
    engine does not ping before each checkout), so a retry gets a fresh one.
    """
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    state = _sqlstate(exc)
    if state.startswith("22"):  # SQLSTATE class 22: data exception
        return problem(422, "Invalid value", str(driver_error).splitlines()[0])
    lost = (isinstance(exc, DBAPIError) and exc.connection_invalidated) or (
        isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)
    )
    if lost or state.startswith("08") or state in _SHUTTING_DOWN:
        return _unavailable()
    raise exc


async def _unreachable_problem(_: Request, exc: Exception) -> OrjsonResponse:
    # A new connection refused or cut (PostgreSQL down): the driver raises the socket's error.
    assert isinstance(exc, OSError)
    return _unavailable()


def _unavailable() -> OrjsonResponse:
    response = problem(503, "Database unavailable", "PostgreSQL did not answer; retry")
    response.headers["Retry-After"] = "1"
    return response


# admin_shutdown, crash_shutdown, cannot_connect_now
_SHUTTING_DOWN = frozenset({"57P01", "57P02", "57P03"})


def _sqlstate(exc: BaseException) -> str:
    """The PostgreSQL SQLSTATE behind a wrapped driver error (asyncpg keeps it as sqlstate)."""
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return ""


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Every error response of every operation is problem+json, and a malformed body is 400."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "malformed request body"})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response.setdefault("description", "problem details")
                    response["content"] = problem_content
    return schema


class RefuseNul:
    """PostgreSQL text cannot hold NUL: no identifier, filter or id contains one, so a URL that
    does is a bad request here rather than a database error later. Plain ASGI: it costs a
    byte search per request (Starlette's BaseHTTPMiddleware costs a task group)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            response = problem(422, "Invalid character", "NUL is not allowed in a URL", field="url")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(OSError, _unreachable_problem)
    for database_error in (DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError):
        app.add_exception_handler(database_error, _database_problem)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(
                get_openapi(
                    title=app.title, version=app.version, summary=app.summary, routes=app.routes
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
