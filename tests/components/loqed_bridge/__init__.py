"""Tests of the loqed_bridge integration, and the helpers they share."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_WEBHOOK_ID
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from aioloqed import LoqedCredentials, webhook_body_hash
from custom_components import loqed_bridge
from custom_components.loqed_bridge.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import timedelta

    from aiohttp import web
    from aiohttp.test_utils import TestClient
    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlowResult
    from homeassistant.const import Platform
    from homeassistant.core import HomeAssistant, State
    import voluptuous as vol

    from loqed_emulator import EmulatedBridge

    type HaClient = TestClient[web.Request, web.Application]

WEBHOOK_ID = "0123456789abcdef" * 4
ENTITY = "lock.front_door"


def state_of(hass: HomeAssistant, entity_id: str = ENTITY) -> State:
    """The state of ``entity_id``, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def entry_state(entry: ConfigEntry) -> ConfigEntryState:
    """The entry's state, read fresh (it changes behind the type checker's back)."""
    return entry.state


def placeholders(result: ConfigFlowResult) -> Mapping[str, str]:
    """The description placeholders of a form."""
    values = result.get("description_placeholders")
    assert values is not None
    return values


def schema_of(result: ConfigFlowResult) -> vol.Schema:
    """The data schema of a form."""
    schema = result.get("data_schema")
    assert schema is not None
    return schema


def entry_data(
    bridge: EmulatedBridge, *, webhook_id: str = WEBHOOK_ID, **overrides: Any
) -> dict[str, Any]:
    """Entry data as the config flow stores it for ``bridge``."""
    credentials = LoqedCredentials.from_integration_information(bridge.integration_information)
    data: dict[str, Any] = {
        CONF_HOST: credentials.host,
        CONF_PORT: credentials.port,
        "bridge_key": credentials.bridge_key,
        "lock_key": credentials.lock_key,
        "local_key_id": credentials.local_key_id,
        "lock_id": credentials.lock_id,
        CONF_NAME: bridge.config.name,
        CONF_WEBHOOK_ID: webhook_id,
    }
    data.update(overrides)
    return data


def make_entry(
    bridge: EmulatedBridge,
    *,
    webhook_id: str = WEBHOOK_ID,
    options: dict[str, Any] | None = None,
    title: str | None = None,
    **overrides: Any,
) -> MockConfigEntry:
    """A config entry for ``bridge`` (not yet added to hass)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title or bridge.config.name,
        unique_id=bridge.macs.wifi,
        data=entry_data(bridge, webhook_id=webhook_id, **overrides),
        options=options or {},
        version=1,
        minor_version=2,
    )


async def setup_integration(
    hass: HomeAssistant, entry: MockConfigEntry, platforms: list[Platform] | None = None
) -> None:
    """Add ``entry`` and set it up (with only ``platforms``, when given)."""
    entry.add_to_hass(hass)
    only = platforms if platforms is not None else loqed_bridge.PLATFORMS
    with patch.object(loqed_bridge, "PLATFORMS", only):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


def signed(
    bridge: EmulatedBridge, payload: dict[str, Any], *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a webhook as ``bridge`` would sign it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = webhook_body_hash(bridge_key=bridge.config.bridge_key, body=body, timestamp=stamp)
    return body, {"TIMESTAMP": str(stamp), "HASH": digest, "Content-Type": "application/json"}


async def post_signed(
    client: HaClient,
    bridge: EmulatedBridge,
    payload: dict[str, Any],
    extra_headers: dict[str, str] | None = None,
) -> int:
    """POST ``payload`` to our webhook, signed as ``bridge`` would; return the HTTP status."""
    body, headers = signed(bridge, payload)
    headers.update(extra_headers or {})
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=headers)
    return response.status


def lock_payload(
    bridge: EmulatedBridge, event_type: str, *, key_id: int = 255, **extra: Any
) -> dict[str, Any]:
    """A lock event body in the shape real bridges send."""
    payload: dict[str, Any] = {
        "mac_wifi": bridge.macs.wifi,
        "mac_ble": bridge.macs.ble,
        "event_type": event_type,
        "key_local_id": key_id,
    }
    payload.update(extra)
    return payload


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the frozen clock on by ``delta`` and let every timer and task due by then run."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def count_status_reads(bridge: EmulatedBridge) -> list[float]:
    """Record the time of every /status read the bridge answers."""
    reads: list[float] = []
    original = bridge.status

    def counting() -> dict[str, Any]:
        reads.append(time.monotonic())
        return original()

    bridge.status = counting  # type: ignore[method-assign]
    return reads
