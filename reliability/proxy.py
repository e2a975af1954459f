"""A recording relay between the bridge and Home Assistant: what a listener on the LAN sees.

The bridge's webhooks travel as plain HTTP, so anyone on the network can keep copies. For the
replay scenario the integration's callback URL (an option) points here; every request is
forwarded unchanged to Home Assistant and kept (method, path, the headers that matter, body,
Home Assistant's answer), so it can be sent again later, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Final

from aiohttp import web

if TYPE_CHECKING:
    import aiohttp

KEPT_HEADERS: Final = ("Content-Type", "TIMESTAMP", "HASH")


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as it went by, and Home Assistant's answer."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    received: float
    """Wall time it went by."""

    @property
    def timestamp(self) -> int | None:
        """The webhook's TIMESTAMP header, if it had one."""
        for name, value in self.headers:
            if name.upper() == "TIMESTAMP" and value.isdigit():
                return int(value)
        return None


class RecordingProxy:
    """Serve on 127.0.0.1; forward everything to ``target``; remember it."""

    def __init__(self, session: aiohttp.ClientSession, target: str) -> None:
        """``target`` is Home Assistant's base URL."""
        self._session = session
        self._target = target.rstrip("/")
        self.recorded: list[Recorded] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=1024**2)
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp keeps the bound socket there
        port = server.sockets[0].getsockname()[1] if server is not None else 0  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _relay(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = tuple((n, request.headers[n]) for n in KEPT_HEADERS if n in request.headers)
        async with self._session.request(
            request.method, f"{self._target}{request.path}", data=body, headers=dict(headers)
        ) as answer:
            payload = await answer.read()
            status = answer.status
        self.recorded.append(
            Recorded(request.method, request.path, headers, body, status, time.time())
        )
        return web.Response(status=status, body=payload)
