"""Where the asset is: sightings move it between sites and zones, whatever its status."""

from __future__ import annotations

from dataclasses import replace

from tracker.domain.custody import open_dispatch_of
from tracker.domain.events import AssetArrived, AssetLeftSite, AssetMoved, Event, Stamp
from tracker.domain.model import AssetState, ZoneKind
from tracker.domain.observations import (
    HandheldAction,
    HandheldScanned,
    Observation,
    PortalDirection,
    PortalPassed,
    ZoneEntered,
)


def relocate(
    state: AssetState, observation: Observation, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    """Decisions (missing, written off, recovery) carry no place and leave location alone."""
    match observation:
        case PortalPassed(direction=PortalDirection.outbound):
            return _leave(state, observation, observation.site_id, observation.zone_id, stamp)
        case HandheldScanned(action=HandheldAction.check_out):
            return _leave(state, observation, observation.site_id, observation.zone_id, stamp)
        case PortalPassed() | ZoneEntered() | HandheldScanned():
            place = (observation.site_id, observation.zone_id, observation.zone_kind)
            return _arrive(state, *place, stamp)
    return state, []


def _leave(
    state: AssetState,
    observation: Observation,
    site_id: str,
    zone_id: str | None,
    stamp: Stamp,
) -> tuple[AssetState, list[Event]]:
    dispatch = open_dispatch_of(observation)
    left = AssetLeftSite(
        **stamp,
        site_id=site_id,
        zone_id=zone_id,
        dispatch_id=dispatch.dispatch_id if dispatch else None,
    )
    return replace(state, site_id=None, zone_id=None), [left]


def _arrive(
    state: AssetState,
    site_id: str,
    zone_id: str | None,
    zone_kind: ZoneKind | None,
    stamp: Stamp,
) -> tuple[AssetState, list[Event]]:
    if site_id != state.site_id:
        arrived = AssetArrived(
            **stamp,
            site_id=site_id,
            zone_id=zone_id,
            zone_kind=zone_kind,
            at_home=site_id == state.home_site_id,
        )
        return replace(state, site_id=site_id, zone_id=zone_id), [arrived]
    # A handheld scan without a zone says only "on this site": keep the zone we know.
    if zone_id is None or zone_id == state.zone_id:
        return state, []
    moved = AssetMoved(**stamp, site_id=site_id, from_zone_id=state.zone_id, to_zone_id=zone_id)
    return replace(state, zone_id=zone_id), [moved]
