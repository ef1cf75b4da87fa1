"""Prometheus metrics of the ingest consumer (served on TAGTRAIL_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

READS_CONSUMED = Counter("tagtrail_reads_consumed_total", "Kafka records read from the topic")
OBSERVATIONS_APPLIED = Counter(
    "tagtrail_observations_applied_total", "Smoothed observations passed to tracker.apply"
)
READS_SUPPRESSED = Counter(
    "tagtrail_reads_suppressed_total", "Reads that changed no state", ["why"]
)
READS_LATE = Counter("tagtrail_reads_late_total", "Reads older than the smoothing window")
READS_DLQ = Counter("tagtrail_reads_dlq_total", "Records sent to the dead-letter queue", ["reason"])
UNKNOWN_TAG_READS = Counter("tagtrail_unknown_tag_reads_total", "Reads of unregistered tags")
BATCH_SIZE = Histogram(
    "tagtrail_batch_records",
    "Records per consumer batch",
    buckets=(1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000),
)
APPLY_SECONDS = Histogram(
    "tagtrail_batch_apply_seconds",
    "Time from batch start to its Postgres commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
READ_TO_COMMIT_SECONDS = Histogram(
    "tagtrail_read_to_commit_seconds",
    "Kafka record timestamp to Postgres commit",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG = Gauge(
    "tagtrail_consumer_lag_records", "High watermark minus position", ["partition"]
)
BATCH_RETRIES = Counter(
    "tagtrail_batch_retries_total", "Batches rolled back and replayed (database or broker trouble)"
)
