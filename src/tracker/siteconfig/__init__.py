"""Config as code: a site file (`site.yaml`) describes sites, zones, dock doors, readers,
handhelds, custodians and asset types; `apply_site_config` makes the database match it."""

from tracker.siteconfig.apply import SiteConfigConflict, apply_site_config
from tracker.siteconfig.changes import KINDS, Action, Change, ChangeReport
from tracker.siteconfig.loading import (
    SiteConfigError,
    load_site_file,
    parse_site_data,
    parse_site_yaml,
)
from tracker.siteconfig.model import (
    AssetTypeConfig,
    CustodianConfig,
    DoorConfig,
    HandheldConfig,
    RecoveryConfig,
    SiteConfig,
    SiteFile,
    ZoneConfig,
    ZoneReaderConfig,
)

__all__ = [
    "KINDS",
    "Action",
    "AssetTypeConfig",
    "Change",
    "ChangeReport",
    "CustodianConfig",
    "DoorConfig",
    "HandheldConfig",
    "RecoveryConfig",
    "SiteConfig",
    "SiteConfigConflict",
    "SiteConfigError",
    "SiteFile",
    "ZoneConfig",
    "ZoneReaderConfig",
    "apply_site_config",
    "load_site_file",
    "parse_site_data",
    "parse_site_yaml",
]
