"""The bridge API over real loopback HTTP: status, commands, webhook management."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import TYPE_CHECKING

import pytest
from tests.emulator.helpers import (
    LOCK_KEY,
    WAIT,
    command_query,
    create_headers,
    delete_headers,
    list_headers,
    register,
    registration_body,
)

from loqed_emulator import BoltState, EmulatedBridge
from loqed_emulator.protocol import build_relay_command

if TYPE_CHECKING:
    import aiohttp
    from tests.emulator.conftest import BridgeFactory

STATUS_FIELDS = {
    "battery_percentage",
    "battery_type",
    "battery_type_numeric",
    "battery_voltage",
    "bolt_state",
    "bolt_state_numeric",
    "bridge_mac_wifi",
    "bridge_mac_ble",
    "lock_online",
    "webhooks_number",
    "ip_address",
    "up_timestamp",
    "wifi_strength",
    "ble_strength",
}


async def get_json(http: aiohttp.ClientSession, url: str) -> object:
    async with http.get(url) as response:
        assert response.status == 200
        return json.loads(await response.read())


async def settle(bridge: EmulatedBridge) -> None:
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()


async def test_status_has_every_field(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html"
        body = await response.read()
    status = json.loads(body)
    assert set(status) == STATUS_FIELDS
    assert b" " not in body
    assert status["bolt_state"] == "night_lock"
    assert status["bolt_state_numeric"] == 3
    assert status["bridge_mac_wifi"] == "aabbccddeeff"
    assert status["bridge_mac_ble"] == "aabbccddef01"
    assert status["lock_online"] == 1
    assert status["battery_type"] == "NICKEL_METAL_HYDRIDE"
    assert status["battery_type_numeric"] == 1
    assert status["ip_address"] == "127.0.0.1"
    assert status["webhooks_number"] == 0
    assert abs(status["up_timestamp"] - time.time()) < 60


@pytest.mark.parametrize(
    ("action", "state"),
    [(1, "day_lock"), (2, "day_lock"), (3, "night_lock")],
)
async def test_signed_command_moves_the_lock(
    make_bridge: BridgeFactory, http: aiohttp.ClientSession, action: int, state: str
) -> None:
    bridge = await make_bridge(
        bolt_state=BoltState.DAY_LOCK if action == 3 else BoltState.NIGHT_LOCK
    )
    async with http.get(f"{bridge.url}/to_lock?{command_query(action)}") as response:
        assert response.status == 200
        assert await response.text() == "Message resent to the lock"
    await settle(bridge)
    status = await get_json(http, f"{bridge.url}/status")
    assert isinstance(status, dict)
    assert status["bolt_state"] == state
    assert not bridge.ignored_commands


async def test_python_quote_form_with_slash_is_accepted(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    # loqedAPI leaves "/" unencoded; find a timestamp whose message contains one.
    from urllib.parse import quote

    from loqed_emulator.protocol import build_signed_command

    now = int(time.time())
    for ts in range(now, now - 50, -1):
        text = base64.b64encode(
            build_signed_command(lock_key=LOCK_KEY, key_id=5, action=2, timestamp=ts)
        ).decode()
        if "/" in text:
            break
    async with http.get(f"{bridge.url}/to_lock?command_signed_base64={quote(text)}") as response:
        assert response.status == 200
    await settle(bridge)
    assert bridge.bolt_state is BoltState.DAY_LOCK


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (command_query(2, key=bytes(32)), "bad_signature"),
        (command_query(2, key_id=9), "unknown_key"),
        (command_query(2, timestamp=int(time.time()) - 60), "stale"),
        (command_query(2, timestamp=int(time.time()) + 3600), "from_future"),
        (
            "command_signed_base64=" + base64.b64encode(bytes(8) + b"\x02\x07" + bytes(9)).decode(),
            "wrong_length",
        ),
    ],
)
async def test_bad_commands_are_answered_200_and_ignored(
    bridge: EmulatedBridge, http: aiohttp.ClientSession, query: str, reason: str
) -> None:
    async with http.get(f"{bridge.url}/to_lock?{query}") as response:
        assert response.status == 200
        assert await response.text() == "Message resent to the lock"
    await settle(bridge)
    assert bridge.bolt_state is BoltState.NIGHT_LOCK
    assert [item.reason for item in bridge.ignored_commands] == [reason]
    state = await get_json(http, f"{bridge.control_url}/api/state")
    assert isinstance(state, dict)
    assert state["ignored_commands"][0]["reason"] == reason


async def test_several_keys_each_with_its_own_id(
    make_bridge: BridgeFactory, http: aiohttp.ClientSession
) -> None:
    other = bytes(range(100, 132))
    bridge = await make_bridge(lock_keys={5: LOCK_KEY, 7: other})
    async with http.get(f"{bridge.url}/to_lock?{command_query(2, key=other, key_id=7)}"):
        pass
    await settle(bridge)
    assert bridge.bolt_state is BoltState.DAY_LOCK
    async with http.get(f"{bridge.url}/to_lock?{command_query(3, key=other, key_id=5)}"):
        pass
    await settle(bridge)
    assert bridge.bolt_state is BoltState.DAY_LOCK
    assert bridge.ignored_commands[-1].reason == "bad_signature"


@pytest.mark.parametrize(
    "query",
    ["", "command_signed_base64=not%20base64", "command_signed_base64=a&command_signed_base64=b"],
)
async def test_malformed_to_lock_is_400(
    bridge: EmulatedBridge, http: aiohttp.ClientSession, query: str
) -> None:
    async with http.get(f"{bridge.url}/to_lock?{query}") as response:
        assert response.status == 400
        assert (await response.text()).startswith("Bad request")


async def test_relay_message_is_recorded(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    value = base64.b64encode(build_relay_command(1)).decode()
    async with http.get(f"{bridge.url}/to_lock", params={"command_signed_base64": value}) as resp:
        assert resp.status == 200
    assert bridge.relay_pulses == 1
    assert bridge.events[-1].kind == "relay_pulsed"
    assert bridge.events[-1].detail == {"action_byte": 1}
    state = await get_json(http, f"{bridge.control_url}/api/state")
    assert isinstance(state, dict)
    assert state["bridge"]["relay_pulses"] == 1


async def test_unsigned_state_form(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    secret = base64.b64encode(LOCK_KEY).decode()
    params = {"command": "DAY_LOCK", "local_key_id": "5", "secret": secret}
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 200
        assert await response.text() == "Message resent to the lock"
    await settle(bridge)
    assert bridge.bolt_state is BoltState.DAY_LOCK
    params = {
        "command": "night_lock",
        "local_key_id": "5",
        "secret": base64.b64encode(bytes(32)).decode(),
    }
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 200
    params = {"command": "OPEN", "local_key_id": "4", "secret": secret}
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 200
    params = {"command": "OPEN", "local_key_id": "5", "secret": "***"}
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 200
    await settle(bridge)
    assert bridge.bolt_state is BoltState.DAY_LOCK
    assert [i.reason for i in bridge.ignored_commands] == [
        "bad_secret",
        "unknown_key",
        "bad_secret",
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"command": "OPEN", "local_key_id": "5"}, "missing secret"),
        ({"command": "SMASH", "local_key_id": "5", "secret": "x"}, "command must be"),
        ({"command": "OPEN", "local_key_id": "x", "secret": "x"}, "local_key_id must be"),
        ({"command": "OPEN", "local_key_id": "251", "secret": "x"}, "local_key_id must be"),
    ],
)
async def test_malformed_state_form_is_400(
    bridge: EmulatedBridge, http: aiohttp.ClientSession, params: dict[str, str], message: str
) -> None:
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 400
        assert message in await response.text()


async def test_webhook_create_list_delete(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    url = "http://192.0.2.10:8123/api/webhook/secret-id"
    async with http.post(
        f"{bridge.url}/webhooks", json=registration_body(url, 399), headers=create_headers(url, 399)
    ) as response:
        assert response.status == 200
        created = json.loads(await response.read())
    assert created["id"] == 1
    async with http.get(f"{bridge.url}/webhooks", headers=list_headers()) as response:
        assert response.status == 200
        listed = json.loads(await response.read())
    assert listed == [{"id": 1, **registration_body(url, 399)}]
    status = await get_json(http, f"{bridge.url}/status")
    assert isinstance(status, dict)
    assert status["webhooks_number"] == 1
    async with http.delete(f"{bridge.url}/webhooks/1", headers=delete_headers(1)) as response:
        assert response.status == 200
    async with http.get(f"{bridge.url}/webhooks", headers=list_headers()) as response:
        assert json.loads(await response.read()) == []


async def test_header_names_in_any_case(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    headers = {name.lower(): value for name, value in list_headers().items()}
    async with http.get(f"{bridge.url}/webhooks", headers=headers) as response:
        assert response.status == 200
    headers = {name.title(): value.upper() for name, value in list_headers().items()}
    async with http.get(f"{bridge.url}/webhooks", headers=headers) as response:
        assert response.status == 200


async def test_ids_are_never_reused(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    url = "http://127.0.0.1:9/hook"
    ids = []
    for _ in range(2):
        async with http.post(
            f"{bridge.url}/webhooks", json=registration_body(url), headers=create_headers(url, 511)
        ) as response:
            ids.append(json.loads(await response.read())["id"])
        async with http.delete(f"{bridge.url}/webhooks/{ids[-1]}", headers=delete_headers(ids[-1])):
            pass
    assert ids == [1, 2]


@pytest.mark.parametrize(
    ("headers_factory", "reason"),
    [
        (dict, "missing TIMESTAMP or HASH header"),
        (lambda: {"TIMESTAMP": "soon", "HASH": "00"}, "TIMESTAMP is not an integer"),
        (lambda: {"TIMESTAMP": "-1", "HASH": "00"}, "TIMESTAMP out of range"),
        (lambda: list_headers(key=bytes(32)), "bad hash"),
        (lambda: list_headers(timestamp=int(time.time()) - 120), "stale timestamp"),
    ],
)
async def test_list_refused(
    bridge: EmulatedBridge,
    http: aiohttp.ClientSession,
    headers_factory: object,
    reason: str,
) -> None:
    assert callable(headers_factory)
    async with http.get(f"{bridge.url}/webhooks", headers=headers_factory()) as response:
        assert response.status == 401
        assert await response.text() == f"Unauthorized: {reason}"


async def test_create_hash_must_cover_the_flags(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    url = "http://127.0.0.1:9/hook"
    async with http.post(
        f"{bridge.url}/webhooks", json=registration_body(url, 399), headers=create_headers(url, 511)
    ) as response:
        assert response.status == 401
    assert len(bridge.registry) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "body is not JSON"),
        (b"[]", "body must be a JSON object"),
        (b"{}", "url missing"),
        (json.dumps({"url": "ftp://x/"}).encode(), "url must start with http"),
        (json.dumps({"url": "http://x/" + "a" * 3000}).encode(), "url too long"),
        (json.dumps({"url": "http://x/", "trigger_battery": 2}).encode(), "trigger_battery"),
    ],
)
async def test_create_malformed_is_400(
    bridge: EmulatedBridge, http: aiohttp.ClientSession, body: bytes, message: str
) -> None:
    async with http.post(f"{bridge.url}/webhooks", data=body, headers=list_headers()) as response:
        assert response.status == 400
        assert message in await response.text()
    assert len(bridge.registry) == 0


async def test_create_too_large_is_413(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    async with http.post(f"{bridge.url}/webhooks", data=b"x" * 20000) as response:
        assert response.status == 413


async def test_delete_errors(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    register(bridge, "http://127.0.0.1:9/hook")
    async with http.delete(f"{bridge.url}/webhooks/abc", headers=delete_headers(1)) as response:
        assert response.status == 400
    async with http.delete(f"{bridge.url}/webhooks/7", headers=delete_headers(7)) as response:
        assert response.status == 404
        assert await response.text() == "Not found: no webhook with this id"
    async with http.delete(f"{bridge.url}/webhooks/1", headers=delete_headers(2)) as response:
        assert response.status == 401
    assert len(bridge.registry) == 1


async def test_unknown_path_is_404(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{bridge.url}/settings") as response:
        assert response.status == 404


async def test_commands_while_lock_offline_are_ignored(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    bridge.lose_link()
    async with http.get(f"{bridge.url}/to_lock?{command_query(2)}") as response:
        assert response.status == 200
    params = {"command": "OPEN", "local_key_id": "5", "secret": base64.b64encode(LOCK_KEY).decode()}
    async with http.get(f"{bridge.url}/state", params=params) as response:
        assert response.status == 200
    await settle(bridge)
    assert bridge.bolt_state is BoltState.NIGHT_LOCK
    assert [i.reason for i in bridge.ignored_commands] == ["lock_offline", "lock_offline"]
    status = await get_json(http, f"{bridge.url}/status")
    assert isinstance(status, dict)
    assert (status["lock_online"], status["battery_percentage"], status["ble_strength"]) == (
        0,
        -1,
        -1,
    )
