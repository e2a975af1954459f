"""Contract: every webhook family of the emulator, verified and parsed by aioloqed's receiver."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from tests.emulator.contract_helpers import Listener, listen
from tests.emulator.helpers import WAIT

from aioloqed import (
    BatteryEvent,
    BatteryType,
    BoltState,
    EventSource,
    GoingToStateEvent,
    LockState,
    LoqedEvent,
    OnlineStatusEvent,
    StateReachedEvent,
    VerifiedWebhook,
    WebhookTrigger,
    confirms_command,
    reduce_state,
)
from loqed_emulator import BoltState as EmulatedState, EmulatedBridge

if TYPE_CHECKING:
    from aioloqed import LoqedBridge


async def events(listener: Listener, count: int) -> list[LoqedEvent]:
    results = await listener.take(count)
    verified = [result for result in results if isinstance(result, VerifiedWebhook)]
    assert len(verified) == count, results
    for result in verified:
        assert abs(result.skew) < 5
    return [result.event for result in verified]


def describe(items: list[LoqedEvent]) -> list[tuple[str, str, int | None, EventSource]]:
    described = []
    for event in items:
        assert isinstance(event, GoingToStateEvent | StateReachedEvent)
        state = event.target if isinstance(event, GoingToStateEvent) else event.state
        described.append((type(event).__name__, state.value, event.key_id, event.source))
    return described


def reduce_all(state: LockState, items: list[LoqedEvent]) -> LockState:
    for event in items:
        state = reduce_state(state, event)
    return state


async def test_remote_open_sequence(client: LoqedBridge, listener: Listener) -> None:
    sent = await client.open()
    received = await events(listener, 3)
    assert describe(received) == [
        ("GoingToStateEvent", "open", 5, EventSource.REMOTE),
        ("StateReachedEvent", "open", 5, EventSource.UNKNOWN),
        ("StateReachedEvent", "day_lock", None, EventSource.MANUAL),
    ]
    assert confirms_command(sent, received[0])
    for event in received:
        assert (event.mac_wifi, event.mac_ble) == ("aabbccddeeff", "aabbccddef01")
    state = reduce_all(LockState(bolt_state=BoltState.NIGHT_LOCK), received[:2])
    assert (state.bolt_state, state.key_id, state.source) == (
        BoltState.OPEN,
        5,
        EventSource.REMOTE,
    )
    state = reduce_state(state, received[2])
    assert (state.bolt_state, state.source, state.motion) == (
        BoltState.DAY_LOCK,
        EventSource.AUTOMATIC,
        None,
    )


async def test_remote_lock_and_unlock(client: LoqedBridge, listener: Listener) -> None:
    sent = await client.unlock()
    received = await events(listener, 2)
    assert confirms_command(sent, received[0])
    moving = reduce_state(LockState(bolt_state=BoltState.NIGHT_LOCK), received[0])
    assert moving.is_moving
    assert reduce_state(moving, received[1]).bolt_state is BoltState.DAY_LOCK
    sent = await client.lock()
    received = await events(listener, 2)
    assert confirms_command(sent, received[0])
    assert describe(received)[1] == ("StateReachedEvent", "night_lock", 5, EventSource.UNKNOWN)


async def test_command_for_current_state_only_goes_to(
    bridge: EmulatedBridge, client: LoqedBridge, listener: Listener
) -> None:
    await client.lock()
    (going,) = await events(listener, 1)
    assert isinstance(going, GoingToStateEvent)
    assert going.target is BoltState.NIGHT_LOCK
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()
    bridge.report_battery()
    (battery,) = await events(listener, 1)
    assert isinstance(battery, BatteryEvent)  # nothing came in between
    state = reduce_state(LockState(bolt_state=BoltState.NIGHT_LOCK), going)
    assert (state.bolt_state, state.motion) == (BoltState.NIGHT_LOCK, None)


@pytest.mark.parametrize(
    ("operate", "event_type", "key_id", "source"),
    [
        (
            "keypad_pin",
            "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN",
            5,
            EventSource.KEYPAD_PIN,
        ),
        (
            "press_outside_button",
            "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON",
            None,
            EventSource.OUTSIDE_BUTTON,
        ),
        ("touch_to_open", "GO_TO_STATE_INSTANTOPEN_OPEN", 5, EventSource.TOUCH_TO_OPEN),
        ("auto_unlock", "GO_TO_STATE_INSTANTOPEN_LATCH", 5, EventSource.AUTO_UNLOCK),
        ("touch_to_lock", "GO_TO_STATE_TOUCH_TO_LOCK", None, EventSource.TOUCH_TO_LOCK),
    ],
)
async def test_manual_operations_with_fixed_target(
    *,
    bridge: EmulatedBridge,
    listener: Listener,
    operate: str,
    event_type: str,
    key_id: int | None,
    source: EventSource,
) -> None:
    if operate == "touch_to_lock":
        bridge.turn_knob(EmulatedState.DAY_LOCK)
        await events(listener, 1)
    getattr(bridge, operate)()
    (first,) = await events(listener, 1)
    assert isinstance(first, GoingToStateEvent | StateReachedEvent)
    assert (first.event_type, first.key_id, first.source) == (event_type, key_id, source)


@pytest.mark.parametrize(
    ("target", "event_type"),
    [
        (EmulatedState.OPEN, "GO_TO_STATE_TWIST_ASSIST_OPEN"),
        (EmulatedState.DAY_LOCK, "GO_TO_STATE_TWIST_ASSIST_LATCH"),
    ],
)
async def test_twist_assist(
    bridge: EmulatedBridge, listener: Listener, target: EmulatedState, event_type: str
) -> None:
    bridge.twist_assist(target)
    first, reached = await events(listener, 2)
    assert isinstance(first, GoingToStateEvent)
    assert (first.event_type, first.key_id, first.source) == (
        event_type,
        None,
        EventSource.TWIST_ASSIST,
    )
    assert isinstance(reached, StateReachedEvent)
    assert reached.state.value == target.status_name


@pytest.mark.parametrize(
    ("target", "event_type"),
    [
        (EmulatedState.OPEN, "GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN"),
        (EmulatedState.DAY_LOCK, "GO_TO_STATE_MANUAL_LOCK_BLE_LATCH"),
    ],
)
async def test_app_over_bluetooth(
    bridge: EmulatedBridge, listener: Listener, target: EmulatedState, event_type: str
) -> None:
    bridge.app_ble(target, key_id=12)
    first, reached = await events(listener, 2)
    assert isinstance(first, GoingToStateEvent)
    assert (first.event_type, first.key_id, first.source) == (event_type, 12, EventSource.APP_BLE)
    state = reduce_all(LockState(bolt_state=BoltState.NIGHT_LOCK), [first, reached])
    assert (state.key_id, state.source) == (12, EventSource.APP_BLE)


async def test_knob(bridge: EmulatedBridge, listener: Listener) -> None:
    bridge.turn_knob(EmulatedState.DAY_LOCK)
    (reached,) = await events(listener, 1)
    assert isinstance(reached, StateReachedEvent)
    assert (reached.state, reached.key_id, reached.source) == (
        BoltState.DAY_LOCK,
        None,
        EventSource.MANUAL,
    )


async def test_motor_stall(bridge: EmulatedBridge, client: LoqedBridge, listener: Listener) -> None:
    await bridge.set_faults(motor_stall_next=True)
    await client.unlock()
    received = await events(listener, 3)
    stall, unknown = received[1], received[2]
    assert isinstance(stall, StateReachedEvent)
    assert stall.motor_stall
    assert stall.key_id == 5
    assert isinstance(unknown, StateReachedEvent)
    assert (unknown.state, unknown.key_id) == (BoltState.UNKNOWN, None)
    state = reduce_all(LockState(bolt_state=BoltState.NIGHT_LOCK), received)
    assert state.jammed
    assert state.bolt_state is BoltState.UNKNOWN
    assert (await client.status()).bolt_state is BoltState.UNKNOWN


async def test_battery(bridge: EmulatedBridge, listener: Listener) -> None:
    from loqed_emulator import BatteryType as EmulatedBattery

    bridge.set_battery(33, EmulatedBattery.LITHIUM)
    (event,) = await events(listener, 1)
    assert isinstance(event, BatteryEvent)
    assert (event.battery_type, event.battery_percentage) == (BatteryType.LITHIUM, 33)


async def test_online_status(bridge: EmulatedBridge, listener: Listener) -> None:
    bridge.lose_link()
    bridge.report_battery()
    offline, battery = await events(listener, 2)
    assert isinstance(offline, OnlineStatusEvent)
    assert (offline.lock_online, offline.ble_strength, offline.wifi_strength) == (False, None, 62)
    assert isinstance(battery, BatteryEvent)
    assert battery.battery_percentage is None
    bridge.regain_link()
    online, battery = await events(listener, 2)
    assert isinstance(online, OnlineStatusEvent)
    assert (online.lock_online, online.ble_strength) == (True, 91)
    assert isinstance(battery, BatteryEvent)
    assert battery.battery_percentage == 87


async def test_trigger_selection(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    only_battery = await listen(client, WebhookTrigger.BATTERY)
    try:
        bridge.turn_knob(EmulatedState.DAY_LOCK)
        bridge.report_battery()
        (result,) = await only_battery.take(1)
        assert isinstance(result, VerifiedWebhook)
        assert isinstance(result.event, BatteryEvent)
    finally:
        await only_battery.receiver.stop()
