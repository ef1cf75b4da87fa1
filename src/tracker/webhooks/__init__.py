"""Webhooks: the outbox fanned out to subscriptions and delivered, signed, at least once.

`fan_out` turns undispatched outbox rows into pending `webhook_deliveries`; `deliver_due`
claims the due ones and POSTs them (`X-Tagtrail-Signature: sha256=<HMAC-SHA256 of
"<X-Tagtrail-Timestamp>.<body>">`), retrying with exponential backoff and full jitter, and
logs every attempt in `webhook_attempts`. `tagtrail webhooks deliver` runs both in a loop, in
its own process, so a slow receiver never holds up the consumer.
"""

from tracker.webhooks.backoff import RetryPolicy, full_jitter
from tracker.webhooks.delivery import (
    AttemptResult,
    ClaimedDelivery,
    DeliveryReport,
    LoggedAttempt,
    claim_due,
    deliver_due,
    expire_exhausted,
    post_event,
    record_attempt,
)
from tracker.webhooks.fanout import fan_out, fan_out_batch
from tracker.webhooks.signing import (
    EVENT_ID_HEADER,
    EVENT_KIND_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_headers,
    signature,
    signature_matches,
)
from tracker.webhooks.subscriptions import (
    ALL_KINDS,
    CreatedWebhook,
    Webhook,
    check_kinds,
    check_url,
    create_webhook,
    deactivate_webhook,
    list_webhooks,
)
from tracker.webhooks.worker import deliver_pass

__all__ = [
    "ALL_KINDS",
    "EVENT_ID_HEADER",
    "EVENT_KIND_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AttemptResult",
    "ClaimedDelivery",
    "CreatedWebhook",
    "DeliveryReport",
    "LoggedAttempt",
    "RetryPolicy",
    "Webhook",
    "check_kinds",
    "check_url",
    "claim_due",
    "create_webhook",
    "deactivate_webhook",
    "deliver_due",
    "deliver_pass",
    "delivery_headers",
    "expire_exhausted",
    "fan_out",
    "fan_out_batch",
    "full_jitter",
    "list_webhooks",
    "post_event",
    "record_attempt",
    "signature",
    "signature_matches",
]
