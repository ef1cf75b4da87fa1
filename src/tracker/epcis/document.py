"""EPCIS 2.0 documents: the whole document at once, or written event by event to a stream
(constant memory, however long the history)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson

from tracker.epcis.vocabulary import SCHEMA_VERSION, document_context


def header(created_at: datetime) -> dict[str, Any]:
    """Everything of an EPCISDocument but its event list."""
    return {
        "@context": document_context(),
        "type": "EPCISDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": _timestamp(created_at),
    }


def epcis_document(events: Iterable[Mapping[str, Any]], created_at: datetime) -> dict[str, Any]:
    return {**header(created_at), "epcisBody": {"eventList": list(events)}}


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DocumentWriter:
    """Writes `{…header, "epcisBody": {"eventList": [` once, then each event as it comes, then
    the closing brackets: valid JSON once `close` has run, whatever the number of events."""

    def __init__(self, out: BinaryIO, created_at: datetime) -> None:
        self._out = out
        self._created_at = created_at
        self._events = 0
        self._open = False

    @property
    def events(self) -> int:
        return self._events

    def open(self) -> None:
        head = orjson.dumps(header(self._created_at))
        # The header object without its closing brace, continued by the body.
        self._out.write(head[:-1] + b',"epcisBody":{"eventList":[')
        self._open = True

    def write(self, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            self._out.write(b"\n" if self._events == 0 else b",\n")
            self._out.write(orjson.dumps(event))
            self._events += 1

    def write_encoded(self, events: Sequence[bytes]) -> None:
        """Events already JSON (`tracker.epcis.export`), written in one go."""
        if events:
            self._out.write((b"\n" if self._events == 0 else b",\n") + b",\n".join(events))
            self._events += len(events)

    def close(self) -> None:
        if self._open:
            self._out.write(b"\n]}}\n")
            self._open = False
