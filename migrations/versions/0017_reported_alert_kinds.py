"""alert kinds `reported_stolen` and `reported_destroyed` (a partner's EPCIS disposition claim)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 16:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = (
    "unauthorized_exit",
    "overdue_return",
    "not_seen",
    "unexpected_location",
    "lost",
    "service_due",
    "replacement_due",
)
_ADDED = ("reported_stolen", "reported_destroyed")
_TABLES = ("alerts", "alert_rules")


def _one_of(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _kinds(kinds: Sequence[str]) -> None:
    for table in _TABLES:
        name = op.f(f"ck_{table}_kind")
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, _one_of(kinds))


def upgrade() -> None:
    _kinds((*_BEFORE, *_ADDED))


def downgrade() -> None:
    # No older kind says what these do: the alerts go (asset_events keeps their history).
    for table in _TABLES:
        op.execute(f"DELETE FROM {table} WHERE {_one_of(_ADDED)}")
    _kinds(_BEFORE)
