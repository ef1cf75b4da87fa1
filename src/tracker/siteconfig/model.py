"""What a site file (`site.yaml`) may say: sites, zones, doors, readers, handhelds, and the
custodians and asset types that go with them. Field checks only; cross-references are
checked in `tracker.siteconfig.checks`, where the YAML path of each mistake is known."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from tracker.identity import IdentifierError, decode

ZoneKindName = Literal["dock", "storage", "yard", "repair", "quarantine", "external"]
# "site" custodians are made by tagtrail itself, one per site (`site:<site id>`).
CustodianKindName = Literal["customer", "carrier", "person"]

# Ids end up in URLs, logs and read point ids: no spaces, nothing a shell would mangle.
Id = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", min_length=1, max_length=64)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Antenna = Annotated[int, Field(ge=0, le=65535)]
Days = Annotated[int, Field(ge=1, le=36500)]


def _all_antennas(value: object) -> object:
    # `antennas: all` in YAML; None is how the read_points table says "every antenna".
    return None if value == "all" else value


def _known_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r} (an IANA name such as Europe/Berlin)"
        ) from None
    return name


def _valid_gln(gln: str) -> str:
    if not (len(gln) == 13 and gln.isascii() and gln.isdigit()):
        raise ValueError("a GLN is 13 digits")
    try:
        decode(f"(414){gln}")
    except IdentifierError as exc:
        raise ValueError(str(exc)) from None
    return gln


def _valid_sgln(sgln: str) -> str:
    try:
        identity = decode(sgln)
    except IdentifierError as exc:
        raise ValueError(str(exc)) from None
    if identity.scheme != "sgln" or identity.uri != sgln:
        raise ValueError("must be an SGLN pure identity URI (urn:epc:id:sgln:…)")
    return sgln


class _Strict(BaseModel):
    # A misspelt key must fail loudly: silently ignoring `outside_antena` would leave a door
    # with no direction.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneConfig(_Strict):
    id: Id
    name: Name
    kind: ZoneKindName
    sgln: Annotated[str, AfterValidator(_valid_sgln)] | None = None


class DoorConfig(_Strict):
    """A dock door: one reader, an antenna facing inside and one facing outside."""

    id: Id
    zone: Id
    reader: Id
    inside_antenna: Antenna
    outside_antenna: Antenna


class ZoneReaderConfig(_Strict):
    """A fixed reader watching a zone, with every antenna or only the ones listed."""

    reader: Id
    zone: Id
    antennas: Annotated[
        Annotated[list[Antenna], Field(min_length=1)] | None, BeforeValidator(_all_antennas)
    ] = None


class HandheldConfig(_Strict):
    device: Id
    zone: Id


class SiteConfig(_Strict):
    id: Id
    name: Name
    gln: Annotated[str, AfterValidator(_valid_gln)] | None = None
    timezone: Annotated[str, AfterValidator(_known_timezone)] = "UTC"
    zones: list[ZoneConfig] = []
    doors: list[DoorConfig] = []
    zone_readers: list[ZoneReaderConfig] = []
    handhelds: list[HandheldConfig] = []


class CustodianConfig(_Strict):
    id: Id
    name: Name
    kind: CustodianKindName
    return_days: Days | None = None
    contact: dict[str, str] = {}
    # The party's GS1 GLN: EPCIS events name the custodian by it (a PGLN) in source and
    # destination lists; without one, by a tagtrail URI.
    gln: Annotated[str, AfterValidator(_valid_gln)] | None = None


CheckName = Literal["functional", "cosmetic", "software_lock", "calibration", "decontamination"]
ReturnCategoryName = Literal[
    "end_of_lease",
    "customer_return",
    "delivery_refusal",
    "shipping_error",
    "product_failure",
    "recall",
    "damaged_in_use",
]


class RecoveryConfig(_Strict):
    """How returned assets of a type go through recovery (tracker.recovery)."""

    # Each needs a recorded result before a case of this type can be graded.
    checks: list[CheckName] = []
    # Open a case by itself whenever an asset of this type comes back (`tagtrail sweep`).
    open_on_return: bool = False
    return_category: ReturnCategoryName | None = None

    @model_validator(mode="after")
    def _category_when_opening(self) -> RecoveryConfig:
        if self.open_on_return and self.return_category is None:
            raise ValueError("return_category is required when open_on_return is true")
        return self


class AssetTypeConfig(_Strict):
    id: Id
    name: Name
    replacement_value: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] = Decimal(0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    expected_cycle_days: Days | None = None
    data_bearing: bool = False
    service_interval_days: Days | None = None
    max_trips: Annotated[int, Field(ge=1)] | None = None
    max_age_days: Days | None = None
    storage_zone_kind: ZoneKindName | None = None
    recovery: RecoveryConfig = RecoveryConfig()


class SiteFile(_Strict):
    """The whole file: the desired state of these sites (and of the custodians and types)."""

    sites: list[SiteConfig] = Field(min_length=1)
    custodians: list[CustodianConfig] = []
    asset_types: list[AssetTypeConfig] = []
