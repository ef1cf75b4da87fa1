"""The EPCIS 2.0 event query over tagtrail's history: `fetch_events(conn, query, …)` → one page
of mapped events, in event-time (or record-time) order, and the position after it.

Every condition becomes a SQL predicate that selects a superset of the matching rows, and the
mapped event is then checked against the condition itself, so what SQL can express narrows
the scan and the mapping stays the one judge. The event-kind predicates (eventType, action,
bizStep, disposition) are computed from the mapping table (`rules.RULES`): the kinds that
some variant of maps to a wanted value. Places become site and zone ids through the
`Directory`, EPCs asset ids through `asset_identifiers`. eventID (a hash of the mapped
event) has no SQL form: it is checked after mapping only.

Paging is a keyset on (time, source, id, asset id) — registrations, synthesised from the
`assets` rows, are source 0 —, read in batches past the last row returned, so each event
comes once however many a batch maps and drops.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.epcis.digital_link import digital_link
from tracker.epcis.mapping import Directory, Json, to_epcis
from tracker.epcis.query_params import EventQuery, QueryParameterError
from tracker.epcis.rules import REGISTERED, RULES, Standard
from tracker.epcis.store import IDENTIFIER_ORDER, event_row
from tracker.epcis.vocabulary import EventType, TagtrailStep

# Rows read per round trip when the mapped events are checked after SQL (a page may need
# several batches when most rows mapped are not wanted).
SCAN_BATCH = 500
_TAGTRAIL_ASSET = "urn:tagtrail:asset:"


@dataclass(frozen=True, slots=True)
class Position:
    """The key of the last event of a page."""

    at: datetime
    source: int
    id: int
    asset_id: str


@dataclass(frozen=True, slots=True)
class Page:
    events: list[Json]
    after: Position | None  # None: the last page


async def fetch_events(
    conn: AsyncConnection,
    directory: Directory,
    query: EventQuery,
    *,
    per_page: int,
    after: Position | None = None,
    sites: frozenset[str] | None = None,
) -> Page:
    """`sites`: only the history of these sites (events there, and all events of the assets
    whose home they are), as a site-limited API key sees it; None: everything."""
    checked = _needs_check(query)
    found: list[tuple[Position, Json]] = []
    while len(found) <= per_page:
        batch = SCAN_BATCH if checked else per_page + 1 - len(found)
        sql, params = _statement(query, directory, sites, after)
        rows = (await conn.execute(sql, {**params, "batch": batch})).all()
        for row in rows:
            after = Position(row.sort_at, row.source, row.id, row.asset_id)
            event = _with_record_time(to_epcis(event_row(row._mapping), directory), row)
            if not checked or matches(event, query, directory):
                found.append((after, event))
                if len(found) > per_page:
                    break
        if len(rows) < batch:
            break
    more = len(found) > per_page
    page = found[:per_page]
    return Page([event for _, event in page], page[-1][0] if more else None)


def _with_record_time(event: Json, row: Row[Any]) -> Json:
    # Not part of the hash: the eventID stays the export's.
    recorded = row.recorded_at.astimezone(UTC).isoformat(timespec="milliseconds")
    return {**event, "recordTime": recorded.replace("+00:00", "Z")}


def _needs_check(query: EventQuery) -> bool:
    """Whether SQL selects a superset only: the mapped events must be checked."""
    return any(
        value is not None
        for value in (
            query.event_types,
            query.actions,
            query.biz_steps,
            query.dispositions,
            query.read_points,
            query.biz_locations,
            query.within_locations,
            query.epcs,
            query.any_epcs,
            query.event_ids,
        )
    )


# ---- the SQL -------------------------------------------------------------------------------

_COLUMNS = """SELECT {source} AS source, {id} AS id, {asset} AS asset_id, {kind} AS kind,
    {occurred} AS occurred_at, {recorded} AS recorded_at, {observation} AS observation_id,
    {site} AS site_id, {zone} AS zone_id, {late} AS late, {clamped} AS clock_clamped,
    {payload} AS payload"""
_REGISTRATIONS = _COLUMNS.format(
    source=0,
    id="CAST(0 AS bigint)",
    asset="a.id",
    kind=f"'{REGISTERED}'",
    occurred="a.created_at",
    recorded="a.created_at",
    observation="CAST(NULL AS text)",
    site="a.home_site_id",
    zone="CAST(NULL AS text)",
    late="false",
    clamped="false",
    payload="'{}'::jsonb",
)
_EVENTS = _COLUMNS.format(
    source=1,
    id="e.id",
    asset="e.asset_id",
    kind="e.kind",
    occurred="e.occurred_at",
    recorded="e.recorded_at",
    observation="e.observation_id",
    site="e.site_id",
    zone="e.zone_id",
    late="e.late",
    clamped="e.clock_clamped",
    payload="e.payload",
)
_SELECT = """
SELECT x.*, x.{order} AS sort_at, a.home_site_id, a.type_id, a.owner, a.commissioned_at,
    i.value AS identifier, i.scheme AS identifier_scheme
