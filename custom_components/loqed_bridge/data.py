"""What the integration knows about one bridge and its lock, and how events and reads change it.

Pure functions over a frozen dataclass: no I/O, no Home Assistant objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from aioloqed import (
    BatteryEvent,
    BatteryType,
    BridgeStatus,
    GoingToStateEvent,
    LockState,
    LoqedEvent,
    OnlineStatusEvent,
    StateReachedEvent,
    reduce_state,
)


@dataclass(frozen=True, slots=True)
class LoqedData:
    """The coordinator's data: lock state plus what battery, signal and status said last."""

    lock: LockState = field(default_factory=LockState)
    status: BridgeStatus | None = None
    """The last ``/status`` answer."""
    lock_online: bool | None = None
    """Whether the lock is connected to the bridge over Bluetooth."""
    battery_percentage: int | None = None
    battery_type: BatteryType | None = None
    wifi_strength: int | None = None
    ble_strength: int | None = None
    last_event: LoqedEvent | None = None
    """The last verified webhook event."""


def is_lock_event(event: LoqedEvent) -> bool:
    """Whether ``event`` is about the bolt (going to or reaching a state)."""
    return isinstance(event, GoingToStateEvent | StateReachedEvent)


def apply_event(data: LoqedData, event: LoqedEvent) -> LoqedData:
    """Return the data after a verified webhook event."""
    if isinstance(event, GoingToStateEvent | StateReachedEvent):
        # The lock reports motions over Bluetooth, so it is online.
        return replace(
            data, lock=reduce_state(data.lock, event), lock_online=True, last_event=event
        )
    if isinstance(event, BatteryEvent):
        if event.battery_percentage is None:
            # -1 while the lock is offline: the type may still be right, the level is not known.
            return replace(data, battery_type=event.battery_type, last_event=event)
        # A real level means the lock talks to the bridge again.
        return replace(
            data,
            battery_percentage=event.battery_percentage,
            battery_type=event.battery_type,
            lock_online=True,
            last_event=event,
        )
    if isinstance(event, OnlineStatusEvent):
        return replace(
            data,
            lock_online=event.lock_online,
            wifi_strength=event.wifi_strength,
            ble_strength=event.ble_strength,
            last_event=event,
        )
    return replace(data, last_event=event)


def apply_status(data: LoqedData, status: BridgeStatus, *, keep_lock: bool) -> LoqedData:
    """Return the data after a ``/status`` read.

    ``keep_lock``: a verified lock event arrived while (or shortly before) the status was read;
    the status lags the webhooks, so the event's lock state stays.
    """
    lock = data.lock if keep_lock else LockState.from_status(status, data.lock)
    return replace(
        data,
        lock=lock,
        status=status,
        lock_online=status.lock_online,
        battery_percentage=status.battery_percentage,
        battery_type=status.battery_type,
        wifi_strength=status.wifi_strength,
        ble_strength=status.ble_strength,
    )
