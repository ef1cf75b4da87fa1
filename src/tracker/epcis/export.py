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
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from tracker.epcis.hashing import HASH_VERSION, Canonical, canonical, standard_fields
from tracker.epcis.hashing import utc_milliseconds as _utc_milliseconds
from tracker.epcis.identifiers import asset_epc
from tracker.epcis.mapping import Directory, local_time, shape_of, to_epcis
from tracker.epcis.rules import REGISTERED
from tracker.epcis.store import record_row
from tracker.epcis.vocabulary import extension, namespaces

Record = Sequence[Any]
_TEMPLATES = 65_536
# The fields of mapping.tagtrail_names: the same in every event of a shape but for their values.
NAMES = (extension("kind"), extension("asset"), extension("observation"))
_EVENT_ID_END = f'?ver={HASH_VERSION}","eventTime":"'.encode()


class EventEncoder:
    """One per export (its directory); keeps the templates of the shapes it has met."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self._canon = canonical(namespaces())
        self._templates: dict[tuple[Any, ...], _Template | None] = {}

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
            template = self._templates[key] = _template(record, self._directory, self._canon)
        line = template.render(record) if template is not None else None
        if line is None:
            return orjson.dumps(to_epcis(record_row(record), self._directory))
        return line


@dataclass(frozen=True, slots=True)
class _Template:
    canon: Canonical
    timezone: ZoneInfo
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
        asset_id, at, observation = record[1], record[2], record[3]
        identifier, scheme = record[13], record[14]
        asset_text = asset_id.strip()
        if not asset_text:
            return None
        observed, observed_json = "", b""
        if observation:
            observation_text = observation.strip()
            if not observation_text:
                return None
            observed = self.observation_key + canon.value(observation_text)
            observed_json = self.json_observation + orjson.dumps(observation)
        event_time, offset = local_time(at, self.timezone)
        if offset == "+00:00" and len(event_time) == 29 and event_time[0] != "0":
            utc = event_time[:23] + "Z"  # what utc_milliseconds makes of it, without parsing
        else:
            utc = _utc_milliseconds(event_time)
        epc = asset_epc(asset_id, identifier, scheme)
        before, between, after = self.extensions
        pre_hash = (
            f"{self.hash_head}{utc}eventTimeZoneOffset={offset}epcListepc={canon.value(epc)}"
            f"{self.hash_middle}{before}{self.asset_key}{canon.value(asset_text)}"
            f"{between}{observed}{after}"
        )
        digest = hashlib.sha256(pre_hash.encode()).hexdigest()
        return b"".join(
            (
                self.json_head,
                digest.encode(),
                _EVENT_ID_END,
                f'{event_time}","eventTimeZoneOffset":"{offset}","epcList":['.encode(),
                orjson.dumps(epc),
                self.json_middle,
                orjson.dumps(asset_id),
                observed_json,
                self.json_tail,
            )
        )


def _template(record: Record, directory: Directory, canon: Canonical) -> _Template | None:
    """The template of the record's shape; None where the shape's events need to_epcis."""
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
        timezone=shape.timezone,
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
