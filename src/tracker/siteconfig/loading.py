"""Reading a site file: YAML → SiteFile, every mistake reported with its YAML path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tracker.siteconfig.checks import problems
from tracker.siteconfig.model import SiteFile

_ID_PATTERN_HINT = "must be an id: letters, digits and . _ : - (no spaces), at most 64"


class SiteConfigError(ValueError):
    """The file is not a valid site file; `problems` holds one `path: reason` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def load_site_file(path: Path) -> SiteFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteConfigError([f"{path}: cannot read ({exc})"]) from None
    return parse_site_yaml(text)


def parse_site_yaml(text: str) -> SiteFile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        reason = getattr(exc, "problem", None) or str(exc)
        raise SiteConfigError([f"{where}: {reason}"]) from None
    return parse_site_data(data)


def parse_site_data(data: Any) -> SiteFile:
    try:
        config = SiteFile.model_validate(data)
    except ValidationError as exc:
        raise SiteConfigError([_describe(error) for error in exc.errors()]) from None
    found = problems(config)
    if found:
        raise SiteConfigError(found)
    return config


def yaml_path(loc: tuple[int | str, ...]) -> str:
    """('sites', 0, 'doors', 3, 'inside_antenna') → sites[0].doors[3].inside_antenna"""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or "(" in part:
            continue  # pydantic's name for a union member or validator, not a YAML key
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _describe(error: ErrorDetails) -> str:
    path = yaml_path(error["loc"])
    if path.endswith(".antennas") and error["type"] == "list_type":
        return f"{path}: must be a list of antenna numbers, or all"
    return f"{path}: {_reason(error)}"


def _reason(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    bounds = {
        "greater_than_equal": ("≥", "ge"),
        "less_than_equal": ("≤", "le"),
        "greater_than": (">", "gt"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {ctx[key]}"
    fixed = {
        "missing": "required",
        "extra_forbidden": "unknown field",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "bool_parsing": "must be true or false",
        "list_type": "must be a list",
        "model_type": "must be a mapping of fields",
        "dict_type": "must be a mapping",
        "string_type": "must be text",
    }
    if kind in fixed:
        return fixed[kind]
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_pattern_mismatch" and "_" in str(ctx.get("pattern", "")):
        return _ID_PATTERN_HINT
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    return str(error["msg"])
