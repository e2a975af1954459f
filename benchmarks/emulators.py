"""Bridge emulators in the benchmark's own process, with exact timestamps and a request counter.

`TimedBridge` is the project's `EmulatedBridge` (same HTTP API, same lock, same signed webhooks),
plus three records, all stamped with ``time.monotonic_ns()`` (``CLOCK_MONOTONIC``, the clock the
probe inside Home Assistant uses too):

* ``requests``: every request to the bridge API (method and path, never the query);
* ``commands``: every ``/to_lock`` command, and whether the lock verified and acted on it;
* ``sends``: every webhook delivery, stamped just before the bridge signs and POSTs it.

Running the emulators in-process keeps those stamps free of log parsing and rounding; the bridge's
behaviour is the same as ``python -m loqed_emulator``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from loqed_emulator.app import build_bridge_app
from loqed_emulator.bridge import EmulatedBridge
from loqed_emulator.config import EmulatorConfig
from loqed_emulator.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from loqed_emulator.payloads import Payload
    from loqed_emulator.webhooks import Registration

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class BridgeRequest:
    """One request to the bridge API."""

    time_ns: int
    method: str
    path: str  # webhook ids in DELETE paths replaced by {id}

    @property
    def kind(self) -> str:
        """``GET /status``, ``DELETE /webhooks/{id}``..."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A ``/to_lock`` command as the bridge handled it."""

    time_ns: int  # after the lock's verification
    verified: bool


@dataclass(frozen=True, slots=True)
class SendRecord:
    """A webhook delivery: when it began (before signing) and how it ended."""

    start_ns: int
    end_ns: int
    event: str
    status: int | None


class TimedDispatcher(WebhookDispatcher):
    """The emulator's webhook dispatcher, stamping each delivery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Same arguments as `WebhookDispatcher`."""
        super().__init__(*args, **kwargs)
        self.sends: list[SendRecord] = []

    async def _post(
        self, registration: Registration, url: str, payload: Payload, body: bytes
    ) -> None:
        started = time.monotonic_ns()
        await super()._post(registration, url, payload, body)
        last = self.deliveries[-1] if self.deliveries else None
        self.sends.append(
            SendRecord(
                start_ns=started,
                end_ns=time.monotonic_ns(),
                event=payload.label,
                status=None if last is None else last.status,
            )
        )


def _normalise_path(path: str) -> str:
    if path.startswith("/webhooks/"):
        return "/webhooks/{id}"
    return path


class TimedBridge(EmulatedBridge):
    """An `EmulatedBridge` that records requests, commands and webhook sends."""

    def __init__(self, config: EmulatorConfig) -> None:
        """Build the bridge with a stamping dispatcher."""
        super().__init__(config)
        self.dispatcher = TimedDispatcher(
            self.registry,
            bridge_key=self.config.bridge_key,
            faults=self.faults,
            clock=self.bridge_time,
            timeout=self.config.webhook_timeout,
            log_size=self.config.log_size,
        )
        self.requests: list[BridgeRequest] = []
        self.commands: list[CommandRecord] = []

    @property
    def sends(self) -> list[SendRecord]:
        """Every webhook delivery so far."""
        dispatcher = self.dispatcher
        if not isinstance(dispatcher, TimedDispatcher):  # pragma: no cover - set in __init__
            raise TypeError("dispatcher replaced")
        return dispatcher.sends

    async def _listen(self) -> None:
        app = build_bridge_app(self)
        app.middlewares.insert(0, self._count)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._bridge_runner = runner
        self.port = int(runner.addresses[0][1])

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(
            BridgeRequest(time.monotonic_ns(), request.method, _normalise_path(request.path))
        )
        return await handler(request)

    def receive_command(self, message: bytes) -> None:
        """Let the lock verify the command, then stamp it."""
        last_ignored = self.ignored_commands[-1] if self.ignored_commands else None
        super().receive_command(message)
        now = time.monotonic_ns()
        ignored = bool(self.ignored_commands) and self.ignored_commands[-1] is not last_ignored
        self.commands.append(CommandRecord(now, verified=not ignored))

    def requests_between(self, start_ns: int, end_ns: int) -> list[BridgeRequest]:
        """Requests that arrived in [start_ns, end_ns)."""
        return [r for r in self.requests if start_ns <= r.time_ns < end_ns]


def bench_config(**overrides: Any) -> EmulatorConfig:
    """The settings every emulator of a run shares (only identity and keys differ)."""
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "motor_time": 0.3,
        "relatch_time": 1.0,
        "battery_interval": 0.0,
        "webhook_timeout": 5.0,
        "log_size": 5000,
    }
    settings.update(overrides)
    return EmulatorConfig(**settings)
