"""LoqedBridge over real loopback HTTP: the emulator as the bridge, tiny servers for the rest."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import logging
from typing import Any

from aiohttp import ClientSession, web
import orjson
import pytest
from tests.library.emulated import fast_config

from aioloqed import bridge as bridge_module
from aioloqed.bridge import USER_AGENT, LoqedBridge, transport_reason
from aioloqed.const import BoltState, LockAction, WebhookTrigger
from aioloqed.credentials import CredentialsProblem, LoqedCredentials
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedResponseError,
    LoqedTimeoutError,
)
from aioloqed.signing import webhook_body_hash
from aioloqed.state import SentCommand
from aioloqed.webhook import VerifiedWebhook
from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.lock import BoltState as EmuBolt

# Inputs of the test vectors in protocol.md section 11.
LOCK_KEY = bytes(range(32))
BRIDGE_KEY = bytes(range(32, 64))
LOCK_KEY_B64 = base64.b64encode(LOCK_KEY).decode()
BRIDGE_KEY_B64 = base64.b64encode(BRIDGE_KEY).decode()
VECTOR_TIME = 1767225600
VECTOR_KEY_ID = 5
OPEN_QUERY = (
    "command_signed_base64="
    "AAAAAAAAAAACBwAAAABpVbkAIKm%2FnIi%2F%2B74t8WnRy4UyXms9px5EBUGpmgNw4YNffqMFAQE%3D"
)
LIST_HASH = "de7789b48bb0c4fe973477f464535ac4e13a47223cf3fbf4b8001c1bf8e3fd2b"
CREATE_URL = "http://192.0.2.10:8123/api/webhook/example"
CREATE_HASH_511 = "5d4e0e46b29ddd7b953f581cdb2e41ddeeb4667643ac91fa1a4c022d5b849501"
CREATE_HASH_399 = "874b86099465e8f9b1176f860b6137b800688160e6f5f88521c114d0567919b4"
DELETE_4_HASH = "ae42f6eabf982a224f24b266b49670ff82566e347c61cdaaf507b62adc585316"


# ---------------------------------------------------------------------- loopback peers


@dataclass
class Seen:
    method: str
    path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes


Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RecordingPeer:
    """A loopback HTTP server that records every request and answers as a test says."""

    answer: Answer | None = None
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(
                request.method,
                request.path,
                request.rel_url.raw_query_string,
                [(k.decode(), v.decode()) for k, v in request.raw_headers],
                await request.read(),
            )
        )
        if self.answer is None:
            text = '{"bolt_state": "open"}' if request.path == "/status" else "[]"
            return web.Response(text=text, content_type="text/html")
        return await self.answer(request)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def client(self, **kwargs: Any) -> LoqedBridge:
        kwargs.setdefault("bridge_key", BRIDGE_KEY_B64)
        kwargs.setdefault("lock_key", LOCK_KEY_B64)
        kwargs.setdefault("local_key_id", VECTOR_KEY_ID)
        kwargs.setdefault("clock", lambda: VECTOR_TIME + 0.9)
        return LoqedBridge("127.0.0.1", self.port, **kwargs)

    async def hang(self, _request: web.Request) -> web.StreamResponse:
        await self.release.wait()
        return web.Response(text="late")


@pytest.fixture
async def peer(socket_enabled: None) -> AsyncIterator[RecordingPeer]:
    server = RecordingPeer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(emulator: EmulatedBridge) -> AsyncIterator[LoqedBridge]:
    credentials = LoqedCredentials.from_integration_information(emulator.integration_information)
    async with LoqedBridge.from_credentials(credentials) as bridge:
        yield bridge


def session_of(bridge: LoqedBridge) -> ClientSession | None:
    return bridge.session


async def settle(emulator: EmulatedBridge) -> None:
    async with asyncio.timeout(5):
        await emulator.wait_settled()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge_module, "_STATUS_RETRY_BACKOFF", 0.01)


# ---------------------------------------------------------------------- status


async def test_status_reads_the_emulated_bridge(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    status = await client.status()
    assert status.bolt_state is BoltState.NIGHT_LOCK
    assert status.lock_online is True
    assert status.bridge_mac_wifi == emulator.macs.wifi
    assert status.webhooks_number == 0


@pytest.mark.parametrize("content_type", ["html", "json"])
async def test_status_accepts_either_content_type(
    client: LoqedBridge, emulator: EmulatedBridge, content_type: str
) -> None:
    await emulator.set_faults(content_type=content_type)
    assert (await client.status()).bolt_state is BoltState.NIGHT_LOCK


async def test_status_accepts_any_content_type(peer: RecordingPeer) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=b'{"bolt_state": "open"}', content_type="application/x-nonsense")

    peer.answer = answer
    async with peer.client() as bridge:
        assert (await bridge.status()).bolt_state is BoltState.OPEN


async def test_status_retries_until_the_bridge_is_back(
    client: LoqedBridge, emulator: EmulatedBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge_module, "_STATUS_RETRY_BACKOFF", 0.3)
    await emulator.set_bridge_down(down=True)

    async def come_back() -> None:
        await asyncio.sleep(0.1)
        await emulator.set_bridge_down(down=False)

    task = asyncio.create_task(come_back())
    status = await client.status()
    await task
    assert status.bolt_state is BoltState.NIGHT_LOCK


async def test_status_retries_are_bounded(peer: RecordingPeer, fast_retries: None) -> None:
    peer.answer = peer.hang
    async with peer.client(request_timeout=0.05, status_retries=3) as bridge:
        with pytest.raises(LoqedTimeoutError):
            await bridge.status()
    assert len(peer.seen) == 3


async def test_status_with_zero_retries_still_tries_once(peer: RecordingPeer) -> None:
    peer.answer = peer.hang
    async with peer.client(request_timeout=0.05, status_retries=0) as bridge:
        with pytest.raises(LoqedTimeoutError):
            await bridge.status()
    assert len(peer.seen) == 1


async def test_status_is_not_retried_on_a_server_error(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    await emulator.set_faults(http_500=True)
    with pytest.raises(LoqedResponseError) as err:
        await client.status()
    assert err.value.status == 500
    assert "500" in str(err.value)


async def test_status_unparseable_json_is_a_response_error(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    await emulator.set_faults(malformed_json=True)
    with pytest.raises(LoqedResponseError):
        await client.status()


async def test_unreachable_bridge_is_a_connection_error(
    socket_enabled: None, fast_retries: None
) -> None:
    probe = RecordingPeer()
    await probe.start()
    port = probe.port
    await probe.stop()  # nothing listens there any more
    async with LoqedBridge("127.0.0.1", port, status_retries=2) as bridge:
        with pytest.raises(LoqedConnectionError) as err:
            await bridge.status()
    assert not isinstance(err.value, LoqedTimeoutError)
    assert "Connection refused" in str(err.value)
    assert err.value.__cause__ is not None


# ---------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("method", "action", "start", "final"),
    [
        ("lock", LockAction.LOCK, EmuBolt.DAY_LOCK, EmuBolt.NIGHT_LOCK),
        ("unlock", LockAction.UNLOCK, EmuBolt.NIGHT_LOCK, EmuBolt.DAY_LOCK),
        ("open", LockAction.OPEN, EmuBolt.NIGHT_LOCK, EmuBolt.DAY_LOCK),  # re-latches itself
    ],
)
async def test_commands_move_the_lock(
    socket_enabled: None, method: str, action: LockAction, start: EmuBolt, final: EmuBolt
) -> None:
    now = 1_800_000_000.0
    async with EmulatedBridge(fast_config(bolt_state=start, clock=lambda: now)) as emulator:
        credentials = LoqedCredentials.from_integration_information(
            emulator.integration_information
        )
        async with LoqedBridge.from_credentials(credentials, clock=lambda: now + 0.5) as bridge:
            sent = await getattr(bridge, method)()
        await settle(emulator)
        assert sent == SentCommand(action, credentials.local_key_id, int(now))
        assert not emulator.ignored_commands
        moves = [e.detail for e in emulator.events if e.kind == "lock"]
        assert moves[0]["key_id"] == credentials.local_key_id
        assert moves[0]["event_type"].startswith("GO_TO_STATE_")
        assert emulator.bolt_state is final


async def test_command_query_is_the_signed_vector_fully_percent_encoded(
    peer: RecordingPeer,
) -> None:
    async with peer.client() as bridge:
        sent = await bridge.open()
        # The action's number does as well as the enum.
        assert await bridge.send_command(1) == sent  # type: ignore[arg-type]
    assert sent == SentCommand(LockAction.OPEN, VECTOR_KEY_ID, VECTOR_TIME)
    request, again = peer.seen
    assert again.raw_query == request.raw_query
    assert (request.method, request.path) == ("GET", "/to_lock")
    assert request.raw_query == OPEN_QUERY
    assert "+" not in request.raw_query
    assert "/" not in request.raw_query


async def test_command_with_a_wrong_key_reaches_the_bridge_but_the_lock_ignores_it(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    client.lock_key = base64.b64encode(bytes(32)).decode()
    await client.unlock()  # the bridge only relays: 200
    await settle(emulator)
    assert len(emulator.ignored_commands) == 1
    assert emulator.bolt_state is EmuBolt.NIGHT_LOCK


async def test_a_lock_key_set_after_a_command_signs_the_next_one(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    good, wrong = client.lock_key, base64.b64encode(bytes(32)).decode()
    states = []
    for key, command in ((good, client.unlock), (wrong, client.lock), (good, client.lock)):
        client.lock_key = key
        await command()
        await settle(emulator)
        states.append(emulator.bolt_state)
    assert states == [EmuBolt.DAY_LOCK, EmuBolt.DAY_LOCK, EmuBolt.NIGHT_LOCK]
    assert len(emulator.ignored_commands) == 1


@pytest.mark.parametrize("status", [500, 404])
async def test_command_is_sent_once_even_when_it_fails(peer: RecordingPeer, status: int) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status)

    peer.answer = answer
    async with peer.client() as bridge:
        with pytest.raises(LoqedResponseError) as err:
            await bridge.lock()
    assert err.value.status == status
    assert len(peer.seen) == 1


async def test_command_is_not_retried_after_a_timeout(peer: RecordingPeer) -> None:
    peer.answer = peer.hang
    async with peer.client(request_timeout=0.05) as bridge:
        with pytest.raises(LoqedTimeoutError, match="did not answer GET /to_lock"):
            await bridge.open()
    assert len(peer.seen) == 1


async def test_command_redirect_is_not_followed(peer: RecordingPeer) -> None:
    async def answer(request: web.Request) -> web.Response:
        if request.path == "/elsewhere":
            return web.Response(text="followed")
        raise web.HTTPFound("/elsewhere")

    peer.answer = answer
    async with peer.client() as bridge:
        with pytest.raises(LoqedResponseError) as err:
            await bridge.open()
    assert err.value.status == 302
    assert [seen.path for seen in peer.seen] == ["/to_lock"]


async def test_command_refused_with_401_blames_the_lock_key(peer: RecordingPeer) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=401)

    peer.answer = answer
    async with peer.client() as bridge:
        with pytest.raises(LoqedAuthenticationError) as err:
            await bridge.lock()
    assert err.value.credential == "lock_key"


async def test_command_is_never_logged_with_its_query(
    peer: RecordingPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioloqed")
    async with peer.client() as bridge:
        await bridge.open()
    text = caplog.text
    assert "GET /to_lock" in text
    assert "command_signed_base64" not in text
    assert "AAAAAAAAAAACBwAAAABpVbkA" not in text
    assert LOCK_KEY_B64 not in text


@pytest.mark.parametrize(
    ("changes", "field_name", "reason"),
    [
        ({"lock_key": None}, "lock_key", CredentialsProblem.MISSING),
        ({"lock_key": "  "}, "lock_key", CredentialsProblem.MISSING),
        ({"lock_key": "not base64!"}, "lock_key", CredentialsProblem.NOT_BASE64),
        ({"lock_key": "===="}, "lock_key", CredentialsProblem.NOT_BASE64),
        ({"local_key_id": None}, "local_key_id", CredentialsProblem.MISSING),
        ({"local_key_id": 251}, "local_key_id", CredentialsProblem.OUT_OF_RANGE),
        ({"local_key_id": -1}, "local_key_id", CredentialsProblem.OUT_OF_RANGE),
    ],
)
async def test_command_without_usable_credentials_sends_nothing(
    peer: RecordingPeer, changes: dict[str, Any], field_name: str, reason: CredentialsProblem
) -> None:
    async with peer.client(**changes) as bridge:
        with pytest.raises(LoqedCredentialsError) as err:
            await bridge.lock()
    assert err.value.field == field_name
    assert err.value.reason is reason
    assert peer.seen == []


async def test_lock_key_with_missing_padding_and_line_breaks_is_accepted(
    peer: RecordingPeer,
) -> None:
    pasted = LOCK_KEY_B64[:20] + "\n " + LOCK_KEY_B64[20:].rstrip("=")
    async with peer.client(lock_key=pasted) as bridge:
        await bridge.open()
    assert peer.seen[0].raw_query == OPEN_QUERY


async def test_relay_is_sent_as_an_unsigned_type_89_message(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    await client.send_relay()
    assert emulator.relay_pulses == 1


async def test_relay_message_on_the_wire(peer: RecordingPeer) -> None:
    async with LoqedBridge("127.0.0.1", peer.port) as bridge:  # no keys needed
        await bridge.send_relay(2)
    (request,) = peer.seen
    assert request.path == "/to_lock"
    assert request.raw_query == "command_signed_base64=AAAAAAAAAAACWQI%3D"


# ---------------------------------------------------------------------- webhooks


async def test_webhook_life_cycle_on_the_emulator(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    assert await client.webhooks() == []
    triggers = WebhookTrigger(399)
    await client.add_webhook("http://127.0.0.1:9/hook", triggers)
    (registration,) = await client.webhooks()
    assert registration.url == "http://127.0.0.1:9/hook"
    assert registration.triggers == triggers
    assert [item.flags for item in emulator.registry] == [399]
    await client.delete_webhook(registration.id)
    assert await client.webhooks() == []


async def test_management_requests_carry_exact_headers_and_body(peer: RecordingPeer) -> None:
    async def answer(request: web.Request) -> web.Response:
        if request.method == "GET":
            return web.Response(text="[]", content_type="text/html")
        return web.Response(text="ok")

    peer.answer = answer
    async with peer.client() as bridge:
        await bridge.webhooks()
        await bridge.add_webhook(CREATE_URL)
        await bridge.add_webhook(CREATE_URL, WebhookTrigger(399))
        await bridge.delete_webhook(4)
    listing, create_all, create_some, delete = peer.seen
    expected = {
        (listing.method, listing.path): LIST_HASH,
        (create_all.method, create_all.path): CREATE_HASH_511,
        (delete.method, delete.path): DELETE_4_HASH,
    }
    assert set(expected) == {("GET", "/webhooks"), ("POST", "/webhooks"), ("DELETE", "/webhooks/4")}
    for seen, hash_hex in [
        (listing, LIST_HASH),
        (create_all, CREATE_HASH_511),
        (create_some, CREATE_HASH_399),
        (delete, DELETE_4_HASH),
    ]:
        names = [name for name, _ in seen.headers]
        assert "TIMESTAMP" in names
        assert "HASH" in names
        headers = dict(seen.headers)
        assert headers["TIMESTAMP"] == str(VECTOR_TIME)
        assert headers["HASH"] == hash_hex
        assert headers["User-Agent"] == USER_AGENT
    assert dict(create_all.headers)["Content-Type"] == "application/json"
    body = orjson.loads(create_some.body)
    assert list(body) == [
        "url",
        "trigger_state_changed_open",
        "trigger_state_changed_latch",
        "trigger_state_changed_night_lock",
        "trigger_state_changed_unknown",
        "trigger_state_goto_open",
        "trigger_state_goto_latch",
        "trigger_state_goto_night_lock",
        "trigger_battery",
        "trigger_online_status",
    ]
    assert body["url"] == CREATE_URL
    assert [body[name] for name in list(body)[1:]] == [1, 1, 1, 1, 0, 0, 0, 1, 1]
    assert all(type(body[name]) is int for name in list(body)[1:])
    assert delete.body == b""


async def test_management_logs_show_no_headers_or_keys(
    peer: RecordingPeer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioloqed")
    async with peer.client() as bridge:
        await bridge.webhooks()
    assert "GET /webhooks" in caplog.text
    assert LIST_HASH not in caplog.text
    assert BRIDGE_KEY_B64 not in caplog.text


async def test_wrong_bridge_key_is_an_authentication_error(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    client.bridge_key = base64.b64encode(bytes(32)).decode()
    for call in (
        client.webhooks(),
        client.add_webhook("http://127.0.0.1:9/x"),
        client.delete_webhook(1),
    ):
        with pytest.raises(LoqedAuthenticationError) as err:
            await call
        assert err.value.credential == "bridge_key"
        assert client.bridge_key not in str(err.value)
    assert len(emulator.registry) == 0


async def test_forbidden_management_call_is_an_authentication_error(peer: RecordingPeer) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=403)

    peer.answer = answer
    async with peer.client() as bridge:
        with pytest.raises(LoqedAuthenticationError):
            await bridge.webhooks()


async def test_unknown_webhook_id_is_a_response_error(client: LoqedBridge) -> None:
    with pytest.raises(LoqedResponseError) as err:
        await client.delete_webhook(77)
    assert err.value.status == 404


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"id": 1}', b"[1, 2]", b'[{"url": "http://x"}]', b""]
)
async def test_unusable_webhook_list_is_a_response_error(peer: RecordingPeer, body: bytes) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    peer.answer = answer
    async with peer.client() as bridge:
        with pytest.raises(LoqedResponseError):
            await bridge.webhooks()


async def test_webhook_list_tolerates_text_html(peer: RecordingPeer) -> None:
    async def answer(_request: web.Request) -> web.Response:
        data = [{"id": "3", "url": "http://a/b", "trigger_battery": "1"}]
        return web.Response(body=orjson.dumps(data), content_type="text/html")

    peer.answer = answer
    async with peer.client() as bridge:
        (registration,) = await bridge.webhooks()
    assert registration.id == 3
    assert registration.triggers == WebhookTrigger.BATTERY


@pytest.mark.parametrize(
    ("url", "triggers"),
    [
        ("ftp://example/x", WebhookTrigger.ALL),
        ("", WebhookTrigger.ALL),
        ("http://example/x", WebhookTrigger(0)),
        ("http://example/x", 1024),
    ],
)
async def test_bad_webhook_input_sends_nothing(
    peer: RecordingPeer, url: str, triggers: Any
) -> None:
    async with peer.client() as bridge:
        with pytest.raises(ValueError, match="Webhook"):
            await bridge.add_webhook(url, triggers)
    assert peer.seen == []


@pytest.mark.parametrize(("webhook_id", "error"), [(-1, ValueError), (True, TypeError)])
async def test_bad_webhook_id_sends_nothing(
    peer: RecordingPeer, webhook_id: Any, error: type
) -> None:
    async with peer.client() as bridge:
        with pytest.raises(error):
            await bridge.delete_webhook(webhook_id)
    assert peer.seen == []


@pytest.mark.parametrize("call", ["webhooks", "add", "delete"])
async def test_management_without_bridge_key_names_the_field(
    peer: RecordingPeer, call: str
) -> None:
    async with peer.client(bridge_key=None) as bridge:
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "webhooks": bridge.webhooks,
            "add": lambda: bridge.add_webhook("http://example/x"),
            "delete": lambda: bridge.delete_webhook(1),
        }
        with pytest.raises(LoqedCredentialsError) as err:
            await calls[call]()
    assert err.value.field == "bridge_key"
    assert err.value.reason is CredentialsProblem.MISSING
    assert peer.seen == []


async def test_reconcile_keeps_ours_once_and_leaves_others_alone(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    ours = "http://192.0.2.5:8123/api/webhook/abc"
    emulator.registry.add(ours, 511)
    emulator.registry.add(ours, 511)  # duplicate
    emulator.registry.add("http://10.0.0.9:8123/api/webhook/abc", 511)  # our stale copy
    emulator.registry.add("http://192.0.2.77/other-system", 511)  # someone else's

    def is_ours(url: str) -> bool:
        return url.endswith("/api/webhook/abc")

    plan = await client.reconcile_webhook(ours, is_ours=is_ours)
    assert len(plan.delete) == 2
    assert not plan.create
    urls = sorted(item.url for item in emulator.registry)
    assert urls == [ours, "http://192.0.2.77/other-system"]

    again = await client.reconcile_webhook(ours, is_ours=is_ours)
    assert again.delete == ()
    assert not again.create


async def test_reconcile_recreates_with_other_triggers(
    client: LoqedBridge, emulator: EmulatedBridge
) -> None:
    ours = "http://192.0.2.5:8123/api/webhook/abc"
    emulator.registry.add(ours, 399)
    plan = await client.reconcile_webhook(ours, WebhookTrigger.ALL)
    assert plan.create
    assert [(item.url, item.flags) for item in emulator.registry] == [(ours, 511)]


async def test_verifier_from_the_bridge_checks_its_webhooks(peer: RecordingPeer) -> None:
    bridge = peer.client()
    verifier = bridge.webhook_verifier(window=5)
    body = b'{"battery_percentage": 50, "battery_type": "ALKALINE"}'
    headers = {
        "TIMESTAMP": str(VECTOR_TIME),
        "HASH": webhook_body_hash(bridge_key=BRIDGE_KEY, body=body, timestamp=VECTOR_TIME),
    }
    assert isinstance(verifier.verify(body, headers, VECTOR_TIME + 1), VerifiedWebhook)
    with pytest.raises(LoqedCredentialsError):
        LoqedBridge("127.0.0.1").webhook_verifier()


# ---------------------------------------------------------------------- session and shape


async def test_injected_session_is_used_and_never_closed(peer: RecordingPeer) -> None:
    async with ClientSession() as session:
        async with peer.client(session=session) as bridge:
            await bridge.status()
            assert bridge.session is session
        assert not session.closed
        await bridge.close()
        assert not session.closed
        await bridge.status()  # still usable after close()


async def test_own_session_is_created_on_demand_and_closed(peer: RecordingPeer) -> None:
    bridge = peer.client()
    assert session_of(bridge) is None
    async with bridge:
        await bridge.status()
        session = session_of(bridge)
        assert session is not None
    assert session.closed
    assert session_of(bridge) is None
    await bridge.close()  # idempotent
    async with bridge:  # and usable again
        await bridge.status()
    assert len(peer.seen) == 2


async def test_base_url_and_repr(socket_enabled: None) -> None:
    assert LoqedBridge("192.0.2.1").base_url == "http://192.0.2.1"
    assert LoqedBridge("192.0.2.1", 8080).base_url == "http://192.0.2.1:8080"
    assert LoqedBridge("fe80::1", 8080).base_url == "http://[fe80::1]:8080"
    assert LoqedBridge("[::1]").base_url == "http://[::1]"
    assert LoqedBridge("LOQED-aabbccddeeff.local").base_url == "http://LOQED-aabbccddeeff.local"
    moved = LoqedBridge("192.0.2.1")
    assert moved.base_url == "http://192.0.2.1"
    moved.host, moved.port = "fe80::2", 8081  # a new address (the integration follows discovery)
    assert moved.base_url == "http://[fe80::2]:8081"
    moved.port = 80
    assert moved.base_url == "http://[fe80::2]"
    text = repr(LoqedBridge("192.0.2.1", bridge_key=BRIDGE_KEY_B64, lock_key=LOCK_KEY_B64))
    assert BRIDGE_KEY_B64 not in text
    assert LOCK_KEY_B64 not in text
    assert "192.0.2.1" in text


def test_from_credentials_copies_every_field_and_takes_options() -> None:
    credentials = LoqedCredentials.from_values(
        host="192.0.2.3:8080", bridge_key=BRIDGE_KEY_B64, lock_key=LOCK_KEY_B64, local_key_id=7
    )
    bridge = LoqedBridge.from_credentials(credentials, request_timeout=3.0, status_retries=1)
    assert (bridge.host, bridge.port, bridge.local_key_id) == ("192.0.2.3", 8080, 7)
    assert bridge.bridge_key == credentials.bridge_key
    assert bridge.lock_key == credentials.lock_key
    assert (bridge.request_timeout, bridge.status_retries) == (3.0, 1)


def test_from_credentials_lets_the_caller_override_the_address() -> None:
    credentials = LoqedCredentials.from_values(
        host="192.0.2.3", bridge_key=BRIDGE_KEY_B64, lock_key=LOCK_KEY_B64, local_key_id=7
    )
    bridge = LoqedBridge.from_credentials(credentials, host="127.0.0.1", port=8081)
    assert (bridge.host, bridge.port, bridge.local_key_id) == ("127.0.0.1", 8081, 7)


def test_transport_reason_is_short_and_has_no_url() -> None:
    assert transport_reason(ConnectionRefusedError(111, "x")) == "Connection refused"
    assert transport_reason(OSError(-2, "Name or service not known")) == (
        "Name or service not known"
    )
    assert transport_reason(ValueError("boom")) == "ValueError"
    assert transport_reason(OSError()) == "OSError"
