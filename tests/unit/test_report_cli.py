"""`tagtrail report`: bad options fail before any database work (exit 2, one line), and the
rows and CSV it prints from a report. No I/O: reports here are built by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from tagtrail.cli import app
from tagtrail.cli.report import loss_rows, parse_moment, render_csv, value_stream_rows
from tracker.reports import (
    STAGES,
    LossFigures,
    LossGroup,
    LossReport,
    LossWeek,
    StageDwell,
    ValueStreamGroup,
    ValueStreamReport,
)

runner = CliRunner()
# Nothing listens here: a command that reached the database would fail with exit 1, not 2.
NO_DATABASE = {"TAGTRAIL_DATABASE_URL": "postgresql+asyncpg://x:y@127.0.0.1:9/none"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["value-stream", "--since", "2026-10-05T08:00:00"], "no UTC offset"),
        (["loss", "--until", "next tuesday"], "not an ISO 8601"),
        (["loss", "--since", "2026-10-09", "--until", "2026-10-01"], "until must be after since"),
        (["value-stream", "--by", "planet"], "--by must be one of type, custodian"),
        (["recovery", "--by", "custodian"], "--by must be one of category, path, week"),
        (["loss", "--output", "loss.txt"], "--output is for csv and json"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = runner.invoke(app, ["report", *args], env={**NO_DATABASE, "COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert message in done.output


def test_a_date_is_midnight_utc_and_an_offset_is_kept() -> None:
    assert parse_moment("since", "2026-10-05") == datetime(2026, 10, 5, tzinfo=UTC)
    moment = parse_moment("until", "2026-10-05T10:00:00+02:00")
    assert moment == datetime(2026, 10, 5, 8, tzinfo=UTC)
    assert parse_moment("since", None) is None


def _group(key: str | None, loops: int, lead: float, at_custodian: float) -> ValueStreamGroup:
    stages = [
        StageDwell(
            stage=stage,
            loops=loops if stage == "at_custodian" else 0,
            p50_s=at_custodian if stage == "at_custodian" else None,
            p90_s=at_custodian if stage == "at_custodian" else None,
            share=1.0 if stage == "at_custodian" else None,
        )
        for stage in STAGES
    ]
    return ValueStreamGroup(
        key=key,
        loops=loops,
        lead_time_p50_s=lead,
        lead_time_p90_s=lead,
        bottleneck="at_custodian",
        stages=stages,
    )


def test_value_stream_csv_has_one_row_per_group_in_seconds() -> None:
    report = ValueStreamReport(
        since=None,
        until=None,
        sites=None,
        overall=_group(None, 3, 7200.0, 7200.0),
        by_type=[_group("crate", 2, 3600.0, 3600.0), _group("rack", 1, 9000.0, 9000.0)],
        by_custodian=[],
    )
    overall = list(csv.DictReader(io.StringIO(render_csv(value_stream_rows(report, None)))))
    assert len(overall) == 1
    assert overall[0]["key"] == ""
    assert overall[0]["loops"] == "3"
    rows = list(csv.DictReader(io.StringIO(render_csv(value_stream_rows(report, "type")))))
    assert [(r["key"], r["lead_time_p50_s"], r["at_custodian_p50_s"]) for r in rows] == [
        ("crate", "3600", "3600"),
        ("rack", "9000", "9000"),
    ]
    assert rows[0]["at_custodian_share"] == "1"
    assert rows[0]["outbound_transit_p50_s"] == ""  # no loop went through it: empty, not 0
    assert render_csv(value_stream_rows(report, "custodian")) == ""


def test_loss_rows_per_week_carry_the_week_as_key() -> None:
    zero = {f"{k}_{p}": 0 if p == "count" else Decimal(0) for k in ("overdue", "missing", "lost")
            for p in ("count", "value")}  # fmt: skip
    week = LossWeek(week=date(2026, 10, 12), **{**zero, "lost_count": 2, "lost_value": "942.50"})
    report = LossReport(
        since=None,
        until=None,
        sites=None,
        overall=LossFigures(**zero),
        by_custodian=[LossGroup(key="acme", **zero)],
        by_site=[],
        weekly=[week],
    )
    rows = list(csv.DictReader(io.StringIO(render_csv(loss_rows(report, "week")))))
    assert [(r["key"], r["lost_count"], r["lost_value"]) for r in rows] == [
        ("2026-10-12", "2", "942.50")
    ]
    assert [row["key"] for row in loss_rows(report, "custodian")] == ["acme"]
