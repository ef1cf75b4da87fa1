"""`tagtrail recovery open | list | show | check | grade | erase | repair | decide | close`:
the bench operator's side of recovery, straight on the database through the same store
functions as the API (tracker.recovery.store).

Exit codes: 2 for bad input or an unknown case/asset, 1 for a step the rules refuse (the
message names what is missing)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncConnection

from tagtrail.bootstrap import create_engine
from tagtrail.cli.context import fail, settings_from
from tagtrail.cli.recovery_input import check_result, decision, money
from tagtrail.cli.recovery_tables import case_summary, cases_table, stage_line, step_tables
from tagtrail.cli.service import parse_moment
from tracker.recovery import (
    ErasureCertificate,
    ErasureMethod,
    Grade,
    RecoveryPath,
    RecoveryRefused,
    RepairOutcome,
    ReturnCategory,
    Stage,
)
from tracker.recovery.store import (
    CaseFilter,
    CaseRequest,
    UnknownAsset,
    UnknownCase,
    UnknownRepair,
    close_case,
    close_repair_order,
    decide_path,
    get_case,
    grade_case,
    list_cases,
    open_case,
    open_repair_order,
    record_certificate,
    record_checks,
)

recovery_app = typer.Typer(
    no_args_is_help=True,
    help="Recovery at the bench: open cases, check, grade, erase, repair, decide, close.",
)
repair_app = typer.Typer(no_args_is_help=True, help="Repair / refurbishment orders of a case.")
recovery_app.add_typer(repair_app, name="repair")

T = TypeVar("T")
By = Annotated[str, typer.Option(help="Who does it (kept in the asset's history).")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE", help="Case id (rc_…).")]


def _run(ctx: typer.Context, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` in one transaction; the store's refusals become one-line errors."""

    async def main() -> T:
        engine = create_engine(settings_from(ctx))
        try:
            async with engine.begin() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except RecoveryRefused as exc:
        fail(str(exc), code=1)
    except UnknownCase as exc:
        fail(f"no recovery case {exc.args[0]!r}")
    except UnknownRepair as exc:
        fail(f"no repair order {exc.args[0]} on this case")
    except UnknownAsset as exc:
        fail(f"no asset {exc.args[0]!r}")


def _now() -> datetime:
    return datetime.now(UTC)


async def _case(conn: AsyncConnection, case_id: str) -> dict[str, Any]:
    case = await get_case(conn, case_id)
    if case is None:
        raise UnknownCase(case_id)
    return case


def _step(
    ctx: typer.Context, case_id: str, step: Callable[[AsyncConnection], Awaitable[Any]]
) -> None:
    async def work(conn: AsyncConnection) -> dict[str, Any]:
        await step(conn)
        return await _case(conn, case_id)

    typer.echo(stage_line(_run(ctx, work)))


@recovery_app.command("open")
def open_command(
    ctx: typer.Context,
    asset: Annotated[str, typer.Argument(metavar="ASSET", help="Asset id.")],
    category: Annotated[ReturnCategory, typer.Option(help="Why it came back.")],
    by: By,
    reason: Annotated[str | None, typer.Option(help="In the operator's words.")] = None,
    notes: Annotated[str | None, typer.Option(help="Condition notes at intake.")] = None,
) -> None:
    """Open a case for an asset in service at one of our sites; prints the case id."""
    request = CaseRequest(
        asset_id=asset, return_category=category, by=by, reason=reason, condition_notes=notes
    )
    case_id = _run(ctx, lambda conn: open_case(conn, request, _now()))
    typer.echo(case_id)
    typer.echo(f"recovery case {case_id} open for {asset}; {asset} is in_recovery", err=True)


