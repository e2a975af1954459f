"""The lock's state machine on its own: sequences of protocol 4.5, timing, stalls, battery."""

from __future__ import annotations

import asyncio

import pytest

from loqed_emulator.lock import (
    BatteryType,
    BoltState,
    EventKind,
    Lock,
    LockEvent,
    Source,
    cell_voltage,
    drain,
)


def make_lock(
    *,
    state: BoltState = BoltState.NIGHT_LOCK,
    motor_time: float = 0.0,
    relatch_time: float = 0.01,
    stall: list[bool] | None = None,
    battery: float = 80.0,
) -> tuple[Lock, list[LockEvent]]:
    events: list[LockEvent] = []
    stalls = stall if stall is not None else []
    lock = Lock(
        emit=events.append,
        motor_time=motor_time,
        relatch_time=relatch_time,
        bolt_state=state,
        battery_percentage=battery,
        should_stall=lambda: stalls.pop(0) if stalls else False,
    )
    return lock, events


def summary(events: list[LockEvent]) -> list[tuple[str, int]]:
    return [(event.event_type, event.key_id) for event in events]


def busy(lock: Lock) -> bool:
    return lock.busy


def state_of(lock: Lock) -> BoltState:
    return lock.bolt_state


def relatch_pending(lock: Lock) -> bool:
    return lock.relatch_pending


async def settle(lock: Lock) -> None:
    async with asyncio.timeout(2):
        await lock.wait_at_rest()


