"""The lock entity as a user sees it: states, motions, who moved it, and its actions."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from homeassistant.components.lock import LockEntityFeature
from homeassistant.const import ATTR_ENTITY_ID, ATTR_SUPPORTED_FEATURES, Platform
from homeassistant.core import Context
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from loqed_emulator import BoltState

from . import lock_payload, make_entry, post_signed, setup_integration, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

ENTITY = "lock.front_door"


async def call(hass: HomeAssistant, service: str, entity_id: str = ENTITY) -> None:
    await hass.services.async_call("lock", service, {ATTR_ENTITY_ID: entity_id}, blocking=True)


@pytest.fixture
async def slow_lock(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> EmulatedBridge:
    """A lock whose motor takes a moment, so that motions can be seen."""
    bridge = await make_emulator(motor_time=0.3, relatch_time=0.3)
    await setup_integration(hass, make_entry(bridge))
    return bridge


@pytest.mark.parametrize(
    ("service", "moving", "final"),
    [("unlock", "unlocking", "unlocked"), ("open", "opening", "unlocked")],
)
async def test_actions_show_the_motion_then_the_result(
    hass: HomeAssistant, slow_lock: EmulatedBridge, service: str, moving: str, final: str
) -> None:
    seen: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: seen.append(event.data["new_state"].state),
    )
    await call(hass, service)
    # Returned as soon as the lock confirmed that it started.
    assert state_of(hass, ENTITY).state == moving
    await slow_lock.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == final
    assert state_of(hass, ENTITY).attributes["changed_by"] == (
        "Home Assistant" if service == "unlock" else "automatic"
    )
    if service == "open":
        assert "open" in seen


async def test_lock_action_from_day_lock(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(motor_time=0.3, bolt_state=BoltState.DAY_LOCK)
    await setup_integration(hass, make_entry(bridge))
    assert state_of(hass, ENTITY).state == "unlocked"
    await call(hass, "lock")
    assert state_of(hass, ENTITY).state == "locking"
    await bridge.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"


async def test_the_motion_shows_while_the_command_is_on_its_way(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(motor_time=0.2)
    await setup_integration(hass, make_entry(bridge))
    await bridge.set_faults(latency_ms=300)
    task = hass.async_create_task(call(hass, "unlock"))
    await asyncio.sleep(0.1)
    assert state_of(hass, ENTITY).state == "unlocking"
    await task
    await bridge.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "unlocked"


async def test_a_motor_stall_shows_jammed(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    await setup_integration(hass, make_entry(emulator))
    await emulator.set_faults(motor_stall_next=True)
    await call(hass, "unlock")
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "jammed"
    # The next successful move clears it.
    await call(hass, "lock")
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"


async def test_unknown_bolt_state_is_an_unknown_state(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(bolt_state=BoltState.UNKNOWN)
    await setup_integration(hass, make_entry(bridge))
    state = state_of(hass)
    assert state.state == "unknown"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == LockEntityFeature.OPEN


async def test_lock_snapshot(
    hass: HomeAssistant, fixed_bridge: EmulatedBridge, ha_url: str, snapshot: SnapshotAssertion
) -> None:
    entry = make_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.LOCK])
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)


async def test_a_door_with_a_handle_outside_offers_no_open(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    await setup_integration(hass, make_entry(emulator, options={"handle_outside": True}))
    assert state_of(hass).attributes[ATTR_SUPPORTED_FEATURES] == 0
    with pytest.raises(HomeAssistantError):
        await call(hass, "open")
    assert emulator.status()["bolt_state"] == "night_lock"
    await call(hass, "unlock")
    assert state_of(hass).state in {"unlocking", "unlocked"}


async def test_changed_by_names_the_key_else_its_number_else_the_source(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_client: HaClient
) -> None:
    entry = make_entry(emulator, options={"key_names": {"3": "Anna's phone"}})
    await setup_integration(hass, entry)
    for event_type, key_id, shown in [
        ("STATE_CHANGED_LATCH", 3, "Anna's phone"),
        ("STATE_CHANGED_NIGHT_LOCK", 4, "Key 4"),
        ("STATE_CHANGED_LATCH", 255, "manual"),  # no key: a hand on the knob
    ]:
        payload = lock_payload(emulator, event_type, key_id=key_id)
        assert await post_signed(ha_client, emulator, payload) == 200
        assert state_of(hass, ENTITY).attributes["changed_by"] == shown, event_type
    # Naming a key afterwards shows at once (options apply without a reload).
    payload = lock_payload(emulator, "STATE_CHANGED_OPEN", key_id=4)
    assert await post_signed(ha_client, emulator, payload) == 200
    assert state_of(hass, ENTITY).attributes["changed_by"] == "Key 4"
    hass.config_entries.async_update_entry(entry, options={"key_names": {"4": "Keypad"}})
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).attributes["changed_by"] == "Keypad"


async def test_a_change_at_the_door_is_not_credited_to_the_last_action(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(motor_time=0.1, bolt_state=BoltState.DAY_LOCK)
    await setup_integration(hass, make_entry(bridge))
    action = Context()
    await hass.services.async_call(
        "lock", "lock", {ATTR_ENTITY_ID: ENTITY}, blocking=True, context=action
    )
    await bridge.wait_settled()
    await hass.async_block_till_done()
    locked = state_of(hass, ENTITY)
    assert locked.state == "locked"
    # Our own command's result belongs to the action that asked for it (the logbook says so).
    assert locked.context.id == action.id
    # Within seconds, someone turns the knob: that change is not the action's doing.
    bridge.turn_knob(BoltState.DAY_LOCK)
    await bridge.wait_settled()
    await hass.async_block_till_done()
    unlocked = state_of(hass, ENTITY)
    assert unlocked.state == "unlocked"
    assert unlocked.attributes["changed_by"] == "manual"
    assert unlocked.context.id != action.id


async def test_commands_that_supersede_each_other_leave_the_right_state(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    # A motor that takes its time: each command overtakes the motion of the one before, as
    # when someone taps lock and unlock quickly (the lock only ever moves back to day lock).
    bridge = await make_emulator(motor_time=5.0, bolt_state=BoltState.DAY_LOCK)
    entry = make_entry(bridge)
    await setup_integration(hass, entry)
    await asyncio.gather(*(call(hass, service) for service in ("lock", "unlock") * 2))
    # Every command was confirmed by its own webhook: the second "lock" was not answered with
    # a copy of the first one's (same second, same bytes: a replay).
    coordinator = entry.runtime_data
    assert coordinator.commander.counters == {"push": 4}
    assert coordinator.push.counters["replay"] == 0
    # The last command took the lock back to where it was: no motion is left shown.
    assert bridge.lock.bolt_state is BoltState.DAY_LOCK
    assert state_of(hass, ENTITY).state == "unlocked"
    await bridge.wait_settled()
