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
# entry.options
CONF_CALLBACK_URL: Final = "callback_url"
CONF_TIMESTAMP_WINDOW: Final = "timestamp_window"
# config flow fields
CONF_INTEGRATION_INFORMATION: Final = "integration_information"
CONF_BUILTIN_ENTRY: Final = "builtin_entry"
CONF_LOCK: Final = "lock"

DEFAULT_TIMESTAMP_WINDOW: Final = 30
"""Seconds a signed webhook's TIMESTAMP may differ from our clock (options may change it)."""
MIN_TIMESTAMP_WINDOW: Final = 5
MAX_TIMESTAMP_WINDOW: Final = 300

HEALTHY_POLL_INTERVAL: Final = timedelta(minutes=60)
"""Status read interval while push works: LOQED asks integrators to read /status rarely."""
FALLBACK_POLL_INTERVAL: Final = timedelta(seconds=45)
"""Status read interval while push does not work (or the bridge is unreachable)."""
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

MANUFACTURER: Final = "LOQED"
MODEL: Final = "LOQED Touch Smart Lock"
CONFIGURATION_URL: Final = "https://app.loqed.com"
APP_WEBHOOKS_HINT: Final = (
    "app.loqed.com, API-Config, 'Outgoing webhooks via LOQED Bridge', from a computer on the "
    "same network as the bridge"
)

ISSUE_LOCK_KEY: Final = "lock_key_rejected"
ISSUE_NO_CALLBACK_URL: Final = "no_callback_url"
ISSUE_HTTPS_CALLBACK_URL: Final = "https_callback_url"
