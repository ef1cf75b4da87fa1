"""`tagtrail simulate handheld`: play scans as a scanner app would (one, or a script)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from simulators.handheld import HandheldDevice, ScanRejected


async def _play(device: HandheldDevice, steps: list[dict[str, Any]], wait: bool) -> None:
    for step in steps:
        if step.get("offline") is True:
            device.go_offline()
            continue
        if step.get("offline") is False:
            answer = await device.come_online(wait=wait)
        else:
            answer = await device.scan(
                step["code"],
                step.get("action", "scan"),
                custodian=step.get("custodian"),
                dispatch_id=step.get("dispatch_id"),
                wait=wait,
            )
        if answer is not None:
            typer.echo(orjson.dumps(answer).decode())


def handheld_command(
    api: Annotated[str, typer.Option(help="API base URL.")] = "http://127.0.0.1:8000",
    key: Annotated[str, typer.Option(envvar="TAGTRAIL_API_KEY", help="scans:write key.")] = "",
    device: Annotated[str, typer.Option(help="Device id (a handheld read point).")] = "scanner-1",
    operator: Annotated[str, typer.Option()] = "operator",
    code: Annotated[str | None, typer.Option(help="One barcode or EPC to scan.")] = None,
    action: Annotated[str, typer.Option(help="scan, check_out, check_in or audit.")] = "scan",
    custodian: Annotated[str | None, typer.Option()] = None,
    script: Annotated[
        Path | None, typer.Option(help='JSON lines: scans, and {"offline": true|false} markers.')
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait for each result.")] = False,
) -> None:
    """Scan one code, or play a script of scans with offline periods, against the API."""
    if (code is None) == (script is None):
        typer.echo("error: give --code or --script", err=True)
        raise typer.Exit(2)
    steps = (
        [{"code": code, "action": action, "custodian": custodian}]
        if code
        else [orjson.loads(line) for line in script.read_bytes().splitlines() if line.strip()]
        if script
        else []
    )

    async def run() -> None:
        async with httpx.AsyncClient(
            base_url=api, timeout=10, headers={"Authorization": f"Bearer {key}"}
        ) as client:
            await _play(HandheldDevice(client, device, operator), steps, wait)

    try:
        asyncio.run(run())
    except ScanRejected as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
