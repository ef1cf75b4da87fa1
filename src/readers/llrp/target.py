"""Which readers to connect to: one from the command line, or many from readers.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LLRP_PORT = 5084  # IANA-assigned port for LLRP

AntennaId = Annotated[int, Field(ge=1, le=65_535)]


class ReaderTarget(BaseModel):
    """One fixed reader and how to inventory with it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reader_id: str = Field(min_length=1, max_length=64, pattern=r"^\S+$")
    host: str = Field(min_length=1)
    port: int = Field(default=LLRP_PORT, ge=1, le=65_535)
    antennas: tuple[AntennaId, ...] = Field(default=(1, 2), min_length=1)
    # An index into the reader's transmit power table; 0 = the reader's maximum (sllurp).
    tx_power: int = Field(default=0, ge=0)
    # C1G2 RF mode identifier from the reader's capabilities; None = the reader's default.
    mode: int | None = Field(default=None, ge=0)
    # The reader sends a KEEPALIVE this often; three missed ones mean a dead link.
    keepalive_s: float = Field(default=5.0, ge=0.05, le=300)

    @field_validator("antennas")
    @classmethod
    def _distinct_antennas(cls, antennas: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(antennas)))


class ReadersFile(BaseModel):
    """The `readers.yaml` of `tagtrail reader run`."""

    model_config = ConfigDict(extra="forbid")

    readers: list[ReaderTarget] = Field(min_length=1)

    @field_validator("readers")
    @classmethod
    def _unique_reader_ids(cls, readers: list[ReaderTarget]) -> list[ReaderTarget]:
        seen: set[str] = set()
        for reader in readers:
            if reader.reader_id in seen:
                raise ValueError(f"reader_id {reader.reader_id!r} appears twice")
            seen.add(reader.reader_id)
        return readers


class ReadersFileError(ValueError):
    """readers.yaml cannot be used; the message names the file and the entry at fault."""


def parse_antennas(text: str) -> tuple[int, ...]:
    """`1,2` → (1, 2); raises ValueError for anything else."""
    try:
        antennas = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a list of antenna numbers like 1,2") from None
    if not antennas or not all(1 <= antenna <= 65_535 for antenna in antennas):
        raise ValueError("antenna numbers are 1..65535")
    return antennas


def load_readers_file(path: Path) -> list[ReaderTarget]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReadersFileError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ReadersFileError(f"{path}: not YAML: {' '.join(str(exc).split())}") from None
    try:
        return ReadersFile.model_validate(document).readers
    except ValidationError as exc:
        raise ReadersFileError(f"{path}: {first_error(exc)}") from None


def first_error(exc: ValidationError) -> str:
    """`readers.0.port: Input should be less than or equal to 65535`, on one line."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top)"
    return f"{where}: {first['msg']}"
