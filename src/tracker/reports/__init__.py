"""Reports computed in PostgreSQL: the value stream of the asset loop, loss, recovery.

The SQL does the work (window functions over asset_events, percentile_cont); Python only
shapes the rows into the response models. Definitions of every figure: docs/reports.md.
"""

from tracker.reports.loss import LossFigures, LossGroup, LossReport, LossWeek, loss_report
from tracker.reports.recovery import (
    RecoveryFigures,
    RecoveryGroup,
    RecoveryReport,
    RecoveryWeek,
    recovery_report,
)
from tracker.reports.scope import ReportScope
from tracker.reports.value_stream import (
    FLOW_STAGES,
    STAGES,
    Stage,
    StageDwell,
    ValueStreamGroup,
    ValueStreamReport,
    bottleneck,
    value_stream_report,
)
from tracker.reports.value_stream_sql import (
    VALUE_STREAM_SETTINGS,
    Grouping,
    value_stream_statement,
)

__all__ = [
    "FLOW_STAGES",
    "STAGES",
    "VALUE_STREAM_SETTINGS",
    "Grouping",
    "LossFigures",
    "LossGroup",
    "LossReport",
    "LossWeek",
    "RecoveryFigures",
    "RecoveryGroup",
    "RecoveryReport",
    "RecoveryWeek",
    "ReportScope",
    "Stage",
    "StageDwell",
    "ValueStreamGroup",
    "ValueStreamReport",
    "bottleneck",
    "loss_report",
    "recovery_report",
    "value_stream_report",
    "value_stream_statement",
]
