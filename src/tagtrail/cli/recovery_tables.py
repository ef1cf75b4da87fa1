"""How `tagtrail recovery` shows cases: a list table, one case's summary and its steps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.table import Table


def stage_line(case: dict[str, Any]) -> str:
    """One line after a step: where the case stands and what is next."""
    left = case["outstanding"]
    return f"{case['id']}: stage {case['stage']}" + (f"; next: {left[0]}" if left else "")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _amount(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def cases_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "case",
        "asset",
        "site",
        "stage",
        "category",
        "opened",
        "by",
        "grade",
        "path",
        "recovered",
        "closed",
    )
    for row in rows:
        table.add_row(
            row["id"],
            row["asset_id"],
            row["site_id"],
            row["stage"],
            row["return_category"],
            _when(row["opened_at"]),
            row["opened_by"],
            row["grade"] or "",
            row["path"] or "",
            _amount(row["value_recovered"]),
            _when(row["closed_at"]),
        )
    return table


def case_summary(case: dict[str, Any]) -> Table:
    table = Table("field", "value", title=f"recovery case {case['id']}", show_header=False)
    usage = case["usage"]
    kind = f"{case['type_id']}, data-bearing" if case["data_bearing"] else case["type_id"]
    rows = {
        "asset": f"{case['asset_id']} ({kind})",
        "site": case["site_id"],
        "stage": case["stage"],
        "return category": case["return_category"],
        "reason": case["reason"] or "",
        "condition": case["condition_notes"] or "",
        "opened": f"{_when(case['opened_at'])} by {case['opened_by']} ({case['opened_how']})",
        "came back from": " / ".join(filter(None, [case["custodian_id"], case["dispatch_id"]])),
        "usage": f"{usage['trips']} trips, {usage['days_out']} days out, "
        f"custodians {', '.join(usage['custodians']) or 'none'}, "
        f"last service {usage['last_service_at'] or 'never'}, "
        f"last calibration {usage['last_calibration_at'] or 'never'}",
        "required checks": ", ".join(case["required_checks"]) or "none",
        "grade": f"{case['grade']} ({_when(case['graded_at'])} by {case['graded_by']})"
        if case["grade"]
        else "",
        "path": f"{case['path']} {case['path_details']}" if case["path"] else "",
        "value recovered": _amount(case["value_recovered"]),
        "repair cost": _amount(case["repair_cost"]),
        "closed": f"{_when(case['closed_at'])} by {case['closed_by']}" if case["closed_at"] else "",
        "next": "; ".join(case["outstanding"]) or "nothing: closed",
    }
    for name, value in rows.items():
        table.add_row(name, str(value))
    return table


def step_tables(case: dict[str, Any]) -> list[Table]:
    checks = Table("check", "passed", "notes", "by", "at", title="checks")
    for check in case["checks"]:
        checks.add_row(
            check["check"],
            "yes" if check["passed"] else "NO",
            check["notes"] or "",
            check["checked_by"],
            _when(check["checked_at"]),
        )
    certificates = Table(
        "certificate",
        "method",
        "tool",
        "operator",
        "performed",
        "sha256",
        title="erasure certificates",
    )
    for cert in case["certificates"]:
        certificates.add_row(
            cert["id"],
            cert["method"],
            cert["tool"],
            cert["operator"],
            _when(cert["performed_at"]),
            cert["certificate_sha256"],
        )
    repairs = Table(
        "order", "description", "cost", "opened", "by", "closed", "outcome", title="repair orders"
    )
    for repair in case["repairs"]:
        repairs.add_row(
            str(repair["id"]),
            repair["description"],
            str(repair["cost"]),
            _when(repair["opened_at"]),
            repair["opened_by"],
            _when(repair["closed_at"]),
            repair["outcome"] or "",
        )
    return [checks, certificates, repairs]
