"""The URIs an EPCIS event names things by (pure, no I/O).

- an asset: its EPC pure identity URI; an asset known only by a GS1 barcode without an EPC
  form: the barcode's GS1 key as a Digital Link URI; anything else (a non-GS1 tag, a plain
  serial): `urn:tagtrail:asset:<asset id>`;
- a site: the SGLN of its GLN (extension 0); a zone: its SGLN; either without one:
  `urn:tagtrail:site:<id>` / `urn:tagtrail:zone:<id>`;
- a custodian (possessing or owning party): the PGLN of its GLN, else
  `urn:tagtrail:party:<custodian id>`;
- a dispatch: `urn:tagtrail:dispatch:<id>`; a recovery case: `urn:tagtrail:recovery-case:<id>`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from biip import ParseError
from biip.gs1_messages import GS1Message
from biip.gs1_prefixes import GS1CompanyPrefix

from tracker.epcis.digital_link import DIGITAL_LINK_HOST
from tracker.epcis.vocabulary import TAGTRAIL_URN
from tracker.identity import IdentifierError, decode

# Characters RFC 3986 allows in a URN's name part without escaping (pchar, less "/" "?").
_NSS_SAFE = "-._~!$&'()*+,;=:@"
_GLN = re.compile(r"[0-9]{13}")
# GS1 keys a barcode-only asset can be known by, in the order the registry prefers them
# (tracker.identity): returnable asset keys first.
_KEY_AIS = ("8003", "8004", "00", "01", "414")


def tagtrail_uri(kind: str, identifier: str) -> str:
    return f"{TAGTRAIL_URN}{kind}:{quote(identifier, safe=_NSS_SAFE)}"


def asset_epc(asset_id: str, value: str | None, scheme: str | None) -> str:
    """The URI of an asset in `epcList`, from its preferred identifier (see `store`)."""
    if value is not None and scheme == "epc" and value.startswith("urn:epc:id:"):
        return value
    if value is not None and scheme == "gs1":
        link = barcode_digital_link(value)
        if link is not None:
            return link
    return tagtrail_uri("asset", asset_id)


def barcode_digital_link(element_strings: str) -> str | None:
    """`(8003)04012345000016` → `https://id.gs1.org/8003/04012345000016`: the identifying
    key of GS1 barcode data (and the serial or extension that makes it an instance)."""
    try:
        elements = GS1Message.parse_hri(element_strings).element_strings
    except (ParseError, ValueError, IndexError):
        return None
    for ai in _KEY_AIS:
        key = elements.get(ai=ai)
        if key is None:
            continue
        path = f"{ai}/{_segment(key.value)}"
        qualifier = {"01": "21", "414": "254"}.get(ai)
        extra = elements.get(ai=qualifier) if qualifier else None
        if extra is not None:
            path += f"/{qualifier}/{_segment(extra.value)}"
        return f"{DIGITAL_LINK_HOST}/{path}"
    return None


def _segment(value: str) -> str:
    return quote(value, safe="-._~")


def _company_prefix_length(gln: str) -> int | None:
    prefix = GS1CompanyPrefix.extract(gln[:12])
    if prefix is None or not 6 <= len(prefix.value) <= 12:
        return None
    return len(prefix.value)


def gln_location(gln: str) -> str:
    """A location GLN as an SGLN URI (extension 0: the location itself)."""
    try:
        uri = decode(f"(414){gln}").uri
    except IdentifierError:
        uri = None
    return uri or f"{DIGITAL_LINK_HOST}/414/{gln}"


def gln_party(gln: str) -> str:
    """A party GLN as a PGLN URI; as a Digital Link when its company prefix is not known."""
    length = _company_prefix_length(gln) if _GLN.fullmatch(gln) else None
    if length is None:
        return f"{DIGITAL_LINK_HOST}/417/{gln}"
    return f"urn:epc:id:pgln:{gln[:length]}.{gln[length:12]}"


def site_location(site_id: str, gln: str | None) -> str:
    return gln_location(gln) if gln else tagtrail_uri("site", site_id)


def zone_location(zone_id: str, sgln: str | None) -> str:
    return sgln or tagtrail_uri("zone", zone_id)


def party(custodian_id: str, gln: str | None) -> str:
    return gln_party(gln) if gln else tagtrail_uri("party", custodian_id)


def dispatch_transaction(dispatch_id: str) -> str:
    return tagtrail_uri("dispatch", dispatch_id)


def case_transaction(case_id: str) -> str:
    return tagtrail_uri("recovery-case", case_id)
