"""Every identifier form a crate carries decodes to one identity."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.identity import (
    IdentifierError,
    canonical_tag,
    canonical_tag_cache_info,
    decode,
)

GRAI_HEX = "3314257BF40C0E4000000190"
GRAI_URI = "urn:epc:id:grai:0614141.12345.400"


def mod10(digits: str) -> str:
    """GS1 mod-10 check digit, written out here so tests do not trust the code under test."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


# Hex produced by epcpy's encoder from the URI (the SGTIN one is the TDS example
# 3074257BF7194E4000001A85 with filter 1 instead of 3).
EPC_HEX_VECTORS = [
    ("3034257BF7194E4000001A85", "sgtin", "urn:epc:id:sgtin:0614141.812345.6789"),
    (
        "3614257BF6B7A659B2C2BF10000000000000000000000000000000",
        "sgtin",
        "urn:epc:id:sgtin:0614141.712345.32a%2Fb",
    ),
    ("3114257BF4499602D2000000", "sscc", "urn:epc:id:sscc:0614141.1234567890"),
    ("3214257BF46072000000162E", "sgln", "urn:epc:id:sgln:0614141.12345.5678"),
    ("3414257BF400000000BC6038", "giai", "urn:epc:id:giai:0614141.12345400"),
    (
        "3814257BF59B2C2BF10000000000000000000000000000000000",
        "giai",
        "urn:epc:id:giai:0614141.32a%2Fb",
    ),
    (GRAI_HEX, "grai", GRAI_URI),
    (
        "3714257BF40C0E59B2C2BF1000000000000000000000",
        "grai",
        "urn:epc:id:grai:0614141.12345.32a%2Fb",
    ),
]


@pytest.mark.parametrize(("hex_value", "scheme", "uri"), EPC_HEX_VECTORS)
def test_epc_hex_decodes_to_its_pure_identity_uri(hex_value: str, scheme: str, uri: str) -> None:
    identity = decode(hex_value)
    assert (identity.kind, identity.scheme, identity.uri) == ("epc_hex", scheme, uri)
    assert identity.fields["company_prefix"] == "0614141"


def test_epc_hex_fields_name_each_part_of_the_grai() -> None:
    assert decode(GRAI_HEX).fields == {
        "company_prefix": "0614141",
        "asset_type": "12345",
        "serial": "400",
        "grai": "0614141123452400",
        "gs1_element_string": "(8003)00614141123452400",
    }


def test_escaped_serial_is_shown_unescaped_in_fields() -> None:
    assert decode("urn:epc:id:giai:0614141.32a%2Fb").fields["asset_reference"] == "32a/b"


@pytest.mark.parametrize(
    "spelling",
    [
        GRAI_HEX.lower(),
        "3314 257B F40C 0E40 0000 0190",
        "0x" + GRAI_HEX,
        GRAI_HEX + "00000000",  # 128-bit EPC bank holding a 96-bit EPC
    ],
)
def test_hex_spellings_of_one_tag_decode_alike(spelling: str) -> None:
    assert decode(spelling).uri == GRAI_URI


def test_grai_barcode_and_rfid_tag_of_one_crate_are_the_same_identity() -> None:
    company_prefix, asset_type, serial = "0614141", "12345", "400"
    grai13 = company_prefix + asset_type + mod10(company_prefix + asset_type)
    barcode = f"(8003)0{grai13}{serial}"
    assert barcode == "(8003)00614141123452400"

    from_tag, from_label = decode(GRAI_HEX), decode(barcode)
    assert from_label.uri == from_tag.uri == GRAI_URI
    assert from_label.fields == from_tag.fields
    assert from_label.kind == "gs1_barcode"
    assert canonical_tag(barcode, "barcode") == canonical_tag(GRAI_HEX, "epc")


