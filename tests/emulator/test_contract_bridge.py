"""Contract: aioloqed's LoqedBridge against the emulator over loopback HTTP, every endpoint."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from tests.emulator.contract_helpers import client_for
from tests.emulator.helpers import WAIT, register

from aioloqed import (
    BatteryType,
    BoltState,
    LockAction,
    LoqedAuthenticationError,
    LoqedBridge,
    LoqedResponseError,
    WebhookTrigger,
)
from loqed_emulator import BoltState as EmulatedState, EmulatedBridge, Faults

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory


async def settle(bridge: EmulatedBridge) -> None:
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()


@pytest.mark.parametrize("content_type", ["html", "json"])
async def test_status(make_bridge: BridgeFactory, content_type: str) -> None:
    bridge = await make_bridge(faults=Faults(content_type=content_type))  # type: ignore[arg-type]
    register(bridge, "http://127.0.0.1:9/hook")
    async with client_for(bridge) as client:
        status = await client.status()
    assert status.bolt_state is BoltState.NIGHT_LOCK
    assert status.lock_online is True
    assert status.battery_percentage == 87
    assert status.battery_type is BatteryType.NICKEL_METAL_HYDRIDE
    assert status.battery_voltage is not None
    assert 10 < status.battery_voltage < 11
    assert (status.wifi_strength, status.ble_strength) == (62, 91)
    assert (status.bridge_mac_wifi, status.bridge_mac_ble) == ("aabbccddeeff", "aabbccddef01")
    assert status.ip_address == "127.0.0.1"
    assert status.webhooks_number == 1
    assert status.up_timestamp == bridge.up_timestamp


async def test_status_while_lock_offline(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    bridge.lose_link()
    status = await client.status()
    assert status.lock_online is False
    assert status.battery_percentage is None
    assert status.ble_strength is None


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        (LockAction.OPEN, EmulatedState.NIGHT_LOCK, "day_lock"),
        (LockAction.UNLOCK, EmulatedState.NIGHT_LOCK, "day_lock"),
        (LockAction.LOCK, EmulatedState.DAY_LOCK, "night_lock"),
    ],
)
async def test_commands_are_performed(
    make_bridge: BridgeFactory, action: LockAction, start: EmulatedState, end: str
) -> None:
    bridge = await make_bridge(bolt_state=start)
    async with client_for(bridge) as client:
        sent = await client.send_command(action)
        assert (sent.action, sent.local_key_id) == (action, 5)
        assert abs(sent.timestamp - time.time()) < 5
        await settle(bridge)
        assert (await client.status()).bolt_state.value == end
    assert not bridge.ignored_commands
    lock_events = [e.detail["event_type"] for e in bridge.events if e.kind == "lock"]
    assert lock_events[0].startswith("GO_TO_STATE_MANUAL_")


async def test_shortcuts(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    for command, state in (
        (client.unlock, "day_lock"),
        (client.lock, "night_lock"),
        (client.open, "day_lock"),
    ):
        await command()
        await settle(bridge)
        assert bridge.status()["bolt_state"] == state


async def test_wrong_lock_key_is_relayed_but_ignored(bridge: EmulatedBridge) -> None:
    async with client_for(bridge, lock_key="A" * 43 + "=") as client:
        await client.unlock()
    await settle(bridge)
    assert bridge.bolt_state is EmulatedState.NIGHT_LOCK
    assert [c.reason for c in bridge.ignored_commands] == ["bad_signature"]


async def test_unknown_key_id_is_ignored(bridge: EmulatedBridge) -> None:
    async with client_for(bridge, local_key_id=6) as client:
        await client.lock()
    await settle(bridge)
    assert [c.reason for c in bridge.ignored_commands] == ["unknown_key"]


async def test_stale_client_clock_is_ignored_by_the_lock(bridge: EmulatedBridge) -> None:
    async with client_for(bridge, clock=lambda: time.time() - 90) as client:
        await client.unlock()
    await settle(bridge)
    assert [c.reason for c in bridge.ignored_commands] == ["stale"]


async def test_relay(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    await client.send_relay()
    await client.send_relay(2)
    assert bridge.relay_pulses == 2
    assert [e.detail for e in bridge.events if e.kind == "relay_pulsed"] == [
        {"action_byte": 1},
        {"action_byte": 2},
    ]


async def test_webhook_management(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    assert await client.webhooks() == []
    await client.add_webhook("http://192.0.2.1:8123/api/webhook/a")
    await client.add_webhook("http://192.0.2.1:8123/api/webhook/b", WebhookTrigger(399))
    hooks = await client.webhooks()
    assert [(h.id, h.url, int(h.triggers)) for h in hooks] == [
        (1, "http://192.0.2.1:8123/api/webhook/a", 511),
        (2, "http://192.0.2.1:8123/api/webhook/b", 399),
    ]
    await client.delete_webhook(1)
    assert [h.id for h in await client.webhooks()] == [2]
    assert [r.flags for r in bridge.registry] == [399]


async def test_reconcile(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    url = "http://192.0.2.1:8123/api/webhook/ours"
    register(bridge, url)
    register(bridge, url)
    register(bridge, "http://192.0.2.9/theirs")
    plan = await client.reconcile_webhook(url)
    assert not plan.create
    assert [r.id for r in plan.delete] == [2]
    assert [r.url for r in bridge.registry] == [url, "http://192.0.2.9/theirs"]
    await bridge.reboot()
    plan = await client.reconcile_webhook(url)
    assert plan.create
    assert [r.url for r in bridge.registry] == [url]


async def test_wrong_bridge_key(bridge: EmulatedBridge) -> None:
    async with client_for(bridge, bridge_key="B" * 43 + "=") as client:
        for call in (
            client.webhooks(),
            client.add_webhook("http://192.0.2.1/x"),
            client.delete_webhook(1),
        ):
            with pytest.raises(LoqedAuthenticationError) as caught:
                await call
            assert caught.value.credential == "bridge_key"
    assert len(bridge.registry) == 0


async def test_skewed_client_clock_is_refused(bridge: EmulatedBridge) -> None:
    async with client_for(bridge, clock=lambda: time.time() + 3600) as client:
        with pytest.raises(LoqedAuthenticationError):
            await client.webhooks()


async def test_delete_unknown_id(client: LoqedBridge) -> None:
    with pytest.raises(LoqedResponseError) as caught:
        await client.delete_webhook(42)
    assert caught.value.status == 404
