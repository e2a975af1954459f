"""The lock-state reducer over the event sequences a lock really sends, and command matching."""

from __future__ import annotations

from functools import reduce
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from aioloqed import (
    BoltState,
    BridgeStatus,
    EventSource,
    LockAction,
    LockState,
    LoqedEvent,
    Motion,
    SentCommand,
    confirms_command,
    parse_event,
    reduce_state,
    target_state,
)
from aioloqed.events import EVENT_TABLE
from aioloqed.state import motion_towards

MACS = {"mac_wifi": "aabbccddeeff", "mac_ble": "aabbccddef01"}


def ev(event_type: str, key: Any = 255, **extra: Any) -> LoqedEvent:
    return parse_event({"event_type": event_type, "key_local_id": key, **MACS, **extra})


def run(state: LockState, *events: LoqedEvent) -> LockState:
    return reduce(reduce_state, events, state)


DAY = LockState(bolt_state=BoltState.DAY_LOCK)
NIGHT = LockState(bolt_state=BoltState.NIGHT_LOCK)


def test_remote_lock_sequence() -> None:
    going = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5))
    assert going == LockState(
        bolt_state=BoltState.DAY_LOCK,
        motion=Motion.LOCKING,
        target=BoltState.NIGHT_LOCK,
        key_id=5,
        source=EventSource.REMOTE,
        event_type="GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",
    )
    assert going.is_moving
    done = run(going, ev("STATE_CHANGED_NIGHT_LOCK", 5))
    assert done == LockState(
        bolt_state=BoltState.NIGHT_LOCK,
        key_id=5,
        source=EventSource.REMOTE,
        event_type="STATE_CHANGED_NIGHT_LOCK",
    )
    assert not done.is_moving


def test_open_then_automatic_relatch() -> None:
    opening = run(NIGHT, ev("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 0))
    assert (opening.motion, opening.target) == (Motion.OPENING, BoltState.OPEN)
    opened = run(opening, ev("STATE_CHANGED_OPEN", 0))
    assert (opened.bolt_state, opened.key_id, opened.source) == (
        BoltState.OPEN,
        0,
        EventSource.REMOTE,
    )
    relatched = run(opened, ev("STATE_CHANGED_LATCH", 255))
    assert (relatched.bolt_state, relatched.key_id, relatched.source) == (
        BoltState.DAY_LOCK,
        None,
        EventSource.AUTOMATIC,
    )


def test_manual_knob_turn_is_manual() -> None:
    state = run(DAY, ev("STATE_CHANGED_NIGHT_LOCK", 255))
    assert (state.bolt_state, state.key_id, state.source) == (
        BoltState.NIGHT_LOCK,
        None,
        EventSource.MANUAL,
    )


def test_keyless_end_of_motion_keeps_the_motions_source() -> None:
    state = run(
        NIGHT,
        ev("GO_TO_STATE_TWIST_ASSIST_LATCH", 255),
        ev("STATE_CHANGED_LATCH", 255),
    )
    assert (state.bolt_state, state.source, state.key_id) == (
        BoltState.DAY_LOCK,
        EventSource.TWIST_ASSIST,
        None,
    )
    app = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK", 7), ev("STATE_CHANGED_NIGHT_LOCK"))
    assert (app.source, app.key_id) == (EventSource.APP_BLE, 7)


def test_keypad_and_touch_to_open() -> None:
    keypad = run(NIGHT, ev("GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN", 12))
    assert (keypad.motion, keypad.source, keypad.key_id) == (
        Motion.OPENING,
        EventSource.KEYPAD_PIN,
        12,
    )
    touch = run(keypad, ev("STATE_CHANGED_OPEN", 12))
    assert touch.source is EventSource.KEYPAD_PIN


def test_different_key_on_reached_state_takes_the_event_source() -> None:
    state = run(
        DAY,
        ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5),
        ev("STATE_CHANGED_NIGHT_LOCK_REMOTE", 6),
    )
    assert (state.key_id, state.source) == (6, EventSource.REMOTE)
    plain = run(
        DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5), ev("STATE_CHANGED_NIGHT_LOCK", 6)
    )
    assert (plain.key_id, plain.source) == (6, EventSource.UNKNOWN)