@pytest.mark.parametrize(
    ("barcode", "hex_value"),
    [
        ("(01)80614141123458(21)6789", "3034257BF7194E4000001A85"),
        ("(01)70614141123451(21)32a/b", "3614257BF6B7A659B2C2BF10000000000000000000000000000000"),
        ("(00)106141412345678908", "3114257BF4499602D2000000"),
        ("(414)0614141123452(254)5678", "3214257BF46072000000162E"),
        ("(8004)061414112345400", "3414257BF400000000BC6038"),
        ("(8004)061414132a/b", "3814257BF59B2C2BF10000000000000000000000000000000000"),
        ("(8003)0061414112345232a/b", "3714257BF40C0E59B2C2BF1000000000000000000000"),
    ],
)
def test_every_gs1_key_with_an_epc_form_matches_its_rfid_tag(barcode: str, hex_value: str) -> None:
    assert decode(barcode).uri == decode(hex_value).uri
    assert decode(barcode).fields == decode(hex_value).fields


def test_gln_without_extension_gets_extension_zero_as_the_tag_does() -> None:
    assert decode("(414)0614141123452").uri == "urn:epc:id:sgln:0614141.12345.0"


@pytest.mark.parametrize(
    "scanned",
    [
        "800300614141123452400",  # element string, symbology identifier disabled
        "]C1800300614141123452400",  # GS1-128
        "]d2800300614141123452400",  # GS1 DataMatrix
        "]Q3800300614141123452400",  # GS1 QR
        "\x1d800300614141123452400",  # leading FNC1 sent as GS
        "  (8003) 00614141123452400 \r\n",  # keyboard wedge adds CR/LF
    ],
)
def test_scanner_output_forms_of_a_grai_decode_to_the_tag_uri(scanned: str) -> None:
    assert decode(scanned).uri == GRAI_URI


def test_gs_separator_ends_a_variable_length_serial() -> None:
    identity = decode("]d2018061414112345821ABC\x1d10LOT42")
    assert identity.uri == "urn:epc:id:sgtin:0614141.812345.ABC"


def test_asset_key_wins_over_other_keys_on_one_label() -> None:
    assert decode("(00)106141412345678908(8003)00614141123452400").uri == GRAI_URI


@pytest.mark.parametrize(
    ("wrong", "ai"),
    [
        ("(8003)00614141123453400", "8003"),
        ("(01)80614141123459(21)6789", "01"),
        ("(00)106141412345678909", "00"),
        ("(414)0614141123453", "414"),
        ("]C1800300614141123459400", "8003"),
    ],
)
def test_wrong_check_digit_is_rejected_with_the_reason(wrong: str, ai: str) -> None:
    with pytest.raises(IdentifierError, match=rf"wrong check digit in \({ai}\)"):
        decode(wrong)


@pytest.mark.parametrize(
    ("value", "scheme", "key"),
    [
        ("(01)80614141123458", "gtin", "80614141123458"),  # no serial: a product, not an item
        ("(8003)00614141123452", "grai", "00614141123452"),  # TDS: unserialised GRAI has no EPC
    ],
)
def test_gs1_key_without_epc_form_decodes_without_uri(value: str, scheme: str, key: str) -> None:
    identity = decode(value)
    assert (identity.uri, identity.scheme, identity.fields[scheme]) == (None, scheme, key)


def test_company_prefix_unknown_to_the_gs1_table_gives_no_uri() -> None:
    # GTINs starting 02 are restricted-circulation numbers: no company prefix exists.
    gtin = "0200000000001" + mod10("0200000000001")
    identity = decode(f"(01){gtin}(21)7")
    assert identity.uri is None
    assert identity.fields["gs1_element_string"] == f"(01){gtin}(21)7"


def test_epc_tag_uri_decodes_to_its_pure_identity() -> None:
    identity = decode("urn:epc:tag:sgtin-96:1.0614141.812345.6789")
    assert (identity.kind, identity.uri) == ("epc_tag_uri", "urn:epc:id:sgtin:0614141.812345.6789")


def test_valid_pure_identity_uri_passes_through() -> None:
    identity = decode(GRAI_URI)
    assert (identity.kind, identity.uri, identity.scheme) == ("epc_uri", GRAI_URI, "grai")


