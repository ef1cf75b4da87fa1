"""One asset event → one EPCIS 2.0 event (a JSON-LD object), with its CBV 2.0 hash as eventID.

`to_epcis(row, directory)` is pure: `EventRow` is an `asset_events` row (or an asset's
registration, synthesised from its `assets` row) with the asset's preferred identifier;
`Directory` holds the sites, zones and custodians the events name. `tracker.epcis.store`
reads both from PostgreSQL. The same row and directory always give the same event, byte for
byte, so exporting twice gives the same eventIDs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.epcis import identifiers
from tracker.epcis.hashing import event_hash
from tracker.epcis.rules import REGISTERED, Standard, standard_for
from tracker.epcis.vocabulary import (
    Action,
    BizTransactionType,
    Disposition,
    EventType,
    SourceDestType,
    TagtrailStep,
    extension,
    namespaces,
)
from tracker.store.loads import site_custodian_id

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    gln: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    site_id: str
    kind: str
    sgln: str | None = None


@dataclass(frozen=True, slots=True)
class Custodian:
    id: str
    gln: str | None = None


@dataclass(frozen=True, slots=True)
class Directory:
    """What events refer to by id. Small (sites, zones, custodians): read once per export."""

    sites: Mapping[str, Site] = field(default_factory=dict)
    zones: Mapping[str, Zone] = field(default_factory=dict)
    custodians: Mapping[str, Custodian] = field(default_factory=dict)

    def site_uri(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return identifiers.site_location(site_id, site.gln if site else None)

    def zone_uri(self, zone_id: str) -> str:
        zone = self.zones.get(zone_id)
        return identifiers.zone_location(zone_id, zone.sgln if zone else None)

    def party_uri(self, custodian_id: str) -> str:
        custodian = self.custodians.get(custodian_id)
        return identifiers.party(custodian_id, custodian.gln if custodian else None)

    def timezone(self, site_id: str | None) -> str:
        site = self.sites.get(site_id) if site_id else None
        return site.timezone if site else "UTC"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    kind: str
    asset_id: str
    occurred_at: datetime
    observation_id: str | None = None
    site_id: str | None = None
    zone_id: str | None = None
    late: bool = False
    clock_clamped: bool = False
    payload: Mapping[str, Any] = field(default_factory=dict)
    home_site_id: str | None = None
    # The asset's preferred identifier (store.IDENTIFIER_ORDER) and its scheme.
    identifier: str | None = None
    identifier_scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Shape:
    """What an event says apart from its time, its asset and its observation: the same for
    every row of the same kind, places, flags and payload (`tracker.epcis.export` reuses it)."""

    event_type: str
    timezone: ZoneInfo
    # action … destinationList, in the order the event writes them.
    what: Json
    # tagtrail's facts after kind, asset and observation: late, clockClamped, the payload.
    facts: Json


def to_epcis(row: EventRow, directory: Directory) -> Json:
    shape = shape_of(row, directory)
    event: Json = {"type": shape.event_type}
    event["eventTime"], event["eventTimeZoneOffset"] = local_time(row.occurred_at, shape.timezone)
    event["epcList"] = [identifiers.asset_epc(row.asset_id, row.identifier, row.identifier_scheme)]
    event.update(shape.what)
    event.update(tagtrail_names(row))
    event.update(shape.facts)
    return {"type": event["type"], "eventID": event_hash(event, namespaces()), **event}


def shape_of(row: EventRow, directory: Directory) -> Shape:
    zone = directory.zones.get(row.zone_id) if row.zone_id else None
    standard = standard_for(row.kind, row.payload, zone.kind if zone else None)
    transactions = _transactions(row)
    if standard.event_type is EventType.transaction_event and not transactions:
        standard = Standard()  # a TransactionEvent needs its transaction
    what: Json = {"action": standard.action.value}
    if standard.biz_step is not None:
        step = standard.biz_step
        what["bizStep"] = step.uri if isinstance(step, TagtrailStep) else step.value
    if standard.disposition is not None:
        what["disposition"] = standard.disposition.value
    what.update(_where(row, directory, standard))
    if transactions:
        what["bizTransactionList"] = transactions
    what.update(_parties(row, directory, standard))
    site_id = row.site_id or (zone.site_id if zone else None) or row.home_site_id
    timezone = _zone_info(directory.timezone(site_id))
    return Shape(standard.event_type.value, timezone, what, _tagtrail_facts(row))


def local_time(occurred_at: datetime, timezone: ZoneInfo) -> tuple[str, str]:
    """(eventTime, eventTimeZoneOffset): the time at the place, to the millisecond unless
    it has microseconds."""
    local = occurred_at.astimezone(timezone)
    precision = "milliseconds" if local.microsecond % 1000 == 0 else "microseconds"
    return local.isoformat(timespec=precision), offset_text(local.utcoffset() or timedelta())


@lru_cache(maxsize=256)
def _zone_info(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def offset_text(offset: timedelta) -> str:
    """`+01:00`: an offset of whole minutes as eventTimeZoneOffset writes it."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _where(row: EventRow, directory: Directory, standard: Standard) -> Json:
    """readPoint: the most specific place the row names; bizLocation: the same place, where
    the asset is afterwards, unless it is leaving (in transit) or gone (DELETE)."""
    site_id = row.site_id or row.payload.get("returned_to_site_id")
    if row.zone_id:
        place = directory.zone_uri(row.zone_id)
    elif site_id:
        place = directory.site_uri(str(site_id))
    else:
        return {}
    # A registration is no sighting: only where the asset is expected from then on.
    where: Json = {} if row.kind == REGISTERED else {"readPoint": {"id": place}}
    leaving = standard.disposition is Disposition.in_transit
    # An ObjectEvent DELETE ends the object; a TransactionEvent DELETE only its transaction.
    gone = standard.action is Action.delete and standard.event_type is EventType.object_event
    if not (leaving or gone):
        where["bizLocation"] = {"id": place}
    return where


