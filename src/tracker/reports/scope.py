"""What every report is asked for: a time range, the sites it may see, and its percentiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.domain.model import require_aware

# Every percentile in the reports is PostgreSQL's percentile_cont: linear interpolation
# between the two nearest values (for n values sorted ascending, p sits at position 1 + p*(n - 1)).
PERCENTILES = "ARRAY[0.5, 0.9]"


@dataclass(frozen=True, slots=True)
class ReportScope:
    """Events that fall in [since, until) (either end open when None) of assets whose home
    site is one of `sites` (None: every site)."""

    since: datetime | None = None
    until: datetime | None = None
    sites: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        require_aware("since", self.since)
        require_aware("until", self.until)
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ValueError("until must be after since")

    def params(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "sites": list(self.sites) if self.sites is not None else None,
        }

    def within(self, column: str) -> str:
        """SQL: `column` falls in [since, until) — the open ends drop out of the statement."""
        clauses = []
        if self.since is not None:
            clauses.append(f"{column} >= :since")
        if self.until is not None:
            clauses.append(f"{column} < :until")
        return " AND ".join(clauses) or "TRUE"

    def home_sites(self, home_site: str) -> str:
        """SQL: the asset's home site is one this scope sees."""
        return "TRUE" if self.sites is None else f"{home_site} = ANY(CAST(:sites AS text[]))"


def pair(values: list[float] | None) -> tuple[float | None, float | None]:
    """(p50, p90) seconds from a percentile_cont array, to the millisecond (interpolation
    leaves float dust such as 136800.00000000003); (None, None) when nothing was measured."""
    if values is None:
        return None, None
    return round(values[0], 3), round(values[1], 3)
