"""Config flow: every way in, every error, and the way on from each error."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_address
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_USER, SOURCE_ZEROCONF, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_WEBHOOK_ID
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.loqed_bridge.commands import lock_key_issue_id
from custom_components.loqed_bridge.config_flow import mac_from_name
from custom_components.loqed_bridge.const import DOMAIN
from loqed_emulator import BoltState, EmulatedBridge

from . import (
    WEBHOOK_ID,
    entry_state,
    make_entry,
    placeholders,
    schema_of,
    setup_integration,
    state_of,
)
from .cloud import FakeCloud, cloud_lock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.config_entries import ConfigFlowResult
    from homeassistant.core import HomeAssistant

    from .conftest import BridgeFactory

WRONG_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def info(bridge: EmulatedBridge, **changes: Any) -> str:
    """The Integration information text of ``bridge``, as a user would paste it."""
    data: dict[str, Any] = {**bridge.integration_information, **changes}
    return json.dumps({key: value for key, value in data.items() if value is not None})


def manual_input(bridge: EmulatedBridge, **changes: Any) -> dict[str, Any]:
    data = bridge.integration_information
    values = {
        "host": data["bridge_ip"],
        "bridge_key": data["bridge_key"],
        "lock_key": data["lock_key_key"],
        "local_key_id": float(str(data["lock_key_local_id"])),  # number boxes give floats
    }
    values.update(changes)
    return values


async def menu(hass: HomeAssistant) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def start(hass: HomeAssistant, step: str) -> ConfigFlowResult:
    result = await menu(hass)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": step})


async def submit(
    hass: HomeAssistant, result: ConfigFlowResult, data: dict[str, Any]
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def assert_created(
    result: ConfigFlowResult, bridge: EmulatedBridge, title: str | None = None
) -> None:
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == bridge.macs.wifi
    data = result["data"]
    information = bridge.integration_information
    assert data[CONF_HOST] == "127.0.0.1"
    assert data[CONF_PORT] == bridge.port
    assert data["bridge_key"] == information["bridge_key"]
    assert data["lock_key"] == information["lock_key_key"]
    assert data["local_key_id"] == information["lock_key_local_id"]
    assert len(data[CONF_WEBHOOK_ID]) == 64
    if title is not None:
        assert result["title"] == title
        assert data[CONF_NAME] == title


@pytest.fixture
async def bridge_without_mac(emulator: EmulatedBridge) -> AsyncIterator[TestServer]:
    """A device that answers like a bridge but names no MAC address in its status."""

    async def status(_: web.Request) -> web.Response:
        return web.json_response({"bolt_state": "night_lock", "lock_online": 1})

    async def webhooks(_: web.Request) -> web.Response:
        return web.json_response([])

    app = web.Application()
    app.router.add_get("/status", status)
    app.router.add_get("/webhooks", webhooks)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


# ---------------------------------------------------------------------------- menu


async def test_menu_offers_the_builtin_import_only_when_there_is_something_to_import(
    hass: HomeAssistant,
) -> None:
    result = await menu(hass)
    assert result["menu_options"] == ["paste", "manual", "cloud"]
    MockConfigEntry(domain="loqed", data={}).add_to_hass(hass)
    result = await menu(hass)
    assert result["menu_options"] == ["paste", "manual", "import_builtin", "cloud"]


# ---------------------------------------------------------------------------- paste


async def test_paste_recovers_from_every_error(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    result = await start(hass, "paste")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "paste"

    result = await submit(hass, result, {"integration_information": "hello, this is not it"})
    assert result["errors"] == {"integration_information": "invalid_json"}
    result = await submit(
        hass, result, {"integration_information": info(emulator, lock_key_key="%%%")}
    )
    assert result["errors"] == {"integration_information": "invalid_json"}
    assert placeholders(result)["field"] == "lock_key_key"
    assert placeholders(result)["problem"] == "not base64"

    result = await submit(
        hass, result, {"integration_information": info(emulator, bridge_key=WRONG_KEY)}
    )
    assert result["errors"] == {"base": "invalid_bridge_key"}

    await emulator.set_bridge_down(down=True)
    result = await submit(hass, result, {"integration_information": info(emulator)})
    assert result["errors"] == {"base": "cannot_connect"}
    await emulator.set_bridge_down(down=False)

    # A paste from a phone: smart quotes and a trailing comma.
    text = info(emulator).replace('"', "\u201c", 1).replace("}", ",}")
    result = await submit(hass, result, {"integration_information": f"Here: {text} thanks"})
    assert_created(result, emulator, title=f"LOQED {emulator.macs.wifi[-6:].upper()}")
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_the_same_bridge_cannot_be_added_twice(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator, host="192.0.2.1")
    entry.add_to_hass(hass)
    result = await start(hass, "paste")
    result = await submit(hass, result, {"integration_information": info(emulator)})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"  # and its address is brought up to date


async def test_a_device_without_a_mac_is_not_taken_for_a_bridge(
    hass: HomeAssistant, emulator: EmulatedBridge, bridge_without_mac: TestServer, ha_url: str
) -> None:
    result = await start(hass, "paste")
    elsewhere = f"127.0.0.1:{bridge_without_mac.port}"
    result = await submit(
        hass,
        result,
        {"integration_information": info(emulator, bridge_ip=elsewhere, bridge_mdns_hostname=None)},
    )
    assert result["errors"] == {"base": "not_a_bridge"}
    # With the mDNS name of the Integration information the bridge is known after all.
    result = await submit(
        hass, result, {"integration_information": info(emulator, bridge_ip=elsewhere)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == emulator.macs.wifi
    await hass.async_block_till_done()


# ---------------------------------------------------------------------------- manual


async def test_manual_recovers_from_every_error(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    result = await start(hass, "manual")
    assert result["step_id"] == "manual"
    for changes, errors in (
        ({"host": "not a host!"}, {"host": "invalid_host"}),
        ({"host": "127.0.0.1:99999"}, {"host": "invalid_host"}),
        ({"bridge_key": "!!!"}, {"bridge_key": "invalid_key_format"}),
        ({"lock_key": "c2hvcnQ="}, {"lock_key": "invalid_key_format"}),
        ({"local_key_id": 300.0}, {"local_key_id": "invalid_key_id"}),
        ({"local_key_id": 1.5}, {"local_key_id": "invalid_key_id"}),
        ({"bridge_key": WRONG_KEY}, {"bridge_key": "invalid_bridge_key"}),
        ({"host": "127.0.0.1:1"}, {"base": "cannot_connect"}),
    ):
        result = await submit(hass, result, manual_input(emulator, **changes))
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors, changes
        # What was typed is shown again, the keys are not.
        suggested = {
            str(key): key.description.get("suggested_value") if key.description else None
            for key in schema_of(result).schema
        }
        assert suggested["bridge_key"] is None
        assert suggested["lock_key"] is None
    result = await submit(hass, result, manual_input(emulator, local_key_id=1))
    assert_created(result, emulator)
    await hass.async_block_till_done()


# ---------------------------------------------------------------------------- built-in import


def builtin_data(bridge: EmulatedBridge, **changes: Any) -> dict[str, Any]:
    """Entry data as Home Assistant's built-in loqed integration stores it."""
    information = bridge.integration_information
    data = {
        "lock_key_key": information["lock_key_key"],
        "bridge_key": information["bridge_key"],
        "lock_key_local_id": information["lock_key_local_id"],
        "bridge_mdns_hostname": information["bridge_mdns_hostname"],
        "bridge_ip": information["bridge_ip"],
        "name": "Back door",
        "id": information["lock_id"],
        "api_token": "not used",
        "webhook_id": "their-webhook-id",
    }
    data.update(changes)
    return data


