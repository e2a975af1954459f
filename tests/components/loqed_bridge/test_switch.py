"""Lock settings through the cloud: read rarely, changed once, assumed in between."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.const import ATTR_ASSUMED_STATE, ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform

from aioloqed import LoqedCloud
from custom_components.loqed_bridge import settings
from custom_components.loqed_bridge.settings import store_key

from . import make_entry, setup_integration, state_of
from .cloud import cloud_lock

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

    from .cloud import FakeCloud

TOKEN = "kept-personal-access-token"
OPEN_HOUSE = "switch.front_door_open_house_mode"
TWIST = "switch.front_door_twist_assist"
TOUCH = "switch.front_door_touch_to_connect"


def token_entry(bridge: EmulatedBridge) -> MockConfigEntry:
    return make_entry(bridge, api_token=TOKEN)


def stored(
    hass_storage: dict[str, Any], entry: MockConfigEntry, *, requests: int, **values: bool
) -> None:
    """Put what an earlier run kept into Home Assistant's storage."""
    now = time.time()
    hass_storage[store_key(entry.entry_id)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(entry.entry_id),
        "data": {
            "values": values,
            "read_at": now - 3600,
            "requests": [now - 60 * n for n in range(requests)],
        },
    }


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await setup_integration(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)


async def switch(hass: HomeAssistant, entity_id: str, service: str) -> None:
    await hass.services.async_call("switch", service, {ATTR_ENTITY_ID: entity_id}, blocking=True)


@pytest.fixture
def cloud_with_lock(cloud: FakeCloud, emulator: EmulatedBridge) -> FakeCloud:
    cloud.answer = lambda _: web.json_response({"data": [cloud_lock(emulator)]})
    return cloud


async def test_switch_snapshot(
    hass: HomeAssistant,
    cloud: FakeCloud,
    fixed_bridge: EmulatedBridge,
    ha_url: str,
    snapshot: SnapshotAssertion,
) -> None:
    cloud.answer = lambda _: web.json_response({"data": [cloud_lock(fixed_bridge)]})
    entry = token_entry(fixed_bridge)
    await setup_integration(hass, entry, [Platform.SWITCH])
    await hass.async_block_till_done(wait_background_tasks=True)
    await snapshot_platform(hass, er.async_get(hass), snapshot, entry.entry_id)


async def test_no_token_no_switches(
    hass: HomeAssistant, cloud: FakeCloud, init_integration: MockConfigEntry
) -> None:
    assert hass.states.async_entity_ids("switch") == []
    assert cloud.calls == 0


async def test_settings_are_read_once_and_changes_sent_once(
    hass: HomeAssistant,
    cloud_with_lock: FakeCloud,
    emulator: EmulatedBridge,
    ha_url: str,
    hass_storage: dict[str, Any],
) -> None:
    cloud = cloud_with_lock
    entry = token_entry(emulator)
    await setup(hass, entry)
    assert cloud.calls == 1
    assert cloud.tokens == [f"Bearer {TOKEN}"]
    assert [state_of(hass, e).state for e in (OPEN_HOUSE, TWIST, TOUCH)] == ["off", "on", "off"]
    assert state_of(hass, TWIST).attributes[ATTR_ASSUMED_STATE] is True

    await switch(hass, OPEN_HOUSE, "turn_on")
    await switch(hass, TWIST, "turn_off")
    lock_id = emulator.config.lock_id
    assert cloud.settings == [
        (lock_id, {"setting_name": "open_house_mode", "setting_value": 1}),
        (lock_id, {"setting_name": "twist_assist", "setting_value": 0}),
    ]
    assert cloud.calls == 3  # no read after a change: the new value is assumed
    assert [state_of(hass, e).state for e in (OPEN_HOUSE, TWIST, TOUCH)] == ["on", "off", "off"]

    # What was learned is kept: after a restart within the allowance it is read again...
    assert hass_storage[store_key(entry.entry_id)]["data"]["values"] == {
        "open_house_mode": True,
        "twist_assist": False,
        "touch_to_connect": False,
    }
    assert len(hass_storage[store_key(entry.entry_id)]["data"]["requests"]) == 3
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cloud.calls == 4
    # ...and with the allowance for reads spent, it is not.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cloud.calls == 4
    assert state_of(hass, TWIST).state == "on"  # the cloud's value at the last read

    # Removing the entry forgets it all.
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert store_key(entry.entry_id) not in hass_storage


