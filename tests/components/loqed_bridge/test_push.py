"""Incoming webhooks: verified ones change the state, anything else changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any
from unittest.mock import Mock, patch

from aiohttp import StreamReader, web
from aiohttp.test_utils import make_mocked_request
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from aioloqed import webhook_body_hash
from custom_components.loqed_bridge.const import HEALTHY_POLL_INTERVAL
from custom_components.loqed_bridge.push import (
    NOT_LOCAL,
    REMOTES_REMEMBERED,
    UNVERIFIABLE,
    VERIFIED,
    is_local_remote,
)
from loqed_emulator import BoltState

from . import (
    WEBHOOK_ID,
    count_status_reads,
    lock_payload,
    make_entry,
    setup_integration,
    signed,
    state_of,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.loqed_bridge.coordinator import LoqedCoordinator
    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

PATH = f"/api/webhook/{WEBHOOK_ID}"
ENTITY = "lock.front_door"


async def post(client: HaClient, body: bytes, headers: dict[str, str]) -> int:
    response = await client.post(PATH, data=body, headers=headers)
    return response.status


def signs(coordinator: LoqedCoordinator) -> bool | None:
    """Whether the integration takes the bridge for one that signs its webhooks."""
    return coordinator.push.signed


@pytest.mark.parametrize(
    ("event_type", "key_id", "state", "changed_by"),
    [
        ("GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH", 4, "unlocking", "Key 4"),
        ("GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN", 4, "opening", "Key 4"),
        ("STATE_CHANGED_LATCH", 255, "unlocked", "manual"),
        ("STATE_CHANGED_OPEN", 7, "open", "Key 7"),
        ("MOTOR_STALL", 255, "jammed", "automatic"),
        ("GO_TO_STATE_INSTANTOPEN_OPEN", 9, "opening", "Key 9"),
    ],
)
async def test_verified_lock_events_set_the_state_at_once(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    event_type: str,
    key_id: int,
    state: str,
    changed_by: str,
) -> None:
    body, headers = signed(emulator, lock_payload(emulator, event_type, key_id=key_id))
    assert await post(ha_client, body, headers) == 200
    current = state_of(hass)
    assert current.state == state
    assert current.attributes["changed_by"] == changed_by
    assert init_integration.runtime_data.push.counters[VERIFIED] == 1


async def test_going_to_the_current_state_does_not_show_a_motion(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    body, headers = signed(
        emulator, lock_payload(emulator, "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK", key_id=2)
    )
    assert await post(ha_client, body, headers) == 200
    assert state_of(hass, ENTITY).state == "locked"
    assert state_of(hass, ENTITY).attributes["changed_by"] == "Key 2"


async def test_lock_offline_and_back_through_webhooks(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    emulator.lose_link()
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "unavailable"
    emulator.regain_link()
    await emulator.wait_idle()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"
    assert init_integration.runtime_data.data.battery_percentage == 87


def _tamper(bridge: EmulatedBridge, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body, headers = signed(bridge, payload)
    return body + b" ", headers  # any change to the bytes breaks the signature


def _stale(bridge: EmulatedBridge, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    return signed(bridge, payload, timestamp=int(time.time()) - 3600)


def _bad_header(bridge: EmulatedBridge, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body, headers = signed(bridge, payload)
    headers["TIMESTAMP"] = "yesterday"
    return body, headers


def _too_large(bridge: EmulatedBridge, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    return signed(bridge, {**payload, "padding": "x" * 20_000})


@pytest.mark.parametrize(
    ("make", "reason", "status"),
    [
        (_tamper, "bad_hash", 401),
        (_stale, "stale", 401),
        (_bad_header, "bad_header", 401),
        # Larger than a bridge ever sends: refused by its Content-Length, or by the verifier when
        # it came whole with the headers (then it is in memory already).
        (_too_large, "too_large", 413),
    ],
)
async def test_rejected_webhooks_change_nothing_and_are_logged_once(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
    make: Any,
    reason: str,
    status: int,
) -> None:
    caplog.clear()
    for _ in range(3):
        body, headers = make(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
        assert await post(ha_client, body, headers) == status
    assert state_of(hass, ENTITY).state == "locked"
    push = init_integration.runtime_data.push
    assert push.counters[reason] == 3
    assert push.counters[VERIFIED] == 0
    warnings = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components") and r.levelno >= logging.WARNING
    ]
    assert len(warnings) == 1
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("custom_components", "aioloqed"))
    ]
    assert not any(WEBHOOK_ID in message for message in ours)
    if reason == "stale":
        assert push.last_skew is not None
        assert push.last_skew == pytest.approx(-3600, abs=5)
        assert re.search(r"360[01] s away", warnings[0].getMessage())


async def test_bodies_that_cannot_be_read_are_refused_quietly(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.clear()
    headers = {"TIMESTAMP": str(int(time.time())), "HASH": "0" * 64}
    # A Content-Encoding the body does not have: it cannot be decompressed. (The server closes
    # such a connection afterwards, so each one gets its own.)
    for encoding in ("gzip", "deflate"):
        response = await ha_client.post(
            PATH,
            data=b"not compressed",
            headers={**headers, "Content-Encoding": encoding, "Connection": "close"},
        )
        assert response.status == 400

    # Larger than Home Assistant reads at all, sent without a Content-Length (chunked).
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b"{" * (1024 * 1024)

    response = await ha_client.post(PATH, data=chunks(), headers=headers)
    assert response.status == 413
    await hass.async_block_till_done()
    push = init_integration.runtime_data.push
    assert (push.counters["unreadable"], push.counters["too_large"]) == (2, 1)
    assert state_of(hass, ENTITY).state == "locked"
    # No "Error processing webhook" traceback. (aiohttp's own server logs the broken gzip
    # stream once more when it discards the rest of the request: that is not ours to change.)
    assert not [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "aiohttp.server"
    ]
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert len(warnings) == 2  # once per reason
    assert not any(WEBHOOK_ID in message for message in warnings)


async def test_signed_body_that_is_not_an_object_is_rejected(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    body = b"[1, 2]"
    _, headers = signed(emulator, {})
    stamp = int(headers["TIMESTAMP"])
    headers["HASH"] = webhook_body_hash(
        bridge_key=emulator.config.bridge_key, body=body, timestamp=stamp
    )
    assert await post(ha_client, body, headers) == 401
    assert init_integration.runtime_data.push.counters["not_json"] == 1


async def test_a_replayed_webhook_is_only_a_hint(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads = count_status_reads(emulator)
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
    assert await post(ha_client, body, headers) == 200
    assert state_of(hass, ENTITY).state == "unlocked"
    # The lock moves on; someone replays the old message to make it look unlocked again.
    body2, headers2 = signed(emulator, lock_payload(emulator, "STATE_CHANGED_NIGHT_LOCK"))
    assert await post(ha_client, body2, headers2) == 200
    caplog.clear()
    assert await post(ha_client, body, headers) == 200
    assert state_of(hass, ENTITY).state == "locked"
    push = init_integration.runtime_data.push
    assert push.counters["replay"] == 1
    assert push.signed is True  # a replay says nothing about signing
    # Logged at debug level only: a genuine repeat is not a problem.
    assert not [r for r in caplog.records if r.levelno > logging.DEBUG and "loqed" in r.name]
    # It made the integration look at the status, which says locked: nothing changes.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 1
    assert state_of(hass, ENTITY).state == "locked"
    await init_integration.runtime_data.async_shutdown()  # the second read is not needed


async def test_a_genuine_repeat_within_one_second_is_not_lost(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    # The bridge signs with whole seconds: unlock, lock, unlock within one second makes the
    # second "unlocked" webhook byte-identical to the first.
    now = float(int(time.time()))
    bridge = await make_emulator(bolt_state=BoltState.DAY_LOCK, clock=lambda: now)
    entry = make_entry(bridge)
    await setup_integration(hass, entry)
    for state in (BoltState.NIGHT_LOCK, BoltState.DAY_LOCK, BoltState.NIGHT_LOCK):
        bridge.turn_knob(state)
        await bridge.wait_settled()
    await hass.async_block_till_done()
    push = entry.runtime_data.push
    assert push.counters["replay"] == 1
    assert state_of(hass, ENTITY).state == "unlocked"  # the repeat was not taken as state...
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "locked"  # ...but the status read it caused finds out
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_an_unsigned_webhook_right_after_signed_ones_is_only_a_hint(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH"))
    assert await post(ha_client, body, headers) == 200
    forged = json.dumps(lock_payload(emulator, "STATE_CHANGED_NIGHT_LOCK")).encode()
    assert await post(ha_client, forged, {}) == 200
    coordinator = init_integration.runtime_data
    assert state_of(hass, ENTITY).state == "unlocked"
    assert coordinator.push.signed is True  # the bridge signs: no switch to polling
    assert coordinator.push_healthy
    coordinator.async_hint()  # a second hint while reads are pending adds nothing
    await coordinator.async_shutdown()  # pending reads are cancelled with the entry


async def test_other_methods_are_refused_without_naming_the_webhook(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.clear()
    for _ in range(3):
        for method in ("GET", "PUT"):
            response = await ha_client.request(method, PATH, data=b"{}")
            assert response.status == 405
    response = await ha_client.head(PATH)
    assert response.status == 200  # Home Assistant's own answer, without a log line
    assert init_integration.runtime_data.push.counters["wrong_method"] == 6
    # Once per kind, from us; nothing per request (Home Assistant would warn every time, with
    # the webhook id in the line). The test server's access log is off in Home Assistant.
    above_debug = [
        r for r in caplog.records if r.levelno > logging.DEBUG and r.name != "aiohttp.access"
    ]
    assert [(r.name, r.levelno) for r in above_debug] == [
        ("custom_components.loqed_bridge", logging.WARNING)
    ]
    assert "method GET" in above_debug[0].getMessage()
    assert WEBHOOK_ID not in caplog.text


async def test_forged_unsigned_webhooks_are_only_hints_and_prove_nothing(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads = count_status_reads(emulator)
    coordinator = init_integration.runtime_data
    # Someone on the network sends unsigned "unlocked" messages; the lock does not move.
    body = json.dumps(lock_payload(emulator, "STATE_CHANGED_LATCH")).encode()
    for _ in range(3):
        assert await post(ha_client, body, {"Content-Type": "application/json"}) == 200
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.push.counters[UNVERIFIABLE] == 3
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 1  # the hint was taken: the status was read, and says locked
    assert state_of(hass, ENTITY).state == "locked"
    # An unsigned message proves nothing about the bridge: it is not taken for one that does
    # not sign, push stays healthy, the last-push time does not move, nothing is logged.
    assert coordinator.push.signed is None
    assert coordinator.push_healthy
    assert coordinator.push.last_received is None
    assert coordinator.update_interval == HEALTHY_POLL_INTERVAL
    assert "without a signature" not in caplog.text
    await coordinator.async_shutdown()  # the second read is not needed


async def test_a_bridge_that_does_not_sign_is_followed_through_status_reads(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads = count_status_reads(emulator)
    coordinator = init_integration.runtime_data
    # The lock really moves, on a bridge that does not sign: its webhooks are hints, and the
    # status reads they cause find out.
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 1
    assert state_of(hass, ENTITY).state == "unlocked"
    # Only unsigned webhooks told of a real change: this bridge does not sign. Said once; push
    # counts as not working (the status is read every 45 s), and its webhooks count as pushes.
    assert coordinator.push.signed is False
    assert coordinator.push.last_received is not None
    assert caplog.text.count("without a signature") == 1
    assert coordinator.update_interval == timedelta(seconds=45)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 2  # the second read of the hint
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=7))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "locked"
    # A firmware update: it signs again (push works), then once more it does not.
    await emulator.set_faults(unsigned_webhooks=False)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert signs(coordinator) is True
    assert coordinator.push_healthy
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(BoltState.NIGHT_LOCK)
    await emulator.wait_settled()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=12))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert state_of(hass, ENTITY).state == "locked"
    assert signs(coordinator) is False
    assert caplog.text.count("without a signature") == 1
    await coordinator.async_shutdown()


async def test_a_status_read_for_another_reason_serves_waiting_hints(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    reads = count_status_reads(emulator)
    coordinator = init_integration.runtime_data
    body = json.dumps(lock_payload(emulator, "STATE_CHANGED_LATCH")).encode()
    assert await post(ha_client, body, {}) == 200
    # Before the hint's reads ran (the event loop was busy), the status was read anyway, for
    # example to check a command: that read serves them, no extra read follows.
    freezer.tick(timedelta(seconds=4))
    await coordinator.async_refresh()
    assert len(reads) == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=10))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 1


async def test_unsigned_operations_in_quick_succession_are_each_seen_quickly(
    hass: HomeAssistant, make_emulator: BridgeFactory, ha_url: str
) -> None:
    bridge = await make_emulator()
    await bridge.set_faults(unsigned_webhooks=True)
    entry = make_entry(bridge)
    await setup_integration(hass, entry)
    loop = asyncio.get_running_loop()
    # Operations 1.5 s apart: each one's state must be right within 2 s (a fixed pause of
    # several seconds between pairs of reads made the second one wait for the pair's end).
    for state, shown in (
        (BoltState.DAY_LOCK, "unlocked"),
        (BoltState.NIGHT_LOCK, "locked"),
        (BoltState.DAY_LOCK, "unlocked"),
    ):
        started = loop.time()
        bridge.turn_knob(state)
        while state_of(hass, ENTITY).state != shown:
            assert loop.time() - started < 2.0, f"{shown} not shown within 2 s"
            await asyncio.sleep(0.05)
        await asyncio.sleep(max(0.0, started + 1.5 - loop.time()))
    await entry.runtime_data.async_shutdown()


def _forged_requests(bridge: EmulatedBridge) -> list[tuple[str, bytes, dict[str, str]]]:
    """Requests someone without the bridge key (or a broken sender) might post."""
    event = lock_payload(bridge, "STATE_CHANGED_LATCH", key_id=5)
    body, headers = signed(bridge, event)
    stamp = headers["TIMESTAMP"]
    other_key = bytes(range(1, 33))
    wrong_key_hash = webhook_body_hash(bridge_key=other_key, body=body, timestamp=int(stamp))
    not_an_object_hash = webhook_body_hash(
        bridge_key=bridge.config.bridge_key, body=b"[1,2,3]", timestamp=int(stamp)
    )
    requests: list[tuple[str, bytes, dict[str, str]]] = [
        ("POST", body + b" ", headers),  # tampered body
        ("POST", body, {**headers, "TIMESTAMP": str(int(stamp) + 1)}),  # tampered timestamp
        ("POST", body, {**headers, "HASH": "0" * 64}),
        ("POST", body, {**headers, "HASH": "zz" * 32}),
        ("POST", body, {**headers, "HASH": "-"}),
        ("POST", body, {**headers, "HASH": wrong_key_hash}),
        ("POST", body, {**headers, "TIMESTAMP": "abc"}),
        ("POST", body, {**headers, "TIMESTAMP": "\uff11\uff12\uff13"}),
        ("POST", body, {**headers, "TIMESTAMP": "9" * 30}),
        ("POST", body, {**headers, "HASH": "\u00e9" * 64}),
        ("POST", bytes(range(256)) * 4, headers),  # random bytes
        ("POST", b"[1,2,3]", {**headers, "HASH": not_an_object_hash}),  # real key, no object
        ("POST", b"\xff\xfe\x00", {}),  # unsigned, not JSON
        ("POST", b'{"a":' * 5000 + b"1" + b"}" * 5000, {}),  # unsigned, too deep to parse
        ("POST", json.dumps(event).encode(), {}),  # unsigned lock event
        ("POST", json.dumps(event).encode(), {"TIMESTAMP": stamp}),  # half the headers
        ("POST", b"{" * 20_000, headers),  # too large
        ("GET", body, headers),
        ("PUT", body, headers),
        ("HEAD", b"", {}),
    ]
    return requests


async def test_forged_requests_change_nothing_and_log_once_per_kind(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    enable_all_entities: None,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = init_integration.runtime_data
    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
    }
    before = {entity_id: state_of(hass, entity_id).state for entity_id in ours}
    changed: list[str] = []
    hass.bus.async_listen(
        "state_changed",
        lambda event: (
            changed.append(event.data["entity_id"]) if event.data["entity_id"] in ours else None
        ),
    )
    caplog.clear()
    statuses: set[int] = set()
    for _ in range(5):
        for method, body, headers in _forged_requests(emulator):
            response = await ha_client.request(method, PATH, data=body, headers=headers)
            statuses.add(response.status)
    # Unsigned ones are hints: the status reads they ask for (rate-limited) find nothing new.
    for seconds in (1, 5, 10):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert statuses <= {200, 401, 405, 413}
    assert changed == []
    assert {entity_id: state_of(hass, entity_id).state for entity_id in ours} == before
    assert coordinator.push.counters[VERIFIED] == 0
    assert coordinator.push.signed is None
    assert coordinator.push_healthy
    # Nothing above debug per request: one warning per kind of rejection, from us, and no
    # error anywhere. (The test server's access log is off in Home Assistant.)
    above_debug = [
        r for r in caplog.records if r.levelno > logging.DEBUG and r.name != "aiohttp.access"
    ]
    assert {r.name for r in above_debug} == {"custom_components.loqed_bridge"}
    assert all(r.levelno == logging.WARNING for r in above_debug)
    kinds = [r.getMessage().split(": ", 1)[1].split(". Further")[0] for r in above_debug]
    assert len(kinds) == len(set(kinds)) == 5, kinds  # bad hash, header, not JSON, size, method
    assert WEBHOOK_ID not in caplog.text
    await coordinator.async_shutdown()


def remote_request(
    body: bytes, headers: dict[str, str], remote: str
) -> web.Request:  # a request as the HTTP server hands it over, from ``remote``
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (remote, 40000) if name == "peername" else default
    )
    return make_mocked_request(
        "POST", PATH, headers=headers, payload=_payload(body), transport=transport
    )


def _payload(body: bytes) -> StreamReader:
    protocol = Mock(_reading_paused=False)
    stream = StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    stream.feed_data(body)
    stream.feed_eof()
    return stream


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        ("127.0.0.1", True),
        ("192.168.1.20", True),
        ("10.1.2.3", True),
        ("fe80::1", True),
        ("::1", True),
        ("203.0.113.5", False),
        ("2001:db8::1", False),
        ("not an address", False),
        (None, False),
    ],
)
def test_the_local_network_rule(remote: str | None, *, local: bool) -> None:
    assert is_local_remote(remote) is local


async def test_a_signed_webhook_from_outside_the_local_network_changes_nothing(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A valid signature is not enough: the bridge is on the local network, so is its sender."""
    receiver = init_integration.runtime_data.push
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=3))
    for _ in range(2):
        response = await receiver.async_handle(
            hass, WEBHOOK_ID, remote_request(body, headers, "203.0.113.5")
        )
        assert response.status == 200  # as for any webhook: nothing given away
    assert state_of(hass, ENTITY).state == "locked"
    assert receiver.counters[NOT_LOCAL] == 2
    assert receiver.counters[VERIFIED] == 0
    assert caplog.text.count("outside the local network") == 1
    assert WEBHOOK_ID not in caplog.text
    # The same message from the local network is taken.
    response = await receiver.async_handle(
        hass, WEBHOOK_ID, remote_request(body, headers, "192.168.1.20")
    )
    assert response.status == 200
    assert state_of(hass, ENTITY).state == "unlocked"


