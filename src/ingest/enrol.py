"""Auto-enrolment: a read of an unregistered tag whose EPC scheme and company prefix match a
rule registers a new asset of the rule's type — in the same transaction as the read, so a
replay decides exactly the same."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from ingest.resolve import TagResolver
from tracker.identity import IdentifierError, decode
from tracker.store import Enrolment, enrol


@dataclass(frozen=True, slots=True)
class AutoEnrolRule:
    scheme: str  # EPC scheme: grai, giai, sgtin, sscc…
    company_prefix: str
    asset_type: str
    home_site: str

    def matches(self, scheme: str, company_prefix: str | None) -> bool:
        return scheme == self.scheme and company_prefix == self.company_prefix


def enrolment_for(tag: str, rules: Sequence[AutoEnrolRule]) -> Enrolment | None:
    """The asset a rule would register for this canonical tag, if any rule matches."""
    if not rules or not tag.startswith("urn:epc:id:"):
        return None
    try:
        identity = decode(tag)
    except IdentifierError:
        return None
    for rule in rules:
        if rule.matches(identity.scheme, identity.fields.get("company_prefix")):
            return Enrolment(
                asset_id=tag.removeprefix("urn:epc:id:"),
                type_id=rule.asset_type,
                home_site_id=rule.home_site,
                identifier=tag,
            )
    return None


async def enrol_unknown(
    conn: AsyncConnection,
    tags: Iterable[str],
    resolver: TagResolver,
    rules: Sequence[AutoEnrolRule],
) -> int:
    """Register the unknown tags that a rule matches; the resolver learns them at once."""
    if not rules:
        return 0
    enrolments = [
        e
        for tag in sorted(set(tags))
        if resolver.asset_of(tag) is None and (e := enrolment_for(tag, rules)) is not None
    ]
    if not enrolments:
        return 0
    await enrol(conn, enrolments)
    for enrolment in enrolments:
        resolver.learn(enrolment.identifier, enrolment.asset_id)
    return len(enrolments)