async def test_with_the_allowance_spent_nothing_goes_to_the_cloud(
    hass: HomeAssistant,
    cloud_with_lock: FakeCloud,
    emulator: EmulatedBridge,
    ha_url: str,
    hass_storage: dict[str, Any],
) -> None:
    entry = token_entry(emulator)
    stored(hass_storage, entry, requests=10, open_house_mode=True, twist_assist=False)
    await setup(hass, entry)
    assert cloud_with_lock.calls == 0
    assert [state_of(hass, e).state for e in (OPEN_HOUSE, TWIST, TOUCH)] == [
        "on",
        "off",
        STATE_UNKNOWN,
    ]
    with pytest.raises(HomeAssistantError) as refused:
        await switch(hass, TOUCH, "turn_on")
    assert refused.value.translation_key == "cloud_request_limit"
    assert refused.value.translation_placeholders is not None
    hours = float(refused.value.translation_placeholders["hours"])
    assert 11 < hours <= 12
    assert cloud_with_lock.calls == 0
    assert state_of(hass, TOUCH).state == STATE_UNKNOWN


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (lambda _: web.Response(status=401), "cloud_token_refused"),
        (lambda _: web.Response(status=500), "cloud_refused"),
        (lambda _: web.Response(status=429), "cloud_refused"),
    ],
)
async def test_a_change_the_cloud_refuses_says_why_and_changes_nothing(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    cloud_with_lock: FakeCloud,
    emulator: EmulatedBridge,
    ha_url: str,
    answer: Any,
    error: str,
) -> None:
    await setup(hass, token_entry(emulator))
    cloud_with_lock.setting_answer = answer
    with pytest.raises(HomeAssistantError) as refused:
        await switch(hass, OPEN_HOUSE, "turn_on")
    assert refused.value.translation_key == error
    assert state_of(hass, OPEN_HOUSE).state == "off"


async def test_an_unreachable_cloud_changes_nothing(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    ha_url: str,
    monkeypatch: pytest.MonkeyPatch,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(
        settings, "LoqedCloud", functools.partial(LoqedCloud, base_url="http://127.0.0.1:9")
    )
    entry = token_entry(emulator)
    stored(hass_storage, entry, requests=0, twist_assist=True)
    await setup(hass, entry)
    assert state_of(hass, TWIST).state == "on"  # the last known value stays
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "loqed" in r.name]
    assert len(warnings) == 1
    assert "cannot connect" in warnings[0].getMessage()
    assert TOKEN not in caplog.text
    with pytest.raises(HomeAssistantError) as unreachable:
        await switch(hass, TWIST, "turn_off")
    assert unreachable.value.translation_key == "cloud_unreachable"
    assert state_of(hass, TWIST).state == "on"
    diagnostics = entry.runtime_data.settings
    assert diagnostics is not None
    assert diagnostics.problem == "cannot_connect"


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (lambda _: web.json_response({"data": []}), "lock not in account"),
        (lambda _: web.Response(status=401), "token refused"),
        (lambda _: web.Response(status=500), "bad answer"),
    ],
)
async def test_a_failed_read_at_setup_is_logged_once(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    cloud: FakeCloud,
    emulator: EmulatedBridge,
    ha_url: str,
    caplog: pytest.LogCaptureFixture,
    answer: Any,
    problem: str,
) -> None:
    cloud.answer = answer
    await setup(hass, token_entry(emulator))
    assert state_of(hass, OPEN_HOUSE).state == STATE_UNKNOWN
    assert f"({problem})" in caplog.text
    assert TOKEN not in caplog.text
