"""Fault switches, at start and at run time, seen from a client and a webhook receiver."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import aiohttp
import pytest
from tests.emulator.helpers import WAIT, WebhookSink, command_query, register

from loqed_emulator import BoltState, EmulatedBridge, FaultError, Faults
from loqed_emulator.faults import parse_fault_changes

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory, SinkFactory


async def settle(bridge: EmulatedBridge) -> None:
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()


async def test_latency(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    await bridge.set_faults(latency_ms=150)
    started = time.monotonic()
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.15


async def test_bridge_down_refuses_then_comes_back_on_the_same_port(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    port = bridge.port
    await bridge.set_faults(bridge_down=True)
    assert bridge.fault_state()["bridge_down"] is True
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"{bridge.url}/status"):
            pass
    await bridge.set_faults(bridge_down=False)
    assert bridge.port == port
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200
    assert [e.kind for e in bridge.events][-2:] == ["bridge_up", "faults"]


async def test_bridge_down_from_the_start(
    make_bridge: BridgeFactory, http: aiohttp.ClientSession
) -> None:
    bridge = await make_bridge(bridge_down=True)
    assert bridge.port != 0
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"{bridge.url}/status"):
            pass
    await bridge.set_bridge_down(down=False)
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200


async def test_bridge_down_before_start_is_remembered() -> None:
    bridge = EmulatedBridge()
    await bridge.set_bridge_down(down=True)
    assert bridge.bridge_down


async def test_http_500_everywhere_and_commands_not_relayed(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    await bridge.set_faults(http_500=True)
    for path in ("/status", f"/to_lock?{command_query(2)}", "/webhooks"):
        async with http.get(f"{bridge.url}{path}") as response:
            assert response.status == 500
    await settle(bridge)
    assert bridge.bolt_state is BoltState.NIGHT_LOCK


async def test_malformed_json(bridge: EmulatedBridge, http: aiohttp.ClientSession) -> None:
    await bridge.set_faults(malformed_json=True)
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200
        body = await response.read()
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert body.startswith(b'{"battery_percentage"')


@pytest.mark.parametrize(
    ("content_type", "header"), [("json", "application/json"), ("html", "text/html")]
)
async def test_content_type(
    make_bridge: BridgeFactory, http: aiohttp.ClientSession, content_type: str, header: str
) -> None:
    bridge = await make_bridge(faults=Faults(content_type=content_type))  # type: ignore[arg-type]
    for path in ("/status", f"/to_lock?{command_query(2)}"):
        async with http.get(f"{bridge.url}{path}") as response:
            assert response.headers["Content-Type"] == header


async def test_clock_offset(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, sink.url)
    await bridge.set_faults(clock_offset=-45)
    bridge.report_battery()
    received = await sink.next()
    assert abs(int(received.headers["TIMESTAMP"]) - (time.time() - 45)) <= 2


async def test_unsigned_webhooks(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, sink.url)
    await bridge.set_faults(unsigned_webhooks=True)
    bridge.report_battery()
    received = await sink.next()
    assert "TIMESTAMP" not in received.headers
    assert "HASH" not in received.headers
    await settle(bridge)
    assert bridge.dispatcher.deliveries[-1].signed is False


async def test_lose_next_webhooks(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, sink.url)
    await bridge.set_faults(lose_next_webhooks=2)
    for _ in range(3):
        bridge.report_battery()
    await settle(bridge)
    assert len(sink.received) == 1
    assert [d.outcome for d in bridge.dispatcher.deliveries] == ["lost", "lost", "delivered"]
    assert bridge.fault_state()["lose_next_webhooks"] == 0


async def test_loss_rate_is_repeatable_with_a_seed(
    make_bridge: BridgeFactory, sink: WebhookSink
) -> None:
    patterns = []
    for _ in range(2):
        bridge = await make_bridge(seed=11, faults=Faults(webhook_loss_rate=0.5))
        register(bridge, sink.url)
        for _ in range(12):
            bridge.report_battery()
        await settle(bridge)
        patterns.append([d.outcome for d in bridge.dispatcher.deliveries])
        await bridge.stop()
    assert patterns[0] == patterns[1]
    assert "lost" in patterns[0]
    assert "delivered" in patterns[0]


async def test_motor_stall_next(
    bridge: EmulatedBridge, sink: WebhookSink, http: aiohttp.ClientSession
) -> None:
    register(bridge, sink.url)
    await bridge.set_faults(motor_stall_next=True)
    async with http.get(f"{bridge.url}/to_lock?{command_query(2)}"):
        pass
    received = await sink.take(3)
    assert [(r.json["event_type"], r.json["key_local_id"]) for r in received] == [
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 5),
        ("MOTOR_STALL", 5),
        ("STATE_CHANGED_UNKNOWN", 255),
    ]
    assert received[1].json["requested_state"] == "UNKNOWN"
    assert received[1].json["requested_state_numeric"] == 0
    assert bridge.status()["bolt_state"] == "unknown"
    assert bridge.fault_state()["motor_stall_next"] is False


async def test_reboot_forgets_webhooks_and_resets_uptime(
    make_bridge: BridgeFactory, http: aiohttp.ClientSession
) -> None:
    clock = [1_800_000_000.0]
    bridge = await make_bridge(clock=lambda: clock[0])
    register(bridge, "http://127.0.0.1:9/hook")
    clock[0] += 100
    await bridge.reboot()
    status = bridge.status()
    assert status["webhooks_number"] == 0
    assert status["up_timestamp"] == 1_800_000_100
    assert bridge.registry.add("http://127.0.0.1:9/x", 511).id == 1


async def test_reboot_with_downtime_refuses_connections(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    reboot = asyncio.create_task(bridge.reboot(downtime=0.3))
    await asyncio.sleep(0.1)
    assert bridge.rebooting
    with pytest.raises(aiohttp.ClientConnectorError):
        async with http.get(f"{bridge.url}/status"):
            pass
    bridge.turn_knob(BoltState.DAY_LOCK)
    await reboot
    async with http.get(f"{bridge.url}/status") as response:
        assert json.loads(await response.read())["bolt_state"] == "day_lock"
    assert not bridge.rebooting


async def test_reboot_while_down_keeps_it_down(bridge: EmulatedBridge) -> None:
    await bridge.set_faults(bridge_down=True)
    await bridge.reboot(downtime=0.01)
    assert bridge.bridge_down


async def test_bad_update_changes_nothing(bridge: EmulatedBridge) -> None:
    before = bridge.fault_state()
    with pytest.raises(FaultError, match="webhook_loss_rate must be between 0 and 1"):
        await bridge.update_faults({"latency_ms": 5, "webhook_loss_rate": 2})
    assert bridge.fault_state() == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nope": 1}, "unknown fault 'nope'"),
        ({"latency_ms": "fast"}, "latency_ms must be a number"),
        ({"latency_ms": True}, "latency_ms must be a number"),
        ({"latency_ms": -1}, "latency_ms must be between"),
        ({"lose_next_webhooks": 1.5}, "lose_next_webhooks must be an integer"),
        ({"lose_next_webhooks": -1}, "lose_next_webhooks must be between"),
        ({"http_500": 1}, "http_500 must be true or false"),
        ({"content_type": "xml"}, "content_type must be one of html, json"),
        ({"clock_offset": 1e12}, "clock_offset must be between"),
    ],
)
def test_parse_fault_changes_errors(changes: dict[str, object], message: str) -> None:
    with pytest.raises(FaultError, match=message):
        parse_fault_changes(changes)


def test_parse_fault_changes_values() -> None:
    assert parse_fault_changes({"latency_ms": 5, "content_type": "json", "bridge_down": True}) == {
        "latency_ms": 5.0,
        "content_type": "json",
        "bridge_down": True,
    }


async def test_setting_the_same_bridge_state_is_a_no_op(bridge: EmulatedBridge) -> None:
    await bridge.set_bridge_down(down=False)
    assert [e.kind for e in bridge.events] == []


async def test_reboot_drops_queued_webhooks_and_link_changes(
    bridge: EmulatedBridge, make_sink: SinkFactory
) -> None:
    slow = await make_sink(delay=0.2)
    register(bridge, slow.url)
    for _ in range(3):
        bridge.report_battery()
    await slow.next()  # the first is being delivered, two wait in the queue
    reboot = asyncio.create_task(bridge.reboot(downtime=0.05))
    await asyncio.sleep(0.01)
    bridge.lose_link()  # while rebooting: recorded, no webhook
    await reboot
    await bridge.wait_idle()
    assert len(slow.received) == 1
    assert bridge.dispatcher.pending == 0
    assert bridge.status()["lock_online"] == 0
    assert bridge.macs.wifi == "aabbccddeeff"


async def test_bridge_cannot_come_back_while_its_port_is_taken(
    bridge: EmulatedBridge, http: aiohttp.ClientSession
) -> None:
    import socket

    await bridge.set_faults(bridge_down=True)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", bridge.port))
        squatter.listen()
        async with http.post(
            f"{bridge.control_url}/api/faults", json={"bridge_down": False}
        ) as response:
            assert response.status == 503
            assert "cannot listen" in (await response.json())["error"]
        assert bridge.bridge_down
    await bridge.set_faults(bridge_down=False)
    async with http.get(f"{bridge.url}/status") as response:
        assert response.status == 200


async def test_failed_background_reboot_is_logged(
    bridge: EmulatedBridge, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    bridge.spawn(broken())
    await asyncio.sleep(0.01)
    assert "background operation failed: boom" in caplog.text
