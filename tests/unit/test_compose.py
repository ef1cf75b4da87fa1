"""No Docker engine runs here, so check compose.yaml against the real CLI instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml
from typer.core import TyperCommand, TyperGroup

from tagtrail.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _resolve(argv: list[str]) -> tuple[Any, list[str]]:
    """Walk the command tree along argv; return the leaf command and the rest of argv."""
    command: Any = typer.main.get_command(app)
    rest = list(argv)
    while isinstance(command, TyperGroup) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def test_every_compose_service_runs_a_real_tagtrail_subcommand() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    ours = {
        name: svc
        for name, svc in compose["services"].items()
        if svc.get("image", "").startswith("tagtrail")
    }
    assert {"migrate", "api", "consumer", "sweeper"} <= set(ours)
    for name, service in ours.items():
        command, rest = _resolve(service["command"])
        assert isinstance(command, TyperCommand), f"{name}: {service['command']} is no command"
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in rest:
            if word.startswith("--"):
                assert word in known, f"{name}: {word} is not an option of {command.name}"


def test_dockerfile_runs_tagtrail_as_non_root_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2, "multi-stage"
    assert "USER tagtrail" in dockerfile
    assert 'ENTRYPOINT ["tagtrail"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile
