"""The schema check the EPCIS tests rely on is the official one and really checks — through
Python jsonschema and through the compiled validator the whole-history tests use — and the
documents tagtrail writes (at once or streamed) are valid EPCIS 2.0 documents."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from epcis_support import fast_schema_errors, schema_errors, single_event_document
from test_epcis_mapping import CASES, DIRECTORY

from tracker.epcis import DocumentWriter, epcis_document, to_epcis

CREATED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
VALIDATORS = pytest.mark.parametrize("check", [schema_errors, fast_schema_errors])
GOOD: dict[str, Any] = to_epcis(CASES[5][1], DIRECTORY)  # left on a dispatch


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"bizStep": "urn:epcglobal:cbv:bizstep:shipping"}, "bizStep"),
        ({"bizStep": "dispatching"}, "bizStep"),  # not a CBV word
        ({"disposition": "lost"}, "disposition"),
        ({"action": "MOVE"}, "action"),
        ({"eventTime": "2026-11-02 09:00"}, "eventTime"),
        ({"eventTimeZoneOffset": "+1:00"}, "eventTimeZoneOffset"),
        ({"readPoint": {"id": "not a uri"}}, "readPoint"),
        ({"acme:colour": "blue"}, "acme:colour"),  # a prefix the @context does not declare
    ],
)
@VALIDATORS
def test_the_official_schema_refuses_what_epcis_2_does_not_allow(
    change: dict[str, Any], complaint: str, check: Callable[[dict[str, Any]], list[str]]
) -> None:
    errors = check(single_event_document({**GOOD, **change}))

    assert errors, "the schema check accepted an invalid event"
    assert any(complaint in error for error in errors), errors


@VALIDATORS
def test_a_transaction_event_needs_its_transactions(
    check: Callable[[dict[str, Any]], list[str]],
) -> None:
    turnaround = to_epcis(next(row for name, row, _ in CASES if name == "turnaround"), DIRECTORY)
    del turnaround["bizTransactionList"]

    assert check(single_event_document(turnaround))


def test_both_validators_accept_every_mapped_kind() -> None:
    document = epcis_document([to_epcis(row, DIRECTORY) for _, row, _ in CASES], CREATED)

    assert schema_errors(document) == fast_schema_errors(document) == []


def test_a_streamed_document_is_the_document_and_valid() -> None:
    events = [to_epcis(row, DIRECTORY) for _, row, _ in CASES]
    out = io.BytesIO()
    writer = DocumentWriter(out, CREATED)

    writer.open()
    writer.write(events[:10])
    writer.write(events[10:])
    writer.close()

    streamed = json.loads(out.getvalue())
    assert streamed == json.loads(json.dumps(epcis_document(events, CREATED)))
    assert writer.events == len(events)
    assert streamed["creationDate"] == "2026-11-24T12:00:00.000Z"
    assert schema_errors(streamed) == []


def test_an_empty_history_is_a_valid_document() -> None:
    out = io.BytesIO()
    writer = DocumentWriter(out, CREATED)
    writer.open()
    writer.close()

    document = json.loads(out.getvalue())
    assert document["epcisBody"] == {"eventList": []}
    assert schema_errors(document) == []
