"""`tagtrail reader llrp` and `tagtrail reader run`: input errors are one line and exit 2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from readers.llrp.target import load_readers_file
from tagtrail.cli.reader import llrp_command, run_command

EXAMPLE = Path(__file__).parents[3] / "examples" / "readers.yaml"

reader_app = typer.Typer()
reader_app.command("llrp")(llrp_command)
reader_app.command("run")(run_command)
runner = CliRunner()


def test_without_sllurp_the_commands_say_to_install_the_llrp_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "sllurp" else real_find_spec(name, *args),
    )
    for args in (["llrp", "--host", "10.0.0.9", "--reader-id", "dock-03"], ["run", str(EXAMPLE)]):
        result = runner.invoke(reader_app, args)
        assert result.exit_code == 2
        assert "llrp extra" in result.output
        assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--antennas", "1,x"], "antenna numbers like 1,2"),
        (["--antennas", "0"], "1..65535"),
        (["--reader-id", "dock 03"], "reader_id"),
        (["--port", "70000"], "port"),
        (["--tx-power", "-1"], "tx_power"),
    ],
)
def test_bad_reader_options_are_refused_before_connecting(args: list[str], complaint: str) -> None:
    base = ["llrp", "--host", "10.0.0.9", "--reader-id", "dock-03"]
    result = runner.invoke(reader_app, [*base, *args], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert complaint in result.output


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("readers: [", "not YAML"),
        ("readers: []", "readers"),
        ("readers:\n  - {reader_id: d1}\n", "readers.0.host"),
        ("readers:\n  - {reader_id: d1, host: a, antena: [1]}\n", "antena"),
        ("readers:\n  - {reader_id: d1, host: a}\n  - {reader_id: d1, host: b}\n", "twice"),
    ],
)
def test_a_bad_readers_file_names_the_entry_at_fault(
    tmp_path: Path, text: str, complaint: str
) -> None:
    config = tmp_path / "readers.yaml"
    config.write_text(text)
    result = runner.invoke(reader_app, ["run", str(config)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert complaint in result.output
    assert str(config) in result.output.replace("\n", "")


def test_a_missing_readers_file_is_exit_2() -> None:
    result = runner.invoke(reader_app, ["run", "/nonexistent/readers.yaml"])
    assert result.exit_code == 2


def test_the_shipped_example_is_a_valid_readers_file() -> None:
    targets = load_readers_file(EXAMPLE)
    assert [target.reader_id for target in targets] == ["dock-01", "dock-02"]
    assert targets[1].keepalive_s == 2
