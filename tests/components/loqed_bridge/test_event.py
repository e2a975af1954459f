"""The "Lock operation" event entity: who opened the door, and how."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import TYPE_CHECKING, Any

from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import Event, EventStateChangedData, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    snapshot_platform,
)

from loqed_emulator import BoltState

from . import WEBHOOK_ID, lock_payload, make_entry, post_signed, setup_integration, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

EVENT = "event.front_door_lock_operation"

type Fired = list[tuple[str, str | None, int | None, str | None]]


def record(hass: HomeAssistant) -> Fired:
    """Collect (event type, source, key id, key name) of every event the entity fires."""
    fired: Fired = []
    seen: set[str] = set()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if event.data["entity_id"] != EVENT or new is None:
            return
        if new.state in (STATE_UNKNOWN, STATE_UNAVAILABLE) or new.state in seen:
            return  # no event, or the same one again (restored after a reload)
        seen.add(new.state)
        attributes = new.attributes
        fired.append(
            (
                attributes["event_type"],
                attributes["source"],
                attributes["key_id"],
                attributes["key_name"],
            )
        )

    hass.bus.async_listen("state_changed", changed)
    return fired


async def settle(hass: HomeAssistant, bridge: EmulatedBridge) -> None:
    await bridge.wait_settled()
    await hass.async_block_till_done()


@pytest.fixture
async def named_keys(hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str) -> MockConfigEntry:
    """An entry whose options name key 3 and key 12."""
    entry = make_entry(emulator, options={"key_names": {"3": "Anna's phone", "12": "Keypad Bob"}})
    await setup_integration(hass, entry)
    return entry


async def test_nothing_is_fired_at_setup(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = state_of(hass, EVENT)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == [
        "locked",
        "unlocked",
        "opened",
        "jammed",
        "locking",
        "unlocking",
        "opening",
    ]


@pytest.mark.parametrize(
    ("operate", "expected"),
    [
        (
            lambda bridge: bridge.touch_to_open(key_id=3),
            [
                ("opening", "touch_to_open", 3, "Anna's phone"),
                ("opened", "touch_to_open", 3, "Anna's phone"),
                ("unlocked", "automatic", None, None),
            ],
        ),
        (
            lambda bridge: bridge.keypad_pin(key_id=12),
            [
                ("opening", "keypad_pin", 12, "Keypad Bob"),
                ("opened", "keypad_pin", 12, "Keypad Bob"),
                ("unlocked", "automatic", None, None),
            ],
        ),
        (
            lambda bridge: bridge.auto_unlock(key_id=7),
            [("unlocking", "auto_unlock", 7, None), ("unlocked", "auto_unlock", 7, None)],
        ),
        (
            lambda bridge: bridge.press_outside_button(),
            [
                ("opening", "outside_button", None, None),
                ("opened", "outside_button", None, None),
                ("unlocked", "automatic", None, None),
            ],
        ),
        (
            lambda bridge: bridge.app_ble(BoltState.DAY_LOCK, key_id=3),
            [
                ("unlocking", "app_ble", 3, "Anna's phone"),
                ("unlocked", "app_ble", 3, "Anna's phone"),
            ],
        ),
        (
            lambda bridge: bridge.twist_assist(BoltState.DAY_LOCK),
            [("unlocking", "twist_assist", None, None), ("unlocked", "twist_assist", None, None)],
        ),
        (
            lambda bridge: bridge.turn_knob(BoltState.DAY_LOCK),
            [("unlocked", "manual", None, None)],
        ),
    ],
)
async def test_each_operation_says_how_and_with_which_key(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    named_keys: MockConfigEntry,
    operate: Any,
    expected: Fired,
) -> None:
    fired = record(hass)
    operate(emulator)
    await settle(hass, emulator)
    assert fired == expected


async def test_touch_to_lock_and_our_own_commands(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(bolt_state=BoltState.DAY_LOCK)
    await setup_integration(hass, make_entry(bridge))
    fired = record(hass)
    bridge.touch_to_lock()
    await settle(hass, bridge)
    await hass.services.async_call(
        "lock", "unlock", {ATTR_ENTITY_ID: "lock.front_door"}, blocking=True
    )
    await settle(hass, bridge)
    assert fired == [
        ("locking", "touch_to_lock", None, None),
        ("locked", "touch_to_lock", None, None),
        ("unlocking", "remote", 1, "Home Assistant"),
        ("unlocked", "remote", 1, "Home Assistant"),
    ]
    # The key names in the options replace the default name of our own key.
    entry = hass.config_entries.async_entries("loqed_bridge")[0]
    hass.config_entries.async_update_entry(entry, options={"key_names": {"1": "Automation"}})
    await hass.async_block_till_done(wait_background_tasks=True)
    await hass.services.async_call(
        "lock", "lock", {ATTR_ENTITY_ID: "lock.front_door"}, blocking=True
    )
    await settle(hass, bridge)
    assert fired[-1] == ("locked", "remote", 1, "Automation")
    assert state_of(hass, "lock.front_door").attributes["changed_by"] == "Automation"


async def test_a_stall_fires_jammed_once(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    fired = record(hass)
    await emulator.set_faults(motor_stall_next=True)
    emulator.app_ble(BoltState.DAY_LOCK, key_id=4)
    await settle(hass, emulator)
    # Going to day lock, then the stall; the lock's own "unknown" report after it is no event.
    assert fired == [("unlocking", "app_ble", 4, None), ("jammed", "app_ble", 4, None)]
    assert state_of(hass, "lock.front_door").state == "jammed"


async def test_a_change_only_the_status_saw_fires_with_an_unknown_source(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    fired = record(hass)
    coordinator = init_integration.runtime_data
    await emulator.set_faults(lose_next_webhooks=1)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await settle(hass, emulator)
    assert fired == []
    assert coordinator.push_healthy
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert fired == [("unlocked", "unknown", None, None)]
    assert state_of(hass, "lock.front_door").attributes["changed_by"] == "unknown"
    # Push lost a webhook: polling takes over until the next verified one.
    assert not coordinator.push_healthy
    assert state_of(hass, "binary_sensor.front_door_bridge_push_updates").state == "on"
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await settle(hass, emulator)
    assert coordinator.push_healthy
    assert state_of(hass, "binary_sensor.front_door_bridge_push_updates").state == "off"
    # Reading the status again without a change fires nothing.
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert fired == [("unlocked", "unknown", None, None), ("locked", "manual", None, None)]


async def test_unsigned_bridges_get_events_from_their_status_reads(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    fired = record(hass)
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.touch_to_open(key_id=3)
    await settle(hass, emulator)
    # A forged unsigned "opened" changes nothing by itself.
    forged = json.dumps(lock_payload(emulator, "STATE_CHANGED_OPEN", key_id=9)).encode()
    await ha_client.post(f"/api/webhook/{WEBHOOK_ID}", data=forged)
    assert fired == []
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    # The lock re-latched by the time the status was read: it is unlocked, source unknown.
    assert fired == [("unlocked", "unknown", None, None)]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(fired) == 1


async def test_events_of_a_stale_entity_are_not_fired_again(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    """A battery webhook updates the coordinator but is no operation."""
    fired = record(hass)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await settle(hass, emulator)
    await post_signed(
        ha_client,
        emulator,
        {"battery_type": "ALKALINE", "battery_percentage": 50, "mac_wifi": emulator.macs.wifi},
    )
    await hass.async_block_till_done()
    assert fired == [("unlocked", "manual", None, None)]
    # After a reload the entity starts from the coordinator's last operation, firing nothing.
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert fired == [("unlocked", "manual", None, None)]


async def test_event_snapshot(
    hass: HomeAssistant, fixed_bridge: EmulatedBridge, ha_url: str, snapshot: SnapshotAssertion
) -> None:
    entry = make_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.EVENT])
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)
