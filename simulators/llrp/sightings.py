"""Tag sightings fed into the simulator, and random GRAI-96 tags for standalone runs."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

GRAI_96_HEADER = 0x33  # EPC Tag Data Standard, GRAI-96
# Partition 5 gives a 7-digit company prefix in 24 bits and a 5-digit asset type in 20 bits.
GRAI_PARTITION = 5
DEMO_COMPANY_PREFIX = 4012345  # the GS1 example prefix, owned by no real company
MAX_EPC_BYTES = 62  # EPCData carries a u16 bit count; real UHF EPCs stop at 496 bits


@dataclass(frozen=True, slots=True)
class TagSighting:
    """One tag as the simulated radio saw it: where, how strong, how often, since when."""

    epc: bytes
    antenna_id: int
    rssi_dbm: int
    count: int
    first_seen_us: int
    last_seen_us: int


def make_sighting(
    epc_hex: str,
    antenna: int,
    rssi_dbm: float,
    count: int = 1,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
) -> TagSighting:
    """Validates the values an LLRP report can carry; bad input raises ValueError."""
    try:
        epc = bytes.fromhex(epc_hex)
    except ValueError:
        raise ValueError(f"EPC {epc_hex!r} is not hex") from None
    if not 1 <= len(epc) <= MAX_EPC_BYTES:
        raise ValueError(f"EPC must be 1..{MAX_EPC_BYTES} bytes, got {len(epc)}")
    if not 1 <= antenna <= 0xFFFF:
        raise ValueError(f"antenna must be 1..65535, got {antenna}")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rssi = round(rssi_dbm)
    if not -128 <= rssi <= 127:
        raise ValueError(f"PeakRSSI is a signed byte in dBm, got {rssi_dbm}")
    first = _utc_microseconds(first_seen or datetime.now(UTC))
    last = _utc_microseconds(last_seen) if last_seen else first
    # "If TagSeenCount > 65535 for the report period, the reader SHALL report 65535."
    return TagSighting(epc, antenna, rssi, min(count, 0xFFFF), first, max(first, last))


def _utc_microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if microseconds < 0:
        raise ValueError("LLRP timestamps count from 1970-01-01 UTC; got an earlier one")
    return microseconds


def random_grai96(rng: random.Random, company_prefix: int = DEMO_COMPANY_PREFIX) -> str:
    """A GRAI-96 EPC as hex: header 8, filter 3, partition 3, prefix 24, type 20, serial 38."""
    asset_type = rng.randrange(100_000)
    serial = rng.randrange(1 << 38)
    value = GRAI_96_HEADER
    value = (value << 3) | 0  # filter: all others
    value = (value << 3) | GRAI_PARTITION
    value = (value << 24) | company_prefix
    value = (value << 20) | asset_type
    value = (value << 38) | serial
    return f"{value:024x}"


def random_sighting(
    rng: random.Random, epcs: Sequence[str], antennas: Sequence[int]
) -> TagSighting:
    """A plausible dock-door read: RSSI between -75 and -35 dBm, a few reads folded in."""
    return make_sighting(
        rng.choice(epcs),
        antenna=rng.choice(antennas),
        rssi_dbm=rng.uniform(-75, -35),
        count=rng.randint(1, 8),
    )
