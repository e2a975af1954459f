"""Helpers for the emulator tests: a webhook receiver and request builders.

The request builders use the emulator's own protocol module on purpose only in the emulator's
unit tests; interop (loqedAPI) and contract (aioloqed) tests use the clients' own code.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from loqed_emulator import EmulatedBridge, EmulatorConfig
from loqed_emulator.protocol import (
    build_signed_command,
    create_webhook_hash,
    delete_webhook_hash,
    list_webhooks_hash,
)

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

LOCK_KEY = bytes(range(32))
BRIDGE_KEY = bytes(range(32, 64))
KEY_ID = 5
WAIT = 5.0  # upper bound for any wait in these tests


def fast_config(**overrides: Any) -> EmulatorConfig:
    """Return a configuration for tests: loopback, free ports, no motor time, fixed keys."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "motor_time": 0.0,
        "relatch_time": 0.02,
        "battery_interval": 0.0,
        "bridge_key": BRIDGE_KEY,
        "lock_keys": {KEY_ID: LOCK_KEY},
        "mac_wifi": "aabbccddeeff",
        "webhook_timeout": 1.0,
        "seed": 7,
    }
    values.update(overrides)
    return EmulatorConfig(**values)


@dataclass(frozen=True)
class Received:
    """One webhook request as the receiver saw it."""

    body: bytes
    headers: CIMultiDictProxy[str]
    time: float
    path: str

    @property
    def json(self) -> dict[str, Any]:
        """The body decoded."""
        data: dict[str, Any] = json.loads(self.body)
        return data


class WebhookSink:
    """A loopback HTTP server that records every POST it gets."""

    def __init__(self, *, status: int = 200, delay: float = 0.0) -> None:
        """Answer every request with ``status`` after ``delay`` seconds."""
        self.status = status
        self.delay = delay
        self.received: list[Received] = []
        self._queue: asyncio.Queue[Received] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening (requests still being delayed are answered at once)."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(await request.read(), request.headers, time.time(), request.path_qs)
        self.received.append(received)
        self._queue.put_nowait(received)
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        return web.Response(status=self.status)

    async def next(self, timeout: float = WAIT) -> Received:
        """Return the next request, waiting at most ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    async def take(self, count: int, timeout: float = WAIT) -> list[Received]:
        """Return the next ``count`` requests."""
        return [await self.next(timeout) for _ in range(count)]

    def event_types(self) -> list[str | None]:
        """The ``event_type`` of every request so far (None for battery/online payloads)."""
        return [item.json.get("event_type") for item in self.received]


def command_query(
    action: int,
    *,
    key: bytes = LOCK_KEY,
    key_id: int = KEY_ID,
    timestamp: int | None = None,
) -> str:
    """Return ``command_signed_base64=...`` for a signed command, every reserved char encoded."""
    message = build_signed_command(
        lock_key=key,
        key_id=key_id,
        action=action,
        timestamp=int(time.time()) if timestamp is None else timestamp,
    )
    return "command_signed_base64=" + quote(base64.b64encode(message).decode(), safe="")


def list_headers(*, timestamp: int | None = None, key: bytes = BRIDGE_KEY) -> dict[str, str]:
    """Headers of ``GET /webhooks``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {"TIMESTAMP": str(ts), "HASH": list_webhooks_hash(bridge_key=key, timestamp=ts)}


def create_headers(
    url: str, flags: int, *, timestamp: int | None = None, key: bytes = BRIDGE_KEY
) -> dict[str, str]:
    """Headers of ``POST /webhooks``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = create_webhook_hash(bridge_key=key, url=url, flags=flags, timestamp=ts)
    return {"TIMESTAMP": str(ts), "HASH": digest}


def delete_headers(
    webhook_id: int, *, timestamp: int | None = None, key: bytes = BRIDGE_KEY
) -> dict[str, str]:
    """Headers of ``DELETE /webhooks/<id>``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = delete_webhook_hash(bridge_key=key, webhook_id=webhook_id, timestamp=ts)
    return {"TIMESTAMP": str(ts), "HASH": digest}


def registration_body(url: str, flags: int = 511) -> dict[str, Any]:
    """A ``POST /webhooks`` body with the nine trigger fields of ``flags``."""
    names = (
        "trigger_state_changed_open",
        "trigger_state_changed_latch",
        "trigger_state_changed_night_lock",
        "trigger_state_changed_unknown",
        "trigger_state_goto_open",
        "trigger_state_goto_latch",
        "trigger_state_goto_night_lock",
        "trigger_battery",
        "trigger_online_status",
    )
    return {"url": url, **{name: (flags >> bit) & 1 for bit, name in enumerate(names)}}


def register(bridge: EmulatedBridge, url: str, flags: int = 511) -> int:
    """Register a target directly (no HTTP) and return its id."""
    return bridge.registry.add(url, flags).id
