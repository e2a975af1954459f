"""Interop: the loqedAPI package from PyPI, unchanged, drives the emulator end to end."""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any

import aiohttp
from loqedAPI import loqed
import pytest
from tests.emulator.helpers import BRIDGE_KEY, LOCK_KEY, WAIT, Received, WebhookSink

from loqed_emulator import BoltState, EmulatedBridge, Faults

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory

SECRET = base64.b64encode(LOCK_KEY).decode()
BRIDGE_KEY_B64 = base64.b64encode(BRIDGE_KEY).decode()


async def verify(lock: Any, received: Received) -> dict[str, Any]:
    """loqedAPI's own check of a webhook: returns the payload, or a dict with an "error"."""
    result: dict[str, Any] = await lock.receiveWebhook(
        received.body.decode(), received.headers["HASH"], received.headers["TIMESTAMP"]
    )
    return result


@pytest.mark.parametrize("content_type", ["html", "json"])
async def test_loqedapi_drives_the_emulator(
    make_bridge: BridgeFactory, sink: WebhookSink, content_type: str
) -> None:
    bridge = await make_bridge(faults=Faults(content_type=content_type))  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as session:
        api = loqed.LoqedAPI(loqed.APIClient(session, bridge.url))
        lock = await api.async_get_lock(SECRET, BRIDGE_KEY_B64, 5, "Front door")
        assert lock.id == "aabbccddeeff"
        assert lock.bolt_state == "night_lock"
        assert lock.online is True
        status = await lock.update()
        assert status["battery_percentage"] == 87

        hook_url = f"{sink.url}/api/webhook/interop"
        assert await lock.registerWebhook(hook_url) == "CREATED"
        assert await lock.registerWebhook(hook_url) == "EXISTS ALREADY"
        hooks = await lock.getWebhooks()
        assert [(h["id"], h["url"], h["trigger_online_status"]) for h in hooks] == [
            (1, hook_url, 1)
        ]

        await lock.open()
        opened = await sink.take(3)
        payloads = [await verify(lock, item) for item in opened]
        assert all("error" not in payload for payload in payloads)
        assert [p["event_type"] for p in payloads] == [
            "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN",
            "STATE_CHANGED_OPEN",
            "STATE_CHANGED_LATCH",
        ]
        assert lock.bolt_state == "latch"
        assert lock.last_key_id == 255

        await lock.lock()
        for item in await sink.take(2):
            assert "error" not in await verify(lock, item)
        assert lock.bolt_state == "night_lock"
        assert lock.last_key_id == 5

        await lock.unlock()
        going = await sink.next()
        assert "error" not in await verify(lock, going)
        assert lock.bolt_state == "unlocking"
        assert "error" not in await verify(lock, await sink.next())
        assert lock.bolt_state == "latch"
        async with asyncio.timeout(WAIT):
            await bridge.wait_settled()
        assert bridge.bolt_state is BoltState.DAY_LOCK
        assert not bridge.ignored_commands

        tampered = Received(
            opened[0].body.replace(b"OPEN", b"SHUT"), opened[0].headers, 0.0, opened[0].path
        )
        assert (await verify(lock, tampered))["error"] == "Hash incorrect"

        await lock.deleteWebhook(1)
        assert await lock.getWebhooks() == []


async def test_loqedapi_sees_battery_and_link(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    async with aiohttp.ClientSession() as session:
        api = loqed.LoqedAPI(loqed.APIClient(session, bridge.url))
        lock = await api.async_get_lock(SECRET, BRIDGE_KEY_B64, 5, "Front door")
        await lock.registerWebhook(f"{sink.url}/hook")
        bridge.lose_link()
        assert "error" not in await verify(lock, await sink.next())
        assert lock.raw_data["lock_online"] == 0
        bridge.regain_link()
        for item in await sink.take(2):
            assert "error" not in await verify(lock, item)
        assert lock.raw_data["lock_online"] == 1
        assert lock.battery_percentage == 87
        await lock.update()
        assert lock.raw_data["lock_online"] == 1
