"""JSON responses rendered by orjson (FastAPI's own ORJSONResponse is deprecated)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class ModelResponse(JSONResponse):
    """A validated response model, serialised by pydantic-core straight to JSON bytes.

    The hot read routes return one: FastAPI then skips its own pass over the result (a second
    validation against the route's response_model, a dump to Python objects, then orjson),
    which cost as much as building the model. The JSON is the same as that pass writes.
    """

    def render(self, content: Any) -> bytes:
        assert isinstance(content, BaseModel)
        return content.__pydantic_serializer__.to_json(content)
