"""Fixtures: emulated bridges on loopback, Home Assistant's HTTP server, a set-up entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
import pytest

from loqed_emulator import EmulatedBridge, EmulatorConfig

from . import entry_state, make_entry, setup_integration

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from . import HaClient

type BridgeFactory = Callable[..., Awaitable[EmulatedBridge]]


@pytest.fixture
async def make_emulator(socket_enabled: None) -> AsyncIterator[BridgeFactory]:
    """Start emulated bridges (motor time 0, no periodic battery reports); stop them after."""
    started: list[EmulatedBridge] = []

    async def factory(**overrides: Any) -> EmulatedBridge:
        settings: dict[str, Any] = {
            "motor_time": 0.0,
            "relatch_time": 0.05,
            "battery_interval": 0.0,
            "webhook_timeout": 2.0,
        }
        settings.update(overrides)
        bridge = EmulatedBridge(EmulatorConfig(**settings))
        await bridge.start()
        started.append(bridge)
        return bridge

    yield factory
    for bridge in started:
        await bridge.stop()


@pytest.fixture
async def emulator(make_emulator: BridgeFactory) -> EmulatedBridge:
    """One started bridge, lock in night lock."""
    return await make_emulator()


@pytest.fixture
async def ha_client(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> HaClient:
    """Serve Home Assistant's HTTP app on loopback and make it the internal URL."""
    assert await async_setup_component(hass, "webhook", {})
    client = await hass_client_no_auth()
    url = str(client.make_url("/")).rstrip("/")
    await async_process_ha_core_config(hass, {"internal_url": url})
    return client


@pytest.fixture
def ha_url(ha_client: HaClient) -> str:
    """Home Assistant's URL on loopback (also its internal URL)."""
    return str(ha_client.make_url("/")).rstrip("/")


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> AsyncIterator[MockConfigEntry]:
    """An entry for ``emulator``, set up, with push working; unloaded after the test."""
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    yield entry
    if entry_state(entry) is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
