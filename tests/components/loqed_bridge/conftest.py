"""Fixtures: emulated bridges on loopback, Home Assistant's HTTP server, a set-up entry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import functools
from typing import TYPE_CHECKING, Any
from unittest.mock import PropertyMock, patch

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from aioloqed import LoqedCloud
from custom_components.loqed_bridge import config_flow, settings
from loqed_emulator import EmulatedBridge, EmulatorConfig

from . import entry_state, make_entry, setup_integration
from .cloud import FakeCloud

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

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


@pytest.fixture
def enable_all_entities() -> Iterator[None]:
    """Create entities that are disabled by default as enabled (for snapshots)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


FIXED_MAC = "c44f33a1b2c3"


@pytest.fixture
async def fixed_bridge(make_emulator: BridgeFactory) -> EmulatedBridge:
    """A bridge whose identity is the same in every run (for snapshots)."""
    return await make_emulator(mac_wifi=FIXED_MAC, lock_id="SnapshotLock00000001", seed=1)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot format (ids and times left out), in ``snapshots/``."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def cloud(monkeypatch: pytest.MonkeyPatch, socket_enabled: None) -> AsyncIterator[FakeCloud]:
    """The LOQED cloud on loopback, used by the config flow and the lock settings."""
    fake = FakeCloud()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    local = functools.partial(LoqedCloud, base_url=str(server.make_url("")))
    monkeypatch.setattr(config_flow, "LoqedCloud", local)
    monkeypatch.setattr(settings, "LoqedCloud", local)
    yield fake
    await server.close()