def _transactions(row: EventRow) -> list[Json]:
    # `type` first: the reference hash implementation keeps JSON key order here.
    found = []
    dispatch_id = row.payload.get("dispatch_id")
    if dispatch_id and row.kind != "recovery_opened":  # there: the dispatch it came back from
        found.append(
            {
                "type": BizTransactionType.desadv.value,
                "bizTransaction": identifiers.dispatch_transaction(str(dispatch_id)),
            }
        )
    case_id = row.payload.get("case_id")
    if case_id:
        found.append(
            {
                "type": BizTransactionType.rma.value,
                "bizTransaction": identifiers.case_transaction(str(case_id)),
            }
        )
    return found


def _party(kind: SourceDestType, key: str, uri: str) -> Json:
    return {"type": kind.value, key: uri}


def _parties(row: EventRow, directory: Directory, standard: Standard) -> Json:
    """Custody changes name who had and who has the asset; a resale, who owned it."""
    payload, possessing = row.payload, SourceDestType.possessing_party
    if row.kind == "custody_transferred":
        return {
            "sourceList": [
                _party(possessing, "source", directory.party_uri(payload["from_custodian_id"]))
            ],
            "destinationList": [
                _party(possessing, "destination", directory.party_uri(payload["to_custodian_id"]))
            ],
        }
    returned_by = None
    if row.kind == "turnaround_recorded":
        returned_by = payload.get("returned_by_custodian_id") or payload.get("custodian_id")
    elif row.kind == "recovery_opened":
        returned_by = payload.get("custodian_id")
    if returned_by:
        return {"sourceList": [_party(possessing, "source", directory.party_uri(returned_by))]}
    resold = payload.get("path") == "resale" and standard.disposition is Disposition.inactive
    if resold and row.home_site_id:
        # The buyer is not recorded; the owner until now is the asset's home site.
        owner = directory.party_uri(site_custodian_id(row.home_site_id))
        return {"sourceList": [_party(SourceDestType.owning_party, "source", owner)]}
    return {}


# Payload keys whose tagtrail field is named differently.
_RENAMED = {"to_status": "status"}
_CAMEL = re.compile(r"_([a-z0-9])")


def tagtrail_names(row: EventRow) -> Json:
    """tagtrail's own facts that name this one event: the kind, the asset, the observation."""
    names: Json = {extension("kind"): row.kind, extension("asset"): row.asset_id}
    if row.observation_id:
        names[extension("observation")] = row.observation_id
    return names


def _tagtrail_facts(row: EventRow) -> Json:
    """The rest of tagtrail's facts: the flags and the whole payload (a payload key may name
    one of the fields above: it then overrides it, where it stands)."""
    fields: Json = {}
    if row.late:
        fields[extension("late")] = "true"
    if row.clock_clamped:
        fields[extension("clockClamped")] = "true"
    for key, value in row.payload.items():
        converted = _extension_value(value)
        if converted is not None:
            fields[extension(_field_name(key))] = converted
    return fields


def _field_name(key: str) -> str:
    return _RENAMED.get(key) or _CAMEL.sub(lambda m: m.group(1).upper(), key)


def _extension_value(value: Any) -> Any:
    """Strings throughout (as in XML, and so the hash reads them one way); null and empty
    values are left out; objects and lists keep their shape, with prefixed names."""
    match value:
        case None:
            return None
        case bool():
            return "true" if value else "false"
        case int() | float() | Decimal():
            return str(value)
        case str():
            return value or None
        case Mapping():
            nested = {
                extension(_field_name(str(k))): v
                for k, v in ((k, _extension_value(v)) for k, v in value.items())
                if v is not None
            }
            return nested or None
        case list() | tuple():
            items = [v for v in (_extension_value(item) for item in value) if v is not None]
            return items or None
    return str(value)
