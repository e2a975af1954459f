"""Control API (JSON over HTTP) and the web page."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from tests.emulator.helpers import WAIT, WebhookSink, register

from loqed_emulator import BoltState, EmulatedBridge


async def post(
    http: aiohttp.ClientSession, bridge: EmulatedBridge, path: str, body: object = None
) -> tuple[int, Any]:
    async with http.post(f"{bridge.control_url}{path}", json=body if body is not None else {}) as r:
        return r.status, await r.json()


async def settle(bridge: EmulatedBridge) -> None:
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()


async def test_page_is_served_and_self_contained(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{bridge.control_url}/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        page = await response.text()
    assert "<title>LOQED bridge emulator</title>" in page
    assert "api/state" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    for control_id in re.findall(r'<input id="([^"]+)"', page):
        assert f'for="{control_id}"' in page
    for op in (
        "knob",
        "keypad_pin",
        "outside_button",
        "touch_to_open",
        "auto_unlock",
        "twist_assist",
        "touch_to_lock",
        "app_ble",
    ):
        assert f'data-op="{op}"' in page


async def test_state_snapshot(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    register(bridge, "http://user:pw@192.0.2.1:8123/api/webhook/very-secret")
    async with http.get(f"{bridge.control_url}/api/state") as response:
        state = await response.json()
    assert state["lock"]["bolt_state"] == "night_lock"
    assert state["lock"]["online"] is True
    assert state["lock"]["key_ids"] == [5]
    assert state["bridge"]["mac_wifi"] == "aabbccddeeff"
    assert state["webhooks"] == [{"id": 1, "host": "192.0.2.1:8123", "flags": 511}]
    assert "very-secret" not in str(state)
    assert "pw" not in str(state["webhooks"])
    assert state["faults"]["content_type"] == "html"


@pytest.mark.parametrize(
    ("operation", "body", "first_event", "key_id"),
    [
        ("knob", {"state": "day_lock"}, "STATE_CHANGED_LATCH", 255),
        ("keypad_pin", {"key_id": 12}, "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN", 12),
        ("keypad_pin", {}, "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN", 5),
        ("outside_button", {}, "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON", 255),
        ("touch_to_open", {"key_id": 3}, "GO_TO_STATE_INSTANTOPEN_OPEN", 3),
        ("auto_unlock", {}, "GO_TO_STATE_INSTANTOPEN_LATCH", 5),
        ("twist_assist", {"state": "open"}, "GO_TO_STATE_TWIST_ASSIST_OPEN", 255),
        ("app_ble", {"state": "day_lock", "key_id": 8}, "GO_TO_STATE_MANUAL_LOCK_BLE_LATCH", 8),
    ],
)
async def test_operations(
    *,
    bridge: EmulatedBridge,
    sink: WebhookSink,
    http: aiohttp.ClientSession,
    operation: str,
    body: dict[str, object],
    first_event: str,
    key_id: int,
) -> None:
    register(bridge, sink.url)
    status, state = await post(http, bridge, f"/api/operations/{operation}", body)
    assert status == 200
    assert "lock" in state
    first = await sink.next()
    assert (first.json["event_type"], first.json["key_local_id"]) == (first_event, key_id)
    await settle(bridge)
    assert bridge.status()["bolt_state"] == "day_lock"


async def test_touch_to_lock(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    bridge.turn_knob(BoltState.DAY_LOCK)
    status, _ = await post(http, bridge, "/api/operations/touch_to_lock")
    assert status == 200
    await settle(bridge)
    assert bridge.bolt_state is BoltState.NIGHT_LOCK
    assert bridge.events[-2].detail["event_type"] == "GO_TO_STATE_TOUCH_TO_LOCK"


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/operations/smash", {}, 404, "unknown operation"),
        ("/api/operations/knob", {}, 400, "state is required"),
        ("/api/operations/knob", {"state": "unknown"}, 400, "state must be one of"),
        ("/api/operations/app_ble", {"state": "open", "key_id": "5"}, 400, "key_id must be"),
        ("/api/operations/keypad_pin", {"key_id": 251}, 400, "key_id must be 0..250 or 255"),
        ("/api/operations/knob", [1], 400, "body must be a JSON object"),
        ("/api/battery", {"percentage": 101}, 400, "percentage must be 0..100"),
        ("/api/battery", {"percentage": "full"}, 400, "percentage must be a number"),
        ("/api/battery", {"type": 1}, 400, "type must be a string"),
        ("/api/battery", {"type": "lead"}, 400, "battery type must be one of"),
        ("/api/link", {}, 400, "online must be true or false"),
        ("/api/faults", {"latency_ms": -5}, 400, "latency_ms must be between"),
        ("/api/reboot", {"downtime": "long"}, 400, "downtime must be a number"),
        ("/api/reboot", {"downtime": 601}, 400, "downtime must be 0..600"),
    ],
)
async def test_bad_requests(
    *,
    bridge: EmulatedBridge,
    http: aiohttp.ClientSession,
    path: str,
    body: object,
    status: int,
    message: str,
) -> None:
    before = bridge.snapshot()
    got_status, data = await post(http, bridge, path, body)
    assert got_status == status
    assert message in data["error"]
    assert bridge.snapshot()["lock"] == before["lock"]


async def test_post_requires_json_content_type(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        f"{bridge.control_url}/api/operations/outside_button",
        data=b"{}",
        headers={"Content-Type": "text/plain"},
    ) as response:
        assert response.status == 415
        assert "application/json" in (await response.json())["error"]
    async with http.post(
        f"{bridge.control_url}/api/link",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
    async with http.post(
        f"{bridge.control_url}/api/battery/report",
        data=b"",
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 200
    assert bridge.lock.motion is None


async def test_battery_and_report(
    bridge: EmulatedBridge, sink: WebhookSink, http: aiohttp.ClientSession
) -> None:
    register(bridge, sink.url)
    status, state = await post(http, bridge, "/api/battery", {"percentage": 15, "type": "alkaline"})
    assert status == 200
    assert state["lock"]["battery_type"] == "alkaline"
    assert (await sink.next()).json["battery_percentage"] == 15
    status, _ = await post(http, bridge, "/api/battery/report")
    assert status == 200
    assert (await sink.next()).json["battery_type"] == "ALKALINE"
    assert bridge.status()["battery_type_numeric"] == 0


async def test_link(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    status, state = await post(http, bridge, "/api/link", {"online": False})
    assert status == 200
    assert state["lock"]["online"] is False
    assert bridge.status()["lock_online"] == 0
    await post(http, bridge, "/api/link", {"online": True})
    assert bridge.status()["lock_online"] == 1


async def test_faults(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    status, faults = await post(
        http, bridge, "/api/faults", {"content_type": "json", "bridge_down": True}
    )
    assert status == 200
    assert faults["content_type"] == "json"
    assert faults["bridge_down"] is True
    async with http.get(f"{bridge.control_url}/api/faults") as response:
        assert (await response.json())["bridge_down"] is True
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"{bridge.url}/status"):
            pass


async def test_reboot(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    register(bridge, "http://127.0.0.1:9/a")
    status, data = await post(http, bridge, "/api/reboot", {})
    assert (status, data) == (200, {"rebooting": False, "downtime": 0})
    assert len(bridge.registry) == 0
    status, data = await post(http, bridge, "/api/reboot", {"downtime": 0.05})
    assert status == 202
    assert data["rebooting"] is True
    async with asyncio.timeout(WAIT):
        while bridge.rebooting:
            await asyncio.sleep(0.01)


async def test_stop_cancels_a_reboot_in_progress(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    status, _ = await post(http, bridge, "/api/reboot", {"downtime": 60})
    assert status == 202
    await bridge.stop()
    assert not bridge.rebooting