FROM ({registrations} FROM assets a WHERE {registration_where}
      UNION ALL {events} FROM asset_events e WHERE {event_where}) x
LEFT JOIN assets a ON a.id = x.asset_id
LEFT JOIN LATERAL (
    SELECT i.value, i.scheme FROM asset_identifiers i WHERE i.asset_id = x.asset_id
    ORDER BY {identifier_order} LIMIT 1
) i ON true
WHERE {keyset}
ORDER BY x.{order} {direction}, x.source {direction}, x.id {direction}, x.asset_id {direction}
LIMIT :batch"""


_KEYSET = """(x.{order}, x.source, x.id, x.asset_id) {beyond}
    (CAST(:after_at AS timestamptz), :after_source, CAST(:after_id AS bigint),
     CAST(:after_asset AS text))"""


class _Where:
    """The predicates of both branches (registrations `a`, events `e`) and their parameters."""

    def __init__(self) -> None:
        self.registration: list[str] = []
        self.event: list[str] = []
        self.params: dict[str, Any] = {}

    def add(self, registration: str, event: str, **params: Any) -> None:
        self.registration.append(registration)
        self.event.append(event)
        self.params.update(params)


def _statement(
    query: EventQuery, directory: Directory, sites: frozenset[str] | None, after: Position | None
) -> tuple[Any, dict[str, Any]]:
    where = _Where()
    if after is not None:
        where.params.update(
            after_at=after.at,
            after_source=after.source,
            after_id=after.id,
            after_asset=after.asset_id,
        )
    _times(where, query)
    _kinds(where, query)
    _places(where, query, directory)
    _epcs(where, query)
    if sites is not None:
        where.add(
            "a.home_site_id = ANY(:key_sites)",
            "(e.site_id = ANY(:key_sites) OR e.asset_id IN "
            "(SELECT id FROM assets WHERE home_site_id = ANY(:key_sites)))",
            key_sites=sorted(sites),
        )
    order = "occurred_at" if query.order_by == "eventTime" else "recorded_at"
    beyond = "<" if query.descending else ">"
    sql = _SELECT.format(
        keyset=_KEYSET.format(order=order, beyond=beyond) if after else "true",
        registrations=_REGISTRATIONS,
        events=_EVENTS,
        registration_where=" AND ".join(where.registration) or "true",
        event_where=" AND ".join(where.event) or "true",
        identifier_order=IDENTIFIER_ORDER,
        order=order,
        direction="DESC" if query.descending else "ASC",
    )
    return text(sql), where.params


def _times(where: _Where, query: EventQuery) -> None:
    if query.ge_event_time is not None:
        where.add(
            "a.created_at >= :ge_event", "e.occurred_at >= :ge_event", ge_event=query.ge_event_time
        )
    if query.lt_event_time is not None:
        where.add(
            "a.created_at < :lt_event", "e.occurred_at < :lt_event", lt_event=query.lt_event_time
        )
    if query.ge_record_time is not None:
        where.add(
            "a.created_at >= :ge_record",
            "e.recorded_at >= :ge_record",
            ge_record=query.ge_record_time,
        )


def _kinds(where: _Where, query: EventQuery) -> None:
    if all(
        f is None for f in (query.event_types, query.actions, query.biz_steps, query.dispositions)
    ):
        return
    kinds = sorted(kind for kind in RULES if any(_fits(s, query) for s in possible_standards(kind)))
    registration = "true" if REGISTERED in kinds else "false"
    event = "e.kind = ANY(:kinds)"
    if _fits(Standard(), query):  # kinds the table does not know map to a plain observation
        event = "(e.kind = ANY(:kinds) OR e.kind <> ALL(:known_kinds))"
    where.add(registration, event, kinds=kinds, known_kinds=sorted(RULES))


def possible_standards(kind: str) -> list[Standard]:
    """Every Standard an event of this kind can map to: its variants, and a plain
    observation where a variant is not in the table or a TransactionEvent lacks its
    transaction (`mapping.to_epcis`)."""
    variants = RULES[kind]
    fallback = "" not in variants or any(
        s.event_type is EventType.transaction_event for s in variants.values()
    )
    return [*variants.values(), Standard()] if fallback else list(variants.values())


def _fits(standard: Standard, query: EventQuery) -> bool:
    step = standard.biz_step
    word = step.uri if isinstance(step, TagtrailStep) else (step.value if step else None)
    disposition = standard.disposition.value if standard.disposition else None
    return (
        (query.event_types is None or standard.event_type.value in query.event_types)
        and (query.actions is None or standard.action.value in query.actions)
        and (query.biz_steps is None or word in query.biz_steps)
        and (query.dispositions is None or disposition in query.dispositions)
    )


def _places(where: _Where, query: EventQuery, directory: Directory) -> None:
    place = "COALESCE(e.zone_id, e.site_id, e.payload->>'returned_to_site_id')"
    for name, uris, within in (
        ("read", query.read_points, False),
        ("biz", query.biz_locations, False),
        ("within", query.within_locations, True),
    ):
        if uris is None:
            continue
        ids = sorted(place_ids(uris, directory, within=within))
        # A registration has no readPoint; its bizLocation is the asset's home site.
        registration = "false" if name == "read" else f"a.home_site_id = ANY(:{name}_ids)"
        where.add(registration, f"{place} = ANY(:{name}_ids)", **{f"{name}_ids": ids})


def place_ids(uris: frozenset[str], directory: Directory, *, within: bool) -> set[str]:
    """The ids of the sites and zones these URIs name; `within`: a site's zones too."""
    ids = set()
    for site_id in directory.sites:
        if directory.site_uri(site_id) in uris:
            ids.add(site_id)
            if within:
                ids |= {z.id for z in directory.zones.values() if z.site_id == site_id}
    ids |= {zone_id for zone_id in directory.zones if directory.zone_uri(zone_id) in uris}
    return ids


