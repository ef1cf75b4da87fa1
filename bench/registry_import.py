"""Registry import benchmark: a million-row registry CSV of GRAI-tagged crates into a fresh
database, against a raw `COPY` of the same file measured in the same run.

    .venv/bin/python -m bench.registry_import [ROWS]
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
from epcpy.epc_schemes.grai import GRAI, GRAIFilterValue
from sqlalchemy.ext.asyncio import create_async_engine

from bench.sandbox import asyncpg_dsn, scratch_database
from tagtrail.settings import Settings
from tracker.registry_import import import_registry
from tracker.siteconfig import apply_site_config, load_site_file

SITE_FILE = Path(__file__).parents[1] / "examples" / "site.yaml"
COMPANY_PREFIX = "0614141"  # 7 digits: GRAI-96 partition 5 (24-bit prefix, 20-bit type)
CRATE_GRAI_TYPES = {"crate-60x40": "12345"}
OWNERS = ("", "", "", "tagtrail-pool", "albert-dc-zaandam")


def grai_96_hex(asset_type: str, serial: int) -> str:
    """GRAI-96 by its bit layout (TDS 14.5.5): header 0x33, filter 0, partition 5."""
    top = (0x33 << 88) | (5 << 82) | (int(COMPANY_PREFIX) << 58) | (int(asset_type) << 38)
    return f"{top | serial:024X}"


def grai_barcode(asset_type: str, serial: int) -> str:
    digits = f"{COMPANY_PREFIX}{asset_type}"
    odd_weighted = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return f"(8003)0{digits}{(10 - odd_weighted % 10) % 10}{serial}"


def write_registry_csv(path: Path, rows: int) -> None:
    """95 % crates with their RFID EPC (hex) and the GRAI barcode of their label; 5 % IT
    devices with a serial number; two home sites; some owners and values."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("asset_id", "type", "home_site", "epc", "barcode", "serial", "owner",
                         "value"))  # fmt: skip
        for n in range(rows):
            site = "dc-rtm" if n % 4 else "dc-dus"
            if n % 20 == 19:
                writer.writerow((f"ht-{n:08d}", "handheld-terminal", site, "", "",
                                 f"HT{n:010d}", "", "1450.00"))  # fmt: skip
                continue
            serial = 10_000_000 + n
            grai = CRATE_GRAI_TYPES["crate-60x40"]
            epc, label = grai_96_hex(grai, serial), grai_barcode(grai, serial)
            owner = OWNERS[n % len(OWNERS)]
            writer.writerow((f"crate-{serial}", "crate-60x40", site, epc, label, "", owner, ""))


def _check_generator() -> None:
    uri = f"urn:epc:id:grai:{COMPANY_PREFIX}.12345.10000001"
    expected = GRAI(uri).hex(
        binary_coding_scheme=GRAI.BinaryCodingScheme.GRAI_96,
        filter_value=GRAIFilterValue.ALL_OTHERS,
    )
    assert grai_96_hex("12345", 10_000_001) == expected.upper(), "GRAI-96 layout is off"


async def _baseline_copy_s(url: str, csv_path: Path) -> float:
    """The raw floor: COPY the same file into an unindexed table of text columns."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TEMP TABLE raw_registry (asset_id text, type text, home_site text, "
            "epc text, barcode text, serial text, owner text, value text)"
        )
        started = time.perf_counter()
        await conn.copy_to_table("raw_registry", source=csv_path, format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _timed_import(url: str, csv_path: Path) -> tuple[float, Any]:
    engine = create_async_engine(url)
    try:
        started = time.perf_counter()
        with csv_path.open("rb") as source:
            async with engine.begin() as conn:
                report = await import_registry(conn, source, rejects=io.StringIO())
        return time.perf_counter() - started, report
    finally:
        await engine.dispose()


async def run_registry_import_bench(
    rows: int = 1_000_000, base: Settings | None = None
) -> dict[str, Any]:
    """Writes the CSV, imports it twice into a fresh database; returns the figures."""
    _check_generator()
    base = base or Settings()
    with tempfile.TemporaryDirectory(prefix="tagtrail-bench-import-") as scratch:
        csv_path = Path(scratch) / "registry.csv"
        write_registry_csv(csv_path, rows)
        async with scratch_database(base, purpose="import") as url:
            engine = create_async_engine(url)
            async with engine.begin() as conn:
                await apply_site_config(conn, load_site_file(SITE_FILE))
            await engine.dispose()
            baseline_s = await _baseline_copy_s(url, csv_path)
            import_s, first = await _timed_import(url, csv_path)
            reimport_s, second = await _timed_import(url, csv_path)
        assert first.assets_created == rows, first
        assert first.rejected == 0, first
        assert not second.changed, second
        return {
            "rows": rows,
            "csv_bytes": csv_path.stat().st_size if csv_path.exists() else None,
            "import_s": round(import_s, 2),
            "import_rows_per_s": round(rows / import_s),
            "reimport_s": round(reimport_s, 2),
            "reimport_rows_per_s": round(rows / reimport_s),
            "baseline_copy_rows_per_s": round(rows / baseline_s),
            "ratio": round(baseline_s / import_s, 3),
            "identifiers_created": first.identifiers_created,
        }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(asyncio.run(run_registry_import_bench(count))))
