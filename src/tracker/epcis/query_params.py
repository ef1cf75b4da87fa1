"""The EPCIS 2.0 REST binding's event query parameters, read and checked (pure, no I/O).

`parse_query(params)` turns the query string of `GET /events` into an `EventQuery`, or raises
`QueryParameterError` naming the parameter at fault: an unknown parameter, a value that is
not one of the standard's, a time without its offset. Value lists are pipe-separated
(`EQ_bizStep=shipping|receiving`); a parameter given twice adds to its list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from tracker.epcis.hashing import CBV_WEB
from tracker.epcis.vocabulary import Action

# The five EPCIS 2.0 event types: a query for the three tagtrail never writes is valid and
# matches nothing.
EVENT_TYPES = frozenset(
    {
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    }
)
ACTIONS = frozenset(a.value for a in Action)
# CBV 1.2 URNs and CBV 2.0 web URIs of the vocabularies, which name the same bare word.
_CBV_FORMS = {
    "bizStep": ("urn:epcglobal:cbv:bizstep:", f"{CBV_WEB}BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", f"{CBV_WEB}Disp-"),
}
LIST_PARAMETERS = (
    "eventType",
    "EQ_action",
    "EQ_bizStep",
    "EQ_disposition",
    "EQ_readPoint",
    "EQ_bizLocation",
    "WD_bizLocation",
    "MATCH_epc",
    "MATCH_anyEPC",
    "EQ_eventID",
)
TIME_PARAMETERS = ("GE_eventTime", "LT_eventTime", "GE_recordTime")
PAGING_PARAMETERS = ("perPage", "nextPageToken")
PARAMETERS = frozenset(
    (*LIST_PARAMETERS, *TIME_PARAMETERS, "orderBy", "orderDirection", *PAGING_PARAMETERS)
)
OrderBy = Literal["eventTime", "recordTime"]


class QueryParameterError(ValueError):
    """The binding's QueryParameterException: `parameter` is the one at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


@dataclass(frozen=True, slots=True, kw_only=True)
class EventQuery:
    """What a query asks for; None: no condition. Lists match any of their values."""

    event_types: frozenset[str] | None = None
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    ge_record_time: datetime | None = None
    actions: frozenset[str] | None = None
    biz_steps: frozenset[str] | None = None
    dispositions: frozenset[str] | None = None
    read_points: frozenset[str] | None = None
    biz_locations: frozenset[str] | None = None
    within_locations: frozenset[str] | None = None
    epcs: frozenset[str] | None = None
    any_epcs: frozenset[str] | None = None
    event_ids: frozenset[str] | None = None
    order_by: OrderBy = "eventTime"
    descending: bool = False

    def fingerprint(self) -> str:
        """The query, less its paging, as a stable string: a page token names it."""
        parts = []
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            parts.append(f"{name}={value!r}")
        return "&".join(parts)


def parse_query(params: Iterable[tuple[str, str]]) -> EventQuery:
    values: dict[str, list[str]] = {}
    for name, value in params:
        if name not in PARAMETERS:
            raise QueryParameterError(name, "not a query parameter this endpoint supports")
        values.setdefault(name, []).append(value)
    lists = {name: _pipe_list(name, values[name]) for name in LIST_PARAMETERS if name in values}
    times = {name: _time(name, _single(name, values)) for name in TIME_PARAMETERS}
    order_by = _single("orderBy", values)
    direction = _single("orderDirection", values)
    if order_by not in (None, "eventTime", "recordTime"):
        raise QueryParameterError("orderBy", "eventTime or recordTime")
    if direction not in (None, "ASC", "DESC"):
        raise QueryParameterError("orderDirection", "ASC or DESC")
    return EventQuery(
        event_types=_known(lists.get("eventType"), "eventType", EVENT_TYPES),
        ge_event_time=times["GE_eventTime"],
        lt_event_time=times["LT_eventTime"],
        ge_record_time=times["GE_recordTime"],
        actions=_known(lists.get("EQ_action"), "EQ_action", ACTIONS),
        biz_steps=_words(lists.get("EQ_bizStep"), "bizStep"),
        dispositions=_words(lists.get("EQ_disposition"), "disposition"),
        read_points=lists.get("EQ_readPoint"),
        biz_locations=lists.get("EQ_bizLocation"),
        within_locations=lists.get("WD_bizLocation"),
        epcs=lists.get("MATCH_epc"),
        any_epcs=lists.get("MATCH_anyEPC"),
        event_ids=lists.get("EQ_eventID"),
        order_by="recordTime" if order_by == "recordTime" else "eventTime",
        # The standard: with orderBy and no orderDirection, newest first. Without orderBy,
        # tagtrail's order is event time, oldest first.
        descending=direction == "DESC" or (direction is None and order_by is not None),
    )


def _single(name: str, values: Mapping[str, list[str]]) -> str | None:
    given = values.get(name)
    if not given:
        return None
    if len(given) > 1:
        raise QueryParameterError(name, "given more than once")
    return given[0]


def _pipe_list(name: str, given: list[str]) -> frozenset[str]:
    found = [part for value in given for part in value.split("|")]
    if not found or any(not part.strip() or part != part.strip() for part in found):
        raise QueryParameterError(name, "a pipe-separated list of non-empty values")
    return frozenset(found)


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryParameterError(name, "an ISO 8601 date-time with its offset") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise QueryParameterError(name, "a date-time needs its offset (e.g. Z or +01:00)")
    try:
        moment.astimezone(UTC)  # 0001-01-01T00:00+01:00 is before the first UTC year
    except OverflowError:
        raise QueryParameterError(name, "out of range") from None
    return moment


def _known(
    given: frozenset[str] | None, name: str, allowed: frozenset[str]
) -> frozenset[str] | None:
    if given is not None and not given <= allowed:
        wrong = sorted(given - allowed)[0]
        raise QueryParameterError(name, f"{wrong!r} is not one of {', '.join(sorted(allowed))}")
    return given


def _words(given: frozenset[str] | None, field: str) -> frozenset[str] | None:
    """CBV words as bare words: `urn:epcglobal:cbv:bizstep:shipping` and
    `https://ref.gs1.org/cbv/BizStep-shipping` are `shipping`; other URIs stay URIs."""
    if given is None:
        return None
    words = set()
    for value in given:
        for prefix in _CBV_FORMS[field]:
            if value.startswith(prefix) and len(value) > len(prefix):
                value = value[len(prefix) :]
                break
        words.add(value)
    return frozenset(words)
