"""One canonical identity for every identifier form a crate carries (pure, no I/O).

EPC hex from its RFID tag, a GS1 barcode such as a GRAI `(8003)…` on its label, or an
EPC URI from an integration: all that name one asset decode to one EPC pure identity URI.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote, unquote

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.gs1_prefixes import GS1CompanyPrefix
from biip.symbology import GS1Symbology, SymbologyIdentifier
from epcpy.utils.common import ConvertException
from epcpy.utils.parsers import (
    epc_pure_identity_to_gs1_keyed,
    epc_pure_identity_to_scheme,
    hex_to_tag_encodable,
    tag_uri_to_tag_encodable,
)

if TYPE_CHECKING:
    from functools import _CacheInfo

IdentifierKind = Literal["epc_hex", "epc_uri", "epc_tag_uri", "gs1_barcode"]
TagKind = Literal["epc", "barcode"]
# From a GS1 key and all element strings of its message to its EPC URI, if it has one.
UriBuilder = Callable[[str, GS1ElementStrings], str | None]

MAX_IDENTIFIER_LENGTH = 256
# About 65k distinct tags (tens of MB); a miss costs one epcpy decode, ~16 µs for EPC hex.
CANONICAL_TAG_CACHE_SIZE = 65_536

# epcpy reports malformed input through builtin exceptions as well as its own.
_EPCPY_ERRORS = (ConvertException, ValueError, IndexError, KeyError, TypeError)
# biip indexes into truncated symbology identifiers ("]", "]X") without checking.
_BIIP_ERRORS = (ParseError, ValueError, IndexError)
_HEX = re.compile(r"[0-9A-F]{24,}")
# Characters an EPC URI carries unescaped (TDS §5 "GS3A3"); the rest become %XX.
_URI_SAFE = "!'()*+,-.:;=_"
# C0 controls incl. GS (FNC1 as scanners transmit it), CR/LF from keyboard wedges, DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# scheme → names of the URI's dot-separated components, and the GS1 key it maps to.
_SCHEME_LAYOUT: dict[str, tuple[tuple[str, ...], str]] = {
    "sgtin": (("company_prefix", "item_reference", "serial"), "gtin"),
    "sscc": (("company_prefix", "serial_reference"), "sscc"),
    "sgln": (("company_prefix", "location_reference", "extension"), "gln"),
    "grai": (("company_prefix", "asset_type", "serial"), "grai"),
    "giai": (("company_prefix", "asset_reference"), "giai"),
}


class IdentifierError(ValueError):
    """The value is no identifier we can decode; the message says why, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


@dataclass(frozen=True, slots=True)
class Identity:
    kind: IdentifierKind
    scheme: str  # EPC scheme (grai, sgtin…), or the GS1 key type (gtin…) without EPC form
    uri: str | None  # EPC pure identity URI; None when the identifier has no EPC form
    fields: dict[str, str]


def decode(value: str) -> Identity:
    """Decode EPC hex, an EPC pure identity or tag URI, or GS1 barcode data."""
    text = value.strip()
    if not text:
        raise IdentifierError("empty identifier")
    if len(text) > MAX_IDENTIFIER_LENGTH:
        raise IdentifierError(f"identifier longer than {MAX_IDENTIFIER_LENGTH} characters")
    if text.startswith("urn:"):
        return _identity_from_uri(*_pure_identity_uri(text))
    compact = _compact_hex(text)
    if _HEX.fullmatch(compact):
        try:
            return _identity_from_uri(_epc_hex_to_uri(compact), "epc_hex")
        except IdentifierError:
            # An all-digit value may equally be a GS1 element string without parentheses.
            if not compact.isdigit():
                raise
    return _decode_gs1(text)


def canonical_tag(tag: str, tag_kind: TagKind) -> str:
    """The Kafka key and identifier lookup form of a read's tag.

    epc: decodable hex or URI → EPC pure identity URI; other hex → uppercase hex
    without spaces or `0x`; anything else raises IdentifierError.
    barcode: GS1 data with an EPC form → that URI; other GS1 data → its
    parenthesised form `(01)…`; anything else → the text without symbology
    identifier, control characters (GS/FNC1, CR/LF) and surrounding whitespace,
    case kept. Raises IdentifierError only when nothing is left.
    """
    return _cached_canonical_tag(tag, tag_kind)


