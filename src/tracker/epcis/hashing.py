"""The CBV 2.0 event hash: `ni:///sha-256;<hex>?ver=CBV2.0` of an event's pre-hash string.

The pre-hash string lists the event's fields in the canonical property order (eventType,
eventTime in UTC at millisecond precision, eventTimeZoneOffset, epcList, …, action, bizStep,
disposition, readPoint, bizLocation, bizTransactionList, sourceList, destinationList, ilmd),
each `key=value` with CBV bare words written as their web URIs and EPC URIs as canonical
Digital Link URIs, list entries sorted, then the user extension fields as
`{namespace}name=value`, sorted; all concatenated without separators.

Where implementations disagree, tagtrail follows the standard's text (docs/epcis.md):
sourceList comes before destinationList (the reference implementation sorts them the other
way), a sub-millisecond fraction rounds half up, and an extension value that happens to equal
a CBV word stays as it is.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from tracker.epcis.digital_link import digital_link

CBV_WEB = "https://ref.gs1.org/cbv/"
HASH_VERSION = "CBV2.0"

# Standard fields that are not hashed (recordTime, eventID are set by whoever stores the
# event; the reference implementation leaves out errorDeclaration as well) and comments.
_NOT_HASHED = frozenset(
    {"type", "eventID", "recordTime", "errorDeclaration", "@context", "comment", "rdfs:comment"}
)
_LEGACY_CBV = (
    ("urn:epcglobal:cbv:bizstep:", "BizStep-"),
    ("urn:epcglobal:cbv:disp:", "Disp-"),
    ("urn:epcglobal:cbv:btt:", "BTT-"),
    ("urn:epcglobal:cbv:sdt:", "SDT-"),
    ("urn:epcglobal:cbv:er:", "ER-"),
)
_NUMBER_START = frozenset("+-.0123456789")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})"
)


class UnsupportedEventField(ValueError):
    """The event carries a field this hash does not canonicalise (sensor data)."""


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    """`namespaces`: prefix → IRI of the document's extension prefixes (its @context)."""
    digest = hashlib.sha256(pre_hash(event, namespaces).encode()).hexdigest()
    return f"ni:///sha-256;{digest}?ver={HASH_VERSION}"


def pre_hash(event: Mapping[str, Any], namespaces: Mapping[str, str]) -> str:
    if "sensorElementList" in event:
        raise UnsupportedEventField("sensorElementList is not hashed by tagtrail")
    canon = canonical(namespaces)
    extensions = [(key, value) for key, value in event.items() if key not in _NOT_EXTENSION]
    return (
        f"eventType={event['type']}"
        + standard_fields(canon, event)
        + "".join(sorted(canon.extension_strings(extensions)))
    )


def standard_fields(canon: Canonical, event: Mapping[str, Any]) -> str:
    """The pre-hash string of the event's standard fields past eventType, in canonical order."""
    return "".join(render(canon, name, event[name]) for name, render in _ORDER if name in event)


_CACHE_ENTRIES = 65_536
_CANONS: dict[tuple[tuple[str, str], ...], Canonical] = {}


def canonical(namespaces: Mapping[str, str]) -> Canonical:
    """One `Canonical` (and its memo of canonical forms) per set of extension prefixes: an
    export hashes every event with the same prefixes, and names the same values over and
    over. The canonical forms depend only on the prefixes and the value's text."""
    key = tuple(sorted(namespaces.items()))
    canon = _CANONS.get(key)
    if canon is None:
        if len(_CANONS) >= 64:
            _CANONS.clear()
        canon = _CANONS[key] = Canonical(dict(key))
    return canon


