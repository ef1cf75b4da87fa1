"""A partner's claim that assets of ours were stolen, destroyed or disposed of: a captured
event whose disposition says so (docs/epcis.md, "Capture"). Pure, no I/O.

A claim is not a sighting (the partner did not necessarily see the asset; it says what
became of it), so it becomes no read: each of our EPCs in the event becomes one
`disposition_claimed` fact (tracker.domain.reported), published like another tagtrail's
facts and applied by the tracker, which raises the alert that goes with it and moves
nothing. EPCs we do not own stay in the capture log only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from tracker.domain.observations import ClaimedDisposition
from tracker.domain.reported import Reported, ReportedKind
from tracker.epcis.capture import PlannedEvent
from tracker.epcis.capture_replay import Replayed, tagtrail_fields

_MAX_REPORTER = 500


def claimed_tags(planned: Iterable[PlannedEvent]) -> set[str]:
    """The EPCs of the events that claim something: the tags to look up."""
    return {tag for event in planned if _claim_of(event) is not None for tag in event.epcs}


def plan_claims(
    planned: Sequence[PlannedEvent],
    owned: Mapping[str, str],
    reporter: str,
    replayed_prefixes: frozenset[str] = frozenset(),
) -> list[PlannedEvent]:
    """Each claiming event with the facts of its EPCs that are ours (`owned`: canonical tag →
    asset id). `replayed_prefixes`: another tagtrail's events the replay already decided
    (a trusted key's) are not claims — their disposition is a fact it recorded."""
    reporter = reporter[:_MAX_REPORTER]
    result: list[PlannedEvent] = []
    for event in planned:
        disposition = _claim_of(event)
        if disposition is None or tagtrail_fields(event.event, replayed_prefixes):
            result.append(event)
            continue
        claims = tuple(
            Replayed(
                Reported(
                    kind=ReportedKind.disposition_claimed,
                    observation_id=_claim_id(event.event_id, tag),
                    seen_at=event.event_time,
                    disposition=disposition,
                    reporter=reporter,
                ),
                tag,
                kind,
            )
            for tag, kind in zip(event.epcs, event.epc_kinds, strict=True)
            if tag in owned
        )
        result.append(replace(event, claims=claims))
    return result


def _claim_of(event: PlannedEvent) -> ClaimedDisposition | None:
    try:
        return ClaimedDisposition(event.disposition) if event.disposition else None
    except ValueError:
        return None


def _claim_id(event_id: str, tag: str) -> str:
    """Deterministic (a capture retried after a crash publishes the same fact, which the
    tracker recognises) and apart from the ids of the event's reads and replayed facts."""
    digest = hashlib.sha256(f"{event_id}|{tag}|claim".encode()).hexdigest()[:40]
    return f"epcis:{digest}"
