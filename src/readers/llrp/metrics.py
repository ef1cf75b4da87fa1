"""Prometheus metrics of the LLRP adapter, labelled by reader (served on TAGTRAIL_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

READER_CONNECTED = Gauge(
    "tagtrail_llrp_reader_connected", "1 while the reader is connected and inventorying", ["reader"]
)
READER_LAST_REPORT = Gauge(
    "tagtrail_llrp_reader_last_report_timestamp_seconds",
    "Wall-clock time the reader's last tag report arrived",
    ["reader"],
)
READER_READS_PER_S = Gauge(
    "tagtrail_llrp_reader_reads_per_second",
    "Tag reports per second, over the last interval",
    ["reader"],
)
READS_RECEIVED = Counter("tagtrail_llrp_reads_received_total", "Tag reports mapped", ["reader"])
READS_PUBLISHED = Counter(
    "tagtrail_llrp_reads_published_total", "Reads Kafka acknowledged", ["reader"]
)
READS_DROPPED = Counter(
    "tagtrail_llrp_reads_dropped_total",
    "Reads lost because Kafka did not take them before the backlog bound or the stop",
    ["reader"],
)
READS_WAITING = Gauge(
    "tagtrail_llrp_reads_waiting",
    "Reads received and not yet acknowledged by Kafka (bounded; past the bound they drop)",
    ["reader"],
)
REPORTS_UNMAPPABLE = Counter(
    "tagtrail_llrp_reports_unmappable_total",
    "Tag reports without EPC or UTC timestamp, or with impossible values",
    ["reader"],
)
PUBLISH_RETRIES = Counter(
    "tagtrail_llrp_publish_retries_total", "Batches published again after Kafka failed", ["reader"]
)
RECONNECTS = Counter(
    "tagtrail_llrp_reconnects_total",
    "Connections lost or refused, by cause",
    ["reader", "cause"],
)
