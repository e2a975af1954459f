"""Enums and constants of the LOQED bridge's local protocol."""

from __future__ import annotations

from enum import IntEnum, IntFlag, StrEnum
from typing import TYPE_CHECKING, Any, Final, Self

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_PORT: Final = 80
DEFAULT_REQUEST_TIMEOUT: Final = 10.0
"""Seconds to wait for an answer from the bridge."""
DEFAULT_TIMESTAMP_WINDOW: Final = 30.0
"""Seconds an incoming webhook's TIMESTAMP may differ from our clock."""
DEFAULT_MAX_BODY_SIZE: Final = 16 * 1024
"""Largest incoming webhook body we read, in bytes."""
NO_KEY_ID: Final = 255
"""The key id the lock reports when no key was involved (knob, button, automatic)."""
MAX_KEY_ID: Final = 250
"""Highest local key id a lock hands out."""

PROTOCOL_VERSION: Final = 2
COMMAND_TYPE_NORMAL: Final = 7
COMMAND_TYPE_SPECIAL: Final = 89
DEVICE_ID: Final = 1


class LockAction(IntEnum):
    """Action byte of a signed command (protocol 2.2)."""

    OPEN = 1
    """Pull the latch; the lock returns to day lock by itself."""
    UNLOCK = 2
    """Go to day lock (latch only)."""
    LOCK = 3
    """Go to night lock."""


class BoltState(StrEnum):
    """Position of the bolt as the bridge reports it."""

    UNKNOWN = "unknown"
    OPEN = "open"
    DAY_LOCK = "day_lock"
    NIGHT_LOCK = "night_lock"


class Motion(StrEnum):
    """A motor movement in progress, named after its target."""

    OPENING = "opening"
    """Target OPEN."""
    UNLOCKING = "unlocking"
    """Target DAY_LOCK."""
    LOCKING = "locking"
    """Target NIGHT_LOCK."""


class BatteryType(StrEnum):
    """Battery type of the lock (numeric codes 0..3 in protocol 3)."""

    ALKALINE = "alkaline"
    NICKEL_METAL_HYDRIDE = "nickel_metal_hydride"
    LITHIUM = "lithium"
    UNKNOWN = "unknown"


class EventSource(StrEnum):
    """Who or what moved the lock."""

    APP_BLE = "app_ble"
    TOUCH_TO_OPEN = "touch_to_open"
    AUTO_UNLOCK = "auto_unlock"
    TWIST_ASSIST = "twist_assist"
    KEYPAD_PIN = "keypad_pin"
    OUTSIDE_BUTTON = "outside_button"
    TOUCH_TO_LOCK = "touch_to_lock"
    REMOTE = "remote"
    MANUAL = "manual"
    """By hand (knob): no key and no motion in progress."""
    AUTOMATIC = "automatic"
    """The lock's own re-latch after OPEN, or UNKNOWN after a motor stall."""
    UNKNOWN = "unknown"


_TRIGGER_FIELDS: Final = (
    "trigger_state_changed_open",
    "trigger_state_changed_latch",
    "trigger_state_changed_night_lock",
    "trigger_state_changed_unknown",
    "trigger_state_goto_open",
    "trigger_state_goto_latch",
    "trigger_state_goto_night_lock",
    "trigger_battery",
    "trigger_online_status",
)


def _flag_on(value: Any) -> bool:
    """Read a 0/1 trigger field sent as int, bool or string."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return False


class WebhookTrigger(IntFlag):
    """Which events a bridge webhook registration receives (protocol 5.2 bit positions)."""

    STATE_CHANGED_OPEN = 1
    STATE_CHANGED_LATCH = 2
    STATE_CHANGED_NIGHT_LOCK = 4
    STATE_CHANGED_UNKNOWN = 8
    GOTO_OPEN = 16
    GOTO_LATCH = 32
    GOTO_NIGHT_LOCK = 64
    BATTERY = 128
    ONLINE_STATUS = 256
    ALL = 511

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> Self:
        """Build the flags from the nine ``trigger_*`` fields of a registration (missing = off)."""
        value = 0
        for bit, name in enumerate(_TRIGGER_FIELDS):
            if _flag_on(fields.get(name)):
                value |= 1 << bit
        return cls(value)

    def to_fields(self) -> dict[str, int]:
        """Return the nine ``trigger_*`` fields as 0/1 integers, in protocol order."""
        return {name: (int(self) >> bit) & 1 for bit, name in enumerate(_TRIGGER_FIELDS)}


TRIGGER_FIELDS: Final = _TRIGGER_FIELDS
"""The nine ``trigger_*`` field names in bit order."""


class LockSetting(StrEnum):
    """Lock settings that the cloud can change (protocol 2.6)."""

    OPEN_HOUSE_MODE = "open_house_mode"
    TWIST_ASSIST = "twist_assist"
    TOUCH_TO_CONNECT = "touch_to_connect"
