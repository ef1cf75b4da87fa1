"""A PostgreSQL cluster of our own under .stack/, run with Debian's server binaries."""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tagtrail.stack.processes import StackError, apt_install, read_pid, run

ROLE = "tagtrail"
DATABASE = "tagtrail"
# The stack's role password. The cluster listens on loopback only; real deployments set
# TAGTRAIL_DATABASE_URL with their own credentials instead.
ROLE_PASSWORD = "tagtrail"
SERVICE_USER = "postgres"


def find_bin_dir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


@dataclass
class LocalPostgres:
    root: Path
    port: int

    @property
    def home(self) -> Path:
        return self.root / "postgres"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    @property
    def superuser_password_file(self) -> Path:
        return self.home / "superuser.password"

    def bin_dir(self) -> Path:
        found = find_bin_dir()
        if found is None:
            apt_install(["postgresql"])
            found = find_bin_dir()
        if found is None:
            raise StackError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        return found

    @property
    def _as_user(self) -> str | None:
        return SERVICE_USER if os.geteuid() == 0 else None

    def _chown_to_service_user(self, path: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVICE_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """initdb once: loopback TCP only, SCRAM passwords, no Unix socket to clash with others."""
        bin_dir = self.bin_dir()
        self.home.mkdir(parents=True, exist_ok=True)
        self._chown_to_service_user(self.home)
        if self._as_user is not None:
            try:
                run(["test", "-w", str(self.home)], as_user=self._as_user, timeout=10)
            except StackError as exc:
                raise StackError(
                    f"the {SERVICE_USER} user cannot write {self.home}; choose a "
                    "TAGTRAIL_STACK_DIR whose parents it can enter"
                ) from exc
        password_file = self.superuser_password_file
        password_file.write_text(secrets.token_urlsafe(24))
        password_file.chmod(0o600)
        self._chown_to_service_user(password_file)
        run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                f"--pwfile={password_file}",
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            as_user=self._as_user,
        )
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# tagtrail local stack\n"
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "max_wal_size = 2GB\n"
            )

    def pid(self) -> int | None:
        """The postmaster's PID if it is running (pg_ctl's own PID file, postmaster.pid)."""
        if not self.is_initialised():
            return None
        try:
            run(
                [str(self.bin_dir() / "pg_ctl"), "status", "-D", str(self.data_dir)],
                as_user=self._as_user,
                timeout=30,
            )
        except StackError:
            return None
        return read_pid(self.data_dir / "postmaster.pid")

    def start(self) -> None:
        if not self.log_file.exists():
            self.log_file.touch()
            self._chown_to_service_user(self.log_file)
        run(
            [
                str(self.bin_dir() / "pg_ctl"),
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "90",
            ],
            as_user=self._as_user,
            timeout=120,
        )

    def stop(self) -> None:
        if self.pid() is None:
            return
        run(
            [
                str(self.bin_dir() / "pg_ctl"),
                "stop",
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
            ],
            as_user=self._as_user,
            timeout=90,
        )

    def wipe(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    async def _superuser(self) -> asyncpg.Connection:
        password = self.superuser_password_file.read_text().strip()
        conn: asyncpg.Connection = await asyncpg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=password,
            database="postgres",
            timeout=10,
        )
        return conn

    async def ensure_role_and_database(self) -> None:
        conn = await self._superuser()
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE):
                # CREATEDB: the test suite makes a fresh database per session.
                await conn.execute(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE_PASSWORD}'")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
                await conn.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        finally:
            await conn.close()

    async def wait_ready(self, timeout_s: float = 60) -> str:
        """Wait until the tagtrail role can run a query; return the server's version."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                conn = await asyncpg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=ROLE,
                    password=ROLE_PASSWORD,
                    database=DATABASE,
                    timeout=5,
                )
                try:
                    version: str = await conn.fetchval("SHOW server_version")
                    return version
                finally:
                    await conn.close()
            except (OSError, asyncpg.PostgresError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise StackError(f"PostgreSQL on port {self.port} not ready: {exc}") from exc
                await asyncio.sleep(0.3)
