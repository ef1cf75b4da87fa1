"""A single-node Apache Kafka (KRaft) whose jars come from Maven Central, run with Java 17."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tagtrail.stack.processes import StackError, owned_pid, require_binary, run, terminate

MAIN_CLASS = "kafka.Kafka"


def _pom_text() -> str:
    return resources.files("tagtrail.stack").joinpath("pom.xml").read_text()


@dataclass
class LocalKafka:
    root: Path
    port: int
    controller_port: int
    heap: str = "512m"

    @property
    def home(self) -> Path:
        return self.root / "kafka"

    @property
    def libs(self) -> Path:
        return self.home / "libs"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "kafka.log"

    def jars_ready(self) -> bool:
        marker = self.libs / ".pom-sha256"
        return marker.exists() and marker.read_text() == _pom_digest()

    def resolve_jars(self) -> None:
        """mvn dependency:copy-dependencies of the pom kept in the repo (cached in ~/.m2)."""
        mvn = require_binary("mvn", "maven")
        require_binary("java", "openjdk-17-jre-headless")
        self.home.mkdir(parents=True, exist_ok=True)
        pom = self.home / "pom.xml"
        pom.write_text(_pom_text())
        shutil.rmtree(self.libs, ignore_errors=True)
        run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                "-DincludeScope=runtime",
            ],
            timeout=900,
        )
        if not any(self.libs.glob("kafka_2.13-*.jar")):
            raise StackError(f"Maven resolved no Kafka broker jar into {self.libs}")
        (self.libs / ".pom-sha256").write_text(_pom_digest())

    def version(self) -> str:
        jars = sorted(self.libs.glob("kafka_2.13-*.jar"))
        return jars[-1].stem.removeprefix("kafka_2.13-") if jars else "unknown"

    def write_config(self) -> None:
        self.config_file.write_text(
            "# written by `tagtrail stack up`\n"
            "process.roles=broker,controller\n"
            "node.id=1\n"
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}\n"
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}\n"
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}\n"
            "controller.listener.names=CONTROLLER\n"
            "inter.broker.listener.name=PLAINTEXT\n"
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
            f"log.dirs={self.data_dir}\n"
            "num.partitions=1\n"
            "auto.create.topics.enable=false\n"
            "offsets.topic.replication.factor=1\n"
            "offsets.topic.num.partitions=12\n"
            "transaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\n"
            "share.coordinator.state.topic.replication.factor=1\n"
            "share.coordinator.state.topic.min.isr=1\n"
            "group.initial.rebalance.delay.ms=0\n"
            "log.retention.hours=168\n"
        )

    def is_formatted(self) -> bool:
        return (self.data_dir / "meta.properties").exists()

    def format_storage(self) -> None:
        # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding, which is
        # what `StorageTool random-uuid` prints; making it here saves a JVM start.
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        (self.home / "cluster.id").write_text(cluster_id)
        run(
            [
                self._java(),
                "-cp",
                f"{self.libs}/*",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.config_file),
            ],
            timeout=120,
        )

    def pid(self) -> int | None:
        return owned_pid(self.pid_file, str(self.config_file))

    def start(self) -> int:
        log = self.log_file.open("ab")
        command = [
            self._java(),
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp",
            f"{self.libs}/*",
            MAIN_CLASS,
            str(self.config_file),
        ]
        # A session of its own, so that Ctrl-C in the shell that ran `stack up` does not reach it.
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.pid_file.write_text(f"{process.pid}\n")
        return process.pid

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            terminate(pid, grace_s=30)
        self.pid_file.unlink(missing_ok=True)

    def wipe(self) -> None:
        # The jars are no data: keep them so the next `up` needs no Maven run.
        shutil.rmtree(self.data_dir, ignore_errors=True)
        for name in ("cluster.id", "kafka.log", "server.properties"):
            (self.home / name).unlink(missing_ok=True)

    def _java(self) -> str:
        return require_binary("java", "openjdk-17-jre-headless")


def _pom_digest() -> str:
    return hashlib.sha256(_pom_text().encode()).hexdigest()
