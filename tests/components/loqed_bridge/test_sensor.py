"""Sensors: battery, its type and voltage, signal strengths, the last push received."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import snapshot_platform

from loqed_emulator import BatteryType, BoltState

from . import WEBHOOK_ID, make_entry, setup_integration, state_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory


async def test_sensor_snapshot(
    hass: HomeAssistant,
    enable_all_entities: None,
    fixed_bridge: EmulatedBridge,
    ha_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    entry = make_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.SENSOR])
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)


async def test_signal_sensors_are_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    for entity_id in (
        "sensor.front_door_bluetooth_signal",
        "sensor.front_door_bridge_wi_fi_signal",
        "sensor.front_door_bridge_last_push_received",
    ):
        entry = registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entity_id) is None


async def test_battery_follows_its_webhooks_and_the_link(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    assert state_of(hass, "sensor.front_door_battery").state == "87"
    assert state_of(hass, "sensor.front_door_battery_type").state == "nickel_metal_hydride"
    emulator.set_battery(percentage=14, battery_type=BatteryType.ALKALINE)
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.front_door_battery").state == "14"
    assert state_of(hass, "sensor.front_door_battery_type").state == "alkaline"
    # The voltage comes with status reads only.
    await init_integration.runtime_data.async_refresh()
    voltage = float(state_of(hass, "sensor.front_door_battery_voltage").state)
    assert 0 < voltage < 12
    emulator.lose_link()
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.front_door_battery").state == "14"  # last known
    assert state_of(hass, "binary_sensor.front_door_connected_to_the_bridge").state == "off"
    await init_integration.runtime_data.async_refresh()
    assert state_of(hass, "sensor.front_door_battery").state == STATE_UNKNOWN  # -1 in the status


async def test_an_unknown_battery_type_and_old_dbm_signals_show_as_unknown(
    hass: HomeAssistant, enable_all_entities: None, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(battery_type=BatteryType.UNKNOWN, wifi_strength=-59)
    await setup_integration(hass, make_entry(bridge))
    assert state_of(hass, "sensor.front_door_battery_type").state == STATE_UNKNOWN
    assert state_of(hass, "sensor.front_door_bridge_wi_fi_signal").state == STATE_UNKNOWN
    assert state_of(hass, "sensor.front_door_bluetooth_signal").state == "91"


async def test_last_push_received_counts_verified_and_unsigned_webhooks(
    hass: HomeAssistant,
    enable_all_entities: None,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    entity = "sensor.front_door_bridge_last_push_received"
    assert state_of(hass, entity).state == STATE_UNKNOWN
    before = dt_util.utcnow().replace(microsecond=0)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    first = dt_util.parse_datetime(state_of(hass, entity).state)
    assert first is not None
    assert first >= before
    # A rejected webhook does not count; an unsigned one (a hint) does.
    response = await ha_client.post(
        f"/api/webhook/{WEBHOOK_ID}", data=b"{}", headers={"TIMESTAMP": "1", "HASH": "00"}
    )
    assert response.status == 401
    assert dt_util.parse_datetime(state_of(hass, entity).state) == first
    response = await ha_client.post(f"/api/webhook/{WEBHOOK_ID}", data=b"{}")
    assert response.status == 200
    second = dt_util.parse_datetime(state_of(hass, entity).state)
    assert second is not None
    assert second >= first
    assert init_integration.runtime_data.push.last_received is not None
    await init_integration.runtime_data.async_shutdown()  # the hint's status reads
