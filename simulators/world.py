"""A synthetic distribution centre: a site, dock doors with inside/outside antennas, zones,
and GRAI-tagged returnable crates — written straight into tagtrail's tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from epcpy.epc_schemes.grai import GRAI, GRAIFilterValue
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.tables import (
    asset_identifiers,
    asset_types,
    assets,
    custodians,
    read_points,
    sites,
    zones,
)

COMPANY_PREFIX = "0614141"
# The crates' asset type, as seeded and as a site file states it (`asset_type_entry`).
CRATE_TYPE_NAME = "Returnable crate 60x40"
CRATE_REPLACEMENT_VALUE = "42.50"
CRATE_CYCLE_DAYS = 21


@dataclass(frozen=True)
class Door:
    number: int
    site_id: str

    @property
    def id(self) -> str:
        return f"{self.site_id}-door-{self.number:02d}"

    @property
    def reader_id(self) -> str:
        return f"{self.site_id}-dock-{self.number:02d}"

    @property
    def zone_id(self) -> str:
        return f"{self.site_id}-dock"


@dataclass(frozen=True)
class Asset:
    id: str
    epc_uri: str
    epc_hex: str


@dataclass
class World:
    site_id: str = "dc1"
    door_count: int = 8
    asset_count: int = 100
    asset_type: str = "crate-60x40"
    first_serial: int = 1000
    extra_zones: tuple[str, ...] = ("storage", "yard", "repair")
    customers: tuple[str, ...] = ("acme", "globex")
    carriers: tuple[str, ...] = ()
    doors: list[Door] = field(init=False)

    def __post_init__(self) -> None:
        self.doors = [Door(n, self.site_id) for n in range(1, self.door_count + 1)]

    @cached_property
    def assets(self) -> list[Asset]:
        grai_type = "12345"
        made = []
        for serial in range(self.first_serial, self.first_serial + self.asset_count):
            uri = f"urn:epc:id:grai:{COMPANY_PREFIX}.{grai_type}.{serial}"
            hex_value = GRAI(uri).hex(
                binary_coding_scheme=GRAI.BinaryCodingScheme.GRAI_96,
                filter_value=GRAIFilterValue.ALL_OTHERS,
            )
            made.append(Asset(f"{self.site_id}-crate-{serial}", uri, hex_value.upper()))
        return made

    def zone_reader_id(self, kind: str) -> str:
        return f"{self.site_id}-{kind}-reader"

    def asset_type_entry(self, **settings: object) -> dict[str, object]:
        """The crates' type as an `asset_types` entry of a site file, with `settings` (such
        as `recovery`) added: applying it changes only what `settings` say."""
        return {
            "id": self.asset_type,
            "name": CRATE_TYPE_NAME,
            "replacement_value": CRATE_REPLACEMENT_VALUE,
            "expected_cycle_days": CRATE_CYCLE_DAYS,
            **settings,
        }


async def seed(conn: AsyncConnection, world: World) -> None:
    """Insert the world; the identifiers are the canonical EPC URIs the consumer looks up."""
    site = world.site_id
    await conn.execute(insert(sites).values(id=site, name=f"DC {site}"))
    zone_rows = [{"id": f"{site}-dock", "site_id": site, "name": "Dock", "kind": "dock"}]
    zone_rows += [
        {"id": f"{site}-{kind}", "site_id": site, "name": kind.title(), "kind": kind}
        for kind in world.extra_zones
    ]
    await conn.execute(insert(zones), zone_rows)
    point_rows = []
    for door in world.doors:
        for antenna, role in ((1, "portal_inside"), (2, "portal_outside")):
            point_rows.append(
                {
                    "id": f"{door.id}-{'in' if antenna == 1 else 'out'}",
                    "reader_id": door.reader_id,
                    "antenna": antenna,
                    "zone_id": door.zone_id,
                    "role": role,
                    "door": door.id,
                }
            )
    point_rows += [
        {
            "id": f"{site}-{kind}-rp",
            "reader_id": world.zone_reader_id(kind),
            "antenna": None,
            "zone_id": f"{site}-{kind}",
            "role": "zone",
            "door": None,
        }
        for kind in world.extra_zones
    ]
    point_rows.append(
        {
            "id": f"{site}-handheld",
            "reader_id": f"{site}-scanner",
            "antenna": None,
            "zone_id": f"{site}-dock",
            "role": "handheld",
            "door": None,
        }
    )
    await conn.execute(insert(read_points), point_rows)
    await conn.execute(
        pg_insert(custodians).on_conflict_do_nothing(),
        [
            {
                "id": f"site:{site}",
                "name": f"DC {site}",
                "kind": "site",
                "site_id": site,
                "return_days": None,
            },
            *(
                {
                    "id": name,
                    "name": name.title(),
                    "kind": kind,
                    "site_id": None,
                    "return_days": 14,
                }
                for names, kind in ((world.customers, "customer"), (world.carriers, "carrier"))
                for name in names
            ),
        ],
    )
    await conn.execute(
        pg_insert(asset_types)
        .on_conflict_do_nothing()
        .values(
            id=world.asset_type,
            name=CRATE_TYPE_NAME,
            replacement_value=Decimal(CRATE_REPLACEMENT_VALUE),
            expected_cycle_days=CRATE_CYCLE_DAYS,
        )
    )
    await conn.execute(
        insert(assets),
        [{"id": a.id, "type_id": world.asset_type, "home_site_id": site} for a in world.assets],
    )
    await conn.execute(
        insert(asset_identifiers),
        [{"value": a.epc_uri, "scheme": "epc", "asset_id": a.id} for a in world.assets],
    )
