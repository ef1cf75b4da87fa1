"""The real broker: keyed produce → consume keeps key order on one partition."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ingest.topics import TopicSpec, ensure_topics


async def test_keyed_messages_round_trip_in_order(
    kafka_options: dict[str, object], unique_topic: str
) -> None:
    await ensure_topics(dict(kafka_options), [TopicSpec(unique_topic, 6)])
    producer = AIOKafkaProducer(**kafka_options, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        sent = []
        for i in range(60):
            key = f"urn:epc:id:grai:0614141.12345.{i % 3}".encode()
            meta = await producer.send_and_wait(
                unique_topic, f"read-{i}".encode(), key=key, headers=[("source", b"test")]
            )
            sent.append((key, meta.partition, f"read-{i}".encode()))
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        unique_topic,
        **kafka_options,
        group_id=f"g-{unique_topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received = []
    try:
        while len(received) < len(sent):
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, "no message arrived within 10 s"
            for records in batches.values():
                received.extend(records)
    finally:
        await consumer.stop()

    assert sorted(r.value for r in received) == sorted(v for _, _, v in sent)
    for key in {k for k, _, _ in sent}:
        partitions = {r.partition for r in received if r.key == key}
        assert len(partitions) == 1, "one key must stay on one partition"
        in_order = [r.value for r in sorted(received, key=lambda r: r.offset) if r.key == key]
        assert in_order == [v for k, _, v in sent if k == key]
    assert all(dict(r.headers)["source"] == b"test" for r in received)
