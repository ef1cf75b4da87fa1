"""Sightings fed into the simulator: what LLRP can carry, and the random GRAI-96 tags."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from simulators.llrp.sightings import make_sighting, random_grai96


def test_sightings_reject_values_llrp_cannot_carry() -> None:
    with pytest.raises(ValueError, match="hex"):
        make_sighting("not-hex", 1, -50)
    with pytest.raises(ValueError, match="count"):
        make_sighting("30", 1, -50, count=0)
    with pytest.raises(ValueError, match="timezone"):
        make_sighting("30", 1, -50, first_seen=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="signed byte"):
        make_sighting("30", 1, -200)


def test_a_seen_count_beyond_a_u16_is_reported_as_65535() -> None:
    assert make_sighting("30", 1, -50, count=70_000).count == 65535


def test_random_grai96_tags_carry_the_grai_header_and_demo_prefix() -> None:
    epc = int(random_grai96(random.Random(1)), 16)
    assert epc >> 88 == 0x33
    assert (epc >> 58) & ((1 << 24) - 1) == 4012345
