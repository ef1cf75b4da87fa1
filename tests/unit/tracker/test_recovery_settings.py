"""Per-type recovery settings in the site file: what they plan into `asset_types`, and the
mistakes they name with their YAML path."""

from __future__ import annotations

import pytest

from tracker.siteconfig import SiteConfigError, parse_site_yaml
from tracker.siteconfig.plan import plan

SITE = """
sites:
  - {id: dc1, name: DC 1}
asset_types:
"""


def test_a_types_recovery_settings_become_its_recovery_columns() -> None:
    config = parse_site_yaml(
        SITE
        + """
  - id: terminal
    name: Handheld terminal
    data_bearing: true
    recovery:
      checks: [functional, software_lock, functional]
      open_on_return: true
      return_category: end_of_lease
  - {id: crate, name: Crate}
"""
    )
    rows = plan(config).asset_types
    terminal, crate = rows["terminal"], rows["crate"]
    assert (terminal["data_bearing"], terminal["recovery_checks"]) == (
        True,
        ["functional", "software_lock"],
    )
    assert (terminal["recovery_open_on_return"], terminal["recovery_return_category"]) == (
        True,
        "end_of_lease",
    )
    assert "recovery" not in terminal  # no such column: the section is spread over three
    # A type without the section asks nothing of recovery (applying the file resets it).
    assert (
        crate["recovery_checks"],
        crate["recovery_open_on_return"],
        crate["recovery_return_category"],
    ) == ([], False, None)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        (
            "{open_on_return: true}",
            "asset_types[0].recovery: return_category is required when open_on_return is true",
        ),
        ("{checks: [vibes]}", "asset_types[0].recovery.checks[0]: must be one of"),
        ("{return_category: stolen}", "asset_types[0].recovery.return_category: must be one of"),
        ("{open_on_retrun: true}", "asset_types[0].recovery.open_on_retrun: unknown field"),
    ],
)
def test_mistakes_in_the_recovery_section_are_named_where_they_are(
    section: str, problem: str
) -> None:
    with pytest.raises(SiteConfigError) as refused:
        parse_site_yaml(SITE + f"  - {{id: t, name: T, recovery: {section}}}\n")
    assert refused.value.problems[0].startswith(problem), refused.value.problems
