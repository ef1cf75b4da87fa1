"""The export's hot path: a `stream_records` record → the JSON bytes of its EPCIS event,
exactly `orjson.dumps(to_epcis(record_row(record), directory))`, without building the event.

Rows of the same kind, places, flags and payload map to the same event but for its time, its
asset (epcList, `tagtrail:asset`) and its observation (`tagtrail:observation`). A `_Template`
holds, for one such shape, the JSON around those values and the CBV 2.0 pre-hash string
around them, both made once from a real row of the shape by `mapping.shape_of` and
`hashing` (the mapping table and the canonical forms stay theirs). An event then costs its
time, the canonical forms of its identifiers, two joins and one SHA-256. Where a template
cannot hold (a payload field that overrides the asset or observation field, an extension
string whose place in the sorted extensions depends on a value, a blank asset or observation
id), the event goes through `to_epcis` itself. Unit tests check both give the same bytes.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from tracker.epcis.hashing import HASH_VERSION, Canonical, canonical, standard_fields
from tracker.epcis.hashing import utc_milliseconds as _utc_milliseconds
from tracker.epcis.identifiers import asset_epc
from tracker.epcis.mapping import Directory, local_time, offset_text, shape_of, to_epcis
from tracker.epcis.rules import REGISTERED
from tracker.epcis.store import record_row
from tracker.epcis.vocabulary import extension, namespaces

Record = Sequence[Any]
_TEMPLATES = 65_536
# Assets whose event parts are kept (`_AssetParts`): more than a long window's assets (the
# bench's 1,133,320 events name 133,319), each entry ~0.3 kB.
_ASSETS = 262_144
# The fields of mapping.tagtrail_names: the same in every event of a shape but for their values.
NAMES = (extension("kind"), extension("asset"), extension("observation"))
_EVENT_ID_END = f'?ver={HASH_VERSION}","eventTime":"'.encode()


class EventEncoder:
    """One per export (its directory); keeps the templates of the shapes it has met."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._canon = canonical(namespaces())
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        self._clocks: dict[ZoneInfo, _Clock] = {}
        self._assets = _AssetParts(self._canon)

    def encode(self, records: Sequence[Record]) -> list[bytes]:
        return [self.encode_one(record) for record in records]

    def encode_one(self, record: Record) -> bytes:
        # The record's columns: store.RECORD_COLUMNS.
        kind, _, _, observation, site, zone, late, clamped, payload, home = record[:10]
        key: tuple[Any, ...] = (kind, site, zone, home, late, clamped, not observation, payload)
        if kind == REGISTERED:  # its payload is made of its asset's row
            key += tuple(record[10:13])
        template: _Template | None = self._templates.get(key, _UNSEEN)
        if template is _UNSEEN:
            if len(self._templates) >= _TEMPLATES:
                self._templates.clear()
            template = self._templates[key] = _template(record, self._directory, self)
        line = template.render(record) if template is not None else None
        if line is None:
            return orjson.dumps(to_epcis(record_row(record), self._directory))
        return line

    @property
    def canon(self) -> Canonical:
        return self._canon

    @property
    def assets(self) -> _AssetParts:
        return self._assets

    def clock(self, timezone: ZoneInfo) -> _Clock:
        clock = self._clocks.get(timezone)
        if clock is None:
            clock = self._clocks[timezone] = _Clock(timezone)
        return clock


_SECONDS = [f"{second:02d}" for second in range(60)]
_MILLISECONDS = [f".{millis:03d}" for millis in range(1000)]
_MINUTES = 65_536
_HOUR_END = timedelta(minutes=59, seconds=59, microseconds=999_999)
_MINUTE = timedelta(minutes=1)


