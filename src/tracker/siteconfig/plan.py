"""The rows a site file asks for, table by table (pure). Each planned read point keeps the
YAML path it came from, so a clash can be reported where the user wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.siteconfig.model import SiteConfig, SiteFile
from tracker.store import site_custodian_id

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlannedReadPoint:
    id: str
    reader_id: str
    antenna: int | None
    zone_id: str
    role: str
    door: str | None
    path: str  # where in the file its reader/antenna were given

    def row(self) -> Row:
        return {
            "id": self.id,
            "reader_id": self.reader_id,
            "antenna": self.antenna,
            "zone_id": self.zone_id,
            "role": self.role,
            "door": self.door,
        }


@dataclass(frozen=True)
class Plan:
    """Desired rows by table, keyed by primary key."""

    sites: dict[str, Row] = field(default_factory=dict)
    zones: dict[str, Row] = field(default_factory=dict)
    read_points: dict[str, Row] = field(default_factory=dict)
    custodians: dict[str, Row] = field(default_factory=dict)
    asset_types: dict[str, Row] = field(default_factory=dict)


def planned_read_points(site: SiteConfig, at: str) -> list[PlannedReadPoint]:
    """Read points of one site; `at` is the site's YAML path, e.g. `sites[0]`."""
    points: list[PlannedReadPoint] = []
    for i, door in enumerate(site.doors):
        for side, antenna in (("inside", door.inside_antenna), ("outside", door.outside_antenna)):
            points.append(
                PlannedReadPoint(
                    id=f"{door.id}-{'in' if side == 'inside' else 'out'}",
                    reader_id=door.reader,
                    antenna=antenna,
                    zone_id=door.zone,
                    role=f"portal_{side}",
                    door=door.id,
                    path=f"{at}.doors[{i}].{side}_antenna",
                )
            )
    for i, reader in enumerate(site.zone_readers):
        where = f"{at}.zone_readers[{i}]"
        if reader.antennas is None:
            points.append(
                PlannedReadPoint(
                    reader.reader, reader.reader, None, reader.zone, "zone", None, where
                )
            )
        for j, antenna in enumerate(reader.antennas or []):
            point_id = f"{reader.reader}-ant{antenna}"
            path = f"{where}.antennas[{j}]"
            points.append(
                PlannedReadPoint(point_id, reader.reader, antenna, reader.zone, "zone", None, path)
            )
    for i, handheld in enumerate(site.handhelds):
        where = f"{at}.handhelds[{i}].device"
        points.append(
            PlannedReadPoint(
                handheld.device, handheld.device, None, handheld.zone, "handheld", None, where
            )
        )
    return points


def plan(config: SiteFile) -> Plan:
    desired = Plan()
    for i, site in enumerate(config.sites):
        desired.sites[site.id] = {
            "id": site.id,
            "name": site.name,
            "gln": site.gln,
            "timezone": site.timezone,
        }
        # Every site needs its own custodian: the one holding assets that are at home.
        desired.custodians[site_custodian_id(site.id)] = {
            "id": site_custodian_id(site.id),
            "name": site.name,
            "kind": "site",
            "site_id": site.id,
            "return_days": None,
            "contact": {},
            "gln": None,
        }
        for zone in site.zones:
            desired.zones[zone.id] = {
                "id": zone.id,
                "site_id": site.id,
                "name": zone.name,
                "kind": zone.kind,
                "sgln": zone.sgln,
            }
        for point in planned_read_points(site, f"sites[{i}]"):
            desired.read_points[point.id] = point.row()
    for custodian in config.custodians:
        desired.custodians[custodian.id] = {
            **custodian.model_dump(),
            "site_id": None,
        }
    for asset_type in config.asset_types:
        recovery = asset_type.recovery
        desired.asset_types[asset_type.id] = {
            **asset_type.model_dump(exclude={"recovery"}),
            "recovery_checks": list(dict.fromkeys(recovery.checks)),
            "recovery_open_on_return": recovery.open_on_return,
            "recovery_return_category": recovery.return_category,
        }
    return desired
