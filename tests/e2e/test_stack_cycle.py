"""`tagtrail stack up && status && down`, twice, on a stack of its own (own dir and ports)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

TAGTRAIL = [sys.executable, "-m", "tagtrail"]
PG_PORT, KAFKA_PORT = 55532, 59192


def _run(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TAGTRAIL, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _our_processes(stack_dir: Path) -> list[str]:
    """Command lines of live processes that belong to this stack (Kafka or postgres)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if str(stack_dir) in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(cmdline)
    return found


async def _query(sql: str) -> object:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=PG_PORT, user="tagtrail", password="tagtrail", database="tagtrail"
    )
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


@pytest.fixture
def stack_env() -> Iterator[dict[str, str]]:
    # Not pytest's tmp_path: its parent is private to root, and postgres (the service user
    # the stack runs the server as) must reach its data directory.
    tmp_path = Path(tempfile.mkdtemp(prefix="tagtrail-e2e-"))
    tmp_path.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TAGTRAIL_DATABASE_URL", "TAGTRAIL_KAFKA_BOOTSTRAP")
    }
    env.update(
        {
            "TAGTRAIL_STACK_DIR": str(tmp_path / "stack"),
            "TAGTRAIL_STACK_PG_PORT": str(PG_PORT),
            "TAGTRAIL_STACK_KAFKA_PORT": str(KAFKA_PORT),
            "TAGTRAIL_STACK_KAFKA_CONTROLLER_PORT": str(KAFKA_PORT + 1),
            "TAGTRAIL_READS_PARTITIONS": "3",
        }
    )
    yield env
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_up_status_down_twice_leaves_nothing_running(stack_env: dict[str, str]) -> None:
    stack_dir = Path(stack_env["TAGTRAIL_STACK_DIR"])
    try:
        for round_no in (1, 2):
            up = _run(["stack", "up"], stack_env)
            assert up.returncode == 0, up.stdout + up.stderr
            status = _run(["stack", "status"], stack_env)
            assert status.returncode == 0, status.stdout + status.stderr
            assert status.stdout.count("running") == 2
            assert "4.1.1" in status.stdout and str(PG_PORT) in status.stdout
            if round_no == 1:
                asyncio.run(_query("CREATE TABLE survives (x int)"))
                assert "created: tagtrail.reads, tagtrail.reads.dlq" in up.stdout
            else:
                # Data survive down/up: the table and the topics are still there.
                assert asyncio.run(_query("SELECT count(*) FROM survives")) == 0
                assert "created: none" in up.stdout
            down = _run(["stack", "down"], stack_env)
            assert down.returncode == 0, down.stdout + down.stderr
            assert _our_processes(stack_dir) == []
            stopped = _run(["stack", "status"], stack_env)
            assert stopped.returncode == 1 and stopped.stdout.count("stopped") == 2
    finally:
        _run(["stack", "down", "--wipe"], stack_env)
    assert _our_processes(stack_dir) == []
    assert not (stack_dir / "postgres").exists()
    assert not (stack_dir / "kafka" / "data").exists()


def test_second_up_with_everything_running_is_quick(stack_env: dict[str, str]) -> None:
    try:
        first = _run(["stack", "up"], stack_env)
        assert first.returncode == 0, first.stdout + first.stderr
        second = _run(["stack", "up"], stack_env, timeout=15)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "starting" not in second.stdout  # nothing restarted
    finally:
        _run(["stack", "down", "--wipe"], stack_env)
