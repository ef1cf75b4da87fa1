"""What pydantic cannot see field by field: duplicate ids, zones that do not exist, and two
read points claiming the same reader antenna. Each problem names its YAML path."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.siteconfig.model import SiteConfig, SiteFile
from tracker.siteconfig.plan import planned_read_points


def problems(config: SiteFile) -> list[str]:
    found: list[str] = []
    found += _duplicates((f"sites[{i}].id", s.id) for i, s in enumerate(config.sites))
    found += _duplicates(
        (f"sites[{i}].zones[{j}].id", z.id)
        for i, s in enumerate(config.sites)
        for j, z in enumerate(s.zones)
    )
    found += _duplicates(
        (f"sites[{i}].doors[{j}].id", d.id)
        for i, s in enumerate(config.sites)
        for j, d in enumerate(s.doors)
    )
    found += _duplicates((f"custodians[{i}].id", c.id) for i, c in enumerate(config.custodians))
    found += _duplicates((f"asset_types[{i}].id", t.id) for i, t in enumerate(config.asset_types))
    found += [
        f"custodians[{i}].id: 'site:…' ids are the sites' own custodians, made by tagtrail"
        for i, custodian in enumerate(config.custodians)
        if custodian.id.startswith("site:")
    ]
    for i, site in enumerate(config.sites):
        found += _site_problems(site, f"sites[{i}]")
    found += _read_point_clashes(config)
    return found


def _duplicates(entries: Iterable[tuple[str, str]]) -> list[str]:
    first_seen: dict[str, str] = {}
    found = []
    for path, value in entries:
        if value in first_seen:
            found.append(f"{path}: duplicate id {value!r} (first at {first_seen[value]})")
        else:
            first_seen[value] = path
    return found


def _site_problems(site: SiteConfig, at: str) -> list[str]:
    zone_ids = {zone.id for zone in site.zones}
    references = [
        *((f"{at}.doors[{j}].zone", d.zone) for j, d in enumerate(site.doors)),
        *((f"{at}.zone_readers[{j}].zone", r.zone) for j, r in enumerate(site.zone_readers)),
        *((f"{at}.handhelds[{j}].zone", h.zone) for j, h in enumerate(site.handhelds)),
    ]
    # A door whose two sides share an antenna is reported as a reader/antenna clash.
    return [
        f"{path}: no zone {zone!r} in site {site.id!r}"
        for path, zone in references
        if zone not in zone_ids
    ]


def _read_point_clashes(config: SiteFile) -> list[str]:
    # The consumer resolves a read by (reader, antenna): two read points on one pair would
    # make where a tag was seen depend on which row the database returns first.
    by_pair: dict[tuple[str, int | None], str] = {}
    by_id: dict[str, str] = {}
    found = []
    for i, site in enumerate(config.sites):
        for point in planned_read_points(site, f"sites[{i}]"):
            pair = (point.reader_id, point.antenna)
            antenna = "all antennas" if point.antenna is None else f"antenna {point.antenna}"
            if pair in by_pair:
                found.append(
                    f"{point.path}: reader {point.reader_id!r} {antenna} is already used "
                    f"at {by_pair[pair]}"
                )
            elif point.id in by_id:
                found.append(
                    f"{point.path}: read point id {point.id!r} is also made at {by_id[point.id]}"
                )
            by_pair.setdefault(pair, point.path)
            by_id.setdefault(point.id, point.path)
    return found
