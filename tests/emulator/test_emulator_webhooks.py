"""Webhook delivery: signatures over the exact bytes, sequences, triggers, order and failures."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING

from tests.emulator.helpers import BRIDGE_KEY, WAIT, Received, WebhookSink, register

from loqed_emulator import BatteryType, BoltState, EmulatedBridge
from loqed_emulator.lock import Source
from loqed_emulator.webhooks import expand_placeholders, url_host

if TYPE_CHECKING:
    from tests.emulator.conftest import BridgeFactory, SinkFactory


def expected_hash(received: Received) -> str:
    timestamp = int(received.headers["TIMESTAMP"])
    return hashlib.sha256(received.body + timestamp.to_bytes(8, "big") + BRIDGE_KEY).hexdigest()


async def settle(bridge: EmulatedBridge) -> None:
    async with asyncio.timeout(WAIT):
        await bridge.wait_settled()


def summary(items: list[Received]) -> list[tuple[object, object]]:
    return [(item.json.get("event_type"), item.json.get("key_local_id")) for item in items]


async def test_remote_open_sequence_signed_over_exact_bytes(
    bridge: EmulatedBridge, sink: WebhookSink
) -> None:
    register(bridge, f"{sink.url}/hook")
    bridge.lock.operate(BoltState.OPEN, Source.REMOTE, 5)
    received = await sink.take(3)
    assert summary(received) == [
        ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 5),
        ("STATE_CHANGED_OPEN", 5),
        ("STATE_CHANGED_LATCH", 255),
    ]
    for item in received:
        assert item.headers["HASH"] == expected_hash(item)
        assert item.headers["Content-Type"] == "application/json"
        assert b": " not in item.body
        assert item.json["mac_wifi"] == "aabbccddeeff"
        assert item.json["mac_ble"] == "aabbccddef01"
    assert received[0].body == (
        b'{"go_to_state":"OPEN","event_type":"GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN",'
        b'"mac_wifi":"aabbccddeeff","mac_ble":"aabbccddef01","key_local_id":5}'
    )
    assert received[1].json == {
        "requested_state": "OPEN",
        "requested_state_numeric": 1,
        "mac_wifi": "aabbccddeeff",
        "mac_ble": "aabbccddef01",
        "event_type": "STATE_CHANGED_OPEN",
        "key_local_id": 5,
    }
    assert received[2].json["requested_state"] == "DAY_LOCK"
    assert received[2].json["requested_state_numeric"] == 2


async def test_trigger_flags_are_honoured(bridge: EmulatedBridge, make_sink: SinkFactory) -> None:
    only_reached_open = await make_sink()
    only_goto = await make_sink()
    register(bridge, only_reached_open.url, 0b1)
    register(bridge, only_goto.url, 0b1110000)
    bridge.app_ble(BoltState.OPEN, key_id=3)
    await settle(bridge)
    assert summary(only_reached_open.received) == [("STATE_CHANGED_OPEN", 3)]
    assert summary(only_goto.received) == [("GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN", 3)]


async def test_targets_are_called_one_after_another(
    bridge: EmulatedBridge, make_sink: SinkFactory
) -> None:
    slow = await make_sink(delay=0.2)
    fast = await make_sink()
    register(bridge, slow.url)
    register(bridge, fast.url)
    bridge.turn_knob(BoltState.DAY_LOCK)
    first = await slow.next()
    second = await fast.next()
    assert second.time - first.time >= 0.19
    await settle(bridge)
    log = list(bridge.dispatcher.deliveries)
    assert [entry.outcome for entry in log] == ["delivered", "delivered"]
    assert log[0].duration >= 0.19


async def test_each_request_is_signed_when_sent(
    make_bridge: BridgeFactory, make_sink: SinkFactory
) -> None:
    now = [1_800_000_000.0]
    bridge = await make_bridge(clock=lambda: now[0])
    slow = await make_sink(delay=0.2)
    fast = await make_sink()
    register(bridge, slow.url)
    register(bridge, fast.url)
    bridge.turn_knob(BoltState.DAY_LOCK)
    first = await slow.next()
    now[0] += 5
    second = await fast.next()
    assert first.body == second.body
    assert int(first.headers["TIMESTAMP"]) == 1_800_000_000
    assert int(second.headers["TIMESTAMP"]) == 1_800_000_005
    assert second.headers["HASH"] == expected_hash(second)


async def test_slow_target_times_out_and_the_next_still_gets_it(
    make_bridge: BridgeFactory, make_sink: SinkFactory
) -> None:
    bridge = await make_bridge(webhook_timeout=0.1)
    hanging = await make_sink(delay=2.0)
    fast = await make_sink()
    register(bridge, hanging.url)
    register(bridge, fast.url)
    bridge.turn_knob(BoltState.DAY_LOCK)
    await fast.next()
    await settle(bridge)
    outcomes = [(entry.host, entry.outcome) for entry in bridge.dispatcher.deliveries]
    assert outcomes == [(url_host(hanging.url), "timeout"), (url_host(fast.url), "delivered")]


async def test_dead_and_failing_targets_are_logged(
    bridge: EmulatedBridge, make_sink: SinkFactory
) -> None:
    failing = await make_sink(status=500)
    dead = await make_sink()
    await dead.stop()
    register(bridge, dead.url)
    register(bridge, failing.url)
    bridge.turn_knob(BoltState.DAY_LOCK)
    await settle(bridge)
    entries = [entry.to_json() for entry in bridge.dispatcher.deliveries]
    assert [(e["outcome"], e["status"]) for e in entries] == [("failed", None), ("http_error", 500)]
    assert all("/" not in e["host"] for e in entries)


async def test_placeholders_in_url(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, f"{sink.url}/hook?state=[requested_state]&key=[key_local_id]")
    bridge.turn_knob(BoltState.DAY_LOCK)
    received = await sink.next()
    assert received.path == "/hook?state=DAY_LOCK&key=255"


def test_expand_placeholders_leaves_unknown_names() -> None:
    assert expand_placeholders("http://h/[a]/[b]", {"a": 1}) == "http://h/1/[b]"


def test_url_host_forms() -> None:
    assert url_host("http://user:pw@example.com:8123/api/webhook/x") == "example.com:8123"
    assert url_host("https://[::1]/x") == "[::1]"
    assert url_host("http://example.com:bad/") == "example.com"


async def test_battery_webhooks(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, sink.url)
    bridge.set_battery(42, BatteryType.ALKALINE)
    received = await sink.next()
    assert received.json == {
        "battery_type": "ALKALINE",
        "battery_percentage": 42,
        "mac_wifi": "aabbccddeeff",
        "mac_ble": "aabbccddef01",
    }
    assert received.headers["HASH"] == expected_hash(received)


async def test_periodic_battery_reports_drain(
    make_bridge: BridgeFactory, sink: WebhookSink
) -> None:
    bridge = await make_bridge(battery_interval=0.02, battery_drain=1.0, battery_percentage=50.0)
    register(bridge, sink.url, 1 << 7)
    reports = await sink.take(2)
    levels = [item.json["battery_percentage"] for item in reports]
    assert levels == [49, 48]


async def test_link_lost_and_regained(bridge: EmulatedBridge, sink: WebhookSink) -> None:
    register(bridge, sink.url)
    bridge.lose_link()
    lost = await sink.next()
    assert lost.json == {
        "wifi_strength": 62,
        "ble_strength": -1,
        "mac_wifi": "aabbccddeeff",
        "mac_ble": "aabbccddef01",
    }
    bridge.report_battery()
    assert (await sink.next()).json["battery_percentage"] == -1
    bridge.lose_link()  # no change, no webhook
    bridge.turn_knob(BoltState.DAY_LOCK)  # at the door while offline: not relayed
    await settle(bridge)
    assert bridge.status()["bolt_state"] == "night_lock"
    bridge.regain_link()
    online, battery = await sink.take(2)
    assert online.json["ble_strength"] == 91
    assert battery.json["battery_percentage"] == 87
    assert "ble_strength" not in battery.json
    assert bridge.status()["bolt_state"] == "day_lock"
    assert len(sink.received) == 4
    lock_events = [e for e in bridge.events if e.kind == "lock"]
    assert lock_events[-1].detail["relayed"] is False


async def test_delivery_log_is_bounded(make_bridge: BridgeFactory, sink: WebhookSink) -> None:
    bridge = await make_bridge(log_size=3)
    register(bridge, sink.url)
    for _ in range(5):
        bridge.report_battery()
    await settle(bridge)
    assert len(bridge.dispatcher.deliveries) == 3
    assert len(sink.received) == 5


async def test_target_deleted_during_dispatch_is_skipped(
    bridge: EmulatedBridge, make_sink: SinkFactory
) -> None:
    slow = await make_sink(delay=0.1)
    later = await make_sink()
    register(bridge, slow.url)
    later_id = register(bridge, later.url)
    bridge.turn_knob(BoltState.DAY_LOCK)
    await slow.next()
    bridge.registry.remove(later_id)
    await settle(bridge)
    assert later.received == []


async def test_status_counts_webhooks(bridge: EmulatedBridge) -> None:
    register(bridge, "http://127.0.0.1:9/a")
    register(bridge, "http://127.0.0.1:9/b")
    assert bridge.status()["webhooks_number"] == 2
    assert [item.to_json()["id"] for item in bridge.registry] == [1, 2]
    assert json.loads(json.dumps(bridge.snapshot()))["webhooks"][0] == {
        "id": 1,
        "host": "127.0.0.1:9",
        "flags": 511,
    }


async def test_credentials_in_url_become_basic_auth(
    bridge: EmulatedBridge, sink: WebhookSink
) -> None:
    register(bridge, sink.url.replace("http://", "http://user:pa55@") + "/hook")
    bridge.report_battery()
    received = await sink.next()
    assert received.headers["Authorization"] == "Basic dXNlcjpwYTU1"
    await bridge.wait_idle()
    assert bridge.dispatcher.deliveries[-1].to_json()["host"] == f"127.0.0.1:{sink.port}"
