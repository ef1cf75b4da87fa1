"""The words tagtrail's EPCIS events use: CBV 2.0 bare words, and tagtrail's own namespace.

Only words the CBV 2.0 standard defines appear in the CBV enums below (a unit test checks each
against the official EPCIS 2.0 JSON schema). Where CBV has no true word for what tagtrail did
(marking an asset missing, writing it off, erasing its data, deciding its recovery path), the
business step is a URI in tagtrail's namespace, never a made-up bare word; where tagtrail knows
more than a CBV word says (lost vs. missing behind `unknown`), a `tagtrail:` field says it.
"""

from __future__ import annotations

from enum import StrEnum

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SCHEMA_VERSION = "2.0"
CBV_VERSION = "2.0"

# JSON-LD prefix of tagtrail's extension fields (`tagtrail:status`), declared in every
# document's @context. A URN: tagtrail claims no web domain.
TAGTRAIL_PREFIX = "tagtrail"
TAGTRAIL_NAMESPACE = "urn:tagtrail:epcis:"
# Identifiers tagtrail mints for what has no GS1 key: `urn:tagtrail:zone:<zone id>` etc.
TAGTRAIL_URN = "urn:tagtrail:"


class Action(StrEnum):
    add = "ADD"
    observe = "OBSERVE"
    delete = "DELETE"


class EventType(StrEnum):
    object_event = "ObjectEvent"
    transaction_event = "TransactionEvent"


class BizStep(StrEnum):
    """CBV 2.0 business steps tagtrail uses (bare words, as EPCIS 2.0 JSON-LD writes them)."""

    accepting = "accepting"  # possession changes hands: custody transfers
    arriving = "arriving"
    collecting = "collecting"  # handed over for disposal, recycling or re-use
    commissioning = "commissioning"  # the asset and its identifier enter tagtrail
    decommissioning = "decommissioning"  # retired; the identifier no longer names a pool asset
    departing = "departing"
    disassembling = "disassembling"  # harvested for parts
    holding = "holding"  # segregated for review: recovery intake, quarantine
    inspecting = "inspecting"  # recovery checks and grading
    receiving = "receiving"  # a dispatched asset back in our inventory
    repairing = "repairing"
    shipping = "shipping"  # leaving on a dispatch
    stocking = "stocking"  # redeployed: available for order fulfilment again
    storing = "storing"  # moved into a storage zone
    void_shipping = "void_shipping"  # a dispatch cancelled before anything left


class Disposition(StrEnum):
    """CBV 2.0 dispositions tagtrail uses."""

    active = "active"  # just registered
    available = "available"  # in service (back) in our pool
    conformant = "conformant"  # passed checks / grading / repair
    destroyed = "destroyed"  # taken apart for parts
    disposed = "disposed"  # given to a recycler
    in_progress = "in_progress"  # at a custodian, on its way through the loop
    in_transit = "in_transit"
    inactive = "inactive"  # retired (decommissioned; may live on elsewhere, e.g. resold)
    non_conformant = "non_conformant"  # failed checks, graded below redeploy, unrepairable
    returned = "returned"  # back from a custodian (recovery intake, dispatch returned)
    unavailable = "unavailable"  # out of service, pending repair
    # Missing and lost: tagtrail does not know the asset's condition. `stolen` is never used:
    # tagtrail does not conclude theft. `tagtrail:status` says missing or lost.
    unknown = "unknown"


class BizTransactionType(StrEnum):
    desadv = "desadv"  # a dispatch: the despatch advice of the shipment
    rma = "rma"  # a recovery case: the return authorisation


class SourceDestType(StrEnum):
    owning_party = "owning_party"
    possessing_party = "possessing_party"
    location = "location"


class TagtrailStep(StrEnum):
    """Business steps CBV 2.0 has no true word for: URIs in tagtrail's namespace."""

    marking_missing = "marking_missing"  # not seen past its threshold, or absent at an audit
    writing_off = "writing_off"  # missing past the write-off threshold: lost
    sanitising = "sanitising"  # data erased, with an erasure certificate
    deciding = "deciding"  # a recovery path chosen (redeploy, resale, parts, recycling)

    @property
    def uri(self) -> str:
        return f"{TAGTRAIL_URN}bizstep:{self.value}"


def extension(name: str) -> str:
    """`status` → `tagtrail:status`, the compact name of one of tagtrail's extension fields."""
    return f"{TAGTRAIL_PREFIX}:{name}"


def document_context() -> list[str | dict[str, str]]:
    """The `@context` of every document tagtrail writes: the EPCIS 2.0.0 context (by URL, as
    the standard's own examples do) and tagtrail's prefix."""
    return [EPCIS_CONTEXT, {TAGTRAIL_PREFIX: TAGTRAIL_NAMESPACE}]


def namespaces() -> dict[str, str]:
    """Prefix → namespace IRI of the extension fields, for the event hash."""
    return {TAGTRAIL_PREFIX: TAGTRAIL_NAMESPACE}