def _epcs(where: _Where, query: EventQuery) -> None:
    for name, values in (("epc", query.epcs), ("any_epc", query.any_epcs)):
        # An EPC URI is an identifier's value; a Digital Link or a pattern is not: those are
        # left to the check after mapping.
        if values is None or not all(
            v.startswith(("urn:epc:id:", _TAGTRAIL_ASSET)) for v in values
        ):
            continue
        assets = sorted(v[len(_TAGTRAIL_ASSET) :] for v in values if v.startswith(_TAGTRAIL_ASSET))
        predicate = (
            "({asset} = ANY(:{name}_assets) OR {asset} IN "
            f"(SELECT asset_id FROM asset_identifiers WHERE value = ANY(:{name}_values)))"
        )
        where.add(
            predicate.format(asset="a.id", name=name),
            predicate.format(asset="e.asset_id", name=name),
            **{f"{name}_assets": assets, f"{name}_values": sorted(values)},
        )


# ---- the check after mapping --------------------------------------------------------------


def matches(event: Mapping[str, Any], query: EventQuery, directory: Directory) -> bool:
    def within(values: frozenset[str] | None, value: Any) -> bool:
        return values is None or value in values

    return (
        within(query.event_types, event["type"])
        and within(query.actions, event["action"])
        and within(query.biz_steps, event.get("bizStep"))
        and within(query.dispositions, event.get("disposition"))
        and within(query.read_points, event.get("readPoint", {}).get("id"))
        and within(query.biz_locations, event.get("bizLocation", {}).get("id"))
        and _within_location(event, query.within_locations, directory)
        and _any_epc(event["epcList"], query.epcs)
        and _any_epc(event["epcList"], query.any_epcs)
        and within(query.event_ids, event["eventID"])
    )


def _within_location(
    event: Mapping[str, Any], uris: frozenset[str] | None, directory: Directory
) -> bool:
    if uris is None:
        return True
    location = event.get("bizLocation", {}).get("id")
    ids = place_ids(uris, directory, within=True)
    return location in uris or any(
        location in (directory.site_uri(i), directory.zone_uri(i)) for i in ids
    )


def _any_epc(epcs: list[str], wanted: frozenset[str] | None) -> bool:
    """An EPC matches as its URI, its Digital Link, or an `urn:epc:idpat:` pattern."""
    if wanted is None:
        return True
    patterns = [w for w in wanted if w.startswith("urn:epc:idpat:")]
    return any(
        epc in wanted or digital_link(epc) in wanted or any(_fits_pattern(epc, p) for p in patterns)
        for epc in epcs
    )


def _fits_pattern(epc: str, pattern: str) -> bool:
    """`urn:epc:idpat:grai:4012345.00001.*` fits `urn:epc:id:grai:4012345.00001.77` (TDS)."""
    scheme, _, body = pattern[len("urn:epc:idpat:") :].partition(":")
    prefix = f"urn:epc:id:{scheme}:"
    if not epc.startswith(prefix):
        return False
    have, want = epc[len(prefix) :].split("."), body.split(".")
    return len(have) == len(want) and all(w in ("*", h) for h, w in zip(have, want, strict=True))


# ---- page tokens ----------------------------------------------------------------------------


def page_token(position: Position, query: EventQuery) -> str:
    raw = [position.at.isoformat(), position.source, position.id, position.asset_id]
    return base64.urlsafe_b64encode(orjson.dumps([*raw, _digest(query)])).decode().rstrip("=")


def read_page_token(token: str, query: EventQuery) -> Position:
    """The position in a token this query gave out; any other token is refused."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        at, source, id_, asset_id, digest = raw
        position = Position(datetime.fromisoformat(at), source, id_, asset_id)
        valid = (
            position.at.tzinfo is not None
            and position.at.astimezone(UTC) is not None
            and source in (0, 1)
            and isinstance(id_, int)
            and 0 <= id_ < 2**63
            and isinstance(asset_id, str)
            and digest == _digest(query)
        )
    except (ValueError, TypeError, OverflowError, orjson.JSONDecodeError):
        valid = False
    if not valid:
        raise QueryParameterError("nextPageToken", "not a token this query gave out")
    return position


def _digest(query: EventQuery) -> str:
    return hashlib.sha256(query.fingerprint().encode()).hexdigest()[:16]
