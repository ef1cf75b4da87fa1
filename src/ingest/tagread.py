"""TagRead v1: the one body every reader adapter, the HTTP intake and Kafka carry.

Validation happens once, here, at the edge: a read that decodes is well-formed, and
one that does not names the field at fault (`$.seen_at`, `$[3].count`) so the API
can answer problem+json and the consumer can send it to the DLQ with that reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from tracker.identity import TagKind

# No reader clock of ours predates this; anything older is a dead RTC battery or 0.
EARLIEST_SEEN_AT = datetime(2000, 1, 1, tzinfo=UTC)

ReadId = Annotated[str, Meta(min_length=1, max_length=64)]
Name = Annotated[str, Meta(min_length=1, max_length=64)]
# `\S`: a tag of only whitespace would become an empty Kafka key.
Tag = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"\S")]
# LLRP AntennaID is a u16.
Antenna = Annotated[int, Meta(ge=0, le=65_535)]
Rssi = Annotated[float, Meta(ge=-128.0, le=0.0)]
# Folded read counts are stored in a Postgres integer.
Count = Annotated[int, Meta(ge=1, le=2_147_483_647)]
SeenAt = Annotated[datetime, Meta(tz=True)]
Source = Literal["llrp", "push", "handheld"]
Action = Literal["scan", "check_out", "check_in", "audit"]

# msgspec ends a message with "- at `$[3].count`"; missing and unknown fields are
# named as "field `x`" instead, with the path (if any) of the object holding them.
_AT_PATH = re.compile(r"at `(\$[^`]*)`")
_FIELD = re.compile(r"field `([^`]+)`")


class TagReadError(ValueError):
    """A body that is no valid TagRead v1; `path` is the JSON path at fault, if any."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        at_path, field = _AT_PATH.search(message), _FIELD.search(message)
        path = at_path.group(1) if at_path else None
        if field is not None:
            path = f"{path or '$'}.{field.group(1)}"
        self.path = path


class TagRead(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """One read of one tag (or one handheld scan), as the reader saw it."""

    v: Literal[1]
    read_id: ReadId
    reader_id: Name
    tag: Tag
    tag_kind: TagKind
    seen_at: SeenAt
    source: Source
    antenna: Antenna | None = None
    rssi: Rssi | None = None
    count: Count = 1
    operator: Name | None = None
    action: Action | None = None
    custodian: Name | None = None
    dispatch_id: Name | None = None

    def __post_init__(self) -> None:
        if self.seen_at < EARLIEST_SEEN_AT:
            iso = self.seen_at.isoformat()
            raise ValueError(f"Invalid field `seen_at`: {iso} is before 2000-01-01")


# Built once: a typed msgspec decoder validates while it parses.
_READ_DECODER = msgspec.json.Decoder(TagRead)
_BATCH_DECODER = msgspec.json.Decoder(list[TagRead])
_ENCODER = msgspec.json.Encoder()


def decode_tagread(raw: bytes) -> TagRead:
    try:
        return _READ_DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise TagReadError(str(exc)) from None


def decode_tagread_batch(raw: bytes) -> list[TagRead]:
    """A JSON array of TagRead v1; one bad element rejects the batch, naming its index."""
    try:
        return _BATCH_DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise TagReadError(str(exc)) from None


def encode_tagread(read: TagRead) -> bytes:
    return _ENCODER.encode(read)


def encode_tagread_batch(reads: list[TagRead]) -> bytes:
    return _ENCODER.encode(reads)


def tagread_from_fields(fields: dict[str, object]) -> TagRead:
    """Build and validate a TagRead from Python values (a mapper's output): the same
    constraints as decoding JSON, which constructing the Struct directly would skip."""
    try:
        return msgspec.convert(fields, TagRead)
    except msgspec.ValidationError as exc:
        raise TagReadError(str(exc)) from None
