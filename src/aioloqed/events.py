"""Typed webhook events of the bridge and a parser that never raises on a mapping.

Four payload families (protocol 4.3): reached state, going to state, battery, online status.
Anything else becomes an :class:`UnknownEvent` that keeps the raw payload. The mapping from
``event_type`` to bolt state and source is a precomputed table (protocol 4.4); unknown
``GO_TO_STATE_*`` and ``STATE_CHANGED_*`` values are understood from their names where possible.

The events are values: nothing changes one after it is built. They are plain (not ``frozen``)
dataclasses because one is built for every webhook, and a frozen one costs several times as much
to build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import orjson

from aioloqed.const import BatteryType, BoltState, EventSource
from aioloqed.exceptions import LoqedResponseError
from aioloqed.models import (
    parse_battery_type,
    parse_bolt_state,
    parse_bool,
    parse_int,
    parse_key_id,
    parse_mac,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

MOTOR_STALL: Final = "MOTOR_STALL"
GO_TO_STATE_PREFIX: Final = "GO_TO_STATE_"
STATE_CHANGED_PREFIX: Final = "STATE_CHANGED_"
_REMOTE_SUFFIX: Final = "_REMOTE"
_MAX_PERCENT: Final = 100


@dataclass(slots=True)
class LoqedEvent:
    """Fields every bridge webhook carries."""

    raw: Mapping[str, Any]
    """The decoded payload as received."""

    @property
    def mac_wifi(self) -> str | None:
        """Wi-Fi MAC of the sending bridge, normalised; ``None`` if absent or not a MAC.

        Read from :attr:`raw` when asked: nothing on the way from a webhook to the lock's
        state needs it.
        """
        return _mac(self.raw, "mac_wifi")

    @property
    def mac_ble(self) -> str | None:
        """Bluetooth MAC of the sending bridge, normalised (read from :attr:`raw` when asked)."""
        return _mac(self.raw, "mac_ble")


@dataclass(slots=True)
class StateReachedEvent(LoqedEvent):
    """The motor stopped: the bolt reached a state (family 1), or stalled (``MOTOR_STALL``)."""

    event_type: str
    """As received, upper case."""
    state: BoltState
    """Derived from ``event_type``; ``UNKNOWN`` for ``MOTOR_STALL``."""
    requested_state: BoltState
    """The ``requested_state`` field, kept as extra information."""
    key_id: int | None
    """Key that operated the lock; ``None`` for no key (255, null, "", missing)."""
    source: EventSource
    """Source as far as this event alone tells (the state reducer refines it)."""
    motor_stall: bool


@dataclass(slots=True)
class GoingToStateEvent(LoqedEvent):
    """The motor started towards a target state (family 2)."""

    event_type: str
    target: BoltState
    """``go_to_state`` if usable, else derived from ``event_type``."""
    key_id: int | None
    source: EventSource


@dataclass(slots=True)
class BatteryEvent(LoqedEvent):
    """Battery report (family 3)."""

    battery_type: BatteryType
    battery_percentage: int | None
    """0..100; ``None`` while the lock is offline (-1)."""


@dataclass(slots=True)
class OnlineStatusEvent(LoqedEvent):
    """Signal report, sent when the lock loses or regains the bridge (family 4)."""

    wifi_strength: int | None
    ble_strength: int | None
    """``None`` when -1 (lock not connected)."""
    lock_online: bool


@dataclass(slots=True)
class UnknownEvent(LoqedEvent):
    """A payload we do not understand; kept so callers can log or inspect it."""

    event_type: str | None


class _EventInfo(NamedTuple):
    going_to: bool
    state: BoltState
    keyed_source: EventSource
    """Source when the event names a key."""
    keyless_source: EventSource
    """Source when it names none."""
    motor_stall: bool = False


def _info(
    *, going_to: bool, state: BoltState, source: EventSource | None, motor_stall: bool = False
) -> _EventInfo:
    """Describe an event type; ``source``: fixed by the type, or ``None`` to follow the key id.

    Without a fixed source, a reached state without a key was a hand at the lock (``MANUAL``);
    anything else is ``UNKNOWN`` as far as the event tells.
    """
    if source is not None:
        keyed = keyless = source
    else:
        keyed = EventSource.UNKNOWN
        keyless = EventSource.UNKNOWN if going_to else EventSource.MANUAL
    return _EventInfo(going_to, state, keyed, keyless, motor_stall)


_OPEN = BoltState.OPEN
_DAY = BoltState.DAY_LOCK
_NIGHT = BoltState.NIGHT_LOCK
_UNKNOWN = BoltState.UNKNOWN


def _reached(
    state: BoltState, source: EventSource | None = None, *, motor_stall: bool = False
) -> _EventInfo:
    return _info(going_to=False, state=state, source=source, motor_stall=motor_stall)


def _going(target: BoltState, source: EventSource) -> _EventInfo:
    return _info(going_to=True, state=target, source=source)


EVENT_TABLE: Final[Mapping[str, _EventInfo]] = {
    # Reached state (family 1); the source follows from the key id unless fixed here.
    "STATE_CHANGED_OPEN": _reached(_OPEN),
    "STATE_CHANGED_LATCH": _reached(_DAY),
    "STATE_CHANGED_NIGHT_LOCK": _reached(_NIGHT),
    "STATE_CHANGED_UNKNOWN": _reached(_UNKNOWN),
    MOTOR_STALL: _reached(_UNKNOWN, motor_stall=True),
    "STATE_CHANGED_OPEN_REMOTE": _reached(_OPEN, EventSource.REMOTE),
    "STATE_CHANGED_LATCH_REMOTE": _reached(_DAY, EventSource.REMOTE),
    "STATE_CHANGED_NIGHT_LOCK_REMOTE": _reached(_NIGHT, EventSource.REMOTE),
    # Going to a state (family 2).
    "GO_TO_STATE_INSTANTOPEN_OPEN": _going(_OPEN, EventSource.TOUCH_TO_OPEN),
    "GO_TO_STATE_INSTANTOPEN_LATCH": _going(_DAY, EventSource.AUTO_UNLOCK),
    "GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN": _going(_OPEN, EventSource.APP_BLE),
    "GO_TO_STATE_MANUAL_LOCK_BLE_LATCH": _going(_DAY, EventSource.APP_BLE),
    "GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK": _going(_NIGHT, EventSource.APP_BLE),
    "GO_TO_STATE_TWIST_ASSIST_OPEN": _going(_OPEN, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_TWIST_ASSIST_LATCH": _going(_DAY, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_TWIST_ASSIST_LOCK": _going(_NIGHT, EventSource.TWIST_ASSIST),
    "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN": _going(_OPEN, EventSource.KEYPAD_PIN),
    "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON": _going(
        _OPEN, EventSource.OUTSIDE_BUTTON
    ),
    "GO_TO_STATE_TOUCH_TO_LOCK": _going(_NIGHT, EventSource.TOUCH_TO_LOCK),
    "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN": _going(_OPEN, EventSource.REMOTE),
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH": _going(_DAY, EventSource.REMOTE),
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK": _going(_NIGHT, EventSource.REMOTE),
}
"""Known ``event_type`` values: family, state or target, and fixed source (protocol 4.4)."""

_NOT_UNDERSTOOD: Final = _info(going_to=False, state=_UNKNOWN, source=None)
"""An event type nothing is known of: its source follows the key id, as for a reached state."""

# Name fragments of unknown GO_TO_STATE_* values, checked in order.
_SOURCE_HINTS: Final = (
    ("_REMOTE_", EventSource.REMOTE),
    ("_BLE_", EventSource.APP_BLE),
    ("TWIST_ASSIST", EventSource.TWIST_ASSIST),
    ("TOUCH_TO_LOCK", EventSource.TOUCH_TO_LOCK),
    ("OUTSIDE_MODULE_PIN", EventSource.KEYPAD_PIN),
    ("OUTSIDE_MODULE_BUTTON", EventSource.OUTSIDE_BUTTON),
    ("INSTANTOPEN_OPEN", EventSource.TOUCH_TO_OPEN),
    ("INSTANTOPEN_LATCH", EventSource.AUTO_UNLOCK),
)
# Suffixes of unknown GO_TO_STATE_* values, checked in order (longest first).
_TARGET_SUFFIXES: Final = (
    ("_NIGHT_LOCK", _NIGHT),
    ("_DAY_LOCK", _DAY),
    ("_LATCH", _DAY),
    ("_OPEN", _OPEN),
    ("_LOCK", _NIGHT),
)


def _guess_info(event_type: str) -> _EventInfo | None:
    """Understand an ``event_type`` that is not in :data:`EVENT_TABLE`, if its name allows."""
    if event_type.startswith(GO_TO_STATE_PREFIX):
        target = next(
            (state for suffix, state in _TARGET_SUFFIXES if event_type.endswith(suffix)),
            _UNKNOWN,
        )
        source = next((src for hint, src in _SOURCE_HINTS if hint in event_type), None)
        return _info(going_to=True, state=target, source=source)
    if event_type.startswith(STATE_CHANGED_PREFIX):
        name = event_type[len(STATE_CHANGED_PREFIX) :]
        remote = name.endswith(_REMOTE_SUFFIX)
        if remote:
            name = name[: -len(_REMOTE_SUFFIX)]
        state = parse_bolt_state(name)
        if state is _UNKNOWN:
            return None
        return _info(going_to=False, state=state, source=EventSource.REMOTE if remote else None)
    return None


def source_of(event_type: str, key_id: int | None) -> EventSource:
    """Return the source of a lock event as far as its type and key id tell.

    Going-to events name their trigger (Touch to Open, twist assist, keypad...), ``*_REMOTE``
    events are ``REMOTE``; a reached state without a key is ``MANUAL`` and with a key
    ``UNKNOWN`` (the going-to event before it knows more; see :func:`aioloqed.reduce_state`).
    """
    name = event_type.strip().upper()
    info = EVENT_TABLE.get(name) or _guess_info(name) or _NOT_UNDERSTOOD
    return info.keyless_source if key_id is None else info.keyed_source


def _mac(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    return parse_mac(value)


def _lock_event(data: Mapping[str, Any], event_type: str, info: _EventInfo | None) -> LoqedEvent:
    """Build the event of a lock ``event_type`` (``info``: its table entry or guess, if any).

    Runs for every webhook: the parsers take the bridges' own shapes (an int key id, known
    names) the short way.
    """
    if info is None:
        return UnknownEvent(raw=data, event_type=event_type)
    key_id = parse_key_id(data.get("key_local_id"))
    source = info.keyless_source if key_id is None else info.keyed_source
    if info.going_to:
        target = parse_bolt_state(data.get("go_to_state"))
        if target is _UNKNOWN:
            target = parse_bolt_state(data.get("go_to_state_numeric"))
        if target is _UNKNOWN:
            target = info.state
            if target is _UNKNOWN:
                return UnknownEvent(raw=data, event_type=event_type)
        return GoingToStateEvent(
            raw=data,
            event_type=event_type,
            target=target,
            key_id=key_id,
            source=source,
        )
    requested = data.get("requested_state")
    requested_state = parse_bolt_state(requested)
    if requested_state is _UNKNOWN and requested is None:
        requested_state = parse_bolt_state(data.get("requested_state_numeric"))
    return StateReachedEvent(
        raw=data,
        event_type=event_type,
        state=info.state,
        requested_state=requested_state,
        key_id=key_id,
        source=source,
        motor_stall=info.motor_stall,
    )


def _battery_event(data: Mapping[str, Any]) -> BatteryEvent:
    percentage = parse_int(data.get("battery_percentage"))
    if percentage is not None and not 0 <= percentage <= _MAX_PERCENT:
        percentage = None
    return BatteryEvent(
        raw=data,
        battery_type=parse_battery_type(data.get("battery_type")),
        battery_percentage=percentage,
    )


def _online_event(data: Mapping[str, Any]) -> OnlineStatusEvent:
    ble = parse_int(data.get("ble_strength"))
    online = parse_bool(data.get("lock_online", data.get("online")))
    if online is None:
        online = ble != -1
    return OnlineStatusEvent(
        raw=data,
        wifi_strength=parse_int(data.get("wifi_strength")),
        ble_strength=None if ble == -1 else ble,
        lock_online=online,
    )


def parse_event(data: Mapping[str, Any]) -> LoqedEvent:
    """Turn a decoded webhook payload into a typed event. Never raises on a mapping.

    Classification (protocol 4.3): an ``event_type`` makes it a lock event (going-to for
    ``GO_TO_STATE_*``, reached otherwise, unknown if not understood); without one,
    ``battery_percentage`` or ``battery_type`` makes a battery event, ``wifi_strength`` or
    ``ble_strength`` an online-status event, and anything else an unknown event.
    """
    event_type = data.get("event_type")
    if type(event_type) is str:
        # The bridge's own spelling first: one lookup for every webhook it sends.
        info = EVENT_TABLE.get(event_type)
        if info is not None:
            return _lock_event(data, event_type, info)
    if isinstance(event_type, str) and event_type.strip():
        name = event_type.strip().upper()
        info = EVENT_TABLE.get(name)
        return _lock_event(data, name, info if info is not None else _guess_info(name))
    if event_type is not None and event_type != "":
        return UnknownEvent(
            raw=data,
            event_type=str(event_type),
        )
    if "battery_percentage" in data or "battery_type" in data:
        return _battery_event(data)
    if "wifi_strength" in data or "ble_strength" in data:
        return _online_event(data)
    return UnknownEvent(raw=data, event_type=None)


def parse_event_json(body: bytes | str) -> LoqedEvent:
    """Decode a webhook body and parse it; raise ``LoqedResponseError`` if it is no JSON object."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise LoqedResponseError("webhook body is not a JSON object") from None
    if not isinstance(data, dict):
        raise LoqedResponseError("webhook body is not a JSON object")
    return parse_event(data)