@recovery_app.command("list")
def list_command(
    ctx: typer.Context,
    stage: Annotated[Stage | None, typer.Option(help="Only cases at this stage.")] = None,
    category: Annotated[ReturnCategory | None, typer.Option(help="Return category.")] = None,
    site: Annotated[str | None, typer.Option(help="Where the asset is now.")] = None,
    closed: Annotated[
        bool | None, typer.Option("--closed/--open", help="Closed or open cases (default both).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """Cases, oldest first."""
    f = CaseFilter(stage=stage, category=category, site=site, closed=closed)
    rows = _run(ctx, lambda conn: list_cases(conn, f, None, limit))
    Console(width=200).print(cases_table(rows))


@recovery_app.command("show")
def show_command(ctx: typer.Context, case_id: CaseArg) -> None:
    """Everything on one case: usage, checks, certificates, repairs, what is left to do."""
    case = _run(ctx, lambda conn: _case(conn, case_id))
    console = Console(width=200)
    console.print(case_summary(case))
    for table in step_tables(case):
        if table.row_count:
            console.print(table)


@recovery_app.command("check")
def check_command(
    ctx: typer.Context,
    case_id: CaseArg,
    results: Annotated[
        list[str], typer.Argument(metavar="CHECK=pass|fail...", help="e.g. functional=pass")
    ],
    by: By,
    notes: Annotated[str | None, typer.Option(help="Notes kept with each result.")] = None,
) -> None:
    """Record check results; on a graded case they mean grading again."""
    checks = [check_result(result, notes) for result in results]
    _step(ctx, case_id, lambda conn: record_checks(conn, case_id, checks, by, _now()))


@recovery_app.command("grade")
def grade_command(
    ctx: typer.Context,
    case_id: CaseArg,
    grade: Annotated[Grade, typer.Argument(metavar="GRADE", help="The grade.")],
    by: By,
) -> None:
    """Grade the case (every check its type requires must have a result)."""
    _step(ctx, case_id, lambda conn: grade_case(conn, case_id, grade, by, _now()))


@recovery_app.command("erase")
def erase_command(
    ctx: typer.Context,
    case_id: CaseArg,
    certificate: Annotated[str, typer.Option(help="The erasure certificate's id.")],
    method: Annotated[ErasureMethod, typer.Option(help="How the data was erased.")],
    tool: Annotated[str, typer.Option(help="The erasure tool and its version.")],
    operator: Annotated[str, typer.Option(help="Who ran the erasure.")],
    at: Annotated[str, typer.Option(help="When, with an offset: 2026-11-24T09:40:00+01:00.")],
    sha256: Annotated[str | None, typer.Option(help="SHA-256 of the certificate file.")] = None,
    file: Annotated[
        Path | None, typer.Option(help="The certificate file, to be hashed (not stored).")
    ] = None,
) -> None:
    """Record a data erasure certificate (give --sha256 or --file)."""
    if (sha256 is None) == (file is None):
        fail("give --sha256 or --file (one of them)")
    if file is not None:
        try:
            sha256 = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            fail(f"--file: cannot read {file}: {exc.strerror}")
    try:
        proof = ErasureCertificate(
            id=certificate,
            method=method,
            tool=tool,
            operator=operator,
            performed_at=parse_moment("--at", at),
            certificate_sha256=(sha256 or "").lower(),
        )
    except ValueError as exc:
        fail(str(exc))
    _step(ctx, case_id, lambda conn: record_certificate(conn, case_id, proof, _now()))


@repair_app.command("open")
def repair_open_command(
    ctx: typer.Context,
    case_id: CaseArg,
    description: Annotated[str, typer.Option(help="What is to be done.")],
    cost: Annotated[str, typer.Option(help="Estimated cost, e.g. 12.50.")],
    by: By,
) -> None:
    """Open a repair order on a case graded repairable; prints the order's id."""
    amount = money("--cost", cost)

    async def work(conn: AsyncConnection) -> int:
        return await open_repair_order(conn, case_id, description, amount, by, _now())

    typer.echo(_run(ctx, work))


@repair_app.command("close")
def repair_close_command(
    ctx: typer.Context,
    case_id: CaseArg,
    repair_id: Annotated[int, typer.Argument(metavar="ORDER", help="Repair order id.", min=1)],
    outcome: Annotated[RepairOutcome, typer.Option(help="How it went.")],
    by: By,
    cost: Annotated[str | None, typer.Option(help="Final cost, if not the estimate.")] = None,
) -> None:
    """Close a repair order; with no order left open the case goes back to grading."""
    amount = money("--cost", cost) if cost is not None else None
    _step(
        ctx,
        case_id,
        lambda conn: close_repair_order(conn, case_id, repair_id, outcome, by, _now(), amount),
    )


@recovery_app.command("decide")
def decide_command(
    ctx: typer.Context,
    case_id: CaseArg,
    path: Annotated[RecoveryPath, typer.Argument(metavar="PATH", help="The way out.")],
    by: By,
    price: Annotated[str | None, typer.Option(help="resale: the price.")] = None,
    channel: Annotated[str | None, typer.Option(help="resale: where it is sold.")] = None,
    part: Annotated[
        list[str] | None, typer.Option(help="parts: NAME=VALUE, once per part.")
    ] = None,
    weight_kg: Annotated[str | None, typer.Option(help="recycling: weight in kg.")] = None,
    vendor: Annotated[str | None, typer.Option(help="recycling: the recycler.")] = None,
    certificate: Annotated[
        str | None, typer.Option(help="recycling: the recycler's certificate id.")
    ] = None,
    proceeds: Annotated[str, typer.Option(help="recycling: what the recycler paid.")] = "0",
    note: Annotated[str | None, typer.Option(help="redeploy: a note.")] = None,
) -> None:
    """Decide the path: redeploy; resale (--price, --channel); parts (--part …); recycling
    (--weight-kg, --vendor). A data-bearing asset needs an erasure certificate to be
    redeployed or resold."""
    options = {
        "price": price,
        "channel": channel,
        "part": part,
        "weight_kg": weight_kg,
        "vendor": vendor,
        "certificate": certificate,
        "proceeds": proceeds,
        "note": note,
    }
    chosen = decision(path, options)
    _step(ctx, case_id, lambda conn: decide_path(conn, case_id, chosen, by, _now()))


@recovery_app.command("close")
def close_command(ctx: typer.Context, case_id: CaseArg, by: By) -> None:
    """Carry the decided path out: redeploy → in_service, the others → retired."""
    _step(ctx, case_id, lambda conn: close_case(conn, case_id, by, _now()))
