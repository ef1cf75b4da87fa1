"""The topics tagtrail uses, and waiting for a broker to answer metadata requests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

# A poison message of about 1 MB must reach the DLQ rather than be refused by the broker, so
# the reads topics accept messages a little larger than Kafka's 1 MiB default.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication: int = 1
    configs: dict[str, str] = field(default_factory=dict)


def reads_topics(reads: str, dlq: str, partitions: int, replication: int = 1) -> list[TopicSpec]:
    configs = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    # The DLQ needs no parallelism; three partitions keep it cheap but not a single hot spot.
    return [
        TopicSpec(reads, partitions, replication, configs),
        TopicSpec(dlq, 3, replication, configs),
    ]


async def wait_for_kafka(client_options: dict[str, Any], timeout_s: float = 90) -> int:
    """Wait until the cluster answers a metadata request; return how many brokers it has."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last_error: Exception | None = None
    while asyncio.get_running_loop().time() < deadline:
        admin = AIOKafkaAdminClient(**client_options, request_timeout_ms=5000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return len(cluster["brokers"])
        except (KafkaError, OSError) as exc:
            last_error = exc
        finally:
            await admin.close()
        await asyncio.sleep(0.5)
    raise TimeoutError(
        f"Kafka at {client_options['bootstrap_servers']} gave no metadata in {timeout_s:.0f} s: "
        f"{last_error!r}"
    )


async def ensure_topics(client_options: dict[str, Any], specs: list[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(s.name, s.partitions, s.replication, topic_configs=s.configs)
                    for s in missing
                ],
                timeout_ms=30000,
            )
            await _wait_until_listed(admin, {s.name for s in missing})
        return [spec.name for spec in missing]
    finally:
        await admin.close()


async def _wait_until_listed(admin: AIOKafkaAdminClient, names: set[str]) -> None:
    for _ in range(100):
        if names <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics {sorted(names)} were created but never appeared")


async def kafka_reachable(client_options: dict[str, Any], timeout_s: float = 2.0) -> bool:
    """One metadata request within the timeout: the readiness probe's question."""
    admin = AIOKafkaAdminClient(**client_options, request_timeout_ms=int(timeout_s * 1000))
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            await admin.describe_cluster()
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()
    return True
