"""Diagnostics: everything that helps a bug report, nothing that is a secret."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.helpers.device_registry import format_mac
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.filters import props

from aioloqed import webhook_body_hash
from loqed_emulator import BoltState

from . import WEBHOOK_ID, make_entry, setup_integration, signed
from .cloud import cloud_lock

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .cloud import FakeCloud


async def diagnostics_of(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    """The entry's diagnostics as the download button gives them."""
    return dict(await get_diagnostics_for_config_entry(hass, hass_client, entry))


@pytest.fixture
async def diagnostics(hass: HomeAssistant) -> None:
    """The diagnostics integration, set up before Home Assistant's HTTP server starts."""
    assert await async_setup_component(hass, "diagnostics", {})


async def test_diagnostics_snapshot(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    diagnostics: None,
    fixed_bridge: EmulatedBridge,
    ha_url: str,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = make_entry(fixed_bridge, options={"key_names": {"3": "Anna's phone"}})
    await setup_integration(hass, entry)
    result = await diagnostics_of(hass, hass_client, entry)
    assert result == snapshot(exclude=props("port", "up_timestamp"))


async def test_no_secret_appears_in_the_diagnostics(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    diagnostics: None,
    cloud: FakeCloud,
    emulator: EmulatedBridge,
    ha_url: str,
    ha_client: HaClient,
    hass_client: ClientSessionGenerator,
) -> None:
    cloud.answer = lambda _: web.json_response({"data": [cloud_lock(emulator)]})
    emulator.registry.add("http://127.0.0.1:9/foreign-hook-path", 511)  # nobody listens
    token = "personal-access-token-that-must-not-leak"
    entry = make_entry(
        emulator,
        api_token=token,
        options={"callback_url": ha_url, "key_names": {"3": "Anna Jansen"}},
    )
    await setup_integration(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.turn_knob(BoltState.DAY_LOCK)  # an event with both MACs in it
    await emulator.wait_settled()
    stale, headers = signed(emulator, {"mac_wifi": emulator.macs.wifi}, timestamp=1)
    await ha_client.post(f"/api/webhook/{WEBHOOK_ID}", data=stale, headers=headers)
    await hass.async_block_till_done()

    result = await diagnostics_of(hass, hass_client, entry)
    text = json.dumps(result)
    information = emulator.integration_information
    secrets = {
        "bridge key": information["bridge_key"],
        "lock key": information["lock_key_key"],
        "backend key": information["backend_key"],
        "token": token,
        "webhook id": WEBHOOK_ID,
        "lock id": information["lock_id"],
        "Home Assistant URL": ha_url,
        "bridge address": information["bridge_ip"],
        "loopback IP": "127.0.0.1",
        "foreign URL": "foreign-hook-path",
        "key name": "Anna Jansen",
        "mDNS name": information["bridge_mdns_hostname"],
    }
    for mac in (emulator.macs.wifi, emulator.macs.ble):
        secrets[f"MAC {mac}"] = mac
        secrets[f"MAC {format_mac(mac)}"] = format_mac(mac)
        secrets[f"MAC {format_mac(mac).upper()}"] = format_mac(mac).upper()
    leaked = {name for name, value in secrets.items() if str(value).lower() in text.lower()}
    assert leaked == set()

    # What helps a bug report is there.
    assert result["rejected_webhooks"]["stale"] == 1
    assert result["push"]["counters"]["verified"] == 1
    assert result["clock_skew_estimate"] < -1_000_000
    assert result["registrations"]["foreign"] == 1
    assert [r["ours"] for r in result["registrations"]["on_the_bridge"]] == [False, True]
    assert result["entry"]["options"]["key_names"] == {"3": "**REDACTED**"}
    assert result["lock_settings"]["values"]["twist_assist"] is True
    assert result["last_event"]["payload"]["event_type"] == "STATE_CHANGED_LATCH"
    assert result["last_operation"]["type"] == "unlocked"
    assert 0 <= result["push"]["seconds_since_verified"] < time.time()


async def test_diagnostics_without_options(
    hass: HomeAssistant,
    diagnostics: None,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    result = await diagnostics_of(hass, hass_client, init_integration)
    assert result["entry"]["options"] == {}
    assert result["lock_settings"] is None
    assert result["last_operation"] is None


async def test_a_deeply_nested_signed_body_does_not_break_the_download(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    diagnostics: None,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    hass_client: ClientSessionGenerator,
) -> None:
    # Signed with the bridge key (so it is taken), nested a thousand deep: nothing a bridge
    # sends, but whoever has the key can.
    depth = 1000
    body = b'{"mac_wifi":"' + emulator.macs.wifi.encode() + b'","x":' + b"[" * depth
    body += b"]" * depth + b"}"
    _, headers = signed(emulator, {})
    headers["HASH"] = webhook_body_hash(
        bridge_key=emulator.config.bridge_key, body=body, timestamp=int(headers["TIMESTAMP"])
    )
    response = await ha_client.post(f"/api/webhook/{WEBHOOK_ID}", data=body, headers=headers)
    assert response.status == 200
    result = await diagnostics_of(hass, hass_client, init_integration)
    payload = result["last_event"]["payload"]
    assert payload["mac_wifi"] == "**REDACTED**"
    assert payload["x"] == [[["**NESTED TOO DEEP**"]]]