def canonical_tag_cache_info() -> _CacheInfo:
    """Hits and misses of the canonical-tag cache, for metrics."""
    return _cached_canonical_tag.cache_info()


# Cached behind a typed wrapper: lru_cache's own signature would accept any arguments.
@lru_cache(maxsize=CANONICAL_TAG_CACHE_SIZE)
def _cached_canonical_tag(tag: str, tag_kind: TagKind) -> str:
    if len(tag) > MAX_IDENTIFIER_LENGTH:
        raise IdentifierError(f"tag longer than {MAX_IDENTIFIER_LENGTH} characters")
    if tag_kind == "epc":
        return _canonical_epc(tag)
    return _canonical_barcode(tag)


def _canonical_epc(tag: str) -> str:
    text = tag.strip()
    if text.startswith("urn:"):
        return _pure_identity_uri(text)[0]
    compact = _compact_hex(text)
    if not _HEX.fullmatch(compact):
        raise IdentifierError(f"EPC {tag!r} is neither hex (>= 96 bits) nor an EPC URI")
    try:
        return _epc_hex_to_uri(compact)
    except IdentifierError:
        # Tags with a non-GS1 or proprietary encoding are still tracked by their hex.
        return compact


def _canonical_barcode(tag: str) -> str:
    try:
        identity = decode(tag)
    except IdentifierError:
        text = tag.strip()
        if text.startswith("]") and len(text) >= 3:
            text = text[3:]
        opaque = _CONTROL.sub("", text).strip()
        if not opaque:
            raise IdentifierError(f"barcode {tag!r} carries no data") from None
        return opaque
    if identity.uri is not None:
        return identity.uri
    return identity.fields["gs1_element_string"]


def _compact_hex(text: str) -> str:
    compact = "".join(text.split()).upper()
    return compact[2:] if compact.startswith("0X") else compact


def _epc_hex_to_uri(hex_value: str) -> str:
    try:
        return str(hex_to_tag_encodable(hex_value).epc_uri)
    except _EPCPY_ERRORS as exc:
        raise IdentifierError(f"EPC hex {hex_value} does not decode: {exc}") from None


def _pure_identity_uri(uri: str) -> tuple[str, IdentifierKind]:
    try:
        if uri.startswith("urn:epc:id:"):
            epc_pure_identity_to_scheme(uri)
            return uri, "epc_uri"
        if uri.startswith("urn:epc:tag:"):
            return str(tag_uri_to_tag_encodable(uri).epc_uri), "epc_tag_uri"
    except _EPCPY_ERRORS as exc:
        raise IdentifierError(f"invalid EPC URI {uri!r}: {exc}") from None
    raise IdentifierError(f"{uri!r} is not an EPC pure identity or tag URI")


def _identity_from_uri(uri: str, kind: IdentifierKind) -> Identity:
    """Fields come from the URI alone, so a tag and its barcode give identical ones."""
    scheme, body = uri.split(":", 4)[3:]
    layout = _SCHEME_LAYOUT.get(scheme)
    if layout is None:
        return Identity(kind=kind, scheme=scheme, uri=uri, fields={"value": unquote(body)})
    names, key_name = layout
    parts = body.split(".", len(names) - 1)
    fields = {name: unquote(part) for name, part in zip(names, parts, strict=True)}
    gs1 = epc_pure_identity_to_gs1_keyed(uri)
    fields[key_name] = str(gs1.gs1_key())
    fields["gs1_element_string"] = str(gs1.gs1_element_string())
    return Identity(kind=kind, scheme=scheme, uri=uri, fields=fields)


def _decode_gs1(text: str) -> Identity:
    try:
        message = _parse_gs1_message(text)
    except _BIIP_ERRORS as exc:
        raise IdentifierError(f"not an EPC or GS1 identifier: {exc}") from None
    elements = message.element_strings
    for ai, key_name, to_uri in _GS1_KEYS:
        element = elements.get(ai=ai)
        if element is not None:
            _verify_check_digit(ai, element.value)
            return _gs1_identity(key_name, element.value, elements, to_uri)
    raise IdentifierError(
        f"GS1 data {message.as_hri()} holds no identifying key (00, 01, 414, 8003, 8004)"
    )


