"""Opaque keyset-paging cursors: the position after a page, as the API hands it out."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import HTTPException


def make_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def read_cursor(cursor: str | None) -> Any:
    """The position in a cursor this API made; anything else is a 422, never a 500."""
    if cursor is None:
        return None
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise HTTPException(422, "cursor: not a cursor this API gave out") from None
