"""Turning tag sightings into RO_ACCESS_REPORT messages for one client's running ROSpecs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from simulators.llrp.messages import ROAccessReport
from simulators.llrp.parameters import ReportContent, TagReport
from simulators.llrp.rospec import ROSpec
from simulators.llrp.sightings import TagSighting

REPORTS_PER_MESSAGE = 100  # keeps one RO_ACCESS_REPORT well under a TCP window


def access_reports(
    sightings: Sequence[TagSighting],
    active: Sequence[ROSpec],
    default_content: ReportContent,
    message_ids: Iterator[int],
) -> list[ROAccessReport]:
    """Each sighting is reported once, by the first running ROSpec that inventories its
    antenna; a tag on an antenna no running ROSpec covers is simply not read."""
    reports = []
    for sighting in sightings:
        rospec = next((r for r in active if r.inventories(sighting.antenna_id)), None)
        if rospec is not None:
            reports.append(tag_report(sighting, rospec, default_content))
    return [
        ROAccessReport(tuple(reports[start : start + REPORTS_PER_MESSAGE]), next(message_ids))
        for start in range(0, len(reports), REPORTS_PER_MESSAGE)
    ]


def tag_report(sighting: TagSighting, rospec: ROSpec, default: ReportContent) -> TagReport:
    """Only the fields the ROSpec's TagReportContentSelector enables (the reader's default
    from SET_READER_CONFIG when the ROSpec has none); the EPC is always there."""
    content = rospec.report_content or default
    return TagReport(
        epc=sighting.epc,
        antenna_id=sighting.antenna_id if content.antenna_id else None,
        peak_rssi_dbm=sighting.rssi_dbm if content.peak_rssi else None,
        first_seen_utc_us=sighting.first_seen_us if content.first_seen else None,
        last_seen_utc_us=sighting.last_seen_us if content.last_seen else None,
        tag_seen_count=sighting.count if content.tag_seen_count else None,
        rospec_id=rospec.rospec_id if content.rospec_id else None,
    )
