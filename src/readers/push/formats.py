"""What the vendor mappers share: JSON array or NDJSON bodies, deterministic read ids."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


class PushFormatError(ValueError):
    """A pushed body that cannot be mapped; `path` points at the element at fault."""

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(f"{message} - at `{path}`")
        self.path = path


def parse_json_lines(body: bytes) -> list[Any]:
    """A JSON array, a single JSON object, or NDJSON (one object per line, as the R700 and
    Zebra's HTTP post stream them)."""
    stripped = body.strip()
    if not stripped:
        raise PushFormatError("empty body")
    try:
        parsed = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return _ndjson(stripped)
    return parsed if isinstance(parsed, list) else [parsed]


def _ndjson(body: bytes) -> list[Any]:
    events = []
    for number, line in enumerate(body.splitlines()):
        if not line.strip():
            continue
        try:
            events.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise PushFormatError(f"line {number + 1} is not JSON: {exc}", f"$[{number}]") from None
    return events


def read_id_for(*parts: object) -> str:
    """Deterministic, so a reader that re-sends a report produces the same read id."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"push:{digest}"
