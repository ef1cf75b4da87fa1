"""Starting tagtrail processes for e2e tests, as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass

import httpx

from tagtrail.settings import Settings


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    admin_key: str
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.db_url(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
        "TAGTRAIL_TOPIC_READS": settings.topic_reads,
        "TAGTRAIL_TOPIC_DLQ": settings.topic_dlq,
        "TAGTRAIL_LOG_LEVEL": "WARNING",
    }


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(f"{base_url}/healthz", timeout=1)
            return
        except httpx.TransportError:
            assert process.poll() is None, "the API process exited"
            assert time.monotonic() < deadline, f"API did not answer within {timeout_s} s"
            time.sleep(0.2)