async def test_a_webhook_through_home_assistant_cloud_changes_nothing(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
) -> None:
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=3))
    with patch("custom_components.loqed_bridge.push.is_cloud_connection", return_value=True):
        assert await post(ha_client, body, headers) == 200
    assert state_of(hass, ENTITY).state == "locked"
    assert init_integration.runtime_data.push.counters[NOT_LOCAL] == 1


async def test_a_webhook_home_assistant_hands_over_itself_is_taken(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    """Home Assistant's "handle webhook" command (an authenticated user) passes, as for its own."""
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=3))
    request = MockRequest(
        content=body, mock_source="test", method="POST", headers=headers, query_string=""
    )
    receiver = init_integration.runtime_data.push
    response = await receiver.async_handle(hass, WEBHOOK_ID, request)
    assert response.status == 200
    assert state_of(hass, ENTITY).state == "unlocked"


async def test_many_sender_addresses_are_not_all_remembered(
    hass: HomeAssistant, emulator: EmulatedBridge, init_integration: MockConfigEntry
) -> None:
    receiver = init_integration.runtime_data.push
    body, headers = signed(emulator, lock_payload(emulator, "STATE_CHANGED_LATCH", key_id=3))
    for index in range(3 * REMOTES_REMEMBERED):
        await receiver.async_handle(
            hass, WEBHOOK_ID, remote_request(body, headers, f"203.0.{index // 250}.{index % 250}")
        )
    assert len(receiver._remotes) <= REMOTES_REMEMBERED
    assert receiver.counters[NOT_LOCAL] == 3 * REMOTES_REMEMBERED
