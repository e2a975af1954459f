"""Polling as the fallback: rare while push works, every 45 s while it does not."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.loqed_bridge.const import FALLBACK_POLL_INTERVAL, HEALTHY_POLL_INTERVAL
from loqed_emulator import BoltState

from . import entry_state, lock_payload, make_entry, setup_integration, signed, state_of

if TYPE_CHECKING:
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

ENTITY = "lock.front_door"


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def our_logs(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.loqed_bridge") and r.levelno == level
    ]


async def test_polls_rarely_while_push_is_healthy(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    assert coordinator.push_healthy
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_bridge_offline_goes_unavailable_and_comes_back(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    caplog.clear()
    await tick(hass, freezer, HEALTHY_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
    for _ in range(3):
        await tick(hass, freezer, FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unavailable"
    errors = our_logs(caplog, logging.ERROR)
    assert len(errors) == 1
    assert "cannot be reached" in errors[0] or "bridge_unreachable" in errors[0]

    emulator.turn_knob(BoltState.DAY_LOCK)  # changed while we could not see it
    await emulator.set_bridge_down(down=False)
    await tick(hass, freezer, FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    assert state_of(hass, ENTITY).state == "unlocked"
    infos = our_logs(caplog, logging.INFO)
    assert sum("recovered" in message for message in infos) == 1
    assert sum("works again" in message for message in infos) == 1
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_a_verified_webhook_brings_the_lock_back(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL

    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
    response = await ha_client.post(
        f"/api/webhook/{coordinator.registrar.webhook_id}", data=body, headers=headers
    )
    assert response.status == 200
    assert state_of(hass, ENTITY).state == "unlocked"
    assert "is sending again" in caplog.text
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_status_does_not_overwrite_a_fresher_webhook(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    coordinator = init_integration.runtime_data
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=1))
    await ha_client.post(
        f"/api/webhook/{coordinator.registrar.webhook_id}", data=body, headers=headers
    )
    assert state_of(hass, ENTITY).state == "unlocked"
    # The bridge's /status lags its webhooks: it still says night lock.
    await coordinator.async_refresh()
    assert state_of(hass, ENTITY).state == "unlocked"
    # Long after the event, the status is the truth again.
    freezer.tick(timedelta(seconds=60))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"
    # Only the status saw this change: nobody can tell who made it.
    assert state_of(hass, ENTITY).attributes["changed_by"] == "unknown"


async def test_another_bridge_at_the_address_is_not_taken_for_ours(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    ours = await make_emulator()
    other = await make_emulator(bolt_state=BoltState.DAY_LOCK)
    entry = make_entry(ours, port=other.port)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_RETRY
    assert list(other.registry) == []


async def test_a_bad_status_answer_is_an_update_failure(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await emulator.set_faults(http_500=True)
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert state_of(hass, ENTITY).state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL


async def test_reboot_seen_in_status_restores_the_registration(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    coordinator = init_integration.runtime_data
    freezer.tick(timedelta(seconds=5))
    await emulator.reboot()  # forgets every registration, new up_timestamp
    assert list(emulator.registry) == []
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.flags for r in emulator.registry] == [511]
    # Checks triggered by status reads are at most a minute apart.
    freezer.tick(timedelta(seconds=5))
    await emulator.reboot()
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert list(emulator.registry) == []
    await coordinator.async_refresh()  # still too soon: the one delayed check is enough
    await tick(hass, freezer, timedelta(seconds=60))
    assert [r.flags for r in emulator.registry] == [511]

    # Someone else adds a webhook: the count changes, we look again (and leave theirs).
    freezer.tick(timedelta(seconds=120))
    emulator.registry.add("http://192.0.2.7/theirs", 511)
    await coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.registrar.state.foreign == 1
    assert len(emulator.registry) == 2  # ours is back, theirs is left alone


async def test_periodic_check_restores_a_deleted_registration(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    emulator.registry.clear()
    await tick(hass, freezer, timedelta(minutes=10, seconds=1))
    assert [r.flags for r in emulator.registry] == [511]
    assert init_integration.runtime_data.registrar.state.created == 2


async def test_a_bridge_key_refused_later_starts_reauth(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
) -> None:
    emulator.config.bridge_key = bytes(range(32))  # the lock was reinstalled: a new bridge key
    await tick(hass, freezer, timedelta(minutes=10, seconds=1))
    flows = hass.config_entries.flow.async_progress_by_handler("loqed_bridge")
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert init_integration.runtime_data.registrar.state.bridge_key_ok is False
    assert init_integration.runtime_data.update_interval == FALLBACK_POLL_INTERVAL


async def test_a_lock_event_reaches_the_lock_first_and_leaves_unchanged_entities_alone(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    written: list[str] = []
    hass.bus.async_listen("state_changed", lambda event: written.append(event.data["entity_id"]))
    battery = state_of(hass, "sensor.front_door_battery")
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "unlocked"
    # The state people wait for is written first; the operation event follows it.
    assert written[0] == ENTITY
    assert "event.front_door_lock_operation" in written
    # Entities whose value did not change are not written again (not even "reported").
    assert "sensor.front_door_battery" not in written
    assert state_of(hass, "sensor.front_door_battery").last_reported == battery.last_reported
