"""Constants of the LOQED Bridge (local) integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "loqed_bridge"
LOGGER = logging.getLogger(__package__)

BUILTIN_DOMAIN: Final = "loqed"
"""Domain of Home Assistant's built-in LOQED integration, whose entries we can import."""

# entry.data
CONF_BRIDGE_KEY: Final = "bridge_key"
CONF_LOCK_KEY: Final = "lock_key"
CONF_LOCAL_KEY_ID: Final = "local_key_id"
CONF_LOCK_ID: Final = "lock_id"
CONF_API_TOKEN: Final = "api_token"  # noqa: S105 - a field name
"""Personal access token, kept only when the user asked for the lock settings (cloud path)."""
# entry.options
CONF_CALLBACK_URL: Final = "callback_url"
CONF_TIMESTAMP_WINDOW: Final = "timestamp_window"
CONF_HEALTHY_POLL_MINUTES: Final = "healthy_poll_minutes"
CONF_FALLBACK_POLL_SECONDS: Final = "fallback_poll_seconds"
CONF_KEY_NAMES: Final = "key_names"
"""Key id (as a string) to a name, e.g. ``{"3": "Anna's phone"}``."""
CONF_HANDLE_OUTSIDE: Final = "handle_outside"
"""The door has a handle outside: "open" only unlocks, so the lock entity offers no open."""
# config flow fields
CONF_INTEGRATION_INFORMATION: Final = "integration_information"
CONF_BUILTIN_ENTRY: Final = "builtin_entry"
CONF_LOCK: Final = "lock"
CONF_KEEP_TOKEN: Final = "keep_token"  # noqa: S105 - a field name
CONF_CONNECTION: Final = "connection"
"""Options form section with the callback URL, the clock window and the poll intervals."""

DEFAULT_TIMESTAMP_WINDOW: Final = 30
"""Seconds a signed webhook's TIMESTAMP may differ from our clock (options may change it)."""
MIN_TIMESTAMP_WINDOW: Final = 10
MAX_TIMESTAMP_WINDOW: Final = 120

HEALTHY_POLL_INTERVAL: Final = timedelta(minutes=60)
"""Status read interval while push works: LOQED asks integrators to read /status rarely."""
FALLBACK_POLL_INTERVAL: Final = timedelta(seconds=45)
"""Status read interval while push does not work (or the bridge is unreachable)."""
MIN_HEALTHY_POLL_MINUTES: Final = 10
MAX_HEALTHY_POLL_MINUTES: Final = 1440
MIN_FALLBACK_POLL_SECONDS: Final = 15
MAX_FALLBACK_POLL_SECONDS: Final = 600

MAX_KEY_NAME_LENGTH: Final = 40
OWN_KEY_NAME: Final = "Home Assistant"
"""Name of the entry's own key id unless the options name it otherwise."""
RECONCILE_INTERVAL: Final = timedelta(minutes=10)
"""How often the bridge's webhook registrations are checked."""
RECONCILE_MIN_SPACING: Final = 60.0
"""Seconds between two reconciles that a status read triggered."""

STATUS_LAG_GRACE: Final = 20.0
"""Seconds after a verified lock event during which /status is not trusted over it."""
HINT_FIRST_DELAY: Final = 0.5
"""Seconds from an unverifiable webhook to the status read it triggers (collects bursts)."""
HINT_SECOND_DELAY: Final = 4.0
"""Seconds from that read to a second one (the bridge updates /status after its webhooks)."""

COMMAND_CONFIRM_TIMEOUT: Final = 10.0
"""Seconds the lock has to confirm a command (GO_TO_STATE_* with our key id)."""
COMMAND_STATUS_POLL: Final = 2.0
"""Seconds between status reads that confirm a command on bridges without signed webhooks."""
UNCONFIRMED_COMMANDS_FOR_REPAIR: Final = 2
"""Unconfirmed commands in a row (bridge and lock online) that raise the lock-key repair."""

PUSH_ISSUE_AFTER: Final = timedelta(minutes=30)
"""How long push may be unhealthy before a repair issue says so."""
STALE_WEBHOOKS_FOR_ISSUE: Final = 3
"""Signed webhooks in a row outside the clock window that raise the clock-skew issue."""
FOREIGN_WEBHOOKS_LIMIT: Final = 3
"""More registrations of other parties than this raise an issue (each one delays every event)."""

MANUFACTURER: Final = "LOQED"
MODEL: Final = "LOQED Touch Smart Lock"
BRIDGE_MODEL: Final = "LOQED Bridge"
CONFIGURATION_URL: Final = "https://app.loqed.com"
APP_WEBHOOKS_HINT: Final = (
    "app.loqed.com, API-Config, 'Outgoing webhooks via LOQED Bridge', from a computer on the "
    "same network as the bridge"
)

ISSUE_LOCK_KEY: Final = "lock_key_rejected"
ISSUE_NO_CALLBACK_URL: Final = "no_callback_url"
ISSUE_HTTPS_CALLBACK_URL: Final = "https_callback_url"
ISSUE_PUSH_UNHEALTHY: Final = "push_unhealthy"
ISSUE_CLOCK_SKEW: Final = "clock_skew"
ISSUE_FOREIGN_WEBHOOKS: Final = "foreign_webhooks"
ALL_ISSUES: Final = (
    ISSUE_LOCK_KEY,
    ISSUE_NO_CALLBACK_URL,
    ISSUE_HTTPS_CALLBACK_URL,
    ISSUE_PUSH_UNHEALTHY,
    ISSUE_CLOCK_SKEW,
    ISSUE_FOREIGN_WEBHOOKS,
)


def issue_id(issue: str, entry_id: str) -> str:
    """Repair issue id of one kind of issue for one entry."""
    return f"{issue}_{entry_id}"
