"""`tagtrail bench domain`: the registry import and the sweeper at a million assets.

Each figure comes with its raw baseline from the same run: the import against a bare COPY of
the same CSV, the sweep against a plain scan of the same tables.
"""

from __future__ import annotations

from typing import Any

from bench.registry_import import run_registry_import_bench
from bench.sweep import measure_sweep
from tagtrail.settings import Settings


async def run_domain_bench(settings: Settings, rows: int, assets: int) -> dict[str, Any]:
    imported = await run_registry_import_bench(rows, settings)
    swept = await measure_sweep(settings, assets)
    sweep_key = "sweep_1m_s" if assets == 1_000_000 else "sweep_s"
    return {
        "import_rows_per_s": imported["import_rows_per_s"],
        sweep_key: swept[sweep_key],
        "import": imported,
        "sweep": swept,
    }
