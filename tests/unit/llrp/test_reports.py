"""What a client gets for a sighting: the fields its ROSpec selected, on the antennas it reads."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from simulators.llrp.parameters import ReportContent
from simulators.llrp.reports import access_reports
from simulators.llrp.rospec import ROSpec
from simulators.llrp.sightings import make_sighting

SEEN_AT = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
EPC = "303401e9e0000000000012ab"


def test_only_the_selected_fields_are_reported() -> None:
    sighting = make_sighting(EPC, 1, -48.6, count=4, first_seen=SEEN_AT)
    content = ReportContent(antenna_id=False, peak_rssi=True, first_seen=False)
    [message] = access_reports(
        [sighting], [ROSpec(1, report_content=content)], ReportContent(), itertools.count()
    )
    [report] = message.tag_reports
    assert report.epc.hex() == EPC
    assert (report.antenna_id, report.first_seen_utc_us) == (None, None)
    assert (report.peak_rssi_dbm, report.tag_seen_count) == (-49, 4)


def test_the_reader_default_selector_applies_when_the_rospec_has_none() -> None:
    sighting = make_sighting(EPC, 2, -50, first_seen=SEEN_AT)
    default = ReportContent(rospec_id=True, first_seen=True)
    [message] = access_reports([sighting], [ROSpec(9)], default, itertools.count())
    assert message.tag_reports[0].rospec_id == 9
    assert message.tag_reports[0].first_seen_utc_us == int(SEEN_AT.timestamp()) * 1_000_000


def test_tags_on_antennas_no_running_rospec_reads_are_not_reported() -> None:
    sightings = [make_sighting(EPC, antenna, -50) for antenna in (1, 2, 3)]
    messages = access_reports(
        sightings, [ROSpec(1, antenna_ids=(1, 3))], ReportContent(), itertools.count()
    )
    assert [r.antenna_id for m in messages for r in m.tag_reports] == [1, 3]


def test_large_batches_are_split_into_several_reports() -> None:
    sightings = [make_sighting(f"{n:024x}", 1, -50) for n in range(250)]
    messages = access_reports(sightings, [ROSpec(1)], ReportContent(), itertools.count(1))
    assert [len(m.tag_reports) for m in messages] == [100, 100, 50]
    assert [m.message_id for m in messages] == [1, 2, 3]
