from __future__ import annotations

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from tagtrail.cli import app

runner = CliRunner()


def test_help_lists_the_core_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("stack", "migrate", "config", "api", "consume"):
        assert command in result.output


def test_stack_help_lists_its_verbs() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    stack = group.commands["stack"]
    assert isinstance(stack, TyperGroup)
    assert {"up", "down", "status", "logs"} <= set(stack.commands)


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_DATABASE_URL", "postgresql+asyncpg://u:s3cret@db:5432/x")
    result = runner.invoke(app, ["config", "show"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "database_url" in result.output


def test_bad_setting_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGTRAIL_API_PORT", "not-a-port")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert "TAGTRAIL_API_PORT" in result.output
