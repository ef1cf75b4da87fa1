"""What a receiver gets with every POST, and how it checks that tagtrail sent it.

`X-Tagtrail-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp
is signed with the body, so a receiver that rejects old timestamps also rejects replays.
"""

from __future__ import annotations

import hashlib
import hmac

EVENT_ID_HEADER = "X-Tagtrail-Event-Id"
EVENT_KIND_HEADER = "X-Tagtrail-Event-Kind"
TIMESTAMP_HEADER = "X-Tagtrail-Timestamp"
SIGNATURE_HEADER = "X-Tagtrail-Signature"
SIGNATURE_SCHEME = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (Unix seconds, as sent)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_SCHEME + mac.hexdigest()


def signature_matches(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """A receiver's check, in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def delivery_headers(
    secret: str, event_id: str, event_kind: str, timestamp: str, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "tagtrail-webhooks",
        # The asset event's id: the same event re-sent (at-least-once) carries the same id.
        EVENT_ID_HEADER: event_id,
        EVENT_KIND_HEADER: event_kind,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
