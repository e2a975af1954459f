"""Async client for the LOQED smart lock bridge's local API.

Signed commands, signed webhooks, tolerant parsing and a pure lock-state reducer. The public
API is described in ``docs/library-api.md``.
"""

from __future__ import annotations

from aioloqed.bridge import LoqedBridge
from aioloqed.cloud import CloudLock, LoqedCloud
from aioloqed.const import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_PORT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TIMESTAMP_WINDOW,
    MAX_KEY_ID,
    NO_KEY_ID,
    BatteryType,
    BoltState,
    EventSource,
    LockAction,
    LockSetting,
    Motion,
    WebhookTrigger,
)
from aioloqed.credentials import (
    CredentialsProblem,
    LoqedCredentials,
    normalize_mac,
    parse_host_port,
)
from aioloqed.events import (
    BatteryEvent,
    GoingToStateEvent,
    LoqedEvent,
    OnlineStatusEvent,
    StateReachedEvent,
    UnknownEvent,
    parse_event,
    parse_event_json,
    source_of,
)
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedError,
    LoqedResponseError,
    LoqedTimeoutError,
    LoqedVerificationError,
)
from aioloqed.models import (
    BridgeStatus,
    WebhookRegistration,
    parse_battery_type,
    parse_bolt_state,
    parse_int,
    parse_key_id,
)
from aioloqed.receiver import WebhookReceiver
from aioloqed.reconcile import ReconcilePlan, plan_webhook_reconcile
from aioloqed.signing import (
    CommandSigner,
    command_hmac_input,
    create_webhook_hash,
    delete_webhook_hash,
    encode_command,
    list_webhooks_hash,
    management_headers,
    relay_message,
    sign_command,
    webhook_body_hash,
)
from aioloqed.state import (
    LockState,
    SentCommand,
    confirms_command,
    reduce_state,
    target_state,
)
from aioloqed.webhook import (
    RejectedWebhook,
    RejectReason,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookResult,
    WebhookVerifier,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PORT",
    "DEFAULT_REQUEST_TIMEOUT",
    "DEFAULT_TIMESTAMP_WINDOW",
    "MAX_KEY_ID",
    "NO_KEY_ID",
    "BatteryEvent",
    "BatteryType",
    "BoltState",
    "BridgeStatus",
    "CloudLock",
    "CommandSigner",
    "CredentialsProblem",
    "EventSource",
    "GoingToStateEvent",
    "LockAction",
    "LockSetting",
    "LockState",
    "LoqedAuthenticationError",
    "LoqedBridge",
    "LoqedCloud",
    "LoqedConnectionError",
    "LoqedCredentials",
    "LoqedCredentialsError",
    "LoqedError",
    "LoqedEvent",
    "LoqedResponseError",
    "LoqedTimeoutError",
    "LoqedVerificationError",
    "Motion",
    "OnlineStatusEvent",
    "ReconcilePlan",
    "RejectReason",
    "RejectedWebhook",
    "SentCommand",
    "StateReachedEvent",
    "UnknownEvent",
    "UnverifiableWebhook",
    "VerifiedWebhook",
    "WebhookReceiver",
    "WebhookRegistration",
    "WebhookResult",
    "WebhookTrigger",
    "WebhookVerifier",
    "command_hmac_input",
    "confirms_command",
    "create_webhook_hash",
    "delete_webhook_hash",
    "encode_command",
    "list_webhooks_hash",
    "management_headers",
    "normalize_mac",
    "parse_battery_type",
    "parse_bolt_state",
    "parse_event",
    "parse_event_json",
    "parse_host_port",
    "parse_int",
    "parse_key_id",
    "plan_webhook_reconcile",
    "reduce_state",
    "relay_message",
    "sign_command",
    "source_of",
    "target_state",
    "webhook_body_hash",
]