def _parse_gs1_message(text: str) -> GS1Message:
    if text.startswith("("):
        return GS1Message.parse_hri(text)
    if text.startswith("]"):
        symbology = SymbologyIdentifier.extract(text)
        if symbology.gs1_symbology not in GS1Symbology.with_gs1_messages():
            raise ParseError(f"symbology {symbology.value} carries no GS1 element strings")
        text = text[len(symbology) :]
    # A leading FNC1 arrives as GS; biip only expects GS between element strings.
    return GS1Message.parse(text.lstrip("\x1d"))


def _gs1_identity(
    key_name: str, key: str, elements: GS1ElementStrings, to_uri: UriBuilder
) -> Identity:
    uri = to_uri(key, elements)
    if uri is not None:
        try:
            return _identity_from_uri(uri, "gs1_barcode")
        except _EPCPY_ERRORS as exc:
            raise IdentifierError(f"GS1 key has no valid EPC form {uri!r}: {exc}") from None
    # No EPC form (no serial, or a company prefix the GS1 table does not know).
    hri = GS1Message.from_element_strings(elements).as_hri()
    fields = {key_name: key, "gs1_element_string": hri}
    return Identity(kind="gs1_barcode", scheme=key_name, uri=None, fields=fields)


def _verify_check_digit(ai: str, key: str) -> None:
    # GRAI (8003) is "0" + 13 digits with check digit + serial; biip checks no GRAI.
    digits = {"00": key, "01": key, "414": key, "8003": key[1:14]}.get(ai)
    if digits is None:
        return
    if not (digits.isascii() and digits.isdigit()):
        raise IdentifierError(f"GS1 ({ai}) {key} is not numeric")
    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise IdentifierError(
            f"wrong check digit in ({ai}){key}: expected {expected}, got {digits[-1]}"
        )


def _company_prefix_length(digits: str) -> int | None:
    """Length from biip's GS1 prefix table, if it is one an EPC can encode (6 to 12)."""
    leading = re.match(r"[0-9]{1,13}", digits)
    prefix = GS1CompanyPrefix.extract(leading.group()) if leading else None
    if prefix is None or not 6 <= len(prefix.value) <= 12:
        return None
    return len(prefix.value)


def _escape(component: str) -> str:
    return quote(component, safe=_URI_SAFE)


def _sgtin_uri(gtin: str, elements: GS1ElementStrings) -> str | None:
    serial = elements.get(ai="21")
    length = _company_prefix_length(gtin[1:13])
    if serial is None or length is None:
        return None
    prefix, item = gtin[1 : 1 + length], gtin[0] + gtin[1 + length : 13]
    return f"urn:epc:id:sgtin:{prefix}.{item}.{_escape(serial.value)}"


def _sscc_uri(sscc: str, _elements: GS1ElementStrings) -> str | None:
    length = _company_prefix_length(sscc[1:17])
    if length is None:
        return None
    return f"urn:epc:id:sscc:{sscc[1 : 1 + length]}.{sscc[0]}{sscc[1 + length : 17]}"


def _sgln_uri(gln: str, elements: GS1ElementStrings) -> str | None:
    length = _company_prefix_length(gln[:12])
    if length is None:
        return None
    # TDS: a GLN without extension (AI 254) is encoded with extension "0".
    extension = elements.get(ai="254")
    ext = _escape(extension.value) if extension is not None else "0"
    return f"urn:epc:id:sgln:{gln[:length]}.{gln[length:12]}.{ext}"


def _grai_uri(grai: str, _elements: GS1ElementStrings) -> str | None:
    serial = grai[14:]
    length = _company_prefix_length(grai[1:13])
    # TDS: only a serialised GRAI has an EPC.
    if not serial or length is None:
        return None
    return f"urn:epc:id:grai:{grai[1 : 1 + length]}.{grai[1 + length : 13]}.{_escape(serial)}"


def _giai_uri(giai: str, _elements: GS1ElementStrings) -> str | None:
    length = _company_prefix_length(giai)
    if length is None or len(giai) == length:
        return None
    return f"urn:epc:id:giai:{giai[:length]}.{_escape(giai[length:])}"


# Order decides which key names the asset when a label holds several: returnable
# asset keys first, then the pallet (SSCC), the item (SGTIN), the location (SGLN).
_GS1_KEYS: tuple[tuple[str, str, UriBuilder], ...] = (
    ("8003", "grai", _grai_uri),
    ("8004", "giai", _giai_uri),
    ("00", "sscc", _sscc_uri),
    ("01", "gtin", _sgtin_uri),
    ("414", "gln", _sgln_uri),
)