async def test_import_from_the_builtin_integration_recovers_from_errors(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    broken = MockConfigEntry(
        domain="loqed", title="Broken", data=builtin_data(emulator, bridge_key="")
    )
    good = MockConfigEntry(domain="loqed", title="Back door", data=builtin_data(emulator))
    broken.add_to_hass(hass)
    good.add_to_hass(hass)
    result = await start(hass, "import_builtin")
    assert result["step_id"] == "import_builtin"

    result = await submit(hass, result, {"builtin_entry": broken.entry_id})
    assert result["errors"] == {"base": "invalid_json"}
    assert placeholders(result)["field"] == "bridge_key"

    await emulator.set_bridge_down(down=True)
    result = await submit(hass, result, {"builtin_entry": good.entry_id})
    assert result["errors"] == {"base": "cannot_connect"}
    await emulator.set_bridge_down(down=False)

    result = await submit(hass, result, {"builtin_entry": good.entry_id})
    assert_created(result, emulator, title="Back door")
    assert result["data"]["lock_id"] == emulator.config.lock_id
    await hass.async_block_till_done()
    # The built-in entry is left alone; the user removes it when ready.
    assert hass.config_entries.async_get_entry(good.entry_id) is not None


async def test_import_with_a_refused_bridge_key_says_so(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    old = MockConfigEntry(domain="loqed", data=builtin_data(emulator, bridge_key=WRONG_KEY))
    old.add_to_hass(hass)
    result = await start(hass, "import_builtin")
    result = await submit(hass, result, {"builtin_entry": old.entry_id})
    assert result["errors"] == {"base": "invalid_bridge_key"}


async def test_import_aborts_when_the_builtin_entry_goes_away(
    hass: HomeAssistant, emulator: EmulatedBridge
) -> None:
    old = MockConfigEntry(domain="loqed", data=builtin_data(emulator))
    other = MockConfigEntry(domain="loqed", data=builtin_data(emulator))
    old.add_to_hass(hass)
    other.add_to_hass(hass)
    result = await start(hass, "import_builtin")
    await hass.config_entries.async_remove(old.entry_id)
    result = await submit(hass, result, {"builtin_entry": old.entry_id})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_builtin_entries"

    # Chosen from a menu that still offered it.
    MockConfigEntry(domain="loqed", data=builtin_data(emulator)).add_to_hass(hass)
    result = await menu(hass)
    for entry in hass.config_entries.async_entries("loqed"):
        await hass.config_entries.async_remove(entry.entry_id)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "import_builtin"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_builtin_entries"


# ---------------------------------------------------------------------------- cloud


async def test_cloud_recovers_from_every_error(
    hass: HomeAssistant, emulator: EmulatedBridge, cloud: FakeCloud, ha_url: str
) -> None:
    result = await start(hass, "cloud")
    assert result["step_id"] == "cloud"

    cloud.answer = lambda _: web.Response(status=401)
    result = await submit(hass, result, {"api_token": "expired"})
    assert result["errors"] == {"api_token": "invalid_token"}
    result = await submit(hass, result, {"api_token": "   "})
    assert result["errors"] == {"api_token": "invalid_token"}

    cloud.answer = lambda _: web.Response(status=500)
    result = await submit(hass, result, {"api_token": "good"})
    assert result["errors"] == {"base": "cannot_connect_cloud"}

    cloud.answer = lambda _: web.json_response({"data": []})
    result = await submit(hass, result, {"api_token": "good"})
    assert result["errors"] == {"base": "no_locks"}

    cloud.answer = lambda _: web.json_response({"data": [cloud_lock(emulator, key_secret=None)]})
    result = await submit(hass, result, {"api_token": "good-2"})
    assert result["errors"] == {"base": "invalid_json"}
    assert placeholders(result)["field"] == "key_secret"

    cloud.answer = lambda _: web.json_response(
        {"data": [cloud_lock(emulator, bridge_key=WRONG_KEY)]}
    )
    result = await submit(hass, result, {"api_token": "good-3"})
    assert result["errors"] == {"base": "invalid_bridge_key"}

    cloud.answer = lambda _: web.json_response({"data": [cloud_lock(emulator)]})
    await emulator.set_bridge_down(down=True)
    result = await submit(hass, result, {"api_token": "good-4"})
    assert result["errors"] == {"base": "cannot_connect"}
    await emulator.set_bridge_down(down=False)
    calls = cloud.calls
    result = await submit(hass, result, {"api_token": "good-4"})  # same token: no new cloud call
    assert cloud.calls == calls
    assert_created(result, emulator, title="Front door")
    assert cloud.tokens[-1] == "Bearer good-4"
    assert "api_token" not in result["data"]  # forgotten: not asked to keep it
    assert result["options"] == {"handle_outside": False}
    await hass.async_block_till_done()
    assert cloud.calls == calls  # and never used again


async def test_cloud_account_with_several_locks_picks_one(
    hass: HomeAssistant, make_emulator: BridgeFactory, cloud: FakeCloud, ha_url: str
) -> None:
    front = await make_emulator(name="Front door")
    back = await make_emulator(name="Back door")
    cloud.answer = lambda _: web.json_response(
        {
            "data": [
                cloud_lock(front),
                # A door with a handle outside: "open" only unlocks.
                cloud_lock(back, name="", supported_lock_states=["day_lock", "night_lock"]),
            ]
        }
    )
    result = await start(hass, "cloud")
    result = await submit(hass, result, {"api_token": "token", "keep_token": True})
    assert result["step_id"] == "pick_lock"
    options = schema_of(result).schema["lock"].config["options"]
    assert [option["label"] for option in options] == ["Front door", back.config.lock_id]

    await back.set_bridge_down(down=True)
    result = await submit(hass, result, {"lock": back.config.lock_id})
    assert result["errors"] == {"base": "cannot_connect"}
    await back.set_bridge_down(down=False)
    result = await submit(hass, result, {"lock": back.config.lock_id})
    assert_created(result, back)
    # Kept for the lock settings, as asked; the door offers no "open".
    assert result["data"]["api_token"] == "token"
    assert result["options"] == {"handle_outside": True}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert cloud.calls == 2  # the lock list, then the settings read once at setup
    twist = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{back.macs.wifi}-twist_assist"
    )
    assert twist is not None
    assert state_of(hass, twist).state == "on"


# ---------------------------------------------------------------------------- discovery


def zeroconf_info(bridge: EmulatedBridge, name: str | None = None) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        port=bridge.port,
        hostname=f"LOQED-{bridge.macs.wifi}.local.",
        type="_http._tcp.local.",
        name=name or f"LOQED-{bridge.macs.wifi}._http._tcp.local.",
        properties={},
    )


