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

LOCK_ENTITY_KEY: Final = "lock"
"""Key of the lock entity's description; the coordinator updates it before any other entity."""

HEALTHY_POLL_INTERVAL: Final = timedelta(minutes=10)
"""Status read interval while push works.

Webhooks can be lost without anything noticing (a restarted router, a full bridge queue): this
read bounds how long the state can then be wrong, and it also shows whether the registration
needs a check (``webhooks_number``, ``up_timestamp``). With the webhook-list check every
``RECONCILE_INTERVAL`` that is 6 + 2 = 8 bridge requests an hour; LOQED asks integrations to
read the bridge rarely.
"""
FALLBACK_POLL_INTERVAL: Final = timedelta(seconds=45)
"""Status read interval while push does not work (or the bridge is unreachable)."""
MIN_HEALTHY_POLL_MINUTES: Final = 5
MAX_HEALTHY_POLL_MINUTES: Final = 60
MIN_FALLBACK_POLL_SECONDS: Final = 15
MAX_FALLBACK_POLL_SECONDS: Final = 300
"""At most the shortest healthy interval: the fallback never polls less often than healthy."""

MAX_KEY_NAME_LENGTH: Final = 40
OWN_KEY_NAME: Final = "Home Assistant"
"""Name of the entry's own key id unless the options name it otherwise."""
RECONCILE_INTERVAL: Final = timedelta(minutes=30)
"""How often the bridge's webhook list is checked as a safety net.

The status reads (every ``HEALTHY_POLL_INTERVAL`` or more often) trigger a check as soon as
they show a reboot or another webhook count, so this timer only catches what they cannot see
(our registration replaced by another one with the same count).
"""
RECONCILE_MIN_SPACING: Final = 60.0
"""Seconds between two reconciles that a status read triggered."""

STATUS_LAG_GRACE: Final = 20.0
"""Seconds after a verified lock event during which /status is not trusted over it."""
RECHECK_MARGIN: Final = 1.0
"""Seconds after ``STATUS_LAG_GRACE`` ends that a status the grace kept back is read again."""
MOTION_TIMEOUT: Final = 20.0
"""Seconds a motion (locking, unlocking, opening) may be shown without the state that ends it.

A real motor needs up to about 16 s after the command. After this the status is read and its
bolt state is taken, whatever verified event came last: a motion is never shown for longer.
"""
HINT_FIRST_DELAY: Final = 0.5
"""Seconds from a hint (an unsigned, repeated or late webhook) to the status read it triggers."""
HINT_SECOND_DELAY: Final = 3.0
"""Seconds from that read to a second one (the bridge updates /status after its webhooks)."""
HINT_MIN_SPACING: Final = 1.0
"""Seconds between the starts of two status reads that hints trigger (or any read before them)."""
HINT_READ_BUDGET: Final = 30
"""Status reads hints may trigger per ``HINT_BUDGET_PERIOD``; further hints wait for the budget."""
HINT_BUDGET_PERIOD: Final = 600.0

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
