"""Every kind of asset event tagtrail records → the EPCIS 2.0 event docs/epcis.md promises,
and each one accepted by the official EPCIS 2.0 JSON schema."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from epcis_support import SCHEMA_DIR, schema_errors, single_event_document

from tracker.domain import (
    EVENT_TYPES,
    AlertKind,
    AlertRaised,
    AlertResolved,
    AssetArrived,
    AssetLeftSite,
    AssetMoved,
    AssetStatus,
    AssetStatusChanged,
    ClockClamped,
    Cue,
    CustodyTransferred,
    Event,
    ObservationIgnored,
    ObservationRecordedLate,
    TurnaroundRecorded,
    ZoneKind,
    event_payload,
)
from tracker.epcis import (
    REGISTERED,
    RULES,
    Custodian,
    Directory,
    EventRow,
    Site,
    Zone,
    event_hash,
    namespaces,
    to_epcis,
)
from tracker.epcis.vocabulary import (
    BizStep,
    BizTransactionType,
    Disposition,
    SourceDestType,
    TagtrailStep,
)
from tracker.recovery.store import STEP_KINDS

T = datetime(2026, 11, 2, 8, 0, 0, 250_000, tzinfo=UTC)  # 09:00:00.250 in Berlin (CET)
GRAI = "urn:epc:id:grai:4012345.00001.1234"
DIRECTORY = Directory(
    sites={
        "dc1": Site("dc1", "4012345000016", "Europe/Berlin"),
        "globex-dc": Site("globex-dc", None, "America/New_York"),
    },
    zones={
        "dc1-dock": Zone("dc1-dock", "dc1", "dock", "urn:epc:id:sgln:4012345.00001.dock"),
        "dc1-storage": Zone("dc1-storage", "dc1", "storage"),
        "dc1-cage": Zone("dc1-cage", "dc1", "quarantine"),
        "globex-yard": Zone("globex-yard", "globex-dc", "external"),
    },
    custodians={
        "site:dc1": Custodian("site:dc1"),
        "globex": Custodian("globex", "4012345000023"),
        "rhenus": Custodian("rhenus"),
    },
)
# Operator and SQL-written kinds (not domain events, not recovery steps).
OTHER_KINDS = {REGISTERED, "alert_acknowledged", "dispatch_closed"}


def domain_row(event: Event, **extra: Any) -> EventRow:
    payload = event_payload(event)
    return EventRow(
        kind=event.kind,
        asset_id=event.asset_id,
        occurred_at=event.occurred_at,
        observation_id=event.observation_id,
        site_id=payload.get("site_id"),  # type: ignore[arg-type]
        zone_id=payload.get("zone_id", payload.get("to_zone_id")),  # type: ignore[arg-type]
        payload={**payload, **extra},
        home_site_id="dc1",
        identifier=GRAI,
        identifier_scheme="epc",
    )


def stamp() -> dict[str, Any]:
    return {"asset_id": "crate-1", "observation_id": "llrp:abc:d", "occurred_at": T}


def status_row(
    to: AssetStatus, cause: Cue, frm: AssetStatus = AssetStatus.in_service, **who: Any
) -> EventRow:
    return domain_row(
        AssetStatusChanged(**stamp(), from_status=frm, to_status=to, cause=cause), **who
    )


def step_row(kind: str, **facts: Any) -> EventRow:
    """A recovery step's row, as tracker.recovery.store writes it."""
    return EventRow(
        kind=kind,
        asset_id="crate-1",
        occurred_at=T,
        observation_id=f"recovery:rc_0123456789ab:{kind}:0a1b2c3d",
        site_id="dc1",
        payload={"case_id": "rc_0123456789ab", "by": "bench@dc1", **facts},
        home_site_id="dc1",
        identifier=GRAI,
        identifier_scheme="epc",
    )


def sql_row(kind: str, payload: dict[str, Any], site_id: str | None = "dc1") -> EventRow:
    return EventRow(
        kind=kind,
        asset_id="crate-1",
        occurred_at=T,
        observation_id=f"{kind}:1",
        site_id=site_id,
        payload=payload,
        home_site_id="dc1",
        identifier=GRAI,
        identifier_scheme="epc",
    )


