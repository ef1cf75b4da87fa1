"""What applying a site file changed, row by row, and the counts per kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

# In the order they are applied and reported.
KINDS = ("site", "custodian", "zone", "asset_type", "read_point")


class Action(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    deleted = "deleted"


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    id: str
    action: Action
    fields: tuple[str, ...] = ()  # the columns an update changed


@dataclass(frozen=True)
class ChangeReport:
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: str, action: Action) -> int:
        return self._counts[(kind, action)]

    def counts(self) -> dict[str, dict[Action, int]]:
        """kind → action → how many, every kind and action present (zeros included)."""
        return {kind: {action: self.count(kind, action) for action in Action} for kind in KINDS}

    @property
    def changed(self) -> bool:
        return any(change.action is not Action.unchanged for change in self.changes)

    @cached_property
    def _counts(self) -> Counter[tuple[str, Action]]:
        return Counter((change.kind, change.action) for change in self.changes)