class Canonical:
    """Value canonicalisation, with the document's extension prefixes."""

    def __init__(self, namespaces: Mapping[str, str]) -> None:
        self.namespaces = namespaces
        self._values: dict[str, str] = {}
        self._words: dict[tuple[str, str], str] = {}
        self._keys: dict[str, str] = {}
        self._fields: dict[tuple[str, str], str] = {}

    def value(self, raw: object) -> str:
        text = raw if type(raw) is str else _text(raw)
        known = self._values.get(text)
        if known is None:
            if len(self._values) >= _CACHE_ENTRIES:
                self._values.clear()
            known = self._values[text] = self._value(text)
        return known

    def uncached(self, raw: str) -> str:
        """`value` for text that seldom repeats (an event's own ids): no memo to fill."""
        return self._value(raw)

    def _value(self, raw: str) -> str:
        text = raw.strip()
        if ":" in text:
            text = self.curie(text)
            if "urn:epcglobal:cbv:" in text:
                for urn, web in _LEGACY_CBV:
                    text = text.replace(urn, f"{CBV_WEB}{web}")
            if text.startswith("urn:epc:id:"):
                return digital_link(text) or text
        elif text[:1] in _NUMBER_START and _NUMBER.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                text = str(int(number)) if number.is_integer() else str(number)
        return text

    def vocabulary(self, raw: object, kind: str) -> str:
        """A CBV field: a bare word becomes its web URI."""
        memo = (raw if type(raw) is str else _text(raw), kind)
        known = self._words.get(memo)
        if known is None:
            if len(self._words) >= _CACHE_ENTRIES:
                self._words.clear()
            known = self._words[memo] = self._vocabulary(memo[0], kind)
        return known

    def _vocabulary(self, raw: str, kind: str) -> str:
        text = raw.strip()
        if text and ":" not in text:
            return f"{CBV_WEB}{kind}-{text}"
        return self.value(text)

    def curie(self, text: str) -> str:
        prefix, colon, rest = text.partition(":")
        if colon and prefix in self.namespaces:
            return f"{self.namespaces[prefix]}{rest}"
        return text

    def key(self, name: str) -> str:
        known = self._keys.get(name)
        if known is None:
            if len(self._keys) >= _CACHE_ENTRIES:
                self._keys.clear()
            known = self._keys[name] = self._key(name)
        return known

    def _key(self, name: str) -> str:
        prefix, colon, rest = name.partition(":")
        if colon and prefix in self.namespaces:
            return f"{{{self.namespaces[prefix]}}}{rest}"
        return name

    def extensions(self, fields: Iterable[tuple[str, Any]]) -> str:
        """User extension fields (also nested ones): `{ns}name=value`, siblings sorted."""
        return "".join(sorted(self.extension_strings(fields)))

    def extension_strings(self, fields: Iterable[tuple[str, Any]]) -> list[str]:
        """One `{ns}name=value` (or `{ns}name<children>`) per field and list item, unsorted."""
        strings = []
        for name, value in fields:
            for item in _items(value):
                strings.append(self._extension(self.key(name), item))
        return strings

    def _extension(self, key: str, value: Any) -> str:
        if type(value) is str:
            memo = (key, value)
            known = self._fields.get(memo)
            if known is None:
                if len(self._fields) >= _CACHE_ENTRIES:
                    self._fields.clear()
                known = self._fields[memo] = self._scalar_extension(key, value)
            return known
        if isinstance(value, Mapping):
            children = [(k, v) for k, v in value.items() if k not in _NOT_HASHED]
            return key + self.extensions(children)
        return self._scalar_extension(key, value)

    def _scalar_extension(self, key: str, value: Any) -> str:
        text = _text(value).strip()
        return f"{key}={self.value(text)}" if text else key


