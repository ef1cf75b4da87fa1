"""The sweeper: time-based alert rules as set-based SQL — overdue_return, not_seen, lost, and
service_due, replacement_due, unexpected_location (service and life).

`tagtrail sweep` calls `sweep(conn, now)` in a loop; any number of sweepers may run at once.
"""

from tracker.sweep.run import TIME_RULES, RuleOutcome, SweepReport, sweep, sweep_observation_id

__all__ = ["TIME_RULES", "RuleOutcome", "SweepReport", "sweep", "sweep_observation_id"]