class _Clock:
    """(eventTime, eventTimeZoneOffset, the hash's UTC time) of UTC instants at one place, as
    `mapping.local_time` and `hashing.utc_milliseconds` give them, by field arithmetic: the
    local and UTC "YYYY-MM-DDTHH:MM:" once per minute, the seconds and fraction per event.
    The place's offset is looked up once an hour, and used where it holds for the whole hour
    and is whole minutes (a zone changes its offset at most once an hour); elsewhere (an
    offset with seconds, a change inside the hour, a year before 1000, an instant not in
    UTC) the whole path decides."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self._timezone = timezone
        self._hours: dict[tuple[int, ...], tuple[timedelta, str] | None] = {}
        self._minutes: dict[tuple[int, ...], tuple[str, str, str] | None] = {}

    def times(self, at: datetime) -> tuple[str, str, str]:
        key = (at.year, at.month, at.day, at.hour, at.minute)
        minute = self._minutes.get(key, _UNSEEN)
        if minute is _UNSEEN:
            if len(self._minutes) >= _MINUTES:
                self._minutes.clear()
                self._hours.clear()
            minute = self._minutes[key] = self._minute(at, key) if at.tzinfo is UTC else None
        if minute is None:
            event_time, offset = local_time(at, self._timezone)
            return event_time, offset, _utc_milliseconds(event_time)
        local, offset, utc = minute
        second, micros = _SECONDS[at.second], at.microsecond
        if micros % 1000 == 0:
            fraction = _MILLISECONDS[micros // 1000]
            return f"{local}{second}{fraction}{offset}", offset, f"{utc}{second}{fraction}Z"
        event_time = f"{local}{second}.{micros:06d}{offset}"
        millis = micros // 1000 + ((micros // 100) % 10 >= 5)  # half up, as utc_milliseconds
        if millis == 1000:
            return event_time, offset, _utc_milliseconds(event_time)
        return event_time, offset, f"{utc}{second}{_MILLISECONDS[millis]}Z"

    def _minute(self, at: datetime, key: tuple[int, ...]) -> tuple[str, str, str] | None:
        """(local "YYYY-MM-DDTHH:MM:", offset, UTC "YYYY-MM-DDTHH:MM:") of the minute."""
        hour = self._hours.get(key[:4], _UNSEEN)
        if hour is _UNSEEN:
            hour = self._hours[key[:4]] = self._hour(at)
        if hour is None:
            return None
        delta, offset = hour
        local = at + delta
        return _minute_text(local), offset, _minute_text(at)

    def _hour(self, at: datetime) -> tuple[timedelta, str] | None:
        if at.year < 1000:  # utc_milliseconds writes such a year with fewer digits
            return None
        start = at.replace(minute=0, second=0, microsecond=0)
        delta = start.astimezone(self._timezone).utcoffset()
        end = (start + _HOUR_END).astimezone(self._timezone).utcoffset()
        if delta is None or end != delta or delta % _MINUTE:
            return None
        return delta, offset_text(delta)


def _minute_text(moment: datetime) -> str:
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:"
    )


class _AssetParts:
    """What an event says of its asset, the same in each of its events: (the canonical form
    of its epcList URI, of its id, the JSON of that URI, of its id), by (asset id, preferred
    identifier, scheme); None for a blank id. The EPC → Digital Link conversion of the hash
    is most of it. Bounded: cleared when full (~0.3 kB an entry)."""

    def __init__(self, canon: Canonical) -> None:
        self._canon = canon
        self._parts: dict[tuple[str, str | None, str | None], _Parts | None] = {}

    def get(self, asset_id: str, identifier: str | None, scheme: str | None) -> _Parts | None:
        key = (asset_id, identifier, scheme)
        parts: _Parts | None = self._parts.get(key, _UNSEEN)
        if parts is _UNSEEN:
            if len(self._parts) >= _ASSETS:
                self._parts.clear()
            parts = self._parts[key] = self._make(asset_id, identifier, scheme)
        return parts

    def _make(self, asset_id: str, identifier: str | None, scheme: str | None) -> _Parts | None:
        asset_text = asset_id.strip()
        if not asset_text:
            return None
        epc = asset_epc(asset_id, identifier, scheme)
        canon = self._canon
        return (
            canon.uncached(epc),
            canon.uncached(asset_text),
            _kept(orjson.dumps(epc)),
            _kept(orjson.dumps(asset_id)),
        )


def _kept(data: bytes) -> bytes:
    """A copy of exactly its length, to keep: orjson's bytes hold the whole buffer it wrote
    into (~4 kB for a short string). Kept as they are, 133,319 assets' two held 1.1 GB and
    the page faults cost more CPU than the cache saved."""
    return bytes(memoryview(data))


_Parts = tuple[str, str, bytes, bytes]


@dataclass(frozen=True, slots=True)
class _Template:
    canon: Canonical
    clock: _Clock
    assets: _AssetParts
    json_head: bytes  # {"type":…,"eventID":"ni:///sha-256;
    json_middle: bytes  # ],"action":…,"tagtrail:kind":…,"tagtrail:asset":
    json_observation: bytes  # ,"tagtrail:observation":
    json_tail: bytes  # ,"tagtrail:late":…,<payload fields>}
    hash_head: str  # eventType=…eventTime=
    hash_middle: str  # action=…destinationList…
    # The sorted extension strings before the asset's, between it and the observation's,
    # after that; the asset's and the observation's keys, with their "=".
    extensions: tuple[str, str, str]
    asset_key: str
    observation_key: str

    def render(self, record: Record) -> bytes | None:
        """None: a blank asset or observation id (to_epcis then decides)."""
        canon = self.canon
        at, observation = record[2], record[3]
        asset = self.assets.get(record[1], record[13], record[14])
        if asset is None:
            return None
        epc_canon, asset_canon, epc_json, asset_json = asset
        observed, observed_json = "", b""
        if observation:
            observation_text = observation.strip()
            if not observation_text:
                return None
            observed = self.observation_key + canon.uncached(observation_text)
            observed_json = self.json_observation + orjson.dumps(observation)
        event_time, offset, utc = self.clock.times(at)
        before, between, after = self.extensions
        pre_hash = (
            f"{self.hash_head}{utc}eventTimeZoneOffset={offset}epcListepc={epc_canon}"
            f"{self.hash_middle}{before}{self.asset_key}{asset_canon}"
            f"{between}{observed}{after}"
        )
        digest = hashlib.sha256(pre_hash.encode()).hexdigest()
        return b"".join(
            (
                self.json_head,
                digest.encode(),
                _EVENT_ID_END,
                f'{event_time}","eventTimeZoneOffset":"{offset}","epcList":['.encode(),
                epc_json,
                self.json_middle,
                asset_json,
                observed_json,
                self.json_tail,
            )
        )


def _template(record: Record, directory: Directory, encoder: EventEncoder) -> _Template | None:
    """The template of the record's shape; None where the shape's events need to_epcis."""
    canon = encoder.canon
    row = record_row(record)
    shape = shape_of(row, directory)
    kind_name, asset_name, observation_name = NAMES
    if any(name in shape.facts for name in NAMES):
        return None  # a payload field overrides one of the per-event fields
    fixed = sorted(canon.extension_strings([(kind_name, row.kind), *shape.facts.items()]))
    asset_key = canon.key(asset_name) + "="
    observation_key = canon.key(observation_name) + "="
    # A fixed string that starts with such a key would sort against the value; any other
    # sorts the same way against every value (and the asset's key sorts before the other).
    if asset_key > observation_key or any(
        text.startswith((asset_key, observation_key)) for text in fixed
    ):
        return None
    asset_at = bisect_left(fixed, asset_key)
    observation_at = bisect_left(fixed, observation_key) if row.observation_id else len(fixed)
    named = {**shape.what, kind_name: row.kind}
    return _Template(
        canon=canon,
        clock=encoder.clock(shape.timezone),
        assets=encoder.assets,
        json_head=b'{"type":' + orjson.dumps(shape.event_type) + b',"eventID":"ni:///sha-256;',
        json_middle=b"]," + orjson.dumps(named)[1:-1] + b"," + orjson.dumps(asset_name) + b":",
        json_observation=b"," + orjson.dumps(observation_name) + b":",
        json_tail=(b"," + orjson.dumps(shape.facts)[1:-1] if shape.facts else b"") + b"}",
        hash_head=f"eventType={shape.event_type}eventTime=",
        hash_middle=standard_fields(canon, shape.what),
        extensions=(
            "".join(fixed[:asset_at]),
            "".join(fixed[asset_at:observation_at]),
            "".join(fixed[observation_at:]),
        ),
        asset_key=asset_key,
        observation_key=observation_key,
    )


_UNSEEN: Any = object()
