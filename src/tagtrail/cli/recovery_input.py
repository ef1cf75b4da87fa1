"""What `tagtrail recovery` reads from its options: amounts, check results, the details of
a decided path. A bad one is a one-line error and exit code 2."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tagtrail.cli.context import fail
from tracker.recovery import (
    CheckKind,
    CheckResult,
    Decision,
    Part,
    Parts,
    RecoveryPath,
    Recycling,
    Redeploy,
    Resale,
)


def money(option: str, value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        fail(f"{option}: not an amount: {value!r}")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        fail(f"{option}: a non-negative amount with at most 2 decimals, got {value!r}")
    if amount >= Decimal("1e10"):
        fail(f"{option}: at most 9,999,999,999.99, got {value!r}")
    return amount


def check_result(text: str, notes: str | None) -> CheckResult:
    name, _, outcome = text.partition("=")
    if name not in set(CheckKind) or outcome not in ("pass", "fail"):
        fail(f"{text!r}: give CHECK=pass or CHECK=fail, CHECK one of {', '.join(CheckKind)}")
    return CheckResult(check=CheckKind(name), passed=outcome == "pass", notes=notes)


def part(text: str) -> Part:
    name, _, value = text.rpartition("=")
    if not name:
        fail(f"--part {text!r}: give NAME=VALUE, e.g. battery=35.00")
    return Part(name, money("--part", value))


def decision(path: RecoveryPath, options: dict[str, Any]) -> Decision:
    """The path's details from the options; a missing one is a one-line error."""
    missing = {
        RecoveryPath.redeploy: [],
        RecoveryPath.resale: [k for k in ("price", "channel") if options[k] is None],
        RecoveryPath.parts: [] if options["part"] else ["part"],
        RecoveryPath.recycling: [k for k in ("weight_kg", "vendor") if options[k] is None],
    }[path]
    if missing:
        fail(f"{path} needs " + ", ".join(f"--{name.replace('_', '-')}" for name in missing))
    try:
        match path:
            case RecoveryPath.redeploy:
                return Redeploy(note=options["note"])
            case RecoveryPath.resale:
                return Resale(price=money("--price", options["price"]), channel=options["channel"])
            case RecoveryPath.parts:
                return Parts(parts=tuple(part(p) for p in options["part"]))
            case RecoveryPath.recycling:
                return Recycling(
                    weight_kg=weight(options["weight_kg"]),
                    vendor=options["vendor"],
                    certificate=options["certificate"],
                    proceeds=money("--proceeds", options["proceeds"]),
                )
    except ValueError as exc:
        fail(str(exc))


def weight(value: str) -> Decimal:
    try:
        kg = Decimal(value)
    except InvalidOperation:
        fail(f"--weight-kg: not a number: {value!r}")
    if not kg.is_finite() or kg <= 0 or kg >= Decimal("1e7"):
        fail(f"--weight-kg: a weight in kg above 0, got {value!r}")
    return kg.quantize(Decimal("0.001"))
