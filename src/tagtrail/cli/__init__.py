"""The `tagtrail` command: one Settings object built here, handed to every subcommand."""

from __future__ import annotations

from typing import Annotated

import typer

from bench.cli import bench_app
from simulators.handheld_cli import handheld_command
from simulators.llrp.cli import llrp_reader_command
from tagtrail import __version__
from tagtrail.cli.assets import assets_import_command
from tagtrail.cli.audit import audit_app
from tagtrail.cli.config import config_app
from tagtrail.cli.consume import consume_command
from tagtrail.cli.context import build_settings
from tagtrail.cli.decode import decode_command
from tagtrail.cli.demo import demo_command
from tagtrail.cli.epcis import epcis_app
from tagtrail.cli.keys import keys_app
from tagtrail.cli.migrate import migrate_command
from tagtrail.cli.reader import llrp_command, run_command
from tagtrail.cli.recovery import recovery_app
from tagtrail.cli.report import report_app
from tagtrail.cli.serve import api_command
from tagtrail.cli.service import service_app
from tagtrail.cli.sites import sites_apply_command
from tagtrail.cli.stack import stack_app
from tagtrail.cli.sweep import sweep_command
from tagtrail.cli.topics import topics_app
from tagtrail.cli.webhooks import webhooks_app

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="tagtrail: where every returnable asset is, who holds it, and which are going missing.",
)
app.add_typer(stack_app, name="stack")
app.add_typer(config_app, name="config")
app.add_typer(topics_app, name="topics")
app.add_typer(keys_app, name="keys")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(service_app, name="service")
app.add_typer(audit_app, name="audit")
app.add_typer(recovery_app, name="recovery")
app.add_typer(report_app, name="report")
app.add_typer(bench_app, name="bench")
app.add_typer(epcis_app, name="epcis")
sites_app = typer.Typer(no_args_is_help=True, help="Sites, zones, doors and read points as code.")
sites_app.command("apply")(sites_apply_command)
app.add_typer(sites_app, name="sites")
assets_app = typer.Typer(no_args_is_help=True, help="The asset registry.")
assets_app.command("import")(assets_import_command)
app.add_typer(assets_app, name="assets")
reader_app = typer.Typer(no_args_is_help=True, help="Fixed readers (LLRP; needs the llrp extra).")
reader_app.command("llrp")(llrp_command)
reader_app.command("run")(run_command)
app.add_typer(reader_app, name="reader")
simulate_app = typer.Typer(no_args_is_help=True, help="Simulated readers and scanners.")
simulate_app.command("llrp-reader")(llrp_reader_command)
simulate_app.command("handheld")(handheld_command)
app.add_typer(simulate_app, name="simulate")
app.command("migrate")(migrate_command)
app.command("api")(api_command)
app.command("decode")(decode_command)
app.command("consume")(consume_command)
app.command("sweep")(sweep_command)
app.command("demo")(demo_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tagtrail {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    ctx.obj = build_settings()


def main() -> None:
    app()
