"""EPCIS 2.0 query interface (REST binding): `GET /v1/epcis/events` and the events of one EPC.

The routes read the binding's parameters (`tracker.epcis.query_params`), run the query
(`tracker.epcis.query`) and answer an `EPCISQueryDocument` with the binding's headers; the
next page, if any, is the `Link: <…>; rel="next"` URL.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from api.auth import AssetsReader
from api.ops import ResourcesDep
from api.problems import problem
from api.responses import OrjsonResponse
from tracker.epcis import document_context, load_directory
from tracker.epcis.digital_link import digital_link
from tracker.epcis.query import fetch_events, page_token, read_page_token
from tracker.epcis.query_params import (
    LIST_PARAMETERS,
    TIME_PARAMETERS,
    QueryParameterError,
    parse_query,
)
from tracker.epcis.vocabulary import SCHEMA_VERSION

router = APIRouter(prefix="/v1/epcis", tags=["epcis"])

EPCIS_VERSION = "2.0.0"
PER_PAGE_DEFAULT, PER_PAGE_MAX = 30, 1000
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates")
QUERY_NAME = "SimpleEventQuery"


class LdJsonResponse(OrjsonResponse):
    media_type = "application/ld+json"


def _parameters() -> list[dict[str, Any]]:
    """The binding's parameters, for the OpenAPI document (the route reads the raw query
    string itself: unknown parameters are an error, repeated ones add to a list)."""
    text: dict[str, Any] = {"type": "string"}
    stamp: dict[str, Any] = {"type": "string", "format": "date-time"}
    listed = [(name, text, "pipe-separated values") for name in LIST_PARAMETERS]
    timed = [(name, stamp, "with its offset") for name in TIME_PARAMETERS]
    others = [
        ("orderBy", {"type": "string", "enum": ["eventTime", "recordTime"]}, ""),
        ("orderDirection", {"type": "string", "enum": ["ASC", "DESC"]}, "default DESC"),
        ("perPage", {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX}, ""),
        ("nextPageToken", text, "from the previous page's Link header"),
    ]
    query = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": about}
        for name, schema, about in (*listed, *timed, *others)
    ]
    header = {
        "name": "GS1-EPC-Format",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "enum": list(EPC_FORMATS)},
    }
    return [*query, header]


_DOCUMENT = {
    "description": "an EPCISQueryDocument",
    "content": {"application/ld+json": {"schema": {"type": "object", "required": ["type"]}}},
}
_ROUTE: dict[str, Any] = {
    "response_class": LdJsonResponse,
    "responses": {
        200: _DOCUMENT,
        400: {"description": "an unknown parameter or a bad value (QueryParameterException)"},
        401: {"description": "no valid API key"},
        403: {"description": "lacks assets:read"},
    },
    "openapi_extra": {"parameters": _parameters()},
}


@router.get("/events", **_ROUTE)
async def query_events(request: Request, res: ResourcesDep, key: AssetsReader) -> OrjsonResponse:
    return await _answer(request, res, key.sites, epc=None)


@router.get("/epcs/{epc:path}/events", **_ROUTE)
async def epc_events(
    request: Request,
    res: ResourcesDep,
    key: AssetsReader,
    epc: Annotated[str, Path(description="an EPC URI or GS1 Digital Link URI")],
) -> OrjsonResponse:
    return await _answer(request, res, key.sites, epc=epc)


async def _answer(
    request: Request, res: ResourcesDep, sites: frozenset[str] | None, epc: str | None
) -> OrjsonResponse:
    try:
        query = parse_query(request.query_params.multi_items())
        if epc is not None:
            wanted = frozenset({epc})
            narrowed = wanted if query.any_epcs is None else query.any_epcs & wanted
            query = dataclasses.replace(query, any_epcs=narrowed)
        per_page = _per_page(request.query_params.get("perPage"))
        token = request.query_params.get("nextPageToken")
        after = read_page_token(token, query) if token is not None else None
        epc_format = _epc_format(request.headers.get("GS1-EPC-Format"))
    except QueryParameterError as error:
        return problem(
            400,
            "QueryParameterException",
            str(error),
            type="epcisException:QueryParameterException",
            field=error.parameter,
        )
    async with res.reads.connect() as conn:
        directory = await load_directory(conn)
        page = await fetch_events(
            conn, directory, query, per_page=per_page, after=after, sites=sites
        )
    events = [_translated(event, epc_format) for event in page.events]
    response = LdJsonResponse(_query_document(events), headers=_headers(epc_format))
    if page.after is not None:
        following = request.url.include_query_params(nextPageToken=page_token(page.after, query))
        response.headers["Link"] = f'<{following}>; rel="next"'
    return response


def _per_page(value: str | None) -> int:
    if value is None:
        return PER_PAGE_DEFAULT
    if not value.isdecimal() or not 1 <= int(value) <= PER_PAGE_MAX:
        raise QueryParameterError("perPage", f"a whole number from 1 to {PER_PAGE_MAX}")
    return int(value)


def _epc_format(value: str | None) -> str:
    if value is None:
        return "No_Preference"
    if value not in EPC_FORMATS:
        raise QueryParameterError("GS1-EPC-Format", f"one of {', '.join(EPC_FORMATS)}")
    return value


def _translated(event: dict[str, Any], epc_format: str) -> dict[str, Any]:
    """EPC URIs as Digital Link URIs when asked; otherwise as tagtrail writes them (EPC
    URIs; a barcode-only asset has no EPC URI and stays a Digital Link). The eventID, a
    hash of the EPC in one form, is the same either way."""
    if epc_format != "Always_GS1_Digital_Link":
        return event
    return {**event, "epcList": [digital_link(epc) or epc for epc in event["epcList"]]}


def _headers(epc_format: str) -> dict[str, str]:
    return {
        "GS1-EPCIS-Version": EPCIS_VERSION,
        "GS1-CBV-Version": EPCIS_VERSION,
        "GS1-EPC-Format": epc_format,
    }


def _query_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "@context": document_context(),
        "type": "EPCISQueryDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": created,
        "epcisBody": {
            "queryResults": {"queryName": QUERY_NAME, "resultsBody": {"eventList": events}}
        },
    }
