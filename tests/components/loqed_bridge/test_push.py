"""Incoming webhooks: verified ones change the state, anything else changes nothing."""

from __future__ import annotations

from datetime import timedelta
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from aioloqed import webhook_body_hash
from custom_components.loqed_bridge.push import UNVERIFIABLE, VERIFIED
from loqed_emulator import BoltState

from . import WEBHOOK_ID, lock_payload, make_entry, setup_integration, signed, state_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from loqed_emulator import EmulatedBridge

    from . import HaClient
    from .conftest import BridgeFactory

PATH = f"/api/webhook/{WEBHOOK_ID}"
ENTITY = "lock.front_door"


async def post(client: HaClient, body: bytes, headers: dict[str, str]) -> int:
    response = await client.post(PATH, data=body, headers=headers)
    return response.status


def count_status_reads(bridge: EmulatedBridge) -> list[float]:
    """Record the time of every /status read the bridge answers."""
    reads: list[float] = []
    original = bridge.status

    def counting() -> dict[str, Any]:
        reads.append(time.monotonic())
        return original()

    bridge.status = counting  # type: ignore[method-assign]
    return reads


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
        (_too_large, "too_large", 413),  # refused by its Content-Length, never read
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


async def test_only_post_is_accepted(
    hass: HomeAssistant, init_integration: MockConfigEntry, ha_client: HaClient
) -> None:
    response = await ha_client.put(PATH, data=b"{}")
    assert response.status == 405


async def test_unsigned_webhooks_are_hints_that_cause_status_reads(
    hass: HomeAssistant,
    emulator: EmulatedBridge,
    init_integration: MockConfigEntry,
    ha_client: HaClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reads = count_status_reads(emulator)
    coordinator = init_integration.runtime_data
    # A forged unsigned "unlocked" changes nothing by itself.
    body = json.dumps(lock_payload(emulator, "STATE_CHANGED_LATCH")).encode()
    for _ in range(3):
        assert await post(ha_client, body, {"Content-Type": "application/json"}) == 200
    assert state_of(hass, ENTITY).state == "locked"
    assert coordinator.push.counters[UNVERIFIABLE] == 3
    assert coordinator.push.signed is False
    assert reads == []
    assert caplog.text.count("without a signature") == 1

    # The lock really moves, on a bridge that does not sign: its webhooks are hints too, and
    # the status reads they cause find out.
    await emulator.set_faults(unsigned_webhooks=True)
    emulator.turn_knob(BoltState.DAY_LOCK)
    await emulator.wait_settled()
    await hass.async_block_till_done()
    assert state_of(hass, ENTITY).state == "locked"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 1
    assert state_of(hass, ENTITY).state == "unlocked"
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=6))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(reads) == 2  # three hints, one pair of reads

    # Unsigned webhooks only: the fallback polling interval is used.
    assert coordinator.update_interval == timedelta(seconds=45)
