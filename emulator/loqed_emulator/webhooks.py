"""Webhook registrations and their delivery: one queue, one target after another, each signed.

Like the real bridge (protocol 4.1), the dispatcher calls the registered targets one after
another, so a slow or dead target delays every later one; each request is signed with the
bridge's clock at the moment it is sent.
"""

from __future__ import annotations

import asyncio
from collections import deque
import contextlib
from dataclasses import dataclass
import logging
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp

from loqed_emulator.protocol import encode_json, fields_from_flags, webhook_body_hash

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loqed_emulator.faults import Faults
    from loqed_emulator.payloads import Payload

_LOGGER = logging.getLogger(__name__)

DEFAULT_DELIVERY_LOG_SIZE: Final = 200
_FIRST_NON_SUCCESS: Final = 300


@dataclass(frozen=True, slots=True)
class Registration:
    """One registered webhook target."""

    id: int
    url: str
    flags: int

    @property
    def host(self) -> str:
        """``host[:port]`` of the target, for people: no path (it may carry a secret id)."""
        return url_host(self.url)

    def to_json(self) -> dict[str, Any]:
        """Return the ``GET /webhooks`` element (protocol 5.1)."""
        return {"id": self.id, "url": self.url, **fields_from_flags(self.flags)}


def url_host(url: str) -> str:
    """Return ``host[:port]`` of a URL without credentials, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


class WebhookRegistry:
    """The bridge's list of registrations; ids count up from 1 and are never reused."""

    def __init__(self) -> None:
        """Start with no registrations."""
        self._items: dict[int, Registration] = {}
        self._next_id = 1

    def add(self, url: str, flags: int) -> Registration:
        """Register a target and return it with its new id."""
        registration = Registration(self._next_id, url, flags)
        self._items[registration.id] = registration
        self._next_id += 1
        return registration

    def remove(self, webhook_id: int) -> bool:
        """Delete a registration; False when the id is unknown."""
        return self._items.pop(webhook_id, None) is not None

    def clear(self) -> None:
        """Forget every registration (a reboot); ids start again at 1."""
        self._items.clear()
        self._next_id = 1

    def get(self, webhook_id: int) -> Registration | None:
        """Return the registration with this id, if any."""
        return self._items.get(webhook_id)

    def __iter__(self) -> Iterator[Registration]:
        """Iterate in registration order."""
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        """Return the number of registrations."""
        return len(self._items)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to call one target, for the delivery log."""

    time: float
    webhook_id: int
    url: str
    event: str
    outcome: str  # delivered | http_error | failed | timeout | lost
    status: int | None = None
    duration: float = 0.0
    signed: bool = True

    @property
    def host(self) -> str:
        """Target host for people."""
        return url_host(self.url)

    def to_json(self) -> dict[str, Any]:
        """Return the log entry without the target's path (it may hold a secret webhook id)."""
        return {
            "time": round(self.time, 3),
            "webhook_id": self.webhook_id,
            "host": self.host,
            "event": self.event,
            "outcome": self.outcome,
            "status": self.status,
            "duration": round(self.duration, 3),
            "signed": self.signed,
        }


def expand_placeholders(url: str, body: dict[str, Any]) -> str:
    """Replace ``[key]`` in the URL by that payload value (protocol 4.1)."""
    for key, value in body.items():
        url = url.replace(f"[{key}]", str(value))
    return url


class WebhookDispatcher:
    """Serialises every payload through one queue and calls each matching target in turn."""

    def __init__(
        self,
        registry: WebhookRegistry,
        *,
        bridge_key: bytes,
        faults: Faults,
        clock: Callable[[], float],
        timeout: float,
        log_size: int = DEFAULT_DELIVERY_LOG_SIZE,
    ) -> None:
        """Create a stopped dispatcher; ``clock`` is the bridge's (possibly skewed) clock."""
        self._registry = registry
        self._bridge_key = bridge_key
        self._faults = faults
        self._clock = clock
        self.timeout = timeout
        self.deliveries: deque[Delivery] = deque(maxlen=log_size)
        self._queue: asyncio.Queue[Payload] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._busy = False

    @property
    def pending(self) -> int:
        """Payloads waiting or being delivered."""
        return self._queue.qsize() + (1 if self._busy else 0)

    async def start(self) -> None:
        """Open the HTTP client and start the worker."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            headers={"User-Agent": "loqed-emulator"},
        )
        self._worker = asyncio.create_task(self._run(), name="loqed-emulator-webhooks")

    async def stop(self) -> None:
        """Stop the worker (pending payloads are dropped) and close the client."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        self.discard_pending()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def enqueue(self, payload: Payload) -> None:
        """Queue a payload for every registration whose flags include its trigger."""
        self._queue.put_nowait(payload)

    def discard_pending(self) -> None:
        """Drop payloads not yet sent (a reboot)."""
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    async def wait_idle(self) -> None:
        """Wait until every queued payload has been handled."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            payload = await self._queue.get()
            self._busy = True
            try:
                await self._deliver(payload)
            finally:
                self._busy = False
                self._queue.task_done()

    async def _deliver(self, payload: Payload) -> None:
        body = encode_json(payload.body)
        for registration in self._registry:
            if not registration.flags & payload.trigger:
                continue
            if self._registry.get(registration.id) is None:
                continue  # deleted while earlier targets were being called
            url = expand_placeholders(registration.url, payload.body)
            if self._faults.consume_webhook_loss():
                self._log(registration, url, payload, outcome="lost", signed=False)
                continue
            await self._post(registration, url, payload, body)

    async def _post(
        self, registration: Registration, url: str, payload: Payload, body: bytes
    ) -> None:
        if self._session is None:  # pragma: no cover - started before the worker runs
            raise RuntimeError("dispatcher not started")
        headers = {"Content-Type": "application/json"}
        signed = not self._faults.unsigned_webhooks
        if signed:
            timestamp = int(self._clock())
            headers["TIMESTAMP"] = str(timestamp)
            headers["HASH"] = webhook_body_hash(
                bridge_key=self._bridge_key, body=body, timestamp=timestamp
            )
        started = time.monotonic()
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                await response.read()
                outcome = "delivered" if response.status < _FIRST_NON_SUCCESS else "http_error"
                status: int | None = response.status
        except TimeoutError:
            outcome, status = "timeout", None
        except (aiohttp.ClientError, OSError, ValueError):
            outcome, status = "failed", None
        duration = time.monotonic() - started
        self._log(
            registration,
            url,
            payload,
            outcome=outcome,
            status=status,
            duration=duration,
            signed=signed,
        )

    def _log(
        self,
        registration: Registration,
        url: str,
        payload: Payload,
        *,
        outcome: str,
        status: int | None = None,
        duration: float = 0.0,
        signed: bool,
    ) -> None:
        entry = Delivery(
            time=time.time(),
            webhook_id=registration.id,
            url=url,
            event=payload.label,
            outcome=outcome,
            status=status,
            duration=duration,
            signed=signed,
        )
        self.deliveries.append(entry)
        _LOGGER.info(
            "webhook %s -> %s: %s%s",
            entry.event,
            entry.host,
            outcome,
            f" ({status})" if status is not None else "",
        )
