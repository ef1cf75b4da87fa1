"""Starting, finding and stopping the stack's own processes, and installing what they need."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


class StackError(RuntimeError):
    """A step of the local stack failed; the message says which and why."""


def run(cmd: Sequence[str], *, as_user: str | None = None, timeout: float = 300) -> str:
    """Run a command to completion; raise StackError with its output when it fails."""
    full = list(cmd)
    if as_user is not None and os.geteuid() == 0:
        # PostgreSQL refuses to run as root, so as root we act as its system user.
        full = ["runuser", "-u", as_user, "--", *full]
    try:
        done = subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise StackError(f"{full[0]} not found: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{' '.join(full)} did not finish in {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
        raise StackError(f"{' '.join(full)} exited {done.returncode}:\n" + "\n".join(tail))
    return done.stdout


def apt_install(packages: Sequence[str]) -> None:
    """Install Debian packages; only possible as root (the project's machines and CI)."""
    if os.geteuid() != 0:
        raise StackError(
            f"missing {', '.join(packages)}; install them (apt-get install {' '.join(packages)}) "
            "or point TAGTRAIL_DATABASE_URL / TAGTRAIL_KAFKA_BOOTSTRAP at existing clusters"
        )
    env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
    run([*env_cmd, "apt-get", "update", "-q"], timeout=600)
    run(
        [*env_cmd, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        timeout=1200,
    )


def require_binary(name: str, apt_package: str) -> str:
    found = shutil.which(name)
    if found is None:
        apt_install([apt_package])
        found = shutil.which(name)
    if found is None:
        raise StackError(f"{name} still missing after installing {apt_package}")
    return found


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def process_cmdline(pid: int) -> str | None:
    """The command line of a live process, or None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    if state == "Z":  # a zombie has exited; only its parent has not reaped it yet
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def owned_pid(pid_file: Path, marker: str) -> int | None:
    """The PID in the file if that process is alive and is ours (its command line has marker).

    The marker guards against PID reuse: a stale PID file must never make us kill a stranger.
    """
    pid = read_pid(pid_file)
    if pid is None:
        return None
    cmdline = process_cmdline(pid)
    if cmdline is None or marker not in cmdline:
        return None
    return pid


def terminate(pid: int, grace_s: float = 30.0) -> None:
    """SIGTERM, wait for a clean exit, SIGKILL after the grace period."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if process_cmdline(pid) is None:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while process_cmdline(pid) is not None:
        time.sleep(0.05)