async def test_remote_lock_sequence() -> None:
    lock, events = make_lock(state=BoltState.DAY_LOCK)
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    assert summary(events) == [("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5)]
    assert busy(lock)
    assert state_of(lock) == BoltState.DAY_LOCK
    await settle(lock)
    assert summary(events)[1:] == [("STATE_CHANGED_NIGHT_LOCK", 5)]
    assert state_of(lock) == BoltState.NIGHT_LOCK
    assert not busy(lock)
    assert events[0].kind is EventKind.GOING_TO
    assert events[1].kind is EventKind.REACHED


async def test_open_relatches_by_itself_with_key_255() -> None:
    lock, events = make_lock()
    lock.operate(BoltState.OPEN, Source.REMOTE, 5)
    await settle(lock)
    assert summary(events) == [
        ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 5),
        ("STATE_CHANGED_OPEN", 5),
        ("STATE_CHANGED_LATCH", 255),
    ]
    assert events[-1].source is Source.AUTOMATIC
    assert state_of(lock) == BoltState.DAY_LOCK


async def test_command_for_current_state_gives_only_go_to() -> None:
    lock, events = make_lock(state=BoltState.NIGHT_LOCK)
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    assert lock.motion is None
    await settle(lock)
    assert summary(events) == [("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5)]


async def test_motor_time_delays_the_reached_state() -> None:
    lock, events = make_lock(state=BoltState.NIGHT_LOCK, motor_time=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    lock.operate(BoltState.DAY_LOCK, Source.APP_BLE, 3)
    await asyncio.sleep(0)
    assert len(events) == 1
    await settle(lock)
    assert loop.time() - started >= 0.045
    assert summary(events) == [
        ("GO_TO_STATE_MANUAL_LOCK_BLE_LATCH", 3),
        ("STATE_CHANGED_LATCH", 3),
    ]


async def test_motor_stall_then_unknown() -> None:
    lock, events = make_lock(state=BoltState.DAY_LOCK, stall=[True])
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    await settle(lock)
    assert summary(events) == [
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", 5),
        ("MOTOR_STALL", 5),
        ("STATE_CHANGED_UNKNOWN", 255),
    ]
    assert state_of(lock) == BoltState.UNKNOWN
    assert lock.jammed
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    await settle(lock)
    assert state_of(lock) == BoltState.NIGHT_LOCK
    assert not lock.jammed


async def test_flat_battery_stalls() -> None:
    lock, events = make_lock(state=BoltState.DAY_LOCK, battery=0.0)
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    await settle(lock)
    assert [e.event_type for e in events][1] == "MOTOR_STALL"


async def test_new_operation_supersedes_a_run() -> None:
    lock, events = make_lock(state=BoltState.NIGHT_LOCK, motor_time=0.2)
    lock.operate(BoltState.DAY_LOCK, Source.REMOTE, 5)
    lock.operate(BoltState.OPEN, Source.REMOTE, 6)
    await settle(lock)
    assert summary(events) == [
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 5),
        ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 6),
        ("STATE_CHANGED_OPEN", 6),
        ("STATE_CHANGED_LATCH", 255),
    ]


async def test_command_while_open_cancels_relatch() -> None:
    lock, events = make_lock(state=BoltState.DAY_LOCK, relatch_time=5.0)
    lock.operate(BoltState.OPEN, Source.REMOTE, 5)
    while lock.bolt_state is not BoltState.OPEN:
        await asyncio.sleep(0)
    assert relatch_pending(lock)
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    assert not relatch_pending(lock)
    await settle(lock)
    assert summary(events)[-1] == ("STATE_CHANGED_NIGHT_LOCK", 5)


async def test_knob_has_no_go_to_and_key_255() -> None:
    lock, events = make_lock(state=BoltState.NIGHT_LOCK)
    lock.turn_knob(BoltState.DAY_LOCK)
    assert summary(events) == [("STATE_CHANGED_LATCH", 255)]
    lock.turn_knob(BoltState.OPEN)
    await settle(lock)
    assert summary(events)[1:] == [("STATE_CHANGED_OPEN", 255), ("STATE_CHANGED_LATCH", 255)]
    assert events[1].source is Source.KNOB


@pytest.mark.parametrize(
    ("source", "target", "event_type"),
    [
        (Source.KEYPAD_PIN, BoltState.OPEN, "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN"),
        (
            Source.OUTSIDE_BUTTON,
            BoltState.OPEN,
            "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON",
        ),
        (Source.TOUCH_TO_OPEN, BoltState.OPEN, "GO_TO_STATE_INSTANTOPEN_OPEN"),
        (Source.AUTO_UNLOCK, BoltState.DAY_LOCK, "GO_TO_STATE_INSTANTOPEN_LATCH"),
        (Source.TWIST_ASSIST, BoltState.OPEN, "GO_TO_STATE_TWIST_ASSIST_OPEN"),
        (Source.TWIST_ASSIST, BoltState.DAY_LOCK, "GO_TO_STATE_TWIST_ASSIST_LATCH"),
        (Source.TWIST_ASSIST, BoltState.NIGHT_LOCK, "GO_TO_STATE_TWIST_ASSIST_LOCK"),
        (Source.TOUCH_TO_LOCK, BoltState.NIGHT_LOCK, "GO_TO_STATE_TOUCH_TO_LOCK"),
        (Source.APP_BLE, BoltState.OPEN, "GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN"),
        (Source.APP_BLE, BoltState.NIGHT_LOCK, "GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK"),
    ],
)
async def test_event_types_per_source(source: Source, target: BoltState, event_type: str) -> None:
    lock, events = make_lock(state=BoltState.UNKNOWN)
    lock.operate(target, source, 9)
    await settle(lock)
    assert events[0].event_type == event_type
    assert events[0].state is target


def test_source_cannot_reach_every_state() -> None:
    lock, events = make_lock()
    with pytest.raises(ValueError, match="touch_to_lock cannot move the lock to open"):
        lock.operate(BoltState.OPEN, Source.TOUCH_TO_LOCK)
    assert events == []


async def test_close_cancels_timers() -> None:
    lock, _ = make_lock(state=BoltState.DAY_LOCK, motor_time=10)
    lock.operate(BoltState.OPEN, Source.REMOTE, 5)
    assert lock.busy
    await lock.close()
    assert not lock.busy


async def test_motor_run_drains_battery() -> None:
    lock, _ = make_lock(state=BoltState.DAY_LOCK, battery=50.0)
    lock.operate(BoltState.NIGHT_LOCK, Source.REMOTE, 5)
    await settle(lock)
    assert lock.battery_percentage < 50.0


def test_battery_voltage_model() -> None:
    assert cell_voltage(BatteryType.NICKEL_METAL_HYDRIDE, 100) > cell_voltage(
        BatteryType.NICKEL_METAL_HYDRIDE, 0
    )
    assert cell_voltage(BatteryType.LITHIUM, 50) > cell_voltage(BatteryType.ALKALINE, 50)
    assert cell_voltage(BatteryType.ALKALINE, 150) == cell_voltage(BatteryType.ALKALINE, 100)
    lock, _ = make_lock(battery=78)
    assert 10.0 < lock.battery_voltage < 11.0
    assert drain(0.1, 0.2) == 0.0


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("open", BoltState.OPEN),
        ("DAY_LOCK", BoltState.DAY_LOCK),
        (" night_lock", BoltState.NIGHT_LOCK),
    ],
)
def test_state_parse(text: str, state: BoltState) -> None:
    assert BoltState.parse(text) is state


@pytest.mark.parametrize("text", ["unknown", "locked", ""])
def test_state_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="state must be one of"):
        BoltState.parse(text)


@pytest.mark.parametrize(
    ("text", "battery_type"),
    [
        ("nimh", BatteryType.NICKEL_METAL_HYDRIDE),
        ("Alkaline", BatteryType.ALKALINE),
        ("2", BatteryType.LITHIUM),
        ("unknown", BatteryType.UNKNOWN),
    ],
)
def test_battery_type_parse(text: str, battery_type: BatteryType) -> None:
    assert BatteryType.parse(text) is battery_type


@pytest.mark.parametrize("text", ["9", "lead", ""])
def test_battery_type_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="battery type must be one of"):
        BatteryType.parse(text)
