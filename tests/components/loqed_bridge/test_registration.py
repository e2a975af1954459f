"""The callback URL and the bridge registration when things are not simple."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest

from custom_components.loqed_bridge.const import DOMAIN, FALLBACK_POLL_INTERVAL
from custom_components.loqed_bridge.registration import callback_url, make_is_ours

from . import WEBHOOK_ID, entry_state, make_entry, setup_integration, state_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from loqed_emulator import EmulatedBridge


def test_registrations_carrying_our_webhook_id_are_ours() -> None:
    is_ours = make_is_ours(WEBHOOK_ID)
    assert is_ours(f"http://192.0.2.1:8123/api/webhook/{WEBHOOK_ID}")
    assert is_ours(f"https://proxy.example/ha/api/webhook/{WEBHOOK_ID}")
    assert not is_ours("http://192.0.2.1:8123/api/webhook/someone-else")


async def test_the_callback_url_is_the_lan_url_or_the_override(hass: HomeAssistant) -> None:
    await async_process_ha_core_config(
        hass,
        {"internal_url": "http://192.168.1.10:8123", "external_url": "https://ha.example.com"},
    )
    path = f"/api/webhook/{WEBHOOK_ID}"
    assert callback_url(hass, WEBHOOK_ID, {}) == (f"http://192.168.1.10:8123{path}", False)
    assert callback_url(hass, WEBHOOK_ID, {"callback_url": "http://10.0.0.2:8123/"}) == (
        f"http://10.0.0.2:8123{path}",
        True,
    )


async def test_without_a_lan_url_a_repair_says_so_and_polling_takes_over(
    hass: HomeAssistant, emulator: EmulatedBridge
) -> None:
    # Home Assistant serves HTTPS with its own certificate and has no internal URL set: the only
    # URL it knows is the external one, which the bridge must not get.
    assert await async_setup_component(hass, "webhook", {})
    await async_process_ha_core_config(hass, {"external_url": "https://ha.example.com"})
    assert hass.config.api is not None
    hass.config.api.use_ssl = True
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert list(emulator.registry) == []  # never the external URL
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"no_callback_url_{entry.entry_id}")
    assert issue is not None
    assert entry.runtime_data.update_interval == FALLBACK_POLL_INTERVAL

    # The user sets a callback URL: the issue goes, the registration appears.
    hass.config_entries.async_update_entry(entry, options={"callback_url": "http://127.0.0.1:9"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"no_callback_url_{entry.entry_id}") is None
    assert [r.url for r in emulator.registry] == [f"http://127.0.0.1:9/api/webhook/{WEBHOOK_ID}"]


async def test_an_https_lan_url_raises_a_warning(
    hass: HomeAssistant, emulator: EmulatedBridge
) -> None:
    assert await async_setup_component(hass, "webhook", {})
    await async_process_ha_core_config(hass, {"internal_url": "https://ha.local:8123"})
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    issue_id = f"https_callback_url_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert [r.url for r in emulator.registry] == [f"https://ha.local:8123/api/webhook/{WEBHOOK_ID}"]
    # An override (even HTTPS) is the user's choice: no warning.
    hass.config_entries.async_update_entry(entry, options={"callback_url": "https://10.0.0.2:8123"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert entry.runtime_data.registrar.state.https


async def test_a_url_the_bridge_cannot_take_is_a_registration_problem(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(emulator, options={"callback_url": "ftp://127.0.0.1"})
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert entry.runtime_data.registrar.state.problem == "bad_url"
    assert list(emulator.registry) == []
    await entry.runtime_data.async_reconcile()
    assert caplog.text.count("Cannot register the webhook") == 1  # once, not per attempt


def our_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """What the integration and its library logged at INFO or above."""
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name.startswith(("custom_components.loqed_bridge", "aioloqed"))
        and r.levelno >= logging.INFO
    ]


async def test_registration_comes_back_when_the_bridge_answers_again(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    coordinator = entry.runtime_data
    coordinator.bridge.status_retries = 1
    emulator.registry.clear()
    await emulator.set_bridge_down(down=True)
    caplog.clear()
    await coordinator.async_reconcile()
    await hass.async_block_till_done(wait_background_tasks=True)
    # The failed check made the coordinator look at the bridge at once: it is gone.
    assert state_of(hass, "lock.front_door").state == "unavailable"
    assert coordinator.registrar.state.problem == "cannot_connect"
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL

    await emulator.set_bridge_down(down=False)
    await coordinator.async_reconcile()
    assert [r.flags for r in emulator.registry] == [511]
    # The check that worked made the coordinator look again: the entities are back.
    assert state_of(hass, "lock.front_door").state == "locked"
    # One line going down, one coming back: not one more for the registration.
    lines = our_lines(caplog)
    assert [level for level, _ in lines] == [logging.ERROR, logging.INFO], lines


@pytest.fixture
async def no_webhook_list(emulator: EmulatedBridge) -> AsyncIterator[TestServer]:
    """A bridge that answers its status but drops the connection on the webhook list."""

    async def status(_: web.Request) -> web.Response:
        return web.json_response(emulator.status())

    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    app = web.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/webhooks", drop)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def test_a_registration_problem_of_a_bridge_that_answers_is_logged_once(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    no_webhook_list: TestServer,
    ha_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = make_entry(emulator, port=no_webhook_list.port)
    await setup_integration(hass, entry)
    coordinator = entry.runtime_data
    assert coordinator.registrar.state.problem == "cannot_connect"
    await coordinator.async_reconcile()
    await coordinator.async_reconcile()
    # The bridge answers its status: the entities stay, the registration problem is told once.
    assert state_of(hass, "lock.front_door").state == "locked"
    assert [level for level, _ in our_lines(caplog)] == [logging.WARNING]
    assert "Cannot register the webhook" in our_lines(caplog)[0][1]
    assert coordinator.update_interval == FALLBACK_POLL_INTERVAL