_S, _C = AssetStatus, Cue
DISPATCHED = {"dispatch_id": "D-1"}
CHECK = {"check": "functional", "passed": True, "notes": None}
# (case id, row, (type, action, bizStep, disposition)): the table of docs/epcis.md.
CASES: list[tuple[str, EventRow, tuple[str, str, str | None, str | None]]] = [
    (
        "registration",
        sql_row(REGISTERED, {"status": "in_service", "asset_type": "crate"}),
        ("ObjectEvent", "ADD", "commissioning", "active"),
    ),
    (
        "arrived",
        domain_row(
            AssetArrived(
                **stamp(), site_id="dc1", zone_id="dc1-dock", zone_kind=ZoneKind.dock, at_home=True
            )
        ),
        ("ObjectEvent", "OBSERVE", "arriving", None),
    ),
    (
        "moved into storage",
        domain_row(
            AssetMoved(**stamp(), site_id="dc1", from_zone_id="dc1-dock", to_zone_id="dc1-storage")
        ),
        ("ObjectEvent", "OBSERVE", "storing", None),
    ),
    (
        "moved into quarantine",
        domain_row(AssetMoved(**stamp(), site_id="dc1", from_zone_id=None, to_zone_id="dc1-cage")),
        ("ObjectEvent", "OBSERVE", "holding", None),
    ),
    (
        "moved to the dock",
        domain_row(
            AssetMoved(**stamp(), site_id="dc1", from_zone_id="dc1-storage", to_zone_id="dc1-dock")
        ),
        ("ObjectEvent", "OBSERVE", "arriving", None),
    ),
    (
        "left on a dispatch",
        domain_row(AssetLeftSite(**stamp(), site_id="dc1", zone_id="dc1-dock", dispatch_id="D-1")),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
    ),
    (
        "left without a dispatch",
        domain_row(AssetLeftSite(**stamp(), site_id="dc1", zone_id="dc1-dock", dispatch_id=None)),
        ("ObjectEvent", "OBSERVE", "departing", "in_transit"),
    ),
    (
        "custody transferred",
        domain_row(
            CustodyTransferred(
                **stamp(), from_custodian_id="site:dc1", to_custodian_id="globex", dispatch_id="D-1"
            )
        ),
        ("ObjectEvent", "OBSERVE", "accepting", None),
    ),
    (
        "back in service",
        status_row(_S.in_service, _C.seen_on_site, _S.in_transit),
        ("ObjectEvent", "OBSERVE", "arriving", "available"),
    ),
    (
        "redeployed",
        status_row(_S.in_service, _C.redeployed, _S.in_recovery, case_id="rc_0123456789ab"),
        ("ObjectEvent", "OBSERVE", "stocking", "available"),
    ),
    (
        "in transit",
        status_row(_S.in_transit, _C.exited),
        ("ObjectEvent", "OBSERVE", "departing", "in_transit"),
    ),
    (
        "at a custodian",
        status_row(_S.at_custodian, _C.seen_external, _S.in_transit),
        ("ObjectEvent", "OBSERVE", "arriving", "in_progress"),
    ),
    (
        "missing",
        status_row(_S.missing, _C.marked_missing),
        ("ObjectEvent", "OBSERVE", "urn:tagtrail:bizstep:marking_missing", "unknown"),
    ),
    (
        "lost",
        status_row(_S.lost, _C.written_off, _S.missing),
        ("ObjectEvent", "OBSERVE", "urn:tagtrail:bizstep:writing_off", "unknown"),
    ),
    (
        "into recovery",
        status_row(_S.in_recovery, _C.recovery_opened, case_id="rc_0123456789ab"),
        ("ObjectEvent", "OBSERVE", "holding", "returned"),
    ),
    (
        "retired through the API",
        status_row(_S.retired, _C.retired, reason="broken beyond repair", by="ops"),
        ("ObjectEvent", "DELETE", "decommissioning", "inactive"),
    ),
    (
        "retired: resold",
        status_row(_S.retired, _C.retired, _S.in_recovery, path="resale", case_id="rc_1"),
        ("ObjectEvent", "DELETE", "decommissioning", "inactive"),
    ),
    (
        "retired: parts",
        status_row(_S.retired, _C.retired, _S.in_recovery, path="parts", case_id="rc_1"),
        ("ObjectEvent", "DELETE", "disassembling", "destroyed"),
    ),
    (
        "retired: recycled",
        status_row(_S.retired, _C.retired, _S.in_recovery, path="recycling", case_id="rc_1"),
        ("ObjectEvent", "DELETE", "collecting", "disposed"),
    ),
    (
        "turnaround",
        domain_row(
            TurnaroundRecorded(
                **stamp(),
                dispatch_id="D-1",
                custodian_id="globex",
                returned_by_custodian_id=None,
                returned_to_site_id="dc1",
                departed_at=T - timedelta(days=9),
                duration=timedelta(days=9),
                overdue=False,
            )
        ),
        ("TransactionEvent", "DELETE", "receiving", "returned"),
    ),
    (
        "dispatch cancelled",
        sql_row(
            "dispatch_closed", {**DISPATCHED, "custodian_id": "globex", "outcome": "cancelled"}
        ),
        ("TransactionEvent", "DELETE", "void_shipping", None),
    ),
    (
        "dispatch closed unreturned",
        sql_row(
            "dispatch_closed", {**DISPATCHED, "custodian_id": "globex", "outcome": "unreturned"}
        ),
        ("TransactionEvent", "DELETE", None, None),
    ),
    (
        "late",
        domain_row(
            ObservationRecordedLate(
                **stamp(), observation_kind="zone_entered", last_applied_at=T + timedelta(hours=1)
            )
        ),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "clock clamped",
        domain_row(ClockClamped(**stamp(), reported_seen_at=T + timedelta(days=2))),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "ignored",
        domain_row(
            ObservationIgnored(
                **stamp(), observation_kind="portal_passed", reason="asset is retired"
            )
        ),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "alert raised",
        domain_row(
            AlertRaised(
                **stamp(),
                alert_kind=AlertKind.lost,
                reason="missing past the write-off threshold",
                replacement_value=Decimal("42.50"),
            )
        ),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "alert acknowledged",
        sql_row("alert_acknowledged", {"alert_id": 7, "alert_kind": "not_seen", "by": "ops"}),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "alert resolved",
        domain_row(AlertResolved(**stamp(), alert_kind=AlertKind.not_seen, reason="seen again")),
        ("ObjectEvent", "OBSERVE", None, None),
    ),
    (
        "recovery opened",
        step_row(
            "recovery_opened",
            return_category="end_of_lease",
            opened_how="rule",
            custodian_id="globex",
            dispatch_id="D-1",
            usage={"trips": 3, "days_out": 12.5, "custodians": ["globex"], "last_service_at": None},
        ),
        ("TransactionEvent", "ADD", "holding", "returned"),
    ),
    (
        "checks passed",
        step_row("recovery_checked", checks=[CHECK], regrade=False, stage="grading"),
        ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
    ),
    (
        "a check failed",
        step_row("recovery_checked", checks=[CHECK, {**CHECK, "passed": False}], stage="grading"),
        ("ObjectEvent", "OBSERVE", "inspecting", "non_conformant"),
    ),
    (
        "graded ready",
        step_row("recovery_graded", grade="ready_to_redeploy", previous_grade=None),
        ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
    ),
    (
        "graded repairable",
        step_row("recovery_graded", grade="repairable", previous_grade=None),
        ("ObjectEvent", "OBSERVE", "inspecting", "non_conformant"),
    ),
    (
        "sanitised",
        step_row(
            "asset_sanitised",
            certificate_id="ER-1",
            method="crypto_erase",
            certificate_sha256="ab" * 32,
        ),
        ("ObjectEvent", "OBSERVE", "urn:tagtrail:bizstep:sanitising", None),
    ),
    (
        "repair ordered",
        step_row("repair_ordered", repair_id=1, description="latch", cost=Decimal("4.80")),
        ("ObjectEvent", "OBSERVE", "repairing", "unavailable"),
    ),
    (
        "repaired",
        step_row("repair_closed", repair_id=1, outcome="repaired", cost="5.20"),
        ("ObjectEvent", "OBSERVE", "repairing", "conformant"),
    ),
    (
        "unrepairable",
        step_row("repair_closed", repair_id=1, outcome="unrepairable", cost="5.20"),
        ("ObjectEvent", "OBSERVE", "repairing", "non_conformant"),
    ),
    (
        "path decided",
        step_row("recovery_decided", path="resale", details={"price": "20.00"}),
        ("ObjectEvent", "OBSERVE", "urn:tagtrail:bizstep:deciding", None),
    ),
    (
        "closed: redeployed",
        step_row("recovery_closed", path="redeploy", status="in_service"),
        ("TransactionEvent", "DELETE", "stocking", "available"),
    ),
    (
        "closed: resold",
        step_row("recovery_closed", path="resale", status="retired"),
        ("TransactionEvent", "DELETE", "decommissioning", "inactive"),
    ),
    (
        "closed: parts",
        step_row("recovery_closed", path="parts", status="retired"),
        ("TransactionEvent", "DELETE", "disassembling", "destroyed"),
    ),
    (
        "closed: recycled",
        step_row("recovery_closed", path="recycling", status="retired"),
        ("TransactionEvent", "DELETE", "collecting", "disposed"),
    ),
]