async def test_zeroconf_finds_a_new_bridge_and_uses_its_address(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(emulator)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert placeholders(result)["host"] == f"127.0.0.1:{emulator.port}"

    result = await submit(hass, result, {"integration_information": "{}"})
    assert result["errors"] == {"integration_information": "invalid_json"}
    result = await submit(
        hass, result, {"integration_information": info(emulator, bridge_key=WRONG_KEY)}
    )
    assert result["errors"] == {"base": "invalid_bridge_key"}
    # The Integration information still has the bridge's old address: the found one wins.
    result = await submit(
        hass, result, {"integration_information": info(emulator, bridge_ip="192.0.2.4")}
    )
    assert_created(result, emulator)
    await hass.async_block_till_done()


async def test_zeroconf_updates_the_address_of_a_known_bridge(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator, host="192.0.2.1", port=80)
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(emulator)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert (entry.data[CONF_HOST], entry.data[CONF_PORT]) == ("127.0.0.1", emulator.port)


async def test_zeroconf_reads_the_mac_when_the_name_does_not_carry_it(
    hass: HomeAssistant, emulator: EmulatedBridge, bridge_without_mac: TestServer
) -> None:
    gateway = zeroconf_info(emulator, name="LOQED gateway._http._tcp.local.")
    gateway.hostname = "loqed-gateway.local."
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=gateway
    )
    assert result["step_id"] == "discovery_confirm"
    assert (
        hass.config_entries.flow.async_progress()[0]["context"]["unique_id"] == emulator.macs.wifi
    )

    no_mac = zeroconf_info(emulator, name="loqed._http._tcp.local.")
    no_mac.port = bridge_without_mac.port
    no_mac.hostname = "loqed.local."
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=no_mac
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_a_bridge"

    await emulator.set_bridge_down(down=True)
    gone = zeroconf_info(emulator, name="LOQED gateway._http._tcp.local.")
    gone.hostname = "gateway.local."
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=gone
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_dhcp_finds_a_new_bridge_and_updates_a_known_one(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    known = await make_emulator()
    new = await make_emulator()
    entry = make_entry(known, host="192.0.2.1")
    entry.add_to_hass(hass)
    mac = ":".join(known.macs.wifi[i : i + 2] for i in range(0, 12, 2)).upper()
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.1", hostname="loqed-bridge", macaddress=mac),
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == known.port  # DHCP knows no port: the stored one stays

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.1", hostname="loqed-bridge", macaddress=new.macs.wifi),
    )
    assert result["step_id"] == "discovery_confirm"
    # DHCP knows no port either: the one in the Integration information is used.
    result = await submit(hass, result, {"integration_information": info(new)})
    assert_created(result, new)
    await hass.async_block_till_done()

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_DHCP},
        data=DhcpServiceInfo(ip="127.0.0.1", hostname="loqed-bridge", macaddress="nonsense"),
    )
    assert result["reason"] == "not_a_bridge"


