"""Binary sensors: the lock's link to the bridge, and whether push works."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import snapshot_platform

from . import make_entry, setup_integration, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

CONNECTED = "binary_sensor.front_door_connected_to_the_bridge"
PUSH = "binary_sensor.front_door_bridge_push_updates"


async def test_binary_sensor_snapshot(
    hass: HomeAssistant,
    enable_all_entities: None,
    fixed_bridge: EmulatedBridge,
    ha_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    entry = make_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.BINARY_SENSOR])
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)


async def test_the_lock_link_follows_the_bridge(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    assert state_of(hass, CONNECTED).state == "on"
    emulator.lose_link()
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, CONNECTED).state == "off"
    assert state_of(hass, "lock.front_door").state == "unavailable"
    emulator.regain_link()
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, CONNECTED).state == "on"


async def test_push_is_a_problem_while_our_registration_is_missing(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    assert state_of(hass, PUSH).state == "off"
    emulator.registry.clear()
    await emulator.set_bridge_down(down=True)
    coordinator.bridge.status_retries = 1
    await coordinator.async_reconcile()
    await hass.async_block_till_done()
    assert state_of(hass, PUSH).state == "unavailable"  # the bridge is gone altogether
    await emulator.set_bridge_down(down=False)
    await coordinator.async_refresh()  # back, but our registration is not there
    await hass.async_block_till_done()
    assert not coordinator.registrar.state.registered
    assert state_of(hass, PUSH).state == "on"
    await coordinator.async_reconcile()
    await hass.async_block_till_done()
    assert state_of(hass, PUSH).state == "off"