def standard_fields(event: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    return (event["type"], event["action"], event.get("bizStep"), event.get("disposition"))


@pytest.mark.parametrize(("row", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_kind_maps_as_the_table_says_and_the_schema_accepts_it(
    row: EventRow, expected: tuple[str, str, str | None, str | None]
) -> None:
    event = to_epcis(row, DIRECTORY)

    assert standard_fields(event) == expected
    assert schema_errors(single_event_document(event)) == []
    assert event["tagtrail:kind"] == row.kind


@pytest.mark.parametrize("kind", list(AlertKind))
def test_an_alert_of_any_kind_sets_no_disposition(kind: AlertKind) -> None:
    """`stolen` only where theft is concluded: a partner's claim (reported_stolen,
    reported_destroyed) is an alert, and the asset's disposition stays what it was."""
    event = to_epcis(domain_row(AlertRaised(**stamp(), alert_kind=kind, reason="r")), DIRECTORY)

    assert standard_fields(event) == ("ObjectEvent", "OBSERVE", None, None)
    assert event["tagtrail:alertKind"] == kind.value
    assert schema_errors(single_event_document(event)) == []
    assert event["epcList"] == [GRAI]


def test_every_kind_tagtrail_writes_has_a_row_in_the_table_and_a_case_here() -> None:
    written = {t.kind for t in EVENT_TYPES} | set(STEP_KINDS) | OTHER_KINDS

    assert written == set(RULES)
    assert {row.kind for _, row, _ in CASES} == written
    variants = {(kind, v) for kind, table in RULES.items() for v in table}
    assert len(CASES) >= len(variants)


def test_only_cbv_words_are_bare_and_none_is_invented() -> None:
    schema = json.loads((SCHEMA_DIR / "EPCISDocument.schema.json").read_text())["definitions"]

    def enum(name: str) -> set[str]:
        return set(next(d for d in schema[name]["anyOf"] if "enum" in d)["enum"])

    assert {s.value for s in BizStep} <= enum("bizStep")
    assert {d.value for d in Disposition} <= enum("disposition")
    assert {t.value for t in BizTransactionType} <= enum("bizTransaction-type")
    assert {t.value for t in SourceDestType} <= enum("source-dest-type")
    for word in ("lost", "missing", "sanitising", "recycling", "written_off"):
        assert word not in enum("bizStep") | enum("disposition")
    assert all(step.uri.startswith("urn:tagtrail:bizstep:") for step in TagtrailStep)


def test_no_event_claims_theft() -> None:
    events = [to_epcis(row, DIRECTORY) for _, row, _ in CASES]

    assert all(event.get("disposition") != "stolen" for event in events)


def test_missing_and_lost_say_unknown_and_tagtrail_says_which() -> None:
    missing = to_epcis(status_row(_S.missing, _C.marked_missing), DIRECTORY)
    lost = to_epcis(status_row(_S.lost, _C.written_off, _S.missing), DIRECTORY)

    assert (missing["disposition"], missing["tagtrail:status"]) == ("unknown", "missing")
    assert (lost["disposition"], lost["tagtrail:status"]) == ("unknown", "lost")
    assert lost["tagtrail:fromStatus"] == "missing"


def test_event_time_is_local_with_the_site_offset_summer_and_winter() -> None:
    row = domain_row(AssetLeftSite(**stamp(), site_id="dc1", zone_id="dc1-dock", dispatch_id=None))
    summer = replace(row, occurred_at=datetime(2026, 7, 1, 12, 0, 0, 123_456, tzinfo=UTC))

    winter_event, summer_event = to_epcis(row, DIRECTORY), to_epcis(summer, DIRECTORY)

    assert winter_event["eventTime"] == "2026-11-02T09:00:00.250+01:00"
    assert winter_event["eventTimeZoneOffset"] == "+01:00"
    assert summer_event["eventTime"] == "2026-07-01T14:00:00.123456+02:00"
    assert summer_event["eventTimeZoneOffset"] == "+02:00"


def test_an_event_without_a_site_takes_the_offset_of_the_assets_home() -> None:
    row = status_row(_S.in_transit, _C.exited)

    assert to_epcis(row, DIRECTORY)["eventTimeZoneOffset"] == "+01:00"
    assert to_epcis(replace(row, home_site_id=None), DIRECTORY)["eventTimeZoneOffset"] == "+00:00"


def test_places_are_sglns_where_configured_and_tagtrail_uris_elsewhere() -> None:
    def where(zone_id: str | None, site_id: str = "dc1") -> tuple[Any, Any]:
        event = to_epcis(
            domain_row(
                AssetArrived(
                    **stamp(), site_id=site_id, zone_id=zone_id, zone_kind=None, at_home=False
                )
            ),
            DIRECTORY,
        )
        return event["readPoint"]["id"], event["bizLocation"]["id"]

    dock = "urn:epc:id:sgln:4012345.00001.dock"
    assert where("dc1-dock") == (dock, dock)
    assert where(None) == ("urn:epc:id:sgln:4012345.00001.0",) * 2
    assert where("dc1-storage") == ("urn:tagtrail:zone:dc1-storage",) * 2
    assert where(None, "globex-dc") == ("urn:tagtrail:site:globex-dc",) * 2


def test_leaving_and_ending_events_have_a_read_point_but_no_business_location() -> None:
    left = to_epcis(
        domain_row(AssetLeftSite(**stamp(), site_id="dc1", zone_id="dc1-dock", dispatch_id=None)),
        DIRECTORY,
    )
    registered = to_epcis(sql_row(REGISTERED, {"status": "in_service"}), DIRECTORY)

    assert "bizLocation" not in left and left["readPoint"]
    assert "readPoint" not in registered
    assert registered["bizLocation"] == {"id": "urn:epc:id:sgln:4012345.00001.0"}


def test_custody_changes_name_both_possessing_parties() -> None:
    event = to_epcis(
        domain_row(
            CustodyTransferred(
                **stamp(), from_custodian_id="site:dc1", to_custodian_id="globex", dispatch_id="D-1"
            )
        ),
        DIRECTORY,
    )

    assert event["sourceList"] == [
        {"type": "possessing_party", "source": "urn:tagtrail:party:site:dc1"}
    ]
    assert event["destinationList"] == [
        {"type": "possessing_party", "destination": "urn:epc:id:pgln:4012345.00002"}
    ]
    assert event["bizTransactionList"] == [
        {"type": "desadv", "bizTransaction": "urn:tagtrail:dispatch:D-1"}
    ]


def test_a_resale_names_the_owner_it_leaves_and_the_case() -> None:
    row = status_row(_S.retired, _C.retired, _S.in_recovery, path="resale", case_id="rc_1")

    event = to_epcis(row, DIRECTORY)

    assert event["sourceList"] == [
        {"type": "owning_party", "source": "urn:tagtrail:party:site:dc1"}
    ]
    assert "destinationList" not in event  # the buyer is not recorded
    assert event["bizTransactionList"] == [
        {"type": "rma", "bizTransaction": "urn:tagtrail:recovery-case:rc_1"}
    ]


def test_a_return_names_who_brought_it_back() -> None:
    turnaround = next(row for name, row, _ in CASES if name == "turnaround")
    opened = next(row for name, row, _ in CASES if name == "recovery opened")

    for row in (turnaround, opened):
        event = to_epcis(row, DIRECTORY)
        assert event["sourceList"] == [
            {"type": "possessing_party", "source": "urn:epc:id:pgln:4012345.00002"}
        ]
    # The dispatch it came back from is a fact of the case, not a transaction it joins.
    assert [t["type"] for t in to_epcis(opened, DIRECTORY)["bizTransactionList"]] == ["rma"]


@pytest.mark.parametrize(
    ("value", "scheme", "expected"),
    [
        (GRAI, "epc", GRAI),
        ("(8003)04012345000016", "gs1", "https://id.gs1.org/8003/04012345000016"),
        ("(01)09506000134352(21)A/1", "gs1", "https://id.gs1.org/01/09506000134352/21/A%2F1"),
        ("E2801160600002084E4E1C39", "epc_hex", "urn:tagtrail:asset:crate-1"),
        ("SN-123", "serial", "urn:tagtrail:asset:crate-1"),
        (None, None, "urn:tagtrail:asset:crate-1"),
    ],
)
def test_the_asset_is_named_by_its_epc_else_its_gs1_key_else_a_tagtrail_uri(
    value: str | None, scheme: str | None, expected: str
) -> None:
    row = replace(status_row(_S.in_transit, _C.exited), identifier=value, identifier_scheme=scheme)

    event = to_epcis(row, DIRECTORY)

    assert event["epcList"] == [expected]
    assert schema_errors(single_event_document(event)) == []


def test_tagtrail_facts_are_prefixed_strings_and_empty_ones_left_out() -> None:
    opened = to_epcis(next(row for name, row, _ in CASES if name == "recovery opened"), DIRECTORY)

    assert opened["tagtrail:returnCategory"] == "end_of_lease"
    assert opened["tagtrail:usage"] == {
        "tagtrail:trips": "3",
        "tagtrail:daysOut": "12.5",
        "tagtrail:custodians": ["globex"],
    }
    assert opened["tagtrail:observation"].startswith("recovery:rc_0123456789ab")
    extension_keys = [k for k in opened if ":" in k]
    assert all(k.startswith("tagtrail:") for k in extension_keys)


def test_the_event_id_is_the_hash_of_the_event_and_stable() -> None:
    for _, row, _ in CASES:
        event = to_epcis(row, DIRECTORY)
        body = {k: v for k, v in event.items() if k != "eventID"}
        assert event["eventID"] == event_hash(body, namespaces())
        assert to_epcis(row, DIRECTORY) == event
    ids = [to_epcis(row, DIRECTORY)["eventID"] for _, row, _ in CASES]
    assert len(set(ids)) == len(ids)


def test_a_kind_tagtrail_adds_later_still_exports_as_an_observation() -> None:
    event = to_epcis(sql_row("asset_repainted", {"colour": "blue"}), DIRECTORY)

    assert standard_fields(event) == ("ObjectEvent", "OBSERVE", None, None)
    assert event["tagtrail:colour"] == "blue"
    assert schema_errors(single_event_document(event)) == []


def test_a_transaction_event_without_its_transaction_falls_back_to_an_observation() -> None:
    row = step_row("recovery_closed", path="redeploy")
    row = replace(row, payload={"path": "redeploy"})  # no case id: nothing to disassociate from

    event = to_epcis(row, DIRECTORY)

    assert standard_fields(event) == ("ObjectEvent", "OBSERVE", None, None)
    assert schema_errors(single_event_document(event)) == []
