"""Capture: what a partner's EPCIS events mean here (docs/epcis.md, "Capture"). Pure, no I/O.

Each event of a schema-valid EPCISDocument is checked on its own (an eventID, a usable
eventTime, EPCs we can decode) and then planned: either it becomes reads at the read point of
the zone its location names (so it flows through Kafka and the same tracker rules as a
reader's reads), or it is only stored in the capture log (`capture_reads` has the table).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.epcis.capture_reads import CapturedRead, CapturePoint, captured_reads
from tracker.epcis.hashing import UnsupportedEventField, event_hash
from tracker.epcis.vocabulary import TAGTRAIL_URN, namespaces
from tracker.identity import IdentifierError, TagKind, canonical_tag

if TYPE_CHECKING:
    from tracker.epcis.capture_replay import Registration, Replayed

EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # as TagRead's seen_at
FUTURE_TOLERANCE = timedelta(minutes=5)
_CBV_WEB_BIZSTEP = "https://ref.gs1.org/cbv/BizStep-"
_CBV_WEB_DISP = "https://ref.gs1.org/cbv/Disp-"
_DIGITAL_LINK = "https://id.gs1.org/"


@dataclass(frozen=True, slots=True)
class CaptureError:
    index: int | None  # None: the whole capture (Kafka was unavailable)
    event_id: str | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"eventIndex": self.index, "eventID": self.event_id, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    index: int
    event_id: str
    event_type: str
    event_time: datetime
    biz_step: str | None
    disposition: str | None
    location: str | None
    epcs: tuple[str, ...]
    reads: tuple[CapturedRead, ...]
    event: Mapping[str, Any]
    epc_kinds: tuple[TagKind, ...] = ()
    # Another tagtrail's event (capture_replay): the fact it carries, the asset it registers.
    replayed: Replayed | None = None
    registration: Registration | None = None
    # A partner's disposition claim (capture_claims): one fact per EPC of ours.
    claims: tuple[Replayed, ...] = ()

    @property
    def outcome(self) -> str:
        if self.registration is not None:
            return "registered"
        return "observed" if self.reads or self.replayed or self.claims else "stored"


def document_namespaces(document: Mapping[str, Any]) -> dict[str, str]:
    """Extension prefixes the document's @context declares, plus tagtrail's own."""
    found = namespaces()
    context = document.get("@context", [])
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, Mapping):
            found |= {k: v for k, v in entry.items() if isinstance(v, str)}
    return found


def plan_events(
    events: Sequence[Mapping[str, Any]],
    namespace_map: Mapping[str, str],
    points: Mapping[str, CapturePoint],
    now: datetime,
    sees_site: Callable[[str], bool] | None = None,
    parties: Mapping[str, str] | None = None,
) -> tuple[list[PlannedEvent], list[CaptureError]]:
    """Each event checked and planned; `sees_site(site_id) -> bool` limits a site-scoped key;
    `parties`: party URI (PGLN, as `identifiers.party` writes it) → custodian id."""
    planned: list[PlannedEvent] = []
    errors: list[CaptureError] = []
    for index, event in enumerate(events):
        try:
            plan = _plan(index, event, namespace_map, points, now, sees_site, parties or {})
            planned.append(plan)
        except _EventRejected as exc:
            errors.append(CaptureError(index, exc.event_id, str(exc)))
    return planned, errors


class _EventRejected(ValueError):
    def __init__(self, reason: str, event_id: str | None) -> None:
        super().__init__(reason)
        self.event_id = event_id


def _plan(
    index: int,
    event: Mapping[str, Any],
    namespace_map: Mapping[str, str],
    points: Mapping[str, CapturePoint],
    now: datetime,
    sees_site: Callable[[str], bool] | None,
    parties: Mapping[str, str],
) -> PlannedEvent:
    event_id = event.get("eventID")
    if not isinstance(event_id, str):
        try:
            event_id = event_hash(event, namespace_map)
        except (UnsupportedEventField, ValueError, KeyError, TypeError) as exc:
            raise _EventRejected(f"no eventID, and it cannot be computed: {exc}", None) from None
    event_time = _event_time(event, now, event_id)
    epcs = tuple(_canonical_epcs(event, event_id))
    location = _location(event)
    point = points.get(location) if location else None
    if point is not None and sees_site is not None and not sees_site(point.site_id):
        raise _EventRejected(f"{location} is at a site this key may not capture for", event_id)
    biz_step, disposition = _word(event, "bizStep"), _word(event, "disposition")
    reads = captured_reads(event, event_id, event_time, epcs, point, biz_step, disposition)
    receiver = _receiver(event, parties)
    if receiver is not None:
        reads = tuple(
            replace(r, custodian=receiver) if r.source == "handheld" else r for r in reads
        )
    return PlannedEvent(
        index,
        event_id,
        str(event.get("type", "")),
        event_time,
        biz_step,
        disposition,
        location,
        tuple(tag for tag, _ in epcs),
        reads,
        event,
        tuple(kind for _, kind in epcs),
    )


def _event_time(event: Mapping[str, Any], now: datetime, event_id: str) -> datetime:
    raw = event.get("eventTime")
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise _EventRejected(f"eventTime {raw!r} is no RFC 3339 time", event_id) from None
    if moment.tzinfo is None:
        raise _EventRejected(f"eventTime {raw!r} has no offset", event_id)
    if moment < EARLIEST_EVENT_TIME:
        raise _EventRejected(f"eventTime {raw} is before 2000-01-01", event_id)
    if moment > now + FUTURE_TOLERANCE:
        raise _EventRejected(f"eventTime {raw} is in the future", event_id)
    return moment


def _canonical_epcs(event: Mapping[str, Any], event_id: str) -> list[tuple[str, TagKind]]:
    """Instance-level EPCs (epcList, parentID, childEPCs) as canonical tags; a tagtrail URN
    (`urn:tagtrail:asset:…`, from another tagtrail's export) is kept as it is."""
    found: list[tuple[str, TagKind]] = []
    values = [*event.get("epcList", []), *event.get("childEPCs", [])]
    if isinstance(event.get("parentID"), str):
        values.append(event["parentID"])
    for value in values:
        found.append(_canonical(str(value), event_id))
    return found


def _canonical(value: str, event_id: str) -> tuple[str, TagKind]:
    if value.startswith(TAGTRAIL_URN):
        return value, "barcode"
    try:
        if value.startswith(_DIGITAL_LINK):
            return canonical_tag(_element_string(value), "barcode"), "barcode"
        return canonical_tag(value, "epc"), "epc"
    except IdentifierError as exc:
        raise _EventRejected(f"EPC {value!r}: {exc}", event_id) from None


def _element_string(link: str) -> str:
    """`https://id.gs1.org/8003/0401…/21/7` → `(8003)0401…(21)7` (query and fragment dropped)."""
    path = link[len(_DIGITAL_LINK) :].split("?", 1)[0].split("#", 1)[0]
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) % 2:
        raise IdentifierError(f"{link} is no GS1 Digital Link of an instance")
    return "".join(f"({ai}){value}" for ai, value in zip(parts[::2], parts[1::2], strict=True))


def _location(event: Mapping[str, Any]) -> str | None:
    for field in ("bizLocation", "readPoint"):
        place = event.get(field)
        if isinstance(place, Mapping) and isinstance(place.get("id"), str):
            return str(place["id"])
    return None


def _receiver(event: Mapping[str, Any], parties: Mapping[str, str]) -> str | None:
    """The custodian the destinationList's possessing party names, if it is one of ours."""
    for entry in event.get("destinationList", []):
        kind = str(entry.get("type", "")) if isinstance(entry, Mapping) else ""
        if kind.endswith("possessing_party"):
            found = parties.get(str(entry.get("destination")))
            if found is not None:
                return found
    return None


def _word(event: Mapping[str, Any], field: str) -> str | None:
    value = event.get(field)
    if not isinstance(value, str):
        return None
    for prefix in (_CBV_WEB_BIZSTEP, _CBV_WEB_DISP):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value
