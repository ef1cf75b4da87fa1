"""Raw RFID reads of crates passing dock doors, with the noise real portals produce: dozens to
hundreds of reads per tag per pass, RSSI jitter, cross-reads at the neighbouring door, and
stray reads of tags standing near a door. Deterministic for a given seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.tagread import TagRead
from simulators.world import Asset, Door, World


@dataclass(frozen=True)
class Pass:
    asset: Asset
    door: Door
    direction: str  # outbound | inbound
    start: datetime


def _read(asset: Asset, door: Door, antenna: int, at: datetime, rssi: float) -> TagRead:
    micros = int(at.timestamp() * 1_000_000)
    return TagRead(
        v=1,
        read_id=f"{door.reader_id}:{antenna}:{asset.epc_hex[-10:]}:{micros}",
        reader_id=door.reader_id,
        antenna=antenna,
        tag=asset.epc_hex,
        tag_kind="epc",
        seen_at=at,
        rssi=round(max(-127.0, min(-1.0, rssi)), 1),
        count=1,
        source="llrp",
    )


def pass_reads(p: Pass, rng: random.Random, neighbour: Door | None) -> list[TagRead]:
    """One crate through one door: the near antenna peaks first, the far one after."""
    first, second = (1, 2) if p.direction == "outbound" else (2, 1)
    reads = []
    for antenna, centre_s in ((first, 0.5), (second, 1.4)):
        for _ in range(rng.randint(12, 90)):
            offset = rng.uniform(centre_s - 0.5, centre_s + 0.5)
            # strongest at the antenna's moment, weaker either side, ±3 dB jitter
            rssi = -42 - 18 * abs(offset - centre_s) + rng.gauss(0, 1.5)
            reads.append(_read(p.asset, p.door, antenna, p.start + timedelta(seconds=offset), rssi))
    if neighbour is not None and rng.random() < 0.3:
        for _ in range(rng.randint(1, 6)):  # heard faintly next door: a cross-read
            offset = rng.uniform(0.2, 1.8)
            reads.append(
                _read(
                    p.asset,
                    neighbour,
                    rng.choice((1, 2)),
                    p.start + timedelta(seconds=offset),
                    -74 + rng.gauss(0, 2),
                )
            )
    return reads


def stray_reads(asset: Asset, door: Door, start: datetime, rng: random.Random) -> list[TagRead]:
    """A crate standing near a door: weak, intermittent reads on both antennas."""
    return [
        _read(
            asset,
            door,
            rng.choice((1, 2)),
            start + timedelta(seconds=rng.uniform(0, 3)),
            -71 + rng.gauss(0, 2.5),
        )
        for _ in range(rng.randint(3, 15))
    ]


@dataclass
class DockScenario:
    """Every asset goes out through a door and, `gap` later, comes back in through another."""

    world: World
    start: datetime
    seed: int = 7
    spacing: timedelta = timedelta(milliseconds=40)
    gap: timedelta = timedelta(seconds=60)
    stray_share: float = 0.05

    def passes(self) -> list[Pass]:
        rng = random.Random(self.seed)
        doors = self.world.doors
        made = []
        for i, asset in enumerate(self.world.assets):
            out_at = self.start + i * self.spacing
            made.append(Pass(asset, rng.choice(doors), "outbound", out_at))
            made.append(Pass(asset, rng.choice(doors), "inbound", out_at + self.gap))
        return made

    def reads(self) -> Iterator[TagRead]:
        """All reads in event-time order (as the readers would report them)."""
        rng = random.Random(self.seed + 1)
        doors = self.world.doors
        reads: list[TagRead] = []
        for p in self.passes():
            neighbours = [d for d in doors if abs(d.number - p.door.number) == 1]
            reads += pass_reads(p, rng, rng.choice(neighbours) if neighbours else None)
            if rng.random() < self.stray_share:
                reads += stray_reads(rng.choice(self.world.assets), rng.choice(doors), p.start, rng)
        reads.sort(key=lambda r: (r.seen_at, r.read_id))
        yield from reads
