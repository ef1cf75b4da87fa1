"""The site file model: what it accepts, the rows it plans, and how it names mistakes."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tracker.siteconfig import SiteConfigError, load_site_file, parse_site_data, parse_site_yaml
from tracker.siteconfig.plan import plan

EXAMPLE = Path(__file__).parents[2] / "examples" / "site.yaml"

MINIMAL: dict[str, Any] = {
    "sites": [
        {
            "id": "dc1",
            "name": "DC 1",
            "zones": [
                {"id": "dc1-dock", "name": "Dock", "kind": "dock"},
                {"id": "dc1-yard", "name": "Yard", "kind": "yard"},
            ],
            "doors": [
                {
                    "id": "dc1-door-01",
                    "zone": "dc1-dock",
                    "reader": "dc1-r1",
                    "inside_antenna": 1,
                    "outside_antenna": 2,
                }
            ],
            "zone_readers": [{"reader": "dc1-yard-gate", "zone": "dc1-yard", "antennas": "all"}],
            "handhelds": [{"device": "dc1-scanner", "zone": "dc1-dock"}],
        }
    ]
}


def minimal() -> dict[str, Any]:
    return copy.deepcopy(MINIMAL)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SiteConfigError) as raised:
        parse_site_data(data)
    return raised.value.problems


def test_the_shipped_example_is_a_realistic_dc() -> None:
    config = load_site_file(EXAMPLE)
    dc = config.sites[0]
    assert len(dc.doors) >= 8
    assert {"dock", "storage", "yard", "repair", "quarantine"} <= {z.kind for z in dc.zones}
    assert len(dc.handhelds) == 2
    assert len(config.sites) == 2
    assert {c.kind for c in config.custodians} == {"customer", "carrier"}
    assert [t.data_bearing for t in config.asset_types] == [False, True]


def test_a_door_is_two_portal_read_points_sharing_the_door() -> None:
    points = plan(parse_site_data(minimal())).read_points
    assert points["dc1-door-01-in"] == {
        "id": "dc1-door-01-in",
        "reader_id": "dc1-r1",
        "antenna": 1,
        "zone_id": "dc1-dock",
        "role": "portal_inside",
        "door": "dc1-door-01",
    }
    assert points["dc1-door-01-out"]["role"] == "portal_outside"
    assert points["dc1-door-01-out"]["antenna"] == 2
    assert points["dc1-door-01-out"]["door"] == "dc1-door-01"


def test_zone_readers_cover_all_antennas_or_one_read_point_each() -> None:
    data = minimal()
    data["sites"][0]["zone_readers"].append(
        {"reader": "dc1-lanes", "zone": "dc1-yard", "antennas": [3, 4]}
    )
    points = plan(parse_site_data(data)).read_points
    assert points["dc1-yard-gate"]["antenna"] is None
    assert (points["dc1-lanes-ant3"]["antenna"], points["dc1-lanes-ant4"]["antenna"]) == (3, 4)
    assert points["dc1-scanner"]["role"] == "handheld"
    assert points["dc1-scanner"]["antenna"] is None


def test_every_site_gets_its_home_custodian() -> None:
    custodians = plan(parse_site_data(minimal())).custodians
    assert custodians["site:dc1"] == {
        "id": "site:dc1",
        "name": "DC 1",
        "kind": "site",
        "site_id": "dc1",
        "return_days": None,
        "contact": {},
        "gln": None,
    }


def test_asset_type_defaults() -> None:
    data = minimal() | {"asset_types": [{"id": "crate", "name": "Crate"}]}
    row = plan(parse_site_data(data)).asset_types["crate"]
    assert (row["replacement_value"], row["currency"], row["data_bearing"]) == (
        Decimal(0),
        "EUR",
        False,
    )


def test_a_negative_antenna_names_its_path() -> None:
    data = minimal()
    data["sites"][0]["doors"][0]["inside_antenna"] = -1
    assert problems_of(data) == ["sites[0].doors[0].inside_antenna: must be ≥ 0"]


def test_field_mistakes_are_all_reported_with_paths() -> None:
    data = minimal()
    site = data["sites"][0]
    site["timezone"] = "Europe/Rotterdam"
    site["gln"] = "8712345000012"
    site["zones"][0]["sgln"] = "urn:epc:id:grai:0614141.12345.1"
    site["zone_readers"][0]["antennas"] = "some"
    site["handhelds"][0]["colour"] = "red"
    site["doors"][0].pop("reader")
    data["custodians"] = [{"id": "acme", "name": "Acme", "kind": "shop", "return_days": 0}]
    assert problems_of(data) == [
        "sites[0].gln: wrong check digit in (414)8712345000012: expected 1, got 2",
        "sites[0].timezone: unknown timezone 'Europe/Rotterdam' (an IANA name such as "
        "Europe/Berlin)",
        "sites[0].zones[0].sgln: must be an SGLN pure identity URI (urn:epc:id:sgln:…)",
        "sites[0].doors[0].reader: required",
        "sites[0].zone_readers[0].antennas: must be a list of antenna numbers, or all",
        "sites[0].handhelds[0].colour: unknown field",
        "custodians[0].kind: must be one of 'customer', 'carrier' or 'person'",
        "custodians[0].return_days: must be ≥ 1",
    ]


def test_ids_with_spaces_are_refused() -> None:
    data = minimal()
    data["sites"][0]["id"] = "dc 1"
    assert problems_of(data) == [
        "sites[0].id: must be an id: letters, digits and . _ : - (no spaces), at most 64"
    ]


def test_a_reference_to_a_zone_of_another_site_is_refused() -> None:
    data = minimal()
    data["sites"][0]["handhelds"][0]["zone"] = "dc2-dock"
    assert problems_of(data) == ["sites[0].handhelds[0].zone: no zone 'dc2-dock' in site 'dc1'"]


def test_duplicate_ids_point_at_the_first_one() -> None:
    data = minimal()
    data["sites"][0]["zones"].append({"id": "dc1-dock", "name": "Dock 2", "kind": "dock"})
    assert problems_of(data) == [
        "sites[0].zones[2].id: duplicate id 'dc1-dock' (first at sites[0].zones[0].id)"
    ]


def test_a_door_needs_two_different_antennas() -> None:
    data = minimal()
    data["sites"][0]["doors"][0]["outside_antenna"] = 1
    assert problems_of(data) == [
        "sites[0].doors[0].outside_antenna: reader 'dc1-r1' antenna 1 is already used at "
        "sites[0].doors[0].inside_antenna"
    ]


@pytest.mark.parametrize(
    ("extra_reader", "clash"),
    [
        (
            {"reader": "dc1-r1", "zone": "dc1-yard", "antennas": [5, 2]},
            "sites[0].zone_readers[1].antennas[1]: reader 'dc1-r1' antenna 2 is already used "
            "at sites[0].doors[0].outside_antenna",
        ),
        (
            {"reader": "dc1-scanner", "zone": "dc1-yard"},
            "sites[0].handhelds[0].device: reader 'dc1-scanner' all antennas is already used "
            "at sites[0].zone_readers[1]",
        ),
        (
            {"reader": "dc1-lanes", "zone": "dc1-yard", "antennas": [1, 1]},
            "sites[0].zone_readers[1].antennas[1]: reader 'dc1-lanes' antenna 1 is already "
            "used at sites[0].zone_readers[1].antennas[0]",
        ),
    ],
)
def test_duplicate_reader_antenna_pairs_are_refused(
    extra_reader: dict[str, Any], clash: str
) -> None:
    data = minimal()
    data["sites"][0]["zone_readers"].append(extra_reader)
    assert problems_of(data) == [clash]


def test_pairs_clash_across_sites_too() -> None:
    data = minimal()
    other = copy.deepcopy(data["sites"][0])
    other["id"] = "dc2"
    other["zones"] = [{"id": "dc2-dock", "name": "Dock", "kind": "dock"}]
    other["doors"][0] |= {"id": "dc2-door-01", "zone": "dc2-dock"}
    other["zone_readers"], other["handhelds"] = [], []
    data["sites"].append(other)
    assert problems_of(data)[0].startswith(
        "sites[1].doors[0].inside_antenna: reader 'dc1-r1' antenna 1 is already used"
    )


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(SiteConfigError) as raised:
        parse_site_yaml("sites:\n  - id: dc1\n    name: [unclosed\n")
    assert raised.value.problems[0].startswith("line 4:")


def test_a_file_without_sites_is_refused() -> None:
    assert problems_of({"sites": []}) == ["sites: must have at least 1 item(s)"]
    assert problems_of({}) == ["sites: required"]


def test_the_sites_own_custodian_ids_are_reserved() -> None:
    data = minimal() | {"custodians": [{"id": "site:dc1", "name": "Mine", "kind": "customer"}]}
    assert problems_of(data) == [
        "custodians[0].id: 'site:…' ids are the sites' own custodians, made by tagtrail"
    ]


def test_a_custodian_may_carry_its_party_gln() -> None:
    data = minimal()
    data["custodians"] = [
        {"id": "acme", "name": "Acme", "kind": "customer", "gln": "4012345000023"},
        {"id": "globex", "name": "Globex", "kind": "customer", "gln": "4012345000024"},
    ]
    assert problems_of(data) == [
        "custodians[1].gln: wrong check digit in (414)4012345000024: expected 3, got 4"
    ]
    data["custodians"].pop()
    assert plan(parse_site_data(data)).custodians["acme"]["gln"] == "4012345000023"
