"""Contract: every fault switch of the emulator, as aioloqed sees it."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest
from tests.emulator.contract_helpers import client_for, listen
from tests.emulator.helpers import WAIT

from aioloqed import (
    BatteryEvent,
    BoltState,
    LoqedConnectionError,
    LoqedResponseError,
    LoqedTimeoutError,
    RejectedWebhook,
    RejectReason,
    StateReachedEvent,
    UnverifiableWebhook,
    VerifiedWebhook,
)
from loqed_emulator import BoltState as EmulatedState, EmulatedBridge, Faults

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory
    from tests.emulator.contract_helpers import Listener

    from aioloqed import LoqedBridge


async def test_latency_beyond_the_timeout(bridge: EmulatedBridge) -> None:
    await bridge.set_faults(latency_ms=400)
    async with client_for(bridge, request_timeout=0.1) as client:
        with pytest.raises(LoqedTimeoutError):
            await client.status()
    async with client_for(bridge, request_timeout=2.0) as client:
        assert (await client.status()).bolt_state is BoltState.NIGHT_LOCK


async def test_bridge_down_then_back_during_status_retries(bridge: EmulatedBridge) -> None:
    await bridge.set_faults(bridge_down=True)
    async with client_for(bridge) as client:
        with pytest.raises(LoqedConnectionError):
            await client.status()
        with pytest.raises(LoqedConnectionError):
            await client.unlock()
    assert not bridge.ignored_commands  # never reached the bridge

    async def come_back() -> None:
        await asyncio.sleep(0.2)
        await bridge.set_faults(bridge_down=False)

    back = asyncio.create_task(come_back())
    async with client_for(bridge, status_retries=3) as client:
        status = await client.status()
    await back
    assert status.lock_online


async def test_http_500(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    await bridge.set_faults(http_500=True)
    for call in (client.status(), client.unlock(), client.webhooks()):
        with pytest.raises(LoqedResponseError) as caught:
            await call
        assert caught.value.status == 500


async def test_malformed_json(bridge: EmulatedBridge, client: LoqedBridge) -> None:
    await bridge.set_faults(malformed_json=True)
    with pytest.raises(LoqedResponseError):
        await client.status()
    with pytest.raises(LoqedResponseError):
        await client.webhooks()


async def test_shelly_content_type(make_bridge: BridgeFactory) -> None:
    bridge = await make_bridge(faults=Faults(content_type="json"))
    async with client_for(bridge) as client:
        assert (await client.status()).bridge_mac_wifi == "aabbccddeeff"
        assert await client.webhooks() == []


async def test_clock_offset_within_window(bridge: EmulatedBridge, listener: Listener) -> None:
    await bridge.set_faults(clock_offset=12)
    bridge.report_battery()
    result = await listener.next()
    assert isinstance(result, VerifiedWebhook)
    assert 10 <= result.skew <= 14


async def test_clock_offset_beyond_window(bridge: EmulatedBridge, listener: Listener) -> None:
    await bridge.set_faults(clock_offset=-300)
    bridge.report_battery()
    result = await listener.next()
    assert isinstance(result, RejectedWebhook)
    assert result.reason is RejectReason.STALE
    assert result.skew is not None
    assert -302 <= result.skew <= -298


async def test_unsigned_webhooks(bridge: EmulatedBridge, listener: Listener) -> None:
    await bridge.set_faults(unsigned_webhooks=True)
    bridge.turn_knob(EmulatedState.DAY_LOCK)
    result = await listener.next()
    assert isinstance(result, UnverifiableWebhook)
    assert isinstance(result.event, StateReachedEvent)
    assert result.event.state is BoltState.DAY_LOCK
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()
    delivery = bridge.dispatcher.deliveries[-1]
    assert (delivery.outcome, delivery.status, delivery.signed) == ("delivered", 202, False)


async def test_lost_webhooks(bridge: EmulatedBridge, listener: Listener) -> None:
    await bridge.set_faults(lose_next_webhooks=1)
    bridge.set_battery(50)
    bridge.set_battery(40)
    result = await listener.next()
    assert isinstance(result, VerifiedWebhook)
    assert isinstance(result.event, BatteryEvent)
    assert result.event.battery_percentage == 40


async def test_reboot_forgets_the_registration(make_bridge: BridgeFactory) -> None:
    later = [0.0]
    bridge = await make_bridge(clock=lambda: time.time() + later[0])
    async with client_for(bridge) as client:
        await _reboot_and_recover(bridge, client, later)


async def _reboot_and_recover(
    bridge: EmulatedBridge, client: LoqedBridge, later: list[float]
) -> None:
    listener = await listen(client)
    try:
        before = (await client.status()).up_timestamp
        later[0] = 20.0  # the reboot happens 20 s later (within the management window)
        await bridge.reboot()
        assert await client.webhooks() == []
        status = await client.status()
        assert status.webhooks_number == 0
        assert status.up_timestamp is not None
        assert before is not None
        assert status.up_timestamp > before
        bridge.report_battery()
        async with asyncio.timeout(WAIT):
            await bridge.wait_settled()
        plan = await client.reconcile_webhook(listener.url)
        assert plan.create
        bridge.report_battery()
        assert isinstance(await listener.next(), VerifiedWebhook)
    finally:
        await listener.receiver.stop()


async def test_wrong_bridge_key_on_the_receiver(
    bridge: EmulatedBridge, client: LoqedBridge
) -> None:
    import dataclasses

    other = dataclasses.replace(client, bridge_key="C" * 43 + "=")
    listener = await listen(client)
    try:
        listener.receiver.verifier = other.webhook_verifier()
        bridge.report_battery()
        result = await listener.next()
        assert isinstance(result, RejectedWebhook)
        assert result.reason is RejectReason.BAD_HASH
    finally:
        await listener.receiver.stop()