def test_mac_from_name() -> None:
    assert mac_from_name("LOQED-AABBCCDDEEFF._http._tcp.local.") == "aabbccddeeff"
    assert mac_from_name("loqed-aabbccddeeff.local.") == "aabbccddeeff"
    assert mac_from_name("LOQED-gateway._http._tcp.local.") is None
    assert mac_from_name("printer-aabbccddeeff.local.") is None


# ---------------------------------------------------------------------------- reauth


async def test_reauth_recovers_from_errors_and_keeps_the_entry(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator, bridge_key=WRONG_KEY)
    await setup_integration(hass, entry)
    assert entry_state(entry) is ConfigEntryState.SETUP_ERROR
    ir.async_create_issue(
        hass,
        DOMAIN,
        lock_key_issue_id(entry.entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="lock_key_rejected",
    )
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    information = emulator.integration_information
    keys = {
        "bridge_key": information["bridge_key"],
        "lock_key": information["lock_key_key"],
        "local_key_id": float(str(information["lock_key_local_id"])),
    }
    result = await submit(hass, result, {**keys, "bridge_key": WRONG_KEY})
    assert result["errors"] == {"bridge_key": "invalid_bridge_key"}
    result = await submit(hass, result, {**keys, "lock_key": "nope"})
    assert result["errors"] == {"lock_key": "invalid_key_format"}
    result = await submit(hass, result, keys)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert entry.data["bridge_key"] == information["bridge_key"]
    assert entry.data[CONF_WEBHOOK_ID] == make_entry(emulator).data[CONF_WEBHOOK_ID]
    assert ir.async_get(hass).async_get_issue(DOMAIN, lock_key_issue_id(entry.entry_id)) is None


# ---------------------------------------------------------------------------- reconfigure


async def test_reconfigure_moves_the_entry_to_a_new_address(
    hass: HomeAssistant, make_emulator: BridgeFactory, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    # The same bridge, now at another address (same MAC, same keys).
    moved = await make_emulator(
        mac_wifi=emulator.macs.wifi,
        bridge_key=emulator.config.bridge_key,
        lock_keys=dict(emulator.config.lock_keys),
    )
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    suggested = {
        str(key): key.description.get("suggested_value") if key.description else None
        for key in schema_of(result).schema
    }
    assert suggested["host"] == f"127.0.0.1:{emulator.port}"

    result = await submit(hass, result, {"host": "", "local_key_id": 1.0})
    assert result["errors"] == {"host": "invalid_host"}
    result = await submit(hass, result, {"host": "127.0.0.1:1", "local_key_id": 1.0})
    assert result["errors"] == {"base": "cannot_connect"}
    result = await submit(hass, result, {"host": f"127.0.0.1:{moved.port}", "local_key_id": 1.0})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_PORT] == moved.port
    assert entry.data["bridge_key"] == make_entry(emulator).data["bridge_key"]  # kept
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert len(list(moved.registry)) == 1


async def test_reconfigure_refuses_another_bridge(
    hass: HomeAssistant, make_emulator: BridgeFactory, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(emulator)
    await setup_integration(hass, entry)
    other = await make_emulator()
    result = await entry.start_reconfigure_flow(hass)
    information = other.integration_information
    result = await submit(
        hass,
        result,
        {
            "host": information["bridge_ip"],
            "bridge_key": information["bridge_key"],
            "lock_key": information["lock_key_key"],
            "local_key_id": 1.0,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_bridge"
    assert entry.data[CONF_PORT] == emulator.port


# ---------------------------------------------------------------------------- options


def options_input(
    *,
    key_names: str = "",
    handle_outside: bool = False,
    callback_url: str = "",
    timestamp_window: float = 30,
    healthy_poll_minutes: float = 10,
    fallback_poll_seconds: float = 45,
) -> dict[str, Any]:
    """What the options form sends (number boxes give floats)."""
    return {
        "key_names": key_names,
        "handle_outside": handle_outside,
        "connection": {
            "callback_url": callback_url,
            "timestamp_window": timestamp_window,
            "healthy_poll_minutes": healthy_poll_minutes,
            "fallback_poll_seconds": fallback_poll_seconds,
        },
    }


async def test_options_form_shows_what_is_set(
    hass: HomeAssistant, emulator: EmulatedBridge, ha_url: str
) -> None:
    entry = make_entry(
        emulator,
        options={
            "key_names": {"12": "Keypad", "3": "Anna's phone"},
            "handle_outside": True,
            "callback_url": "http://192.0.2.7:8123",
            "timestamp_window": 500,  # from an older version: shown within the bounds
        },
    )
    await setup_integration(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    assert placeholders(result)["example"] == "3=Anna's phone"
    schema = schema_of(result).schema
    suggested = {str(key): (key.description or {}).get("suggested_value") for key in schema}
    assert suggested == {
        "key_names": "3=Anna's phone\n12=Keypad",
        "handle_outside": True,
        "connection": None,
    }
    connection = schema["connection"].schema.schema
    assert {str(key): key.description["suggested_value"] for key in connection} == {
        "callback_url": "http://192.0.2.7:8123",
        "timestamp_window": 120,
        "healthy_poll_minutes": 10,
        "fallback_poll_seconds": 45,
    }


@pytest.mark.parametrize(
    ("text", "error", "line"),
    [
        ("3=Anna\nnonsense", "key_names_format", "2"),
        ("3=", "key_names_format", "1"),
        ("=Anna", "key_names_format", "1"),
        ("\n\n251=Too high", "key_names_id", "3"),
        ("-1=Negative", "key_names_id", "1"),
        ("three=Anna", "key_names_id", "1"),
        (f"4={'x' * 41}", "key_names_too_long", "1"),
        ("4=Anna\n 4 = Bob", "key_names_duplicate", "2"),
    ],
)
async def test_options_explain_which_key_name_line_is_wrong(
    hass: HomeAssistant, init_integration: MockConfigEntry, text: str, error: str, line: str
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options_input(key_names=text)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"key_names": error}
    assert placeholders(result)["line"] == line
    assert init_integration.options == {}


async def test_options_refuse_numbers_out_of_bounds(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    for field, value in (
        ("timestamp_window", 9),
        ("timestamp_window", 121),
        ("healthy_poll_minutes", 4),
        ("healthy_poll_minutes", 61),
        ("fallback_poll_seconds", 14),
        ("fallback_poll_seconds", 301),
    ):
        data = options_input()
        data["connection"][field] = value
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(result["flow_id"], data)
    assert init_integration.options == {}


async def test_options_apply_without_a_reload(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry, ha_url: str
) -> None:
    entry = init_integration
    coordinator = entry.runtime_data
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for bad in (
        "ftp://x",
        "http://",
        "http://host:port",
        "http://h/?a=1",
        "http://h/#x",
        "http://a b",
    ):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], options_input(callback_url=bad)
        )
        assert result["errors"] == {"base": "invalid_url"}, bad

    # An address for Home Assistant that the bridge should call instead: the registration moves
    # there without a reload; so do the window, the intervals, the names and the door.
    elsewhere = "http://127.0.0.1:9"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        options_input(
            key_names="1=Hallway tablet\n\n 3 = Anna's   phone ",
            handle_outside=True,
            callback_url=f"{elsewhere}/",
            timestamp_window=90,
            healthy_poll_minutes=30,
            fallback_poll_seconds=20,
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        "key_names": {"1": "Hallway tablet", "3": "Anna's phone"},
        "handle_outside": True,
        "callback_url": elsewhere,
        "timestamp_window": 90,
        "healthy_poll_minutes": 30,
        "fallback_poll_seconds": 20,
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry_state(entry) is ConfigEntryState.LOADED
    assert entry.runtime_data is coordinator  # not reloaded
    assert coordinator.push.verifier.window == 90
    assert [r.url for r in emulator.registry] == [f"{elsewhere}/api/webhook/{WEBHOOK_ID}"]
    assert coordinator.update_interval == timedelta(minutes=30)
    assert coordinator.options.fallback_interval == timedelta(seconds=20)
    lock = state_of(hass, "lock.front_door")
    assert lock.attributes["supported_features"] == 0  # no "open" on this door

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], options_input())
    assert entry.options == {
        "key_names": {},
        "handle_outside": False,
        "timestamp_window": 30,
        "healthy_poll_minutes": 10,
        "fallback_poll_seconds": 45,
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [r.url for r in emulator.registry] == [f"{ha_url}/api/webhook/{WEBHOOK_ID}"]
    assert state_of(hass, "lock.front_door").attributes["supported_features"] == 1
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, "lock.front_door").state == "unlocked"
