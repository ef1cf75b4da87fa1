"""What the simulated reader says it can do: the GET_READER_CAPABILITIES_RESPONSE parameters."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simulators.llrp.wire import (
    FieldReader,
    LLRPDecodeError,
    ParameterType,
    StatusCode,
    encode_tlv,
    find_parameters,
    first_parameter,
)

C1G2_PROTOCOL_ID = 1  # AirProtocols enumeration: EPCGlobal Class 1 Gen 2 (spec 7.1.4)
COUNTRY_GERMANY = 276  # ISO 3166 numeric
ETSI_302_208 = 2  # CommunicationsStandard (spec 16.2.3.4)


@dataclass(frozen=True, slots=True)
class ReaderCapabilities:
    max_antennas: int = 4
    manufacturer: int = 0  # IANA private enterprise number; 0 = none, we are no vendor
    model: int = 0
    firmware_version: str = "tagtrail-sim 1"
    transmit_power_centi_dbm: tuple[int, ...] = tuple(range(1000, 3001, 100))
    frequencies_khz: tuple[int, ...] = (865700, 866300, 866900, 867500)
    rf_mode_ids: tuple[int, ...] = (0, 2)

    def encode(self) -> bytes:
        """Parameters in the order spec 16.1.2 lists them for the response."""
        return (
            self._general_device()
            + _llrp_capabilities()
            + self._regulatory()
            + _c1g2_capabilities()
        )

    def _general_device(self) -> bytes:
        # Spec 16.2.3.1: MaxNumberOfAntennaSupported u16, flags u16 (bit 15
        # CanSetAntennaProperties, bit 14 HasUTCClockCapability), DeviceManufacturerName u32,
        # ModelName u32, ReaderFirmwareVersion utf8v; then the required sub-parameters.
        firmware = self.firmware_version.encode()
        fields = struct.pack(
            "!HHIIH", self.max_antennas, 1 << 14, self.manufacturer, self.model, len(firmware)
        )
        sensitivity = encode_tlv(ParameterType.RECEIVE_SENSITIVITY_TABLE_ENTRY, b"\x00\x01\x00\x00")
        air_protocols = b"".join(
            encode_tlv(
                ParameterType.PER_ANTENNA_AIR_PROTOCOL,
                struct.pack("!HHB", antenna, 1, C1G2_PROTOCOL_ID),
            )
            for antenna in range(1, self.max_antennas + 1)
        )
        gpio = encode_tlv(ParameterType.GPIO_CAPABILITIES, struct.pack("!HH", 0, 0))
        # Sub-parameter order is fixed: sensitivity table, GPIO, per-antenna protocols.
        value = fields + firmware + sensitivity + gpio + air_protocols
        return encode_tlv(ParameterType.GENERAL_DEVICE_CAPABILITIES, value)

    def _regulatory(self) -> bytes:
        # Spec 16.2.3.4: CountryCode u16, CommunicationsStandard u16, UHFBandCapabilities
        # holding the transmit power table (index u16 from 1, value s16 in 0.01 dBm), the
        # frequency information and the C1G2 RF mode table.
        power_table = b"".join(
            encode_tlv(
                ParameterType.TRANSMIT_POWER_LEVEL_TABLE_ENTRY, struct.pack("!Hh", index, power)
            )
            for index, power in enumerate(self.transmit_power_centi_dbm, start=1)
        )
        band = power_table + self._frequency_information() + self._rf_mode_table()
        value = struct.pack("!HH", COUNTRY_GERMANY, ETSI_302_208) + encode_tlv(
            ParameterType.UHF_BAND_CAPABILITIES, band
        )
        return encode_tlv(ParameterType.REGULATORY_CAPABILITIES, value)

    def _frequency_information(self) -> bytes:
        # Spec 16.2.3.4.1.2: Hopping flag (bit 7 of a u8), then a FixedFrequencyTable
        # (u32v of kHz) for a non-hopping (ETSI) reader.
        frequencies = struct.pack(
            f"!H{len(self.frequencies_khz)}I", len(self.frequencies_khz), *self.frequencies_khz
        )
        fixed = encode_tlv(ParameterType.FIXED_FREQUENCY_TABLE, frequencies)
        return encode_tlv(ParameterType.FREQUENCY_INFORMATION, b"\x00" + fixed)

    def _rf_mode_table(self) -> bytes:
        # Spec 16.3.1.1.2.1: ModeIdentifier u32, DR/conformance flags u8, M u8, ForwardLink-
        # Modulation u8, SpectralMaskIndicator u8, BDR u32, PIE u32, Min/Max/StepTari u32.
        entries = b"".join(
            encode_tlv(
                ParameterType.UHF_C1G2_RF_MODE_TABLE_ENTRY,
                struct.pack("!IBBBBIIIII", mode, 0x80, mode, 2, 1, 160000, 1500, 6250, 25000, 0),
            )
            for mode in self.rf_mode_ids
        )
        return encode_tlv(ParameterType.UHF_C1G2_RF_MODE_TABLE, entries)

    @classmethod
    def decode(cls, parameters: bytes) -> ReaderCapabilities:
        general = first_parameter(parameters, ParameterType.GENERAL_DEVICE_CAPABILITIES, "caps")
        regulatory = first_parameter(parameters, ParameterType.REGULATORY_CAPABILITIES, "caps")
        if general is None or regulatory is None:
            raise LLRPDecodeError(
                "capabilities without GeneralDeviceCapabilities or RegulatoryCapabilities",
                StatusCode.M_MISSING_PARAMETER,
            )
        fields = FieldReader(general.value, "GeneralDeviceCapabilities")
        max_antennas = fields.u16()
        fields.u16()  # CanSetAntennaProperties, HasUTCClockCapability
        manufacturer = fields.u32()
        model = fields.u32()
        firmware = fields.take(fields.u16()).decode("utf-8", errors="replace")
        power, frequencies, modes = _decode_band(regulatory.value)
        return cls(max_antennas, manufacturer, model, firmware, power, frequencies, modes)


def _decode_band(
    regulatory: bytes,
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    fields = FieldReader(regulatory, "RegulatoryCapabilities")
    fields.take(4)  # CountryCode, CommunicationsStandard
    band = first_parameter(fields.rest(), ParameterType.UHF_BAND_CAPABILITIES, "regulatory")
    if band is None:
        return (), (), ()
    power_entries = find_parameters(
        band.value, ParameterType.TRANSMIT_POWER_LEVEL_TABLE_ENTRY, "UHFBandCapabilities"
    )
    power = tuple(_power_value(entry.value) for entry in power_entries)
    return power, _decode_frequencies(band.value), _decode_modes(band.value)


def _power_value(entry: bytes) -> int:
    fields = FieldReader(entry, "TransmitPowerLevelTableEntry")
    fields.u16()  # Index: entries are listed in index order
    return fields.s16()


def _decode_frequencies(band: bytes) -> tuple[int, ...]:
    info = first_parameter(band, ParameterType.FREQUENCY_INFORMATION, "UHFBandCapabilities")
    if info is None:
        return ()
    table = first_parameter(info.value[1:], ParameterType.FIXED_FREQUENCY_TABLE, "frequencies")
    if table is None:
        return ()
    fields = FieldReader(table.value, "FixedFrequencyTable")
    return tuple(fields.u32() for _ in range(fields.u16()))


def _decode_modes(band: bytes) -> tuple[int, ...]:
    table = first_parameter(band, ParameterType.UHF_C1G2_RF_MODE_TABLE, "UHFBandCapabilities")
    if table is None:
        return ()
    entries = find_parameters(table.value, ParameterType.UHF_C1G2_RF_MODE_TABLE_ENTRY, "modes")
    return tuple(FieldReader(entry.value, "UHFC1G2RFModeTableEntry").u32() for entry in entries)


def _llrp_capabilities() -> bytes:
    # Spec 16.2.3.2: flags u8, MaxNumPriorityLevelsSupported u8, ClientRequestOpSpecTimeout
    # u16, MaxNumROSpecs, MaxNumSpecsPerROSpec, MaxNumInventoryParameterSpecsPerAISpec,
    # MaxNumAccessSpecs, MaxNumOpSpecsPerAccessSpec (u32 each). No AccessSpecs here.
    value = struct.pack("!BBHIIIII", 0, 1, 0, 8, 1, 1, 0, 0)
    return encode_tlv(ParameterType.LLRP_CAPABILITIES, value)


def _c1g2_capabilities() -> bytes:
    # Spec 16.3.1.1.1: flags u8 (block erase / block write), MaxNumSelectFiltersPerQuery u16.
    return encode_tlv(ParameterType.C1G2_LLRP_CAPABILITIES, struct.pack("!BH", 0, 0))
