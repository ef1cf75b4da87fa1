"""The rejects file: every refused row with its line number and reason, in file order."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from tracker.registry_import.rows import COLUMNS
from tracker.registry_import.staging import ROWS_TABLE

REJECTS_HEADER = ("line", "problem", "reason", *COLUMNS)
_REJECTED = f"""
SELECT line, problem, reason, asset_id, type_id, home_site_id, epc, barcode, serial,
       coalesce(owner, ''), value
FROM {ROWS_TABLE} WHERE problem IS NOT NULL ORDER BY line
"""


async def write_rejects(driver: Any, out: TextIO) -> int:
    """Streams the rejected rows (a cursor needs the import's open transaction)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REJECTS_HEADER)
    written = 0
    async for row in driver.cursor(_REJECTED, prefetch=5_000):
        writer.writerow(tuple(row))
        written += 1
    return written
