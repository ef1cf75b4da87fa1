"""EPC pure identity URI → constrained canonical GS1 Digital Link URI (pure, no I/O).

The CBV 2.0 event hash compares identifiers in one form whatever form an event carries them
in: `urn:epc:id:grai:4012345.00001.1234` and `https://id.gs1.org/8003/040123450000161234`
hash alike. The key's check digit is computed here; the URI's escaped characters stay escaped,
and the ones an EPC URI may carry bare but a Digital Link path may not are escaped too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from biip.checksums import gs1_standard_check_digit

DIGITAL_LINK_HOST = "https://id.gs1.org"

# Characters an EPC URI component may carry unescaped that a Digital Link path segment must
# percent-encode (GS1 Digital Link URI syntax, table 7-1).
_DL_ESCAPES = str.maketrans(
    {"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B", ",": "%2C", ":": "%3A"}
)
# One EPC URI component character: an allowed character or a %XX escape (TDS, "GS3A3").
_COMPONENT = r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!'()*+,\-.:;=_])"


def _digits(text: str) -> bool:
    """[0-9]+ (str.isdigit alone takes other scripts' digits too); no regex: it runs per event."""
    return text.isascii() and text.isdigit()


def _escaped(component: str, longest: int) -> str | None:
    """The component with Digital Link escapes, if it is a valid EPC URI component."""
    if component.isascii() and component.isdigit():  # most serials: nothing to escape
        return component if len(component) <= longest else None
    if not _component(longest).fullmatch(component):
        return None
    return component.translate(_DL_ESCAPES)


@lru_cache(maxsize=64)
def _component(longest: int) -> re.Pattern[str]:
    return re.compile(f"{_COMPONENT}{{1,{longest}}}")


# An export converts one EPC per asset, of few company prefixes and asset types: the keys
# (all but the serial) repeat where the URIs do not.
@lru_cache(maxsize=4096)
def _key(digits: str) -> str:
    """A GS1 key: the digits and their check digit."""
    return f"{digits}{gs1_standard_check_digit(digits)}"


def _prefixed(prefix: str, reference: str, total: int) -> bool:
    """A company prefix of 6 to 12 digits and a numeric reference, `total` digits together."""
    return (
        6 <= len(prefix) <= 12
        and _digits(prefix + reference)
        and len(prefix) + len(reference) == total
    )


def _gtin(prefix: str, item: str) -> str | None:
    # The item reference's first digit is the GTIN's indicator digit.
    if not _prefixed(prefix, item, 13):
        return None
    return _key(item[0] + prefix + item[1:])


def _sgtin(parts: list[str]) -> str | None:
    prefix, item, serial = parts
    gtin, escaped = _gtin(prefix, item), _escaped(serial, 20)
    return f"01/{gtin}/21/{escaped}" if gtin and escaped else None


def _sscc(parts: list[str]) -> str | None:
    prefix, reference = parts
    if not _prefixed(prefix, reference, 17):
        return None
    return f"00/{_key(reference[0] + prefix + reference[1:])}"


def _sgln(parts: list[str]) -> str | None:
    prefix, location, extension = parts
    if not _prefixed(prefix, location, 12):
        return None
    gln = _key(prefix + location)
    if extension == "0":  # TDS: extension 0 is the GLN itself
        return f"414/{gln}"
    escaped = _escaped(extension, 20)
    return f"414/{gln}/254/{escaped}" if escaped else None


def _grai(parts: list[str]) -> str | None:
    prefix, asset_type, serial = parts
    escaped = _escaped(serial, 16)
    if not _prefixed(prefix, asset_type, 12) or escaped is None:
        return None
    return f"8003/{_key('0' + prefix + asset_type)}{escaped}"


def _giai(parts: list[str]) -> str | None:
    prefix, reference = parts
    escaped = _escaped(reference, 30 - len(prefix))
    if not (6 <= len(prefix) <= 12 and _digits(prefix)) or escaped is None:
        return None
    return f"8004/{prefix}{escaped}"


def _keyed(ai: str, total: int) -> Callable[[list[str]], str | None]:
    """Schemes whose URI is prefix.reference and whose key is both plus a check digit."""

    def convert(parts: list[str]) -> str | None:
        prefix, reference = parts
        return f"{ai}/{_key(prefix + reference)}" if _prefixed(prefix, reference, total) else None

    return convert


def _serialised(ai: str, longest: int) -> Callable[[list[str]], str | None]:
    """prefix.reference.serial, key = prefix + reference + check digit, serial appended."""

    def convert(parts: list[str]) -> str | None:
        prefix, reference, serial = parts
        escaped = _escaped(serial, longest)
        if not _prefixed(prefix, reference, 12) or escaped is None:
            return None
        return f"{ai}/{_key(prefix + reference)}{escaped}"

    return convert


# scheme → (number of dot-separated components, converter to the DL path)
_SCHEMES: dict[str, tuple[int, Callable[[list[str]], str | None]]] = {
    "sgtin": (3, _sgtin),
    "sscc": (2, _sscc),
    "sgln": (3, _sgln),
    "grai": (3, _grai),
    "giai": (2, _giai),
    "gsrn": (2, _keyed("8018", 17)),
    "gsrnp": (2, _keyed("8017", 17)),
    "gsin": (2, _keyed("402", 16)),
    "pgln": (2, _keyed("417", 12)),
    "gdti": (3, _serialised("253", 17)),
    "sgcn": (3, _serialised("255", 12)),
}


# Not memoised: its callers keep what repeats (hashing.Canonical's memo of canonical values,
# the export's templates). An export meets an asset's EPC again only tens of thousands of
# events later: a 65,536-entry cache here missed nearly every time and cost more than it saved.
def digital_link(uri: str) -> str | None:
    """The canonical Digital Link of an EPC pure identity URI of a GS1-keyed scheme; None for
    anything else (other URIs, EPC schemes without a GS1 key, malformed components)."""
    if not uri.startswith("urn:epc:id:"):
        return None
    scheme, _, body = uri[len("urn:epc:id:") :].partition(":")
    layout = _SCHEMES.get(scheme)
    if layout is None:
        return None
    count, convert = layout
    parts = body.split(".", count - 1)
    if len(parts) != count:
        return None
    path = convert(parts)
    return f"{DIGITAL_LINK_HOST}/{path}" if path else None
