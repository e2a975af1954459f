"""How verified events and status reads change what the integration knows (pure functions)."""

from __future__ import annotations

import dataclasses

from aioloqed import BatteryType, BoltState, BridgeStatus, EventSource, Motion, parse_event
from custom_components.loqed_bridge.data import (
    LoqedData,
    OperationType,
    apply_event,
    apply_status,
    is_lock_event,
)

MACS = {"mac_wifi": "aabbccddeeff", "mac_ble": "aabbccddef01"}


def status(**fields: object) -> BridgeStatus:
    data: dict[str, object] = {
        "bolt_state": "night_lock",
        "lock_online": 1,
        "battery_percentage": 80,
        "battery_type": "ALKALINE",
        "wifi_strength": 50,
        "ble_strength": 70,
        "bridge_mac_wifi": "aabbccddeeff",
    }
    data.update(fields)
    return BridgeStatus.from_dict(data)


def test_going_to_state_starts_a_motion_and_marks_the_lock_online() -> None:
    data = LoqedData(lock_online=False)
    event = parse_event(
        {**MACS, "event_type": "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", "key_local_id": 3}
    )
    assert is_lock_event(event)
    after = apply_event(apply_status(data, status(), keep_lock=False), event)
    assert after.lock.motion is Motion.UNLOCKING
    assert after.lock.key_id == 3
    assert after.lock_online is True
    assert after.last_event is event


def test_a_lock_event_keeps_everything_it_does_not_speak_of() -> None:
    before = apply_status(LoqedData(), status(), keep_lock=False)
    event = parse_event({**MACS, "event_type": "STATE_CHANGED_LATCH", "key_local_id": 4})
    after = apply_event(before, event)
    changed = {
        field.name
        for field in dataclasses.fields(LoqedData)
        if getattr(after, field.name) != getattr(before, field.name)
    }
    assert changed == {"lock", "last_event", "operation"}
    assert after.status is before.status
    assert after.battery_percentage == 80
    assert after.wifi_strength == 50


def test_battery_event_with_a_level_sets_level_type_and_online() -> None:
    event = parse_event({**MACS, "battery_type": "LITHIUM", "battery_percentage": 55})
    assert not is_lock_event(event)
    after = apply_event(LoqedData(lock_online=False), event)
    assert after.battery_percentage == 55
    assert after.battery_type is BatteryType.LITHIUM
    assert after.lock_online is True


def test_battery_event_without_a_level_keeps_the_old_level() -> None:
    before = LoqedData(battery_percentage=70, lock_online=False)
    after = apply_event(
        before, parse_event({**MACS, "battery_type": "UNKNOWN", "battery_percentage": -1})
    )
    assert after.battery_percentage == 70
    assert after.battery_type is BatteryType.UNKNOWN
    assert after.lock_online is False


def test_online_status_event_sets_link_and_signals() -> None:
    offline = apply_event(
        LoqedData(), parse_event({**MACS, "wifi_strength": 40, "ble_strength": -1})
    )
    assert offline.lock_online is False
    assert offline.wifi_strength == 40
    assert offline.ble_strength is None
    online = apply_event(offline, parse_event({**MACS, "wifi_strength": 41, "ble_strength": 90}))
    assert online.lock_online is True
    assert online.ble_strength == 90


def test_unknown_event_changes_only_the_last_event() -> None:
    before = LoqedData(lock_online=True, battery_percentage=10)
    event = parse_event({**MACS, "something": "else"})
    after = apply_event(before, event)
    assert after.last_event is event
    assert (after.lock, after.lock_online, after.battery_percentage) == (
        before.lock,
        before.lock_online,
        before.battery_percentage,
    )


def test_status_sets_everything_unless_a_fresher_event_owns_the_lock_state() -> None:
    moving = then(LoqedData(), "STATE_CHANGED_OPEN", 2)
    assert moving.lock.bolt_state is BoltState.OPEN
    kept = apply_status(moving, status(bolt_state="day_lock"), keep_lock=True)
    assert kept.lock.bolt_state is BoltState.OPEN
    assert kept.battery_percentage == 80
    taken = apply_status(moving, status(bolt_state="day_lock", lock_online=0), keep_lock=False)
    assert taken.lock.bolt_state is BoltState.DAY_LOCK
    # Only the status saw the re-latch: who did it is not known.
    assert taken.lock.key_id is None
    assert taken.lock.source is EventSource.UNKNOWN
    assert taken.operation is not None
    assert (taken.operation.type, taken.operation.verified) == (OperationType.UNLOCKED, False)
    assert taken.lock_online is False
    assert taken.status is not None


def then(data: LoqedData, event_type: str, key_id: int = 3) -> LoqedData:
    """``data`` after a lock event of ``event_type`` with ``key_id``."""
    return apply_event(
        data, parse_event({**MACS, "event_type": event_type, "key_local_id": key_id})
    )


def going(event_type: str, key_id: int = 3) -> LoqedData:
    """Night-locked lock (as the status says), then a going-to event."""
    return then(apply_status(LoqedData(), status(), keep_lock=False), event_type, key_id)


def test_an_operation_back_to_where_the_lock_is_ends_the_motion_in_progress() -> None:
    # Lock asked to unlock, then (before it got there) to lock again: the second command
    # supersedes the first, and no state change will ever end the "unlocking" motion.
    moving = going("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH")
    assert moving.lock.motion is Motion.UNLOCKING
    back = then(moving, "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 3)
    assert back.lock.motion is None
    assert back.lock.target is None
    assert back.lock.bolt_state is BoltState.NIGHT_LOCK
    # The same through the app over Bluetooth (the burst that left "opening" shown).
    opening = going("GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN", 7)
    assert opening.lock.motion is Motion.OPENING
    stays = then(opening, "GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK", 9)
    assert stays.lock.motion is None


def test_a_status_read_ending_a_motion_keeps_the_key_of_its_start() -> None:
    # The state change that ends the motion was lost; the status shows the lock got there.
    moving = going("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 4)
    ended = apply_status(moving, status(bolt_state="day_lock"), keep_lock=False)
    assert ended.lock.motion is None
    assert ended.lock.bolt_state is BoltState.DAY_LOCK
    assert (ended.lock.key_id, ended.lock.source) == (4, EventSource.REMOTE)
    assert ended.operation is not None
    assert (ended.operation.type, ended.operation.key_id) == (OperationType.UNLOCKED, 4)
    # Somewhere else than the motion's target: nobody knows who did that.
    elsewhere = apply_status(moving, status(bolt_state="open"), keep_lock=False)
    assert (elsewhere.lock.key_id, elsewhere.lock.source) == (None, EventSource.UNKNOWN)
