"""Where the consumer's bytes per presence go: the smoother alone, then the tag → asset cache.

Run in a fresh process (`python -m bench.smoother_memory N`) so RSS growth is this and
nothing else; prints one JSON object. It feeds the consumer's own types (Smoother,
Sighting, ReadPoint) what the presence-memory phase publishes, one partition's smoother
per twelfth of the tags, as the consumer holds them.
"""

from __future__ import annotations

import gc
import json
import os
import sys

from bench.consumer_process import resident_bytes
from bench.presence_memory import crate_uri
from ingest.smoothing import ReadPoint, Sighting, Smoother

PARTITIONS = 12
# The consumer's defaults (tagtrail.settings): 10 s absence, 2 s cross-read window.
ABSENCE_US = 10_000_000
CROSS_READ_US = 2_000_000
START_US = 1_793_606_400_000_000  # 2026-11-02 08:00 UTC, as the bench stream


def breakdown(presences: int) -> dict[str, float]:
    """Bytes per presence of the smoother (tag strings included), then of the tag cache."""
    storage = ReadPoint("dc1-storage-rp", "dc1", "dc1-storage", "storage", "zone", None)
    smoothers = [Smoother(ABSENCE_US, CROSS_READ_US) for _ in range(PARTITIONS)]
    gc.collect()
    before = resident_bytes(os.getpid())
    tags = []  # 8 bytes a tag of this list are counted as the smoother's; the cache needs it
    for n in range(presences):
        tag = crate_uri(n)
        tags.append(tag)
        sighting = Sighting(tag, storage, START_US + n, -55.0, 1, f"dc1-storage-reader:{n}")
        smoothers[hash(tag) % PARTITIONS].feed(sighting)
    for smoother in smoothers:
        smoother.drain_changes()  # the consumer drains after every batch
    gc.collect()
    with_smoother = resident_bytes(os.getpid())
    # ingest.resolve.TagResolver: canonical tag → asset id, the tag string shared.
    assets = {tag: f"bench-crate-{n}" for n, tag in enumerate(tags)}
    gc.collect()
    with_cache = resident_bytes(os.getpid())
    assert len(assets) == presences
    return {
        "smoother_bytes_per_presence": round((with_smoother - before) / presences, 1),
        "tag_cache_bytes_per_tag": round((with_cache - with_smoother) / presences, 1),
    }


if __name__ == "__main__":
    print(json.dumps(breakdown(int(sys.argv[1]))))