def test_reached_state_without_going_to_event() -> None:
    state = run(DAY, ev("STATE_CHANGED_NIGHT_LOCK", 9))
    assert (state.bolt_state, state.key_id, state.source) == (
        BoltState.NIGHT_LOCK,
        9,
        EventSource.UNKNOWN,
    )


def test_command_for_current_state_starts_no_motion() -> None:
    state = run(NIGHT, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5))
    assert state.motion is None
    assert state.bolt_state is BoltState.NIGHT_LOCK
    assert (state.key_id, state.source) == (5, EventSource.REMOTE)


def test_going_to_the_current_state_ends_a_superseded_motion() -> None:
    # Lock, then at once unlock: the lock goes back to day lock and reports only the going-to.
    moving = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5))
    again = run(moving, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 5))
    assert (again.bolt_state, again.motion, again.target) == (BoltState.DAY_LOCK, None, None)
    assert not again.is_moving


def test_touch_to_lock_is_a_going_to_event() -> None:
    state = run(DAY, ev("GO_TO_STATE_TOUCH_TO_LOCK", 3))
    assert (state.motion, state.target, state.source) == (
        Motion.LOCKING,
        BoltState.NIGHT_LOCK,
        EventSource.TOUCH_TO_LOCK,
    )


@pytest.mark.parametrize(
    ("event_type", "bolt"),
    [
        ("STATE_CHANGED_OPEN_REMOTE", BoltState.OPEN),
        ("STATE_CHANGED_LATCH_REMOTE", BoltState.DAY_LOCK),
        ("STATE_CHANGED_NIGHT_LOCK_REMOTE", BoltState.NIGHT_LOCK),
    ],
)
def test_remote_reached_states(event_type: str, bolt: BoltState) -> None:
    state = run(LockState(), ev(event_type, 4))
    assert (state.bolt_state, state.source, state.key_id) == (bolt, EventSource.REMOTE, 4)


def test_motor_stall_then_unknown_stays_jammed() -> None:
    moving = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 1))
    stalled = run(moving, ev("MOTOR_STALL", 1))
    assert stalled.jammed
    assert stalled.motion is None
    assert stalled.bolt_state is BoltState.UNKNOWN
    assert (stalled.key_id, stalled.source) == (1, EventSource.REMOTE)
    after = run(stalled, ev("STATE_CHANGED_UNKNOWN", 255))
    assert after.jammed
    assert (after.key_id, after.source) == (None, EventSource.AUTOMATIC)
    recovered = run(after, ev("STATE_CHANGED_LATCH", 255))
    assert not recovered.jammed
    assert recovered.bolt_state is BoltState.DAY_LOCK


def test_keyless_stall_without_motion_is_automatic() -> None:
    state = run(DAY, ev("MOTOR_STALL", 255))
    assert state.jammed
    assert (state.key_id, state.source) == (None, EventSource.AUTOMATIC)


def test_going_to_clears_jammed() -> None:
    stalled = run(DAY, ev("MOTOR_STALL", 1))
    retry = run(stalled, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 1))
    assert not retry.jammed
    assert retry.motion is Motion.LOCKING


def test_unknown_state_without_stall_is_manual_and_not_jammed() -> None:
    state = run(DAY, ev("STATE_CHANGED_UNKNOWN", 255))
    assert (state.bolt_state, state.jammed, state.source) == (
        BoltState.UNKNOWN,
        False,
        EventSource.MANUAL,
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"battery_type": "ALKALINE", "battery_percentage": 50},
        {"wifi_strength": 40, "ble_strength": -1},
        {"event_type": "DOOR_BELL"},
        {},
    ],
)
def test_non_lock_events_change_nothing(payload: dict[str, Any]) -> None:
    moving = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5))
    assert reduce_state(moving, parse_event(payload)) is moving


