"""Setup, unload, reload and removal: the webhook lifecycle against emulated bridges."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from custom_components.loqed_bridge.const import DOMAIN
from loqed_emulator import BoltState

from . import (
    WEBHOOK_ID,
    entry_state,
    lock_payload,
    make_entry,
    post_signed,
    setup_integration,
    state_of,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    import pytest
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

OUR_PATH = f"/api/webhook/{WEBHOOK_ID}"


def ours(bridge: EmulatedBridge) -> list[tuple[str, int]]:
    """Our registrations on ``bridge`` as (url, flags)."""
    return [(r.url, r.flags) for r in bridge.registry if WEBHOOK_ID in r.url]


async def test_setup_registers_once_and_unload_keeps_the_registration(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str, ha_client: HaClient
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert ours(emulator) == [(f"{ha_url}{OUR_PATH}", 511)]
    assert state_of(hass, "lock.front_door").state == "locked"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.NOT_LOADED
    # The bridge keeps our registration for the next start; Home Assistant's handler is gone.
    assert ours(emulator) == [(f"{ha_url}{OUR_PATH}", 511)]
    payload = lock_payload(emulator, "STATE_CHANGED_LATCH")
    assert await post_signed(ha_client, emulator, payload) == 200  # for unknown webhooks too
    assert state_of(hass, "lock.front_door").state == "unavailable"


async def test_reloads_never_duplicate_the_registration_or_the_handler(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    for _ in range(3):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert ours(emulator) == [(f"{ha_url}{OUR_PATH}", 511)]
    assert "already defined" not in caplog.text

    # Push still works after the reloads.
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, "lock.front_door").state == "unlocked"


async def test_a_leftover_handler_with_our_id_is_replaced(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    async def leftover(*_: object) -> None:
        return None

    webhook.async_register(hass, DOMAIN, "left over", WEBHOOK_ID, leftover)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.LOADED
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, "lock.front_door").state == "unlocked"


async def test_stale_copies_are_removed_and_foreign_registrations_kept(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    emulator.registry.add(f"http://192.0.2.50:8123{OUR_PATH}", 511)  # old address of HA
    emulator.registry.add(f"{ha_url}{OUR_PATH}", 399)  # ours, triggers missing
    emulator.registry.add("http://192.0.2.99/somebody-else", 511)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    assert ours(emulator) == [(f"{ha_url}{OUR_PATH}", 511)]
    assert [r.url for r in emulator.registry if WEBHOOK_ID not in r.url] == [
        "http://192.0.2.99/somebody-else"
    ]
    registration = entry.runtime_data.registrar.state
    assert (registration.foreign, registration.removed, registration.created) == (1, 2, 1)


async def test_setup_retries_while_the_bridge_is_offline(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    await emulator.set_bridge_down(down=True)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_RETRY
    assert list(emulator.registry) == []

    await emulator.set_bridge_down(down=False)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert len(ours(emulator)) == 1


async def test_a_refused_bridge_key_starts_reauth(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator, bridge_key="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    assert list(emulator.registry) == []


async def test_broken_entry_data_is_a_setup_error(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator, lock_key="not base64 !")
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "not base64" not in entry.reason


async def test_unload_and_remove_succeed_while_the_bridge_is_offline(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    await emulator.set_bridge_down(down=True)

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry_state(entry) is ConfigEntryState.NOT_LOADED
    caplog.clear()
    result = await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert result == {"require_restart": False}
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and "loqed" in r.name]
    assert len(warnings) == 1
    assert "app.loqed.com" in warnings[0].getMessage()
    assert WEBHOOK_ID not in caplog.text
    assert len(ours(emulator)) == 1  # left behind, as the log line says


async def test_remove_deletes_only_our_registration(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    emulator.registry.add("http://192.0.2.99/somebody-else", 511)
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"lock_key_rejected_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="lock_key_rejected",
    )
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert [r.url for r in emulator.registry] == ["http://192.0.2.99/somebody-else"]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"lock_key_rejected_{entry.entry_id}") is None


async def test_three_bridges_side_by_side(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridges = [await make_emulator(name=f"Door {n}") for n in (1, 2, 3)]
    entries: list[MockConfigEntry] = []
    for n, bridge in enumerate(bridges):
        entry = make_entry(bridge, webhook_id=f"{n}" * 64)
        await setup_integration(hass, entry)
        entries.append(entry)
    assert all(entry_state(entry) is ConfigEntryState.LOADED for entry in entries)
    registry = er.async_get(hass)
    entity_ids = [
        str(registry.async_get_entity_id("lock", DOMAIN, f"{bridge.macs.wifi}-lock"))
        for bridge in bridges
    ]
    assert entity_ids == ["lock.door_1", "lock.door_2", "lock.door_3"]
    for n, bridge in enumerate(bridges):
        assert [r.flags for r in bridge.registry] == [511]
        assert f"{n}" * 64 in next(iter(bridge.registry)).url

    # A command to the second lock moves only that lock.
    await hass.services.async_call("lock", "unlock", {ATTR_ENTITY_ID: "lock.door_2"}, blocking=True)
    # A person at the third door: only the third entity follows.
    bridges[2].turn_knob(BoltState.DAY_LOCK)
    await asyncio.gather(*(bridge.wait_settled() for bridge in bridges))
    await hass.async_block_till_done()
    states = [state_of(hass, entity_id) for entity_id in entity_ids]
    assert [state.state for state in states] == ["locked", "unlocked", "unlocked"]
    assert [state.attributes.get("changed_by") for state in states] == [
        None,
        "Home Assistant",
        "manual",
    ]
    assert bridges[1].lock.bolt_state.name == "DAY_LOCK"
    assert entries[1].runtime_data.commander.counters["push"] == 1
