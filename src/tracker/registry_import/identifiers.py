"""Canonical identifiers for a registry file: the same forms `tracker.identity.canonical_tag`
gives a read, so an imported crate is found by its RFID tag and by its printed barcode.

A registry lists thousands of crates of one type: same company prefix and asset type, only
the serial differs. Decoding each in full costs 20-80 µs (epcpy, biip); here the first crate
of a (prefix, type) is decoded by `tracker.identity` and the others reuse its URI up to the
serial, which brings a million rows from minutes to seconds with identical results.
"""

from __future__ import annotations

import re
from typing import Final

from tracker.identity import IdentifierError, canonical_tag, decode

# EPC binary headers whose last 38 bits are an integer serial (TDS 14.5): SGTIN-96, GRAI-96.
_SERIAL_38_HEADERS: Final = frozenset({0x30, 0x33})
_SERIAL_BITS: Final = 38
_SERIAL_MASK: Final = (1 << _SERIAL_BITS) - 1
# A GRAI barcode as printed on a crate: (8003), "0", 12 digits and a check digit, a serial.
# Only serials that need no %-escaping in a URI take the fast path.
_GRAI_BARCODE: Final = re.compile(r"\(8003\)0([0-9]{13})([0-9A-Za-z]{1,16})")
_HEX_96: Final = re.compile(r"[0-9A-Fa-f]{24}")


class IdentifierCanonicaliser:
    """Per-import caches of URI prefixes; `None` marks a group that has no fast path."""

    def __init__(self) -> None:
        self._hex_prefixes: dict[int, str | None] = {}
        self._grai_prefixes: dict[str, str | None] = {}

    def epc(self, value: str) -> tuple[str, str]:
        """(canonical value, scheme) of an EPC in hex or URI form; IdentifierError if bad."""
        text = value.strip()
        if _HEX_96.fullmatch(text):
            number = int(text, 16)
            if number >> 88 in _SERIAL_38_HEADERS:
                prefix = self._hex_prefix(number, text)
                if prefix is not None:
                    return prefix + str(number & _SERIAL_MASK), "epc"
        canonical = canonical_tag(text, "epc")
        # Hex that decodes to no GS1 scheme is still how a reader reports that tag.
        return canonical, "epc" if canonical.startswith("urn:") else "epc_hex"

    def barcode(self, value: str) -> tuple[str, str]:
        """(canonical value, scheme) of GS1 barcode data; IdentifierError if it is none."""
        text = value.strip()
        match = _GRAI_BARCODE.fullmatch(text)
        if match is not None:
            prefix = self._grai_prefix(match.group(1), text, match.group(2))
            if prefix is not None:
                return prefix + match.group(2), "epc"
        # Unlike a scanned read (canonical_tag keeps unknown text as-is), a registry's barcode
        # must be GS1: a wrong check digit is a typo to report, not a new identifier.
        identity = decode(text)
        if identity.uri is not None:
            return identity.uri, "epc"
        return identity.fields["gs1_element_string"], "gs1"

    def serial(self, value: str) -> tuple[str, str]:
        """A serial number as a handheld scanning its label would report it."""
        return canonical_tag(value.strip(), "barcode"), "serial"

    def _hex_prefix(self, number: int, text: str) -> str | None:
        group = number >> _SERIAL_BITS
        if group not in self._hex_prefixes:
            self._hex_prefixes[group] = _prefix_before(
                canonical_tag(text, "epc"), str(number & _SERIAL_MASK)
            )
        return self._hex_prefixes[group]

    def _grai_prefix(self, key: str, text: str, serial: str) -> str | None:
        if key not in self._grai_prefixes:
            # A bad check digit raises here and is not cached: every such row gets decoded and
            # rejected with the decoder's own message.
            uri = decode(text).uri
            self._grai_prefixes[key] = _prefix_before(uri, serial) if uri else None
        return self._grai_prefixes[key]


def _prefix_before(uri: str, serial: str) -> str | None:
    """`urn:epc:id:grai:0614141.12345.` when the URI is that plus exactly this serial."""
    if uri.startswith("urn:epc:id:") and uri.endswith("." + serial):
        return uri[: -len(serial)]
    return None


__all__ = ["IdentifierCanonicaliser", "IdentifierError"]