def _text(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return "" if raw is None else str(raw)


def _items(value: Any) -> list[Any]:
    """A JSON list stands for repeated elements of one name; null for none."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item for element in value for item in _items(element)]
    return [value]


def utc_milliseconds(timestamp: str) -> str:
    """`2026-11-02T09:00:00.1234+01:00` → `2026-11-02T08:00:00.123Z` (half up past ms)."""
    match = _TIME.fullmatch(timestamp.strip())
    if match is None:
        return timestamp.strip()
    seconds, fraction, offset = match.groups()
    fraction = fraction or ""
    millis = int((fraction + "000")[:3])
    if len(fraction) > 3 and fraction[3] >= "5":
        millis += 1
    if millis < 1000 and seconds[17:] < "60":
        # No carry into the minute: offsets are whole minutes, so only the minute moves.
        return f"{_utc_minute(seconds[:16], offset)}:{seconds[17:]}.{millis:03d}Z"
    moment = datetime.fromisoformat(seconds + ("+00:00" if offset == "Z" else offset))
    moment = moment.astimezone(UTC) + timedelta(milliseconds=millis)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@lru_cache(maxsize=65_536)
def _utc_minute(minute: str, offset: str) -> str:
    """`2026-11-02T09:00`, `+01:00` → `2026-11-02T08:00` (events share their minutes)."""
    moment = datetime.fromisoformat(minute + ":00" + ("+00:00" if offset == "Z" else offset))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


Render = Callable[[Canonical, str, Any], str]


def _scalar(canon: Canonical, name: str, value: Any) -> str:
    text = canon.value(value)
    return f"{name}={text}" if text else ""


def _time(_canon: Canonical, name: str, value: Any) -> str:
    return f"{name}={utc_milliseconds(_text(value))}"


def _as_is(_canon: Canonical, name: str, value: Any) -> str:
    text = _text(value).strip()
    return f"{name}={text}" if text else ""


def _word(kind: str) -> Render:
    def render(canon: Canonical, name: str, value: Any) -> str:
        return f"{name}={canon.vocabulary(value, kind)}"

    return render


def _epcs(canon: Canonical, name: str, values: Any) -> str:
    entries = sorted(f"epc={canon.value(v)}" for v in _items(values))
    return name + "".join(entries) if entries else ""


def _quantities(canon: Canonical, name: str, values: Any) -> str:
    entries = []
    for element in _items(values):
        fields = [
            f"{field}={canon.value(element[field])}"
            for field in ("epcClass", "quantity", "uom")
            if field in element
        ]
        entries.append("quantityElement" + "".join(fields))
    return name + "".join(sorted(entries)) if entries else ""


def _persistent(canon: Canonical, name: str, value: Any) -> str:
    parts = []
    for field in ("set", "unset"):
        words = sorted(f"{field}={canon.vocabulary(v, 'Disp')}" for v in _items(value.get(field)))
        parts.extend(words)
    return name + "".join(parts) if parts else ""


def _place(canon: Canonical, name: str, value: Any) -> str:
    extra = [(k, v) for k, v in value.items() if k != "id"]
    return f"{name}id={canon.value(value['id'])}{canon.extensions(extra)}"


def _typed_list(key: str) -> Render:
    """bizTransactionList / sourceList / destinationList: `type=…` before the value, as the
    reference implementation's published pre-hash strings write it; entries sorted."""
    kind = "BTT" if key == "bizTransaction" else "SDT"

    def render(canon: Canonical, name: str, values: Any) -> str:
        entries = []
        for element in _items(values):
            typed = f"type={canon.vocabulary(element['type'], kind)}" if "type" in element else ""
            entries.append(f"{typed}{key}={canon.value(element[key])}")
        return name + "".join(sorted(entries)) if entries else ""

    return render


def _ilmd(canon: Canonical, name: str, value: Any) -> str:
    return name + canon.extensions(value.items())


# The canonical property order (CBV 2.0 §8.9; sensorElementList refused above).
_ORDER: tuple[tuple[str, Render], ...] = (
    ("eventTime", _time),
    ("eventTimeZoneOffset", _as_is),
    ("certificationInfo", _scalar),
    ("epcList", _epcs),
    ("parentID", _scalar),
    ("inputEPCList", _epcs),
    ("childEPCs", _epcs),
    ("quantityList", _quantities),
    ("childQuantityList", _quantities),
    ("inputQuantityList", _quantities),
    ("outputEPCList", _epcs),
    ("outputQuantityList", _quantities),
    ("action", _as_is),
    ("transformationID", _scalar),
    ("bizStep", _word("BizStep")),
    ("disposition", _word("Disp")),
    ("persistentDisposition", _persistent),
    ("readPoint", _place),
    ("bizLocation", _place),
    ("bizTransactionList", _typed_list("bizTransaction")),
    ("sourceList", _typed_list("source")),
    ("destinationList", _typed_list("destination")),
    ("ilmd", _ilmd),
)
_STANDARD = frozenset(name for name, _ in _ORDER)
_NOT_EXTENSION = _STANDARD | _NOT_HASHED
