"""`tagtrail api` started as a user would, against this session's database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tagtrail.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_api_process_serves_health_and_readiness(settings: Settings) -> None:
    port = _free_port()
    assert settings.database_url is not None
    env = {
        **os.environ,
        "TAGTRAIL_DATABASE_URL": settings.database_url.get_secret_value(),
        "TAGTRAIL_KAFKA_BOOTSTRAP": settings.bootstrap_servers(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tagtrail", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "API did not answer within 30 s"
                time.sleep(0.2)
        assert health.json() == {"status": "ok"}
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit code tells the signal.
    assert process.returncode in (0, -15)
    assert b"Application shutdown complete" in output
