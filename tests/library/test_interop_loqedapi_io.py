"""Interop over HTTP with loqedAPI (PyPI 2.1.18), an independent client of the same bridge.

Both clients talk to the same loopback peers: the emulator accepts the requests of each (same
hash and HMAC checks), each sees what the other registered, and for the same timestamp the
requests are the same, byte for byte where the protocol fixes the bytes.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import ClientSession, web
import orjson
import pytest

from aioloqed.bridge import LoqedBridge
from aioloqed.const import WebhookTrigger
from aioloqed.credentials import LoqedCredentials
from loqed_emulator.lock import BoltState as EmuBolt

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from loqed_emulator.bridge import EmulatedBridge

loqed_api = pytest.importorskip("loqedAPI.loqed")

LOCK_KEY = base64.b64encode(bytes(range(32))).decode()
BRIDGE_KEY = base64.b64encode(bytes(range(32, 64))).decode()
TIMESTAMP = 1767225600
KEY_ID = 5
URL = "http://192.0.2.10:8123/api/webhook/example"


def their_lock(
    session: ClientSession, base_url: str, *, lock_key: str, bridge_key: str, key_id: int
) -> Any:
    client = loqed_api.APIClient(session, base_url)
    status = {"bolt_state": "night_lock", "battery_percentage": 80, "bridge_mac_wifi": "x"}
    return loqed_api.Lock(status, lock_key, bridge_key, key_id, "Front door", client)


# ---------------------------------------------------------------------- against the emulator


def bolt_of(emulator: EmulatedBridge) -> EmuBolt:
    return emulator.bolt_state


async def settle(emulator: EmulatedBridge) -> None:
    async with asyncio.timeout(5):
        await emulator.wait_settled()


async def test_both_clients_manage_the_same_registrations(emulator: EmulatedBridge) -> None:
    credentials = LoqedCredentials.from_integration_information(emulator.integration_information)
    async with ClientSession() as session, LoqedBridge.from_credentials(credentials) as ours:
        theirs = their_lock(
            session,
            ours.base_url,
            lock_key=credentials.lock_key,
            bridge_key=credentials.bridge_key,
            key_id=credentials.local_key_id,
        )
        assert await theirs.registerWebhook("http://192.0.2.1/theirs", 399) == "CREATED"
        await ours.add_webhook("http://192.0.2.1/ours", WebhookTrigger.ALL)

        seen_by_us = {item.url: item for item in await ours.webhooks()}
        assert seen_by_us["http://192.0.2.1/theirs"].triggers == WebhookTrigger(399)
        seen_by_them = {item["url"]: item for item in await theirs.getWebhooks()}
        assert set(seen_by_them) == {"http://192.0.2.1/theirs", "http://192.0.2.1/ours"}
        assert seen_by_them["http://192.0.2.1/ours"]["trigger_online_status"] == 1
        # loqedAPI finds our registration and does not add a second one.
        assert await theirs.registerWebhook("http://192.0.2.1/ours") == "EXISTS ALREADY"

        await theirs.deleteWebhook(seen_by_us["http://192.0.2.1/ours"].id)
        await ours.delete_webhook(seen_by_us["http://192.0.2.1/theirs"].id)
    assert len(emulator.registry) == 0


async def test_both_clients_commands_pass_the_same_lock_checks(emulator: EmulatedBridge) -> None:
    credentials = LoqedCredentials.from_integration_information(emulator.integration_information)
    async with ClientSession() as session, LoqedBridge.from_credentials(credentials) as ours:
        theirs = their_lock(
            session,
            ours.base_url,
            lock_key=credentials.lock_key,
            bridge_key=credentials.bridge_key,
            key_id=credentials.local_key_id,
        )
        await theirs.unlock()
        await settle(emulator)
        assert bolt_of(emulator) is EmuBolt.DAY_LOCK
        await ours.lock()
        await settle(emulator)
        assert bolt_of(emulator) is EmuBolt.NIGHT_LOCK
        await theirs.open()
        await settle(emulator)
    assert not emulator.ignored_commands
    keys = [e.detail["key_id"] for e in emulator.events if e.kind == "lock"]
    assert credentials.local_key_id in keys


# ---------------------------------------------------------------------- exact requests


@dataclass
class Recorder:
    seen: list[tuple[str, str, str, dict[str, str], bytes]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k.decode(): v.decode() for k, v in request.raw_headers}
        self.seen.append(
            (
                request.method,
                request.path,
                request.rel_url.raw_query_string,
                headers,
                await request.read(),
            )
        )
        return web.Response(text="[]" if request.method == "GET" else "ok")


@pytest.fixture
async def recorder(socket_enabled: None) -> AsyncIterator[Recorder]:
    recording = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording.handle)
    recording.runner = web.AppRunner(app, access_log=None)
    await recording.runner.setup()
    await web.TCPSite(recording.runner, "127.0.0.1", 0).start()
    recording.base_url = f"http://127.0.0.1:{recording.runner.addresses[0][1]}"
    yield recording
    await recording.runner.cleanup()


@pytest.fixture
def frozen_loqedapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """loqedAPI reads ``time.time()``; give it the vector time (only in its own module)."""
    monkeypatch.setattr(loqed_api, "time", SimpleNamespace(time=lambda: TIMESTAMP + 0.4))


async def test_requests_match_loqedapi_for_the_same_timestamp(
    recorder: Recorder, frozen_loqedapi: None
) -> None:
    async with ClientSession() as session:
        theirs = their_lock(
            session, recorder.base_url, lock_key=LOCK_KEY, bridge_key=BRIDGE_KEY, key_id=KEY_ID
        )
        await theirs.open()
        await theirs.getWebhooks()
        await theirs.registerWebhook(URL, 399)  # lists first, then creates
        await theirs.deleteWebhook(4)
    their_requests = list(recorder.seen)
    recorder.seen.clear()

    async with LoqedBridge(
        "127.0.0.1",
        int(recorder.base_url.rsplit(":", 1)[1]),
        bridge_key=BRIDGE_KEY,
        lock_key=LOCK_KEY,
        local_key_id=KEY_ID,
        clock=lambda: TIMESTAMP + 0.7,
    ) as ours:
        await ours.open()
        await ours.webhooks()
        await ours.webhooks()
        await ours.add_webhook(URL, WebhookTrigger(399))
        await ours.delete_webhook(4)
    our_requests = list(recorder.seen)

    assert [(m, p) for m, p, *_ in our_requests] == [(m, p) for m, p, *_ in their_requests]
    (_, _, their_query, _, _), (_, _, our_query, _, _) = their_requests[0], our_requests[0]
    # The same command; loqedAPI leaves "/" unencoded, we encode every reserved character.
    assert unquote(our_query) == unquote(their_query)
    assert our_query == their_query.replace("/", "%2F")
    assert "/" in unquote(our_query)  # the vector does contain a "/"

    for theirs_seen, ours_seen in zip(their_requests[1:], our_requests[1:], strict=True):
        their_headers, our_headers = theirs_seen[3], ours_seen[3]
        assert our_headers["TIMESTAMP"] == their_headers["TIMESTAMP"] == str(TIMESTAMP)
        assert our_headers["HASH"] == their_headers["HASH"]
    their_body = orjson.loads(their_requests[3][4])
    our_body = orjson.loads(our_requests[3][4])
    assert our_body == their_body
    assert list(our_body) == list(their_body)
