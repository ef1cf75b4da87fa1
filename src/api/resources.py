"""What the API needs from the outside, handed in by the composition root (tagtrail.bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ingest.publisher import Publisher


@dataclass
class ApiResources:
    engine: AsyncEngine
    kafka_options: dict[str, Any]
    publisher: Publisher


ResourcesFactory = Callable[[], AbstractAsyncContextManager[ApiResources]]
