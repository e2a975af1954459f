"""Two devices per entry: the bridge (both MACs) and the lock behind it; stale ones go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.loqed_bridge import async_migrate_entry, async_remove_config_entry_device
from custom_components.loqed_bridge.const import DOMAIN

from . import entry_state, make_entry, setup_integration

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

    from loqed_emulator import EmulatedBridge


def devices_of(hass: HomeAssistant, entry: MockConfigEntry) -> list[dr.DeviceEntry]:
    return dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)


async def test_the_bridge_and_the_lock_are_two_linked_devices(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    mac, ble = emulator.macs.wifi, emulator.macs.ble
    registry = dr.async_get(hass)
    bridge = registry.async_get_device(identifiers={(DOMAIN, mac)})
    lock = registry.async_get_device(identifiers={(DOMAIN, f"{mac}-lock")})
    assert bridge is not None
    assert lock is not None
    assert (bridge.name, bridge.model, bridge.manufacturer) == (
        "Front door bridge",
        "LOQED Bridge",
        "LOQED",
    )
    assert bridge.connections == {
        (dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac)),
        (dr.CONNECTION_BLUETOOTH, dr.format_mac(ble).upper()),
    }
    assert bridge.configuration_url == "https://app.loqed.com"
    assert (lock.name, lock.model, lock.via_device_id) == (
        "Front door",
        "LOQED Touch Smart Lock",
        bridge.id,
    )
    assert lock.configuration_url == "https://app.loqed.com"
    assert len(devices_of(hass, init_integration)) == 2

    entities = er.async_get(hass)
    on_lock = {e.entity_id for e in er.async_entries_for_device(entities, lock.id, True)}
    on_bridge = {e.entity_id for e in er.async_entries_for_device(entities, bridge.id, True)}
    assert on_lock == {
        "lock.front_door",
        "event.front_door_lock_operation",
        "sensor.front_door_battery",
        "sensor.front_door_battery_type",
        "sensor.front_door_battery_voltage",
        "sensor.front_door_bluetooth_signal",
        "binary_sensor.front_door_connected_to_the_bridge",
    }
    assert on_bridge == {
        "sensor.front_door_bridge_wi_fi_signal",
        "sensor.front_door_bridge_last_push_received",
        "binary_sensor.front_door_bridge_push_updates",
        "button.front_door_bridge_relay_pulse_experimental",
    }
    entity = entities.async_get("lock.front_door")
    assert entity is not None
    assert entity.unique_id == f"{mac}-lock"


async def test_an_entry_without_a_mac_still_gets_both_devices(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, unique_id=None)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    bridge = registry.async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert bridge is not None
    # Only the Bluetooth MAC from the status: the identifier is not a MAC.
    assert {kind for kind, _ in bridge.connections} == {dr.CONNECTION_BLUETOOTH}
    assert registry.async_get_device(identifiers={(DOMAIN, f"{entry.entry_id}-lock")})


async def test_a_device_that_is_not_ours_any_more_is_removed_at_setup(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    stale = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, "c44f33000000")}
    )
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, "c44f33000000-battery", config_entry=entry, device_id=stale.id
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(stale.id) is None
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, "c44f33000000-battery") is None
    assert len(devices_of(hass, entry)) == 2


@pytest.fixture
async def config_api(hass: HomeAssistant) -> None:
    """The config API, set up before Home Assistant's HTTP server starts."""
    assert await async_setup_component(hass, "websocket_api", {})
    assert await async_setup_component(hass, "config", {})


async def test_only_stale_devices_can_be_deleted_by_hand(
    hass: HomeAssistant,
    config_api: None,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    registry = dr.async_get(hass)
    stale = registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "elsewhere")}
    )
    client = await hass_ws_client(hass)
    for device in devices_of(hass, init_integration):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is (device.id == stale.id), device.identifiers
    assert registry.async_get(stale.id) is None
    assert len(devices_of(hass, init_integration)) == 2
    bridge = registry.async_get_device(identifiers={(DOMAIN, emulator.macs.wifi)})
    assert bridge is not None
    assert not await async_remove_config_entry_device(hass, init_integration, bridge)


async def test_the_old_single_device_becomes_the_lock_and_keeps_its_area(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    """Version 1.1 had one device (the lock) under the bridge's identifier and MAC."""
    mac = emulator.macs.wifi
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, minor_version=1)
    registry = dr.async_get(hass)
    hall = ar.async_get(hass).async_create("Hall")
    old = registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, mac)},
        connections={(dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac))},
        name="Front door",
    )
    registry.async_update_device(old.id, area_id=hall.id, name_by_user="Voordeur")
    er.async_get(hass).async_get_or_create(
        "lock",
        DOMAIN,
        f"{mac}-lock",
        config_entry=entry,
        device_id=old.id,
        suggested_object_id="front_door",
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    lock = registry.async_get(old.id)
    assert lock is not None
    assert lock.identifiers == {(DOMAIN, f"{mac}-lock")}
    assert (lock.area_id, lock.name_by_user) == (hall.id, "Voordeur")
    bridge = registry.async_get_device(identifiers={(DOMAIN, mac)})
    assert bridge is not None
    assert bridge.id != lock.id
    assert (dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac)) in bridge.connections
    entity = er.async_get(hass).async_get("lock.front_door")
    assert entity is not None
    assert entity.device_id == lock.id


async def test_migration_without_the_old_device_and_from_a_newer_version(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, minor_version=1)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert entry.minor_version == 2

    future = MockConfigEntry(
        domain=DOMAIN, unique_id="c44f33999999", data=dict(entry.data), version=2
    )
    await setup_integration(hass, future)
    assert entry_state(future) is ConfigEntryState.MIGRATION_ERROR


async def test_migration_leaves_a_current_entry_alone(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    devices = {device.id for device in devices_of(hass, init_integration)}
    assert await async_migrate_entry(hass, init_integration)
    assert init_integration.minor_version == 2
    assert {device.id for device in devices_of(hass, init_integration)} == devices