def test_from_status() -> None:
    status = BridgeStatus.from_dict({"bolt_state": "night_lock"})
    assert LockState.from_status(status) == NIGHT
    previous = run(DAY, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5))
    state = LockState.from_status(status, previous)
    assert state == LockState(
        bolt_state=BoltState.NIGHT_LOCK,
        key_id=5,
        source=EventSource.REMOTE,
        event_type="GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",
    )


def test_from_status_keeps_jammed_only_while_unknown() -> None:
    jammed = run(DAY, ev("MOTOR_STALL", 1))
    unknown = BridgeStatus.from_dict({"bolt_state": "unknown"})
    assert LockState.from_status(unknown, jammed).jammed
    day = BridgeStatus.from_dict({"bolt_state": "day_lock"})
    assert not LockState.from_status(day, jammed).jammed


@pytest.mark.parametrize(
    ("action", "target"),
    [
        (LockAction.OPEN, BoltState.OPEN),
        (LockAction.UNLOCK, BoltState.DAY_LOCK),
        (LockAction.LOCK, BoltState.NIGHT_LOCK),
    ],
)
def test_target_state(action: LockAction, target: BoltState) -> None:
    assert target_state(action) is target
    assert SentCommand(action, 5, 0).target is target


@pytest.mark.parametrize(
    ("action", "event", "confirms"),
    [
        (LockAction.OPEN, ev("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 5), True),
        (LockAction.OPEN, ev("GO_TO_STATE_INSTANTOPEN_OPEN", 5), True),
        (LockAction.OPEN, ev("GO_TO_STATE_INSTANTOPEN_OPEN", 6), False),
        (LockAction.OPEN, ev("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 255), False),
        (LockAction.OPEN, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 5), False),
        (LockAction.UNLOCK, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 5), True),
        (LockAction.LOCK, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5), True),
        (LockAction.LOCK, ev("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", "5"), True),
        (LockAction.LOCK, ev("STATE_CHANGED_NIGHT_LOCK", 5), True),
        (LockAction.LOCK, ev("STATE_CHANGED_NIGHT_LOCK_REMOTE", 5), True),
        (LockAction.LOCK, ev("STATE_CHANGED_NIGHT_LOCK", 255), False),
        (LockAction.LOCK, ev("STATE_CHANGED_LATCH", 5), False),
        (LockAction.LOCK, ev("MOTOR_STALL", 5), False),
        (LockAction.LOCK, parse_event({"battery_percentage": 5}), False),
    ],
)
def test_confirms_command(action: LockAction, event: LoqedEvent, confirms: bool) -> None:
    assert confirms_command(SentCommand(action, 5, 1767225600), event) is confirms


LOCK_EVENTS = st.builds(
    ev,
    st.sampled_from(sorted(EVENT_TABLE)),
    st.sampled_from([0, 5, 250, 255, None, ""]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(LOCK_EVENTS, max_size=12))
def test_reducer_invariants(events: list[LoqedEvent]) -> None:
    state = LockState()
    for event in events:
        state = reduce_state(state, event)
        # a motion always has a target different from where the bolt is
        assert (state.motion is None) == (state.target is None)
        if state.motion is not None:
            assert state.target is not state.bolt_state
        # jammed only while the bolt position is unknown
        if state.jammed:
            assert state.bolt_state is BoltState.UNKNOWN
        assert state.event_type == getattr(event, "event_type", None)


@pytest.mark.parametrize(
    ("event_type", "motion"),
    [
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", Motion.LOCKING),
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", Motion.UNLOCKING),
        ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", Motion.OPENING),
    ],
)
def test_motion_towards_names_the_motion_the_reducer_shows(event_type: str, motion: Motion) -> None:
    event = ev(event_type, 3)
    state = reduce_state(LockState(bolt_state=BoltState.UNKNOWN), event)
    assert motion_towards(state.target or BoltState.UNKNOWN) is motion
    assert state.motion is motion


def test_no_motion_towards_an_unknown_state() -> None:
    assert motion_towards(BoltState.UNKNOWN) is None
