"""One device per lock, found by its bridge's MAC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.loqed_bridge.const import DOMAIN

from . import make_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge


async def test_the_lock_is_one_device_with_the_bridge_mac(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    mac = emulator.macs.wifi
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, mac)})
    assert device is not None
    assert device.name == "Front door"
    assert device.manufacturer == "LOQED"
    assert device.model == "LOQED Touch Smart Lock"
    assert device.configuration_url == "https://app.loqed.com"
    assert device.connections == {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(mac))}
    entity = er.async_get(hass).async_get("lock.front_door")
    assert entity is not None
    assert entity.unique_id == f"{mac}-lock"
    assert entity.device_id == device.id


async def test_an_entry_with_another_kind_of_unique_id_still_gets_a_device(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, unique_id=None)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None
    assert device.connections == set()
