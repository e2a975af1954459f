"""Commands: confirmed by the lock, or a clear error; serialised; the lock-key repair."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from aioloqed import LockAction
from custom_components.loqed_bridge.commands import lock_key_issue_id
from custom_components.loqed_bridge.const import (
    DOMAIN,
    FALLBACK_POLL_INTERVAL,
    HEALTHY_POLL_INTERVAL,
)
from loqed_emulator import BoltState

from . import make_entry, setup_integration, state_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge

    from .conftest import BridgeFactory

ENTITY = "lock.front_door"
OTHER_KEY = base64.b64encode(bytes(range(100, 132))).decode()


async def call(hass: HomeAssistant, service: str) -> None:
    await hass.services.async_call("lock", service, {ATTR_ENTITY_ID: ENTITY}, blocking=True)


async def settle(hass: HomeAssistant, bridge: EmulatedBridge) -> None:
    await bridge.wait_settled()
    await hass.async_block_till_done()


async def test_a_confirmed_command_keeps_push_healthy(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    await call(hass, "unlock")
    await settle(hass, emulator)
    assert state_of(hass, ENTITY).state == "unlocked"
    assert coordinator.commander.counters["push"] == 1
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_a_command_for_the_current_state_is_confirmed_by_the_lock_alone(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    await call(hass, "lock")  # already locked: the lock only sends GO_TO_STATE
    await settle(hass, emulator)
    state = state_of(hass)
    assert state.state == "locked"
    assert state.attributes["changed_by"] == "Home Assistant"  # our own key's default name
    assert init_integration.runtime_data.commander.counters["push"] == 1


async def test_the_same_command_twice_in_a_row_is_confirmed_twice(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    # The lock answers at once; without spacing, the second answer would carry the same
    # timestamp and bytes as the first and be rejected as a replay.
    await call(hass, "lock")
    await call(hass, "lock")
    await settle(hass, emulator)
    commander = init_integration.runtime_data.commander
    assert commander.counters == {"push": 2}
    assert init_integration.runtime_data.push.counters["replay"] == 0


async def test_commands_to_one_lock_run_one_after_another(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator(motor_time=0.0)
    entry = make_entry(bridge)
    await setup_integration(hass, entry)
    await bridge.set_faults(latency_ms=200)
    received: list[float] = []
    original = bridge.receive_command

    def record(message: bytes) -> None:
        received.append(asyncio.get_running_loop().time())
        original(message)

    bridge.receive_command = record  # type: ignore[method-assign]
    started = asyncio.get_running_loop().time()
    # Three different commands: a real lock cannot repeat an event within the same second, and
    # an identical signed message in the same second is a replay to the receiver.
    await asyncio.gather(call(hass, "unlock"), call(hass, "lock"), call(hass, "open"))
    await settle(hass, bridge)
    # Each command reached the bridge only after the one before was confirmed.
    assert len(received) == 3
    assert received[1] - received[0] >= 0.2
    assert received[2] - received[1] >= 0.2
    assert received[0] - started >= 0.2
    assert entry.runtime_data.commander.counters == {"push": 3}, (
        entry.runtime_data.commander.counters
    )


@pytest.fixture
async def wrong_lock_key(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> MockConfigEntry:
    """An entry whose lock key the lock does not know (deleted in the app)."""
    entry = make_entry(emulator, lock_key=OTHER_KEY)
    await setup_integration(hass, entry)
    entry.runtime_data.commander.confirm_timeout = 0.3
    entry.runtime_data.commander.repeat_spacing = 0.0  # the lock ignores them anyway
    return entry


async def test_a_command_the_lock_ignores_raises_and_repeated_ones_raise_a_repair(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    wrong_lock_key: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = wrong_lock_key.runtime_data
    issues = ir.async_get(hass)
    issue_id = lock_key_issue_id(wrong_lock_key.entry_id)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "unlock")
    assert err.value.translation_key == "command_not_confirmed"
    assert err.value.translation_placeholders == {"action": "unlock", "seconds": "0.3"}
    assert state_of(hass, ENTITY).state == "locked"  # the motion shown meanwhile is gone
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL  # no push after a command

    with pytest.raises(HomeAssistantError):
        await call(hass, "unlock")
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.data == {"entry_id": wrong_lock_key.entry_id}
    assert [record.reason for record in emulator.ignored_commands] == ["bad_signature"] * 2
    assert caplog.text.count("does not act on commands") == 1

    with pytest.raises(HomeAssistantError):
        await call(hass, "unlock")
    assert issues.async_get_issue(DOMAIN, issue_id) is not None

    # The user creates the key again in the LOQED app: the next command works, the issue goes.
    key_id = coordinator.bridge.local_key_id
    assert key_id is not None
    emulator.config.lock_keys[key_id] = base64.b64decode(OTHER_KEY)
    await call(hass, "unlock")
    await settle(hass, emulator)
    assert state_of(hass, ENTITY).state == "unlocked"
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_unconfirmed_commands_while_the_lock_is_offline_do_not_blame_the_key(
    hass: HomeAssistant, emulator: EmulatedBridge, wrong_lock_key: MockConfigEntry
) -> None:
    emulator.config.lock_keys[wrong_lock_key.runtime_data.bridge.local_key_id or 0] = (
        base64.b64decode(OTHER_KEY)
    )
    emulator.lose_link()
    await settle(hass, emulator)
    assert state_of(hass, ENTITY).state == "unavailable"  # Home Assistant offers no actions
    for _ in range(3):  # automations calling the commander directly would still be told
        with pytest.raises(HomeAssistantError):
            await wrong_lock_key.runtime_data.commander.async_run(LockAction.UNLOCK)
    issue_id = lock_key_issue_id(wrong_lock_key.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_bridge_gone_after_the_command_does_not_blame_the_key(
    hass: HomeAssistant, emulator: EmulatedBridge, wrong_lock_key: MockConfigEntry
) -> None:
    wrong_lock_key.runtime_data.bridge.status_retries = 1
    for _ in range(3):
        task = hass.async_create_task(call(hass, "unlock"))
        await asyncio.sleep(0.1)  # sent; the lock ignores it; then the bridge goes away
        await emulator.set_bridge_down(down=True)
        with pytest.raises(HomeAssistantError) as err:
            await task
        assert err.value.translation_key == "command_not_confirmed"
        await emulator.set_bridge_down(down=False)
        await wrong_lock_key.runtime_data.async_refresh()
    issue_id = lock_key_issue_id(wrong_lock_key.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_lost_webhooks_are_made_up_for_by_a_status_read(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.commander.confirm_timeout = 0.3
    await emulator.set_faults(lose_next_webhooks=2)
    await call(hass, "unlock")  # no error: the status shows the lock did it
    assert state_of(hass, ENTITY).state == "unlocked"
    assert coordinator.commander.counters["status"] == 1
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
    # The next verified webhook shows push works again.
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await settle(hass, emulator)
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL


async def test_bridges_without_signed_webhooks_confirm_through_the_status(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.commander.status_poll = 0.05
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await settle(hass, emulator)
    # The status read its unsigned webhook asked for shows the change: the bridge does not sign.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator.push.signed is False
    await call(hass, "lock")
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.commander.counters["status"] == 1
    # A command for the state it is in: on such a bridge the status is all there is.
    await call(hass, "lock")
    assert coordinator.commander.counters["status"] == 2
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_a_command_to_an_unreachable_bridge_shows_the_bridge_gone_and_back(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    coordinator.bridge.status_retries = 1
    await emulator.set_bridge_down(down=True)
    caplog.clear()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "open")
    assert err.value.translation_key == "command_not_sent"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["action"] == "open"
    # Unavailable at once (not at the next status read, minutes away while push is healthy),
    # and the status is read often from now on.
    assert state_of(hass, ENTITY).state == "unavailable"
    assert state_of(hass, "sensor.front_door_battery").state == "unavailable"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
    async_fire_time_changed(hass, dt_util.utcnow() + FALLBACK_POLL_INTERVAL + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "unavailable"

    # Back by itself within one short interval of the bridge's return.
    await emulator.set_bridge_down(down=False)
    async_fire_time_changed(
        hass, dt_util.utcnow() + 2 * FALLBACK_POLL_INTERVAL + timedelta(seconds=2)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL
    lines = [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name.startswith(("custom_components.loqed_bridge", "aioloqed"))
        and r.levelno >= logging.INFO
    ]
    assert [level for level, _ in lines] == [logging.ERROR, logging.INFO], lines
    assert "cannot be reached" in lines[0][1]


async def test_a_bridge_error_answer_fails_the_command(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    await emulator.set_faults(http_500=True)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "lock")
    assert err.value.translation_key == "command_failed"


@pytest.fixture
async def refusing_bridge(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> AsyncIterator[TestServer]:
    """A bridge firmware that answers commands with a bad key with 401 (real ones say 200)."""

    async def status(_: web.Request) -> web.Response:
        return web.json_response(emulator.status())

    async def webhooks(_: web.Request) -> web.Response:
        return web.json_response([])

    async def refuse(_: web.Request) -> web.Response:
        return web.Response(status=401)

    app = web.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/webhooks", webhooks)
    app.router.add_post("/webhooks", webhooks)
    app.router.add_get("/to_lock", refuse)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_a_refused_lock_key_raises_the_repair_at_once(
    hass: HomeAssistant, emulator: EmulatedBridge, refusing_bridge: TestServer
) -> None:
    entry = make_entry(emulator, port=refusing_bridge.port)
    await setup_integration(hass, entry)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "unlock")
    assert err.value.translation_key == "lock_key_refused"
    issue_id = lock_key_issue_id(entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
