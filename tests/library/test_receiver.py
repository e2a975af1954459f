"""WebhookReceiver: real HTTP posts on loopback, from a test client and from the emulator."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession
import pytest

from aioloqed.bridge import LoqedBridge
from aioloqed.const import BoltState, EventSource, WebhookTrigger
from aioloqed.credentials import LoqedCredentials
from aioloqed.events import BatteryEvent, GoingToStateEvent, StateReachedEvent
from aioloqed.receiver import WebhookReceiver
from aioloqed.signing import webhook_body_hash
from aioloqed.state import confirms_command
from aioloqed.webhook import (
    RejectedWebhook,
    RejectReason,
    UnverifiableWebhook,
    VerifiedWebhook,
    WebhookResult,
    WebhookVerifier,
)
from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.config import EmulatorConfig
from loqed_emulator.lock import BoltState as EmuBolt

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

BRIDGE_KEY = bytes(range(32, 64))
NOW = 1_767_225_600
BODY = (
    b'{"go_to_state":"NIGHT_LOCK","event_type":"GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",'
    b'"mac_wifi":"aabbccddeeff","mac_ble":"aabbccddef01","key_local_id":5}'
)


def signed(body: bytes = BODY, timestamp: int = NOW) -> dict[str, str]:
    return {
        "TIMESTAMP": str(timestamp),
        "HASH": webhook_body_hash(bridge_key=BRIDGE_KEY, body=body, timestamp=timestamp),
    }


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[WebhookReceiver]:
    verifier = WebhookVerifier(BRIDGE_KEY, window=30, max_body_size=1024)
    async with WebhookReceiver(verifier, host="127.0.0.1", clock=lambda: NOW + 1.0) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


def url_of(receiver: WebhookReceiver) -> str:
    return f"http://127.0.0.1:{receiver.port}{receiver.url_path}"


async def next_result(receiver: WebhookReceiver) -> WebhookResult:
    async with asyncio.timeout(5):
        return await anext(aiter(receiver))


async def post(
    http: ClientSession, url: str, body: bytes, headers: dict[str, str] | None = None
) -> int:
    async with http.post(url, data=body, headers=headers or {}) as response:
        return response.status


async def test_verified_webhook_is_answered_200_and_yielded(
    receiver: WebhookReceiver, http: ClientSession
) -> None:
    assert await post(http, url_of(receiver), BODY, signed()) == 200
    result = await next_result(receiver)
    assert isinstance(result, VerifiedWebhook)
    assert isinstance(result.event, GoingToStateEvent)
    assert result.event.key_id == 5
    assert result.skew == -1.0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"TIMESTAMP": str(NOW), "HASH": "0" * 64}, RejectReason.BAD_HASH),
        ({"TIMESTAMP": "soon", "HASH": "0" * 64}, RejectReason.BAD_HEADER),
        (signed(timestamp=NOW - 300), RejectReason.STALE),
    ],
)
async def test_rejected_webhook_is_answered_401(
    receiver: WebhookReceiver, http: ClientSession, headers: dict[str, str], reason: RejectReason
) -> None:
    assert await post(http, url_of(receiver), BODY, headers) == 401
    result = await next_result(receiver)
    assert isinstance(result, RejectedWebhook)
    assert result.reason is reason


async def test_replayed_webhook_is_rejected_the_second_time(
    receiver: WebhookReceiver, http: ClientSession
) -> None:
    assert await post(http, url_of(receiver), BODY, signed()) == 200
    assert await post(http, url_of(receiver), BODY, signed()) == 401
    first, second = await next_result(receiver), await next_result(receiver)
    assert isinstance(first, VerifiedWebhook)
    assert isinstance(second, RejectedWebhook)
    assert second.reason is RejectReason.REPLAY


async def test_unsigned_webhook_is_answered_202_as_a_hint(
    receiver: WebhookReceiver, http: ClientSession
) -> None:
    assert await post(http, url_of(receiver), b'{"battery_percentage": 40}') == 202
    result = await next_result(receiver)
    assert isinstance(result, UnverifiableWebhook)
    assert isinstance(result.event, BatteryEvent)


async def test_too_large_body_is_answered_413(
    receiver: WebhookReceiver, http: ClientSession
) -> None:
    big = b'{"x": "' + b"a" * 4096 + b'"}'
    assert await post(http, url_of(receiver), big, signed(big)) == 413
    result = await next_result(receiver)
    assert isinstance(result, RejectedWebhook)
    assert result.reason is RejectReason.TOO_LARGE


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_answered_405(
    receiver: WebhookReceiver, http: ClientSession, method: str
) -> None:
    async with http.request(method, url_of(receiver)) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
    assert receiver._queue.empty()


async def test_other_paths_are_not_found(receiver: WebhookReceiver, http: ClientSession) -> None:
    url = f"http://127.0.0.1:{receiver.port}/loqed/guess"
    assert await post(http, url, BODY, signed()) == 404
    assert receiver._queue.empty()


async def test_default_path_is_random_and_not_in_repr(socket_enabled: None) -> None:
    verifier = WebhookVerifier(BRIDGE_KEY)
    first, second = WebhookReceiver(verifier), WebhookReceiver(verifier)
    assert first.url_path != second.url_path
    assert first.url_path.startswith("/loqed/")
    assert len(first.url_path) > 20
    assert first.url_path not in repr(first)
    assert WebhookReceiver(verifier, path="hook").url_path == "/hook"


async def test_queue_is_bounded_and_keeps_the_newest(
    socket_enabled: None, http: ClientSession
) -> None:
    verifier = WebhookVerifier(BRIDGE_KEY, window=10**10)
    async with WebhookReceiver(
        verifier, host="127.0.0.1", path="/hook", queue_size=2, clock=lambda: NOW
    ) as receiver:
        for number in range(3):
            body = b'{"battery_percentage": %d}' % number
            assert await post(http, url_of(receiver), body, signed(body)) == 200
        assert receiver.dropped == 1
        results = [await next_result(receiver), await next_result(receiver)]
    percentages: list[Any] = []
    for result in results:
        assert isinstance(result, VerifiedWebhook)
        assert isinstance(result.event, BatteryEvent)
        percentages.append(result.event.battery_percentage)
    assert percentages == [1, 2]


async def test_stop_ends_iteration_and_restart_works(
    socket_enabled: None, http: ClientSession
) -> None:
    receiver = WebhookReceiver(WebhookVerifier(BRIDGE_KEY), host="127.0.0.1", clock=lambda: NOW)
    await receiver.start()
    await receiver.start()  # idempotent
    first_port = receiver.port

    async def collect() -> list[WebhookResult]:
        return [result async for result in receiver]

    collector = asyncio.create_task(collect())
    await post(http, url_of(receiver), BODY, signed())
    await asyncio.sleep(0)
    await receiver.stop()
    async with asyncio.timeout(5):
        collected = await collector
    assert len(collected) == 1
    # A second reader also ends at once.
    async with asyncio.timeout(5):
        assert [result async for result in receiver] == []

    await receiver.start()
    assert receiver.port > 0
    body = b'{"battery_percentage": 7}'
    assert await post(http, url_of(receiver), body, signed(body)) == 200
    assert isinstance(await next_result(receiver), VerifiedWebhook)
    await receiver.stop()
    await receiver.stop()  # idempotent
    assert first_port > 0


async def test_busy_port_fails_to_start_and_leaves_nothing_running(
    receiver: WebhookReceiver,
) -> None:
    clash = WebhookReceiver(WebhookVerifier(BRIDGE_KEY), host="127.0.0.1", port=receiver.port)
    with pytest.raises(OSError):  # noqa: PT011 - the OS decides the errno
        await clash.start()
    assert clash._runner is None


async def test_events_from_the_emulated_bridge_arrive_verified(socket_enabled: None) -> None:
    config = EmulatorConfig(motor_time=0.02, relatch_time=0.02, battery_interval=0)
    async with EmulatedBridge(config) as emulator:
        credentials = LoqedCredentials.from_integration_information(
            emulator.integration_information
        )
        async with LoqedBridge.from_credentials(credentials) as bridge:
            verifier = bridge.webhook_verifier()
            async with WebhookReceiver(verifier, host="127.0.0.1") as receiver:
                url = url_of(receiver)
                await bridge.add_webhook(url, WebhookTrigger.ALL)
                sent = await bridge.unlock()
                going, reached = await next_result(receiver), await next_result(receiver)
                emulator.turn_knob(EmuBolt.NIGHT_LOCK)
                by_hand = await next_result(receiver)
                await bridge.delete_webhook((await bridge.webhooks())[0].id)
    assert isinstance(going, VerifiedWebhook)
    assert confirms_command(sent, going.event)
    assert isinstance(reached, VerifiedWebhook)
    assert isinstance(reached.event, StateReachedEvent)
    assert reached.event.state is BoltState.DAY_LOCK
    assert reached.event.key_id == credentials.local_key_id
    assert reached.event.mac_wifi == emulator.macs.wifi
    assert isinstance(by_hand, VerifiedWebhook)
    assert isinstance(by_hand.event, StateReachedEvent)
    assert by_hand.event.state is BoltState.NIGHT_LOCK
    assert by_hand.event.source is EventSource.MANUAL
