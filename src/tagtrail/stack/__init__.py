"""`tagtrail stack`: a real PostgreSQL and a real single-node Kafka on this machine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ingest.topics import ensure_topics, reads_topics, wait_for_kafka
from tagtrail.settings import Settings
from tagtrail.stack.kafka import LocalKafka
from tagtrail.stack.postgres import LocalPostgres
from tagtrail.stack.processes import StackError

__all__ = ["LocalStack", "ServiceStatus", "StackError"]

Step = Callable[[str], None]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    address: str
    version: str
    note: str = ""


class LocalStack:
    """The two services under settings.stack_dir; either may be external (then it is skipped)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        root = settings.stack_dir
        self.postgres = LocalPostgres(root, settings.stack_pg_port)
        self.kafka = LocalKafka(
            root,
            settings.stack_kafka_port,
            settings.stack_kafka_controller_port,
            settings.stack_kafka_heap,
        )

    def up(self, step: Step) -> None:
        self.settings.stack_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.uses_local_stack_db:
            self._postgres_up(step)
        else:
            step("PostgreSQL: external (TAGTRAIL_DATABASE_URL), not started")
        if self.settings.uses_local_stack_kafka:
            self._kafka_up(step)
        else:
            step("Kafka: external (TAGTRAIL_KAFKA_BOOTSTRAP), not started")
        step("Kafka: creating topics")
        created = asyncio.run(self._ensure_topics())
        step(f"Kafka: topics ready (created: {', '.join(created) or 'none'})")

    def _postgres_up(self, step: Step) -> None:
        pg = self.postgres
        step("PostgreSQL: finding server binaries")
        pg.bin_dir()
        if not pg.is_initialised():
            step("PostgreSQL: initdb")
            pg.init()
        if pg.pid() is None:
            step("PostgreSQL: starting")
            pg.start()
        step("PostgreSQL: creating role and database")
        asyncio.run(pg.ensure_role_and_database())
        version = asyncio.run(pg.wait_ready())
        step(f"PostgreSQL {version}: accepting queries on 127.0.0.1:{pg.port}")

    def _kafka_up(self, step: Step) -> None:
        kafka = self.kafka
        if not kafka.jars_ready():
            step("Kafka: resolving broker jars from Maven Central")
            kafka.resolve_jars()
        kafka.write_config()
        if not kafka.is_formatted():
            step("Kafka: formatting KRaft storage")
            kafka.format_storage()
        if kafka.pid() is None:
            step("Kafka: starting broker")
            kafka.start()
        step("Kafka: waiting for metadata")
        try:
            asyncio.run(wait_for_kafka(self.settings.kafka_client_options(), timeout_s=90))
        except TimeoutError as exc:
            raise StackError(f"{exc}; see {kafka.log_file}") from exc
        step(f"Kafka {kafka.version()}: answering on 127.0.0.1:{kafka.port}")

    async def _ensure_topics(self) -> list[str]:
        s = self.settings
        specs = reads_topics(s.topic_reads, s.topic_dlq, s.reads_partitions, s.topic_replication)
        return await ensure_topics(s.kafka_client_options(), specs)

    def down(self, wipe: bool = False) -> None:
        self.kafka.stop()
        self.postgres.stop()
        if wipe:
            self.kafka.wipe()
            self.postgres.wipe()

    def status(self) -> list[ServiceStatus]:
        return [self._postgres_status(), self._kafka_status()]

    def _postgres_status(self) -> ServiceStatus:
        if not self.settings.uses_local_stack_db:
            return ServiceStatus(
                "postgresql",
                True,
                None,
                self.settings.masked()["database_url (effective)"],
                "?",
                "external",
            )
        pg = self.postgres
        pid = pg.pid()
        version = "not installed"
        if pid is not None:
            try:
                version = asyncio.run(pg.wait_ready(timeout_s=5))
            except StackError as exc:
                return ServiceStatus(
                    "postgresql", False, pid, f"127.0.0.1:{pg.port}", "?", str(exc)
                )
        elif pg.is_initialised():
            version = (pg.data_dir / "PG_VERSION").read_text().strip()
        return ServiceStatus("postgresql", pid is not None, pid, f"127.0.0.1:{pg.port}", version)

    def _kafka_status(self) -> ServiceStatus:
        if not self.settings.uses_local_stack_kafka:
            return ServiceStatus(
                "kafka", True, None, self.settings.bootstrap_servers(), "?", "external"
            )
        kafka = self.kafka
        pid = kafka.pid()
        version = kafka.version() if kafka.jars_ready() else "not installed"
        note = ""
        if pid is not None:
            try:
                asyncio.run(wait_for_kafka(self.settings.kafka_client_options(), timeout_s=5))
            except TimeoutError:
                note = "process up, no metadata answer yet"
        return ServiceStatus(
            "kafka", pid is not None and not note, pid, f"127.0.0.1:{kafka.port}", version, note
        )
