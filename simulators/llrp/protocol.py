"""LLRP 1.0.1 binary encoding: message framing plus the public encode/decode entry points.

A message is a 10-byte header followed by its body (spec 16.1):
  3 reserved bits, 3-bit version, 10-bit message type | u32 length of the whole message
  (header included) | u32 message ID, which a response copies from its request.
Parameter and message layouts live in `wire`, `parameters`, `capabilities`, `rospec`
and `messages`; this module is what the server and tests import.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from simulators.llrp.message_decoding import BODY_DECODERS
from simulators.llrp.messages import Message
from simulators.llrp.wire import PROTOCOL_VERSION, LLRPDecodeError, MessageType, StatusCode

HEADER = struct.Struct("!HII")
HEADER_SIZE = HEADER.size
# No message the simulator accepts comes near this; a bigger length is garbage or abuse,
# and reading it would let one client make the server buffer gigabytes.
MAX_MESSAGE_SIZE = 1 << 20

RESPONSE_TYPES: dict[MessageType, MessageType] = {
    MessageType.GET_READER_CAPABILITIES: MessageType.GET_READER_CAPABILITIES_RESPONSE,
    MessageType.GET_READER_CONFIG: MessageType.GET_READER_CONFIG_RESPONSE,
    MessageType.SET_READER_CONFIG: MessageType.SET_READER_CONFIG_RESPONSE,
    MessageType.CLOSE_CONNECTION: MessageType.CLOSE_CONNECTION_RESPONSE,
    MessageType.ADD_ROSPEC: MessageType.ADD_ROSPEC_RESPONSE,
    MessageType.DELETE_ROSPEC: MessageType.DELETE_ROSPEC_RESPONSE,
    MessageType.START_ROSPEC: MessageType.START_ROSPEC_RESPONSE,
    MessageType.STOP_ROSPEC: MessageType.STOP_ROSPEC_RESPONSE,
    MessageType.ENABLE_ROSPEC: MessageType.ENABLE_ROSPEC_RESPONSE,
    MessageType.DISABLE_ROSPEC: MessageType.DISABLE_ROSPEC_RESPONSE,
    MessageType.DELETE_ACCESSSPEC: MessageType.DELETE_ACCESSSPEC_RESPONSE,
    MessageType.GET_ROSPECS: MessageType.GET_ROSPECS_RESPONSE,
}


@dataclass(frozen=True, slots=True)
class MessageHeader:
    version: int
    message_type: int
    length: int
    message_id: int


def decode_header(data: bytes) -> MessageHeader:
    """Reads the header; a length that cannot frame a message raises (framing is lost)."""
    if len(data) < HEADER_SIZE:
        raise LLRPDecodeError("message header is truncated")
    type_field, length, message_id = HEADER.unpack_from(data)
    if not HEADER_SIZE <= length <= MAX_MESSAGE_SIZE:
        raise LLRPDecodeError(
            f"message length {length} is out of range", StatusCode.M_FIELD_ERROR, message_id
        )
    return MessageHeader((type_field >> 10) & 0x7, type_field & 0x3FF, length, message_id)


def encode_message(message: Message, version: int = PROTOCOL_VERSION) -> bytes:
    """`version` other than 1 only for answering M_UnsupportedVersion in kind."""
    body = message.encode_body()
    type_field = ((version & 0x7) << 10) | message.message_type
    return HEADER.pack(type_field, HEADER_SIZE + len(body), message.message_id) + body


def decode_message(frame: bytes) -> Message:
    """Decodes one whole message; anything malformed raises LLRPDecodeError and only that."""
    header = decode_header(frame)
    if len(frame) != header.length:
        raise LLRPDecodeError(f"message says {header.length} bytes but has {len(frame)}")
    if header.version != PROTOCOL_VERSION:
        raise LLRPDecodeError(
            f"protocol version {header.version} is not supported, only {PROTOCOL_VERSION}",
            StatusCode.M_UNSUPPORTED_VERSION,
        )
    try:
        kind = MessageType(header.message_type)
    except ValueError:
        raise LLRPDecodeError(
            f"message type {header.message_type} is not supported",
            StatusCode.M_UNSUPPORTED_MESSAGE,
        ) from None
    return BODY_DECODERS[kind](kind, header.message_id, frame[HEADER_SIZE:])


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """One whole message off a stream; None on a clean end of stream between messages."""
    try:
        head = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as closed:
        if closed.partial:
            raise LLRPDecodeError("connection closed inside a message header") from None
        return None
    header = decode_header(head)
    try:
        body = await reader.readexactly(header.length - HEADER_SIZE)
    except asyncio.IncompleteReadError:
        raise LLRPDecodeError("connection closed inside a message body") from None
    return head + body
