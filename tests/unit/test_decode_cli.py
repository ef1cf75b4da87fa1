"""`tagtrail decode VALUE [--json]` as a user runs it."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tagtrail.cli.decode import decode_command

GRAI_URI = "urn:epc:id:grai:0614141.12345.400"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("decode")(decode_command)

    # A callback keeps `decode` a named subcommand, as under the real `tagtrail` app.
    @app.callback()
    def root() -> None:
        pass

    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["decode", *args])
    return result.exit_code, result.stdout, result.stderr


def test_prints_uri_scheme_and_fields_of_an_rfid_tag(app: typer.Typer) -> None:
    code, out, err = run(app, "3314257BF40C0E4000000190")
    assert (code, err) == (0, "")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["uri"] == GRAI_URI
    assert lines["scheme"] == "grai"
    assert (lines["company_prefix"], lines["asset_type"], lines["serial"]) == (
        "0614141",
        "12345",
        "400",
    )


def test_json_of_barcode_and_tag_name_the_same_identity(app: typer.Typer) -> None:
    _, from_label, _ = run(app, "(8003)00614141123452400", "--json")
    _, from_tag, _ = run(app, "3314257BF40C0E4000000190", "--json")
    label, tag = json.loads(from_label), json.loads(from_tag)
    assert label["uri"] == tag["uri"] == GRAI_URI
    assert label["scheme"] == "grai"
    assert label["fields"] == tag["fields"]
    assert (label["kind"], tag["kind"]) == ("gs1_barcode", "epc_hex")


def test_json_without_epc_form_has_null_uri_and_the_key(app: typer.Typer) -> None:
    code, out, _ = run(app, "(01)80614141123458", "--json")
    decoded = json.loads(out)
    assert code == 0
    assert (decoded["uri"], decoded["scheme"]) == (None, "gtin")
    assert decoded["fields"]["gtin"] == "80614141123458"


@pytest.mark.parametrize(
    "bad",
    ["(8003)00614141123453400", "hello", "urn:epc:id:sgtin:bad", "E2801160600002040000000000"],
)
@pytest.mark.parametrize("flags", [(), ("--json",)])
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    app: typer.Typer, bad: str, flags: tuple[str, ...]
) -> None:
    code, out, err = run(app, bad, *flags)
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert err.count("\n") == 1


def test_wrong_check_digit_says_which_digit_was_expected(app: typer.Typer) -> None:
    _, _, err = run(app, "(8003)00614141123453400")
    assert "check digit" in err
    assert "expected 2" in err
