"""`tagtrail decode VALUE [--json]`: what identity an EPC, EPC URI or GS1 barcode names."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tracker.identity import IdentifierError, Identity, decode

# Exit code for input the user got wrong, as for any other usage error.
BAD_INPUT = 2


def decode_command(
    value: Annotated[str, typer.Argument(help="EPC hex, EPC URI, or GS1 data such as (8003)…")],
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Decode an identifier to its EPC pure identity URI, scheme and fields."""
    try:
        identity = decode(value)
    except IdentifierError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    if json_output:
        typer.echo(json.dumps(_as_json(identity), ensure_ascii=False))
    else:
        typer.echo(_as_lines(identity))


def _as_json(identity: Identity) -> dict[str, object]:
    return {
        "uri": identity.uri,
        "scheme": identity.scheme,
        "kind": identity.kind,
        "fields": identity.fields,
    }


def _as_lines(identity: Identity) -> str:
    # Plain aligned lines rather than a table: they never wrap a long URI and grep well.
    rows = {
        "uri": identity.uri or "(none: no EPC form)",
        "scheme": identity.scheme,
        "kind": identity.kind,
        **identity.fields,
    }
    width = max(len(name) for name in rows)
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in rows.items())
