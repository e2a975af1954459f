"""What the integration knows about one bridge and its lock, and how events and reads change it.

Pure functions over a dataclass that is replaced, never changed in place: no I/O, no Home
Assistant objects. (Not ``frozen``: a frozen dataclass costs several times as much to build, and
one is built for every webhook.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from aioloqed import (
    BatteryEvent,
    BatteryType,
    BoltState,
    BridgeStatus,
    EventSource,
    GoingToStateEvent,
    LockState,
    LoqedEvent,
    OnlineStatusEvent,
    SentCommand,
    StateReachedEvent,
    reduce_state,
)


class OperationType(StrEnum):
    """Event types of the "Lock operation" event entity."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    OPENED = "opened"
    JAMMED = "jammed"
    LOCKING = "locking"
    UNLOCKING = "unlocking"
    OPENING = "opening"


_REACHED: Final[dict[BoltState, OperationType]] = {
    BoltState.NIGHT_LOCK: OperationType.LOCKED,
    BoltState.DAY_LOCK: OperationType.UNLOCKED,
    BoltState.OPEN: OperationType.OPENED,
}
_GOING: Final[dict[BoltState, OperationType]] = {
    BoltState.NIGHT_LOCK: OperationType.LOCKING,
    BoltState.DAY_LOCK: OperationType.UNLOCKING,
    BoltState.OPEN: OperationType.OPENING,
}


@dataclass(slots=True)
class LockOperation:
    """One operation of the lock, for the event entity: what, how and with which key."""

    serial: int
    """Counts up with every operation, so that each one is fired once."""
    type: OperationType
    source: EventSource
    key_id: int | None
    verified: bool
    """Seen in a verified webhook; ``False`` when only a status read showed the change."""


@dataclass(slots=True)
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
    operation: LockOperation | None = None
    """The last lock operation (verified event, or a change only a status read showed)."""


def _operation(
    data: LoqedData, kind: OperationType, lock: LockState, *, verified: bool
) -> LockOperation:
    """Return the operation after ``data``'s last: ``kind``, with the key and source of ``lock``."""
    last = data.operation
    return LockOperation(
        serial=1 if last is None else last.serial + 1,
        type=kind,
        source=lock.source or EventSource.UNKNOWN,
        key_id=lock.key_id,
        verified=verified,
    )


LOCK_EVENTS: Final = (GoingToStateEvent, StateReachedEvent)


def is_lock_event(event: LoqedEvent) -> bool:
    """Whether ``event`` is about the bolt (going to or reaching a state)."""
    return isinstance(event, LOCK_EVENTS)


def apply_event(data: LoqedData, event: LoqedEvent) -> LoqedData:
    """Return the data after a verified webhook event."""
    if isinstance(event, LOCK_EVENTS):
        # The lock reports motions over Bluetooth, so it is online.
        lock = reduce_state(data.lock, event)
        # The operation, with the reducer's key and source. STATE_CHANGED_UNKNOWN (after a
        # stall, reported as jammed already) is none.
        if isinstance(event, GoingToStateEvent):
            kind = _GOING.get(event.target)
        else:
            kind = OperationType.JAMMED if event.motor_stall else _REACHED.get(event.state)
        operation = data.operation if kind is None else _operation(data, kind, lock, verified=True)
        # Every field written out (no ``replace``): this runs for every lock webhook.
        return LoqedData(
            lock=lock,
            status=data.status,
            lock_online=True,
            battery_percentage=data.battery_percentage,
            battery_type=data.battery_type,
            wifi_strength=data.wifi_strength,
            ble_strength=data.ble_strength,
            last_event=event,
            operation=operation,
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


def apply_status(
    data: LoqedData,
    status: BridgeStatus,
    *,
    keep_lock: bool,
    command: SentCommand | None = None,
) -> LoqedData:
    """Return the data after a ``/status`` read.

    ``keep_lock``: a verified lock event arrived while (or shortly before) the status was read;
    the status lags the webhooks, so the event's lock state stays.

    A bolt state that differs from a known earlier one is an operation nobody reported (a lost
    or unsigned webhook, or a change while the bridge was out of reach): it is recorded with
    source ``unknown``, as our own remote command when ``command`` (in flight) explains it, or
    with the key and source of the motion that was shown going there. The status clears any
    motion (unless ``keep_lock``).
    """
    lock = data.lock if keep_lock else LockState.from_status(status, data.lock)
    operation = data.operation
    before = data.lock.bolt_state
    if (
        lock.bolt_state is not before
        and before is not BoltState.UNKNOWN
        and (kind := _REACHED.get(lock.bolt_state)) is not None
    ):
        if command is not None and command.target is lock.bolt_state:
            lock = replace(lock, key_id=command.local_key_id, source=EventSource.REMOTE)
        elif data.lock.motion is None or data.lock.target is not lock.bolt_state:
            lock = replace(lock, key_id=None, source=EventSource.UNKNOWN)
        # Otherwise this ends a motion a verified webhook showed starting (the webhook of its
        # end was lost): it keeps the key and source of that start.
        operation = _operation(data, kind, lock, verified=False)
    return replace(
        data,
        lock=lock,
        operation=operation,
        status=status,
        lock_online=status.lock_online,
        battery_percentage=status.battery_percentage,
        battery_type=status.battery_type,
        wifi_strength=status.wifi_strength,
        ble_strength=status.ble_strength,
    )
