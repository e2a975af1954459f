"""Webhook payloads in the field order of real bridge payloads (protocol 4.3, 10.2-10.4).

Each builder returns the payload and the trigger bit (protocol 5.2) a registration needs to get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from loqed_emulator.lock import BatteryType, BoltState, EventKind, LockEvent

TRIGGER_STATE_CHANGED: Final[dict[BoltState, int]] = {
    BoltState.OPEN: 1 << 0,
    BoltState.DAY_LOCK: 1 << 1,
    BoltState.NIGHT_LOCK: 1 << 2,
    BoltState.UNKNOWN: 1 << 3,
}
TRIGGER_GOTO: Final[dict[BoltState, int]] = {
    BoltState.OPEN: 1 << 4,
    BoltState.DAY_LOCK: 1 << 5,
    BoltState.NIGHT_LOCK: 1 << 6,
}
TRIGGER_BATTERY: Final = 1 << 7
TRIGGER_ONLINE_STATUS: Final = 1 << 8


@dataclass(frozen=True, slots=True)
class Macs:
    """The bridge's two MAC addresses as sent in every payload."""

    wifi: str
    ble: str


@dataclass(frozen=True, slots=True)
class Payload:
    """A webhook body (as a dict, serialised at send time) and its trigger bit."""

    body: dict[str, Any]
    trigger: int

    @property
    def label(self) -> str:
        """Short description for logs: the event type, or the family."""
        event_type = self.body.get("event_type")
        if isinstance(event_type, str):
            return event_type
        return "battery" if self.trigger == TRIGGER_BATTERY else "online_status"


def lock_event_payload(event: LockEvent, macs: Macs) -> Payload:
    """Return the payload of a lock event (families 1 and 2)."""
    if event.kind is EventKind.GOING_TO:
        body: dict[str, Any] = {
            "go_to_state": event.state.name,
            "event_type": event.event_type,
            "mac_wifi": macs.wifi,
            "mac_ble": macs.ble,
            "key_local_id": event.key_id,
        }
        return Payload(body, TRIGGER_GOTO[event.state])
    body = {
        "requested_state": event.state.name,
        "requested_state_numeric": int(event.state),
        "mac_wifi": macs.wifi,
        "mac_ble": macs.ble,
        "event_type": event.event_type,
        "key_local_id": event.key_id,
    }
    return Payload(body, TRIGGER_STATE_CHANGED[event.state])


def battery_payload(battery_type: BatteryType, percentage: int, macs: Macs) -> Payload:
    """Return a battery payload (family 3); ``percentage`` is -1 while the lock is offline."""
    body = {
        "battery_type": battery_type.name,
        "battery_percentage": percentage,
        "mac_wifi": macs.wifi,
        "mac_ble": macs.ble,
    }
    return Payload(body, TRIGGER_BATTERY)


def online_status_payload(wifi_strength: int, ble_strength: int, macs: Macs) -> Payload:
    """Return an online-status payload (family 4); ``ble_strength`` -1 = lock not connected."""
    body = {
        "wifi_strength": wifi_strength,
        "ble_strength": ble_strength,
        "mac_wifi": macs.wifi,
        "mac_ble": macs.ble,
    }
    return Payload(body, TRIGGER_ONLINE_STATUS)
