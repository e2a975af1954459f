"""LoqedCloud against a loopback stand-in for the LOQED cloud (base_url pointed at it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
import logging
from typing import Any

from aiohttp import ClientSession, web
import orjson
import pytest

from aioloqed.cloud import DEFAULT_CLOUD_URL, CloudLock, LoqedCloud
from aioloqed.const import LockSetting
from aioloqed.credentials import CredentialsProblem
from aioloqed.exceptions import (
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedCredentialsError,
    LoqedResponseError,
    LoqedTimeoutError,
)

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
LOCK_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
BRIDGE_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
LOCK_ENTRY: dict[str, Any] = {
    "id": "Foo/1",
    "name": "MyLock",
    "battery_percentage": 64,
    "battery_type": "nickel_metal_hydride",
    "bolt_state": "day_lock",
    "party_mode": False,
    "guest_access_mode": True,
    "twist_assist": 0,
    "touch_to_connect": "1",
    "supported_lock_states": ["OPEN", "day_lock", "night_lock"],
    "online": True,
    "bridge_ip": "192.168.12.34",
    "bridge_hostname": "LOQED-aabbccddeeff.local",
    "local_id": 1,
    "key_secret": LOCK_KEY,
    "backend_key": "aGVsbG8gd29ybGQ=",
    "bridge_webhook_count": 1,
    "bridge_key": BRIDGE_KEY,
}

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeCloud:
    """Stand-in for integrations.production.loqed.com on loopback."""

    locks: list[dict[str, Any]] = field(default_factory=lambda: [LOCK_ENTRY])
    answer: Answer | None = None
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            (request.method, request.raw_path, dict(request.headers), await request.read())
        )
        if self.answer is not None:
            return await self.answer(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPFound("/login")
        if request.path == "/login":
            return web.Response(text="<!DOCTYPE html><html>Log in</html>", content_type="text/html")
        if request.method == "GET" and request.path == "/api/locks/":
            return web.json_response({"data": self.locks})
        if request.method == "POST" and request.path.endswith("/setting"):
            return web.json_response({"data": {"ok": True}})
        return web.Response(status=404)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        self.release.set()
        assert self._runner is not None
        await self._runner.cleanup()

    def client(self, **kwargs: Any) -> LoqedCloud:
        kwargs.setdefault("token", TOKEN)
        return LoqedCloud(base_url=self.url + "/", **kwargs)


@pytest.fixture
async def cloud(socket_enabled: None) -> AsyncIterator[FakeCloud]:
    server = FakeCloud()
    await server.start()
    yield server
    await server.stop()


async def test_locks_lists_every_lock_with_credentials(cloud: FakeCloud) -> None:
    async with cloud.client() as client:
        (lock,) = await client.locks()
    assert (lock.id, lock.name) == ("Foo/1", "MyLock")
    assert lock.supported_lock_states == ("open", "day_lock", "night_lock")
    assert lock.supports_open
    assert lock.open_house_mode is True  # the cloud calls it guest_access_mode
    assert lock.twist_assist is False
    assert lock.touch_to_connect is True
    credentials = lock.credentials()
    assert (credentials.host, credentials.port, credentials.local_key_id) == (
        "192.168.12.34",
        80,
        1,
    )
    assert credentials.lock_key == LOCK_KEY
    assert credentials.bridge_key == BRIDGE_KEY
    assert credentials.mac_from_mdns == "aabbccddeeff"
    assert LOCK_KEY not in repr(lock)


async def test_locks_is_one_request_with_the_token(cloud: FakeCloud) -> None:
    async with cloud.client() as client:
        await client.locks()
    ((method, path, headers, _body),) = cloud.requests
    assert (method, path) == ("GET", "/api/locks/")
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("aioloqed/")


async def test_pasted_token_is_normalised(cloud: FakeCloud) -> None:
    pasted = f"Bearer {TOKEN[:20]}\n  {TOKEN[20:]}\n"
    async with cloud.client(token=pasted) as client:
        assert len(await client.locks()) == 1


@pytest.mark.parametrize("token", ["", "   ", "Bearer", None])
def test_empty_token_is_refused_at_once(token: Any) -> None:
    with pytest.raises(LoqedCredentialsError) as err:
        LoqedCloud(token=token)
    assert err.value.field == "token"
    assert err.value.reason is CredentialsProblem.MISSING


def test_token_never_in_repr() -> None:
    client = LoqedCloud(token=TOKEN)
    assert TOKEN not in repr(client)
    assert client.base_url == DEFAULT_CLOUD_URL


async def test_wrong_token_redirect_to_login_is_an_authentication_error(
    cloud: FakeCloud, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioloqed")
    wrong = "wrong-" + TOKEN
    async with cloud.client(token=wrong) as client:
        with pytest.raises(LoqedAuthenticationError) as err:
            await client.locks()
    assert err.value.credential == "token"
    assert wrong not in str(err.value)
    assert wrong not in caplog.text
    assert [path for _m, path, _h, _b in cloud.requests] == ["/api/locks/"]  # not followed


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (200, "text/html", b"<html><body>Log in</body></html>"),
        (200, "application/octet-stream", b"  <!DOCTYPE html><html></html>"),
        (401, "application/json", b'{"message": "Unauthenticated."}'),
        (403, "application/json", b"{}"),
    ],
)
async def test_html_or_refusal_is_an_authentication_error(
    cloud: FakeCloud, status: int, content_type: str, body: bytes
) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type=content_type)

    cloud.answer = answer
    async with cloud.client() as client:
        with pytest.raises(LoqedAuthenticationError):
            await client.locks()


@pytest.mark.parametrize(
    ("status", "body", "status_in_error"),
    [
        (429, b"{}", 429),
        (500, b"oops", 500),
        (200, b"{not json", None),
        (200, b'{"data": {"id": 1}}', None),
        (200, b'"text"', None),
    ],
)
async def test_unexpected_answers_are_response_errors(
    cloud: FakeCloud, status: int, body: bytes, status_in_error: int | None
) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    cloud.answer = answer
    async with cloud.client() as client:
        with pytest.raises(LoqedResponseError) as err:
            await client.locks()
    assert err.value.status == status_in_error
    assert TOKEN not in str(err.value)


async def test_bare_list_and_junk_entries_are_tolerated(cloud: FakeCloud) -> None:
    async def answer(_request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps([LOCK_ENTRY, "junk", {"id": 2}]))

    cloud.answer = answer
    async with cloud.client() as client:
        locks = await client.locks()
    assert [lock.id for lock in locks] == ["Foo/1", "2"]
    minimal = locks[1]
    assert minimal.name == ""
    assert minimal.supported_lock_states == ()
    assert minimal.supports_open  # unknown: offered
    assert (minimal.open_house_mode, minimal.twist_assist, minimal.touch_to_connect) == (
        None,
        None,
        None,
    )
    with pytest.raises(LoqedCredentialsError):
        minimal.credentials()


def test_lock_without_open_state_does_not_support_open() -> None:
    lock = CloudLock.from_dict(
        {"id": "x", "supported_lock_states": ["day_lock", "night_lock"], "open_house_mode": "off"}
    )
    assert not lock.supports_open
    assert lock.open_house_mode is False
    assert CloudLock.from_dict({"id": "x", "twist_assist": "maybe"}).twist_assist is None


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        (LockSetting.OPEN_HOUSE_MODE, True, 1),
        (LockSetting.TWIST_ASSIST, False, 0),
        ("touch_to_connect", True, 1),
    ],
)
async def test_set_setting_posts_the_setting(
    cloud: FakeCloud, setting: Any, value: bool, expected: int
) -> None:
    async with cloud.client() as client:
        await client.set_setting("Foo/1", setting, value)
    ((method, path, headers, body),) = cloud.requests
    assert (method, path) == ("POST", "/api/locks/Foo%2F1/setting")
    assert headers["Content-Type"] == "application/json"
    assert orjson.loads(body) == {"setting_name": str(setting), "setting_value": expected}


async def test_set_setting_refuses_bad_input_without_a_request(cloud: FakeCloud) -> None:
    async with cloud.client() as client:
        with pytest.raises(LoqedCredentialsError):
            await client.set_setting("", LockSetting.TWIST_ASSIST, True)
        with pytest.raises(ValueError, match="party_mode"):
            await client.set_setting("Foo", "party_mode", True)  # type: ignore[arg-type]
    assert cloud.requests == []


async def test_timeout_and_unreachable_cloud(cloud: FakeCloud) -> None:
    async def hang(_request: web.Request) -> web.Response:
        await cloud.release.wait()
        return web.Response()

    cloud.answer = hang
    async with cloud.client(request_timeout=0.05) as client:
        with pytest.raises(LoqedTimeoutError):
            await client.locks()
    async with LoqedCloud(token=TOKEN, base_url="http://127.0.0.1:1") as client:
        with pytest.raises(LoqedConnectionError, match="Connection refused"):
            await client.locks()


async def test_session_ownership(cloud: FakeCloud) -> None:
    async with ClientSession() as session:
        async with cloud.client(session=session) as client:
            await client.locks()
        assert not session.closed
    client = cloud.client()
    async with client:
        await client.locks()
        own = client.session
        assert own is not None
    assert own.closed
    assert client.session is None
