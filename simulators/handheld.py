"""A handheld scanner app: scans, check-outs and check-ins through the API, as a real one
behaves — it retries with the same Idempotency-Key when an answer is lost, and keeps scanning
while offline, uploading the backlog (each scan with its own time) when it reconnects."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

RETRY_STATUSES = {409, 429, 502, 503, 504}


class ScanRejected(RuntimeError):
    """The API refused the scan for good (4xx other than 409/429)."""


@dataclass
class HandheldDevice:
    client: httpx.AsyncClient  # base_url and Authorization set by the caller
    device_id: str
    operator: str
    offline: bool = False
    max_attempts: int = 6
    backlog: list[dict[str, Any]] = field(default_factory=list)
    sent_requests: int = 0

    async def scan(
        self,
        code: str,
        action: str = "scan",
        *,
        custodian: str | None = None,
        dispatch_id: str | None = None,
        at: datetime | None = None,
        wait: bool = False,
        lose_first_answer: bool = False,
    ) -> dict[str, Any] | None:
        """One scan; None while offline (it waits in the backlog)."""
        body = {
            "code": code,
            "device_id": self.device_id,
            "operator": self.operator,
            "action": action,
            "seen_at": (at or datetime.now(UTC)).isoformat(),
            "custodian": custodian,
            "dispatch_id": dispatch_id,
            "scan_id": uuid.uuid4().hex[:20],
        }
        if self.offline:
            self.backlog.append(body)
            return None
        return await self.send([body], wait=wait, lose_first_answer=lose_first_answer)

    def go_offline(self) -> None:
        self.offline = True

    async def come_online(self, wait: bool = False) -> dict[str, Any] | None:
        """Upload everything scanned while offline in one request."""
        self.offline = False
        if not self.backlog:
            return None
        batch, self.backlog = self.backlog, []
        return await self.send(batch, wait=wait)

    async def send(
        self, batch: list[dict[str, Any]], *, wait: bool = False, lose_first_answer: bool = False
    ) -> dict[str, Any]:
        """POST with one Idempotency-Key for every attempt, so a retry never doubles a scan."""
        key = f"{self.device_id}:{uuid.uuid4().hex}"
        delay = 0.1
        for attempt in range(self.max_attempts):
            try:
                response = await self._post(batch, key, wait)
            except httpx.TransportError:
                response = None
            if lose_first_answer and attempt == 0:
                response = None  # the answer got lost on the way back: try again
            if response is not None and response.status_code == 202:
                result: dict[str, Any] = response.json()
                return result
            if response is not None and response.status_code not in RETRY_STATUSES:
                raise ScanRejected(f"{response.status_code}: {response.text[:300]}")
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
        raise ScanRejected(f"no answer after {self.max_attempts} attempts")

    async def _post(self, batch: list[dict[str, Any]], key: str, wait: bool) -> httpx.Response:
        self.sent_requests += 1
        return await self.client.post(
            "/v1/scans",
            json=batch,
            params={"wait": str(wait).lower()},
            headers={"Idempotency-Key": key},
        )
