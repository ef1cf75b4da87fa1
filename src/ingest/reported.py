"""Reported v1: a fact another tagtrail reported (tracker.domain.reported), on the reads topic.

EPCIS capture of another tagtrail's export publishes one record per fact, keyed by the
asset's canonical tag like every read of it, so the facts and the reads of one asset are
applied in one order by one consumer. The record carries the `tagtrail-reported` header (the
value is the version); its body is JSON, decoded and validated here like a TagRead.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ingest.tagread import Name, SeenAt, Tag
from tracker.domain import ClaimedDisposition, MissingSource, ZoneKind
from tracker.domain.reported import Reported, ReportedKind
from tracker.identity import TagKind

REPORTED_HEADER = "tagtrail-reported"
REPORTED_VERSION = b"1"

ObservationId = Annotated[str, Meta(min_length=1, max_length=128)]
Text = Annotated[str, Meta(min_length=1, max_length=500)]


class ReportedRecord(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    v: Literal[1]
    observation_id: ObservationId
    tag: Tag  # canonical: the Kafka key
    tag_kind: TagKind
    seen_at: SeenAt
    kind: ReportedKind
    site_id: Name | None = None
    zone_id: Name | None = None
    zone_kind: ZoneKind | None = None
    receiver: Name | None = None
    authorised: bool = False
    case_id: Name | None = None
    reason: Text | None = None
    replacement_value: Annotated[str, Meta(pattern=r"^-?[0-9]{1,12}(\.[0-9]+)?$")] | None = None
    missing_source: MissingSource = MissingSource.sweeper
    audit_id: Name | None = None
    disposition: ClaimedDisposition | None = None
    reporter: Text | None = None

    def fact(self) -> Reported:
        """ValueError when the fields do not make a fact (a zone without its site)."""
        value = self.replacement_value
        return Reported(
            kind=self.kind,
            observation_id=self.observation_id,
            seen_at=self.seen_at,
            site_id=self.site_id,
            zone_id=self.zone_id,
            zone_kind=self.zone_kind,
            receiver=self.receiver,
            authorised=self.authorised,
            case_id=self.case_id,
            reason=self.reason,
            replacement_value=Decimal(value) if value is not None else None,
            missing_source=self.missing_source,
            audit_id=self.audit_id,
            disposition=self.disposition,
            reporter=self.reporter,
        )


_DECODER = msgspec.json.Decoder(ReportedRecord)
_ENCODER = msgspec.json.Encoder()


class ReportedError(ValueError):
    pass


def decode_reported(raw: bytes) -> ReportedRecord:
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise ReportedError(str(exc)) from None


def encode_reported(record: ReportedRecord) -> bytes:
    return _ENCODER.encode(record)


def reported_record(fact: Reported, tag: str, tag_kind: TagKind) -> ReportedRecord:
    value = fact.replacement_value
    return ReportedRecord(
        v=1,
        observation_id=fact.observation_id,
        tag=tag,
        tag_kind=tag_kind,
        seen_at=fact.seen_at,
        kind=fact.kind,
        site_id=fact.site_id,
        zone_id=fact.zone_id,
        zone_kind=fact.zone_kind,
        receiver=fact.receiver,
        authorised=fact.authorised,
        case_id=fact.case_id,
        reason=fact.reason,
        replacement_value=str(value) if value is not None else None,
        missing_source=fact.missing_source,
        audit_id=fact.audit_id,
        disposition=fact.disposition,
        reporter=fact.reporter,
    )
