"""An LLRP tag report, as sllurp hands it over, becomes the TagRead the consumer expects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from readers.llrp.mapping import UnmappableReport, read_id_for, tag_read_from_report

EPC = "303401e9e0000000000012ab"
FIRST_SEEN = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
FIRST_SEEN_US = 1_772_353_800_123_456  # FIRST_SEEN in µs since the epoch


def sllurp_report(**fields: Any) -> dict[str, Any]:
    """A TagReportData as sllurp 3 decodes it: EPC as hex bytes, TV fields as ints."""
    report: dict[str, Any] = {
        "EPC-96": EPC.encode(),
        "EPC": EPC.encode(),
        "AntennaID": 2,
        "PeakRSSI": -51,
        "FirstSeenTimestampUTC": FIRST_SEEN_US,
        "TagSeenCount": 3,
    }
    report.update(fields)
    return {name: value for name, value in report.items() if value is not None}


def test_first_seen_is_the_timestamp_constant() -> None:
    assert int(FIRST_SEEN.timestamp()) * 1_000_000 + FIRST_SEEN.microsecond == FIRST_SEEN_US


def test_a_report_maps_every_field_with_seen_at_to_the_microsecond() -> None:
    read = tag_read_from_report(sllurp_report(), "dock-03")

    assert read.tag == EPC.upper()
    assert read.tag_kind == "epc"
    assert read.reader_id == "dock-03"
    assert read.antenna == 2
    assert read.rssi == -51.0
    assert read.seen_at == FIRST_SEEN
    assert read.seen_at.tzinfo is UTC
    assert read.count == 3
    assert read.source == "llrp"
    assert read.read_id == read_id_for("dock-03", 2, EPC, FIRST_SEEN_US)


def test_impinj_centi_dbm_wins_over_whole_dbm_peak_rssi() -> None:
    read = tag_read_from_report(sllurp_report(PeakRSSI=-52, ImpinjPeakRSSI=-5137), "dock-03")
    assert read.rssi == pytest.approx(-51.37)


def test_impinj_centi_dbm_alone_is_enough() -> None:
    read = tag_read_from_report(sllurp_report(PeakRSSI=None, ImpinjPeakRSSI=-6000), "dock-03")
    assert read.rssi == pytest.approx(-60.0)


def test_no_rssi_and_no_antenna_stay_unknown() -> None:
    read = tag_read_from_report(sllurp_report(PeakRSSI=None, AntennaID=None), "dock-03")
    assert read.rssi is None
    assert read.antenna is None


def test_an_rssi_no_receiver_could_hear_is_dropped_but_the_read_kept() -> None:
    read = tag_read_from_report(sllurp_report(PeakRSSI=12), "dock-03")
    assert read.rssi is None
    assert read.tag == EPC.upper()


def test_a_resent_report_gets_the_same_read_id() -> None:
    first = tag_read_from_report(sllurp_report(), "dock-03")
    # Same tag, antenna and first-seen time, resent after a reconnect with more reads folded in.
    resent = tag_read_from_report(sllurp_report(TagSeenCount=9, PeakRSSI=-48), "dock-03")
    assert resent.read_id == first.read_id


@pytest.mark.parametrize(
    ("reader_id", "fields"),
    [
        ("dock-04", {}),
        ("dock-03", {"AntennaID": 1}),
        ("dock-03", {"EPC": b"303401e9e0000000000012ac"}),
        ("dock-03", {"FirstSeenTimestampUTC": FIRST_SEEN_US + 1}),
    ],
)
def test_read_id_changes_with_reader_antenna_epc_or_first_seen(
    reader_id: str, fields: dict[str, Any]
) -> None:
    baseline = tag_read_from_report(sllurp_report(), "dock-03")
    other = tag_read_from_report(sllurp_report(**fields), reader_id)
    assert other.read_id != baseline.read_id


def test_read_id_fits_the_contract_and_ignores_epc_case() -> None:
    read_id = read_id_for("d" * 64, 65_535, "F" * 64, 2**63)
    assert len(read_id) <= 64
    assert read_id.startswith("llrp:")
    assert read_id_for("dock-03", 1, EPC, 1) == read_id_for("dock-03", 1, EPC.upper(), 1)


def test_a_tag_seen_count_of_zero_is_one_read() -> None:
    assert tag_read_from_report(sllurp_report(TagSeenCount=0), "dock-03").count == 1
    assert tag_read_from_report(sllurp_report(TagSeenCount=None), "dock-03").count == 1


def test_last_seen_stands_in_when_the_reader_sends_no_first_seen() -> None:
    report = sllurp_report(FirstSeenTimestampUTC=None, LastSeenTimestampUTC=FIRST_SEEN_US)
    assert tag_read_from_report(report, "dock-03").seen_at == FIRST_SEEN


def test_an_epc_given_as_str_maps_like_bytes() -> None:
    report = sllurp_report(**{"EPC": EPC, "EPC-96": None})
    assert tag_read_from_report(report, "dock-03").tag == EPC.upper()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"EPC": None, "EPC-96": None}, "without an EPC"),
        ({"EPC": b"not-hex!", "EPC-96": None}, "non-hex EPC"),
        ({"FirstSeenTimestampUTC": None}, "FirstSeenTimestampUTC"),
        ({"FirstSeenTimestampUTC": 0}, "before 2000"),
        ({"FirstSeenTimestampUTC": "soon"}, "not a number"),
        ({"AntennaID": 70_000}, "antenna"),
    ],
)
def test_reports_that_cannot_be_a_tagread_say_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnmappableReport, match=reason):
        tag_read_from_report(sllurp_report(**fields), "dock-03")
