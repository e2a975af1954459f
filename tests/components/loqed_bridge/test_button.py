"""The experimental relay button: disabled by default, one type 89 message per press."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from . import make_entry, setup_integration

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

RELAY = "button.front_door_bridge_relay_pulse_experimental"


async def press(hass: HomeAssistant) -> None:
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: RELAY}, blocking=True)


async def test_button_snapshot(
    hass: HomeAssistant,
    enable_all_entities: None,
    fixed_bridge: EmulatedBridge,
    ha_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    entry = make_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.BUTTON])
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)


async def test_the_relay_is_disabled_by_default(
    hass: HomeAssistant, init_integration: None
) -> None:
    entry = er.async_get(hass).async_get(RELAY)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_pressing_sends_one_relay_message(
    hass: HomeAssistant, enable_all_entities: None, emulator: EmulatedBridge, ha_url: str
) -> None:
    await setup_integration(hass, make_entry(emulator))
    await press(hass)
    assert emulator.relay_pulses == 1
    assert [event.kind for event in emulator.events if event.kind == "relay_pulsed"] == [
        "relay_pulsed"
    ]
    # Nothing else happened at the lock.
    assert emulator.status()["bolt_state"] == "night_lock"
    await emulator.set_faults(http_500=True)
    with pytest.raises(HomeAssistantError) as failed:
        await press(hass)
    assert failed.value.translation_key == "relay_failed"
    await emulator.set_faults(http_500=False)
    await emulator.set_bridge_down(down=True)
    with pytest.raises(HomeAssistantError) as unreachable:
        await press(hass)
    assert unreachable.value.translation_key == "relay_not_sent"
    assert emulator.relay_pulses == 1