def test_non_gs1_epc_scheme_keeps_its_body_as_value() -> None:
    identity = decode("urn:epc:id:gid:95100000.12345.400")
    assert (identity.scheme, identity.fields) == ("gid", {"value": "95100000.12345.400"})


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "hello",
        "urn:epc:id:sgtin:bad",
        "urn:epc:id:grai:0614141.123456.400",  # company prefix + asset type must be 12 digits
        "urn:isbn:9780262033848",
        "E2801160600002040000000000",  # unknown EPC header
        "3314257BF40C0E400000",  # 80 bits: shorter than any EPC
        "(10)LOT42",  # GS1, but no key names an asset
        "(9999)1",
        "]",  # a symbology identifier cut short
        "]X9",
        "]E04006381333931",  # EAN-13 symbology carries no element strings
        "(01)" + "8" * 300,
    ],
)
def test_garbage_is_rejected_with_one_line_reason(garbage: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        decode(garbage)
    assert str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("tag", "kind", "key"),
    [
        (GRAI_HEX, "epc", GRAI_URI),
        ("3314 257b f40c 0e40 0000 0190", "epc", GRAI_URI),
        ("urn:epc:tag:grai-96:0.0614141.12345.400", "epc", GRAI_URI),
        (GRAI_URI, "epc", GRAI_URI),
        ("e280 1160 6000 0204 0000 0000", "epc", "E28011606000020400000000"),
        ("(8003)00614141123452400", "barcode", GRAI_URI),
        ("]C1800300614141123452400\r\n", "barcode", GRAI_URI),
        ("]C10180614141123458", "barcode", "(01)80614141123458"),
        ("(01) 80614141123458", "barcode", "(01)80614141123458"),
        ("]C0 Crate-0001\r\n", "barcode", "Crate-0001"),
        ("(8003)00614141123453400", "barcode", "(8003)00614141123453400"),
    ],
)
def test_canonical_tag_is_one_key_per_identity(tag: str, kind: str, key: str) -> None:
    assert canonical_tag(tag, kind) == key  # type: ignore[arg-type]


@pytest.mark.parametrize("tag", ["hello", "urn:epc:id:sgtin:bad", "   ", "33"])
def test_canonical_tag_rejects_an_epc_that_is_no_epc(tag: str) -> None:
    with pytest.raises(IdentifierError):
        canonical_tag(tag, "epc")


def test_canonical_tag_rejects_barcode_without_data() -> None:
    with pytest.raises(IdentifierError):
        canonical_tag("]C1\x1d\r\n", "barcode")


def test_canonical_tag_answers_repeats_from_its_cache() -> None:
    canonical_tag("3414257BF400000000BC6038", "epc")
    hits = canonical_tag_cache_info().hits
    assert canonical_tag("3414257BF400000000BC6038", "epc") == "urn:epc:id:giai:0614141.12345400"
    assert canonical_tag_cache_info().hits == hits + 1


GS1ISH = st.text(alphabet="0123456789()]CdQ13ABCDEFx\x1d urn:epcidtag.-%/", max_size=60)


@given(st.one_of(st.text(max_size=300), GS1ISH))
def test_decode_of_any_text_raises_only_identifier_error(value: str) -> None:
    try:
        identity = decode(value)
    except IdentifierError as exc:
        reason = str(exc)
    else:
        assert identity.scheme
        return
    assert reason
    assert "\n" not in reason


@given(st.binary(max_size=200), st.sampled_from(["epc", "barcode"]))
def test_canonical_tag_of_any_bytes_raises_only_identifier_error(raw: bytes, kind: str) -> None:
    with contextlib.suppress(IdentifierError):
        assert canonical_tag(raw.decode("latin-1"), kind)  # type: ignore[arg-type]


@given(
    st.sampled_from(["3", "30", "31", "32", "33", "34", "36", "37", "38", "35", "2D"]),
    st.text(alphabet="0123456789ABCDEF", min_size=20, max_size=60),
)
def test_decode_of_hex_with_real_headers_raises_only_identifier_error(
    header: str, rest: str
) -> None:
    with contextlib.suppress(IdentifierError):
        assert decode(header + rest).uri
