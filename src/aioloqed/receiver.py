"""A small HTTP server that receives the bridge's webhooks and verifies every one.

:class:`WebhookReceiver` listens on one path, hands the raw body and headers of every ``POST`` to a
:class:`~aioloqed.webhook.WebhookVerifier` and queues the result for whoever iterates over the
receiver. The bridge is told the outcome through the status code: 200 verified, 401 rejected,
202 unverifiable (no signature headers), 413 too large, 405 for any method but ``POST``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import TYPE_CHECKING, Final, Self

from aiohttp import web

from aioloqed.webhook import RejectedWebhook, RejectReason, UnverifiableWebhook, VerifiedWebhook

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from types import TracebackType

    from aioloqed.webhook import WebhookResult, WebhookVerifier

_LOGGER = logging.getLogger("aioloqed")

DEFAULT_QUEUE_SIZE: Final = 100
"""Results kept for a slow reader; beyond this the oldest are dropped."""


class WebhookReceiver:
    """Receive, verify and queue the bridge's webhooks.

    Iterate over the receiver (``async for result in receiver``) to get every
    :data:`~aioloqed.webhook.WebhookResult`, verified or not; iteration ends when the receiver
    stops. The path defaults to a random one, so that only the bridge it is registered with knows
    where to post.
    """

    def __init__(
        self,
        verifier: WebhookVerifier,
        *,
        host: str = "0.0.0.0",  # noqa: S104 - the bridge posts from the LAN
        port: int = 0,
        path: str | None = None,
        clock: Callable[[], float] = time.time,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        """Prepare the receiver; nothing listens before :meth:`start`."""
        self.verifier = verifier
        self.host = host
        self.port = port
        self.url_path = path if path is not None else f"/loqed/{secrets.token_urlsafe(16)}"
        if not self.url_path.startswith("/"):
            self.url_path = f"/{self.url_path}"
        self.clock = clock
        self.dropped = 0
        """Results dropped because the reader fell more than ``queue_size`` behind."""
        self._queue_size = max(1, queue_size)
        self._queue: asyncio.Queue[WebhookResult | None] = asyncio.Queue(self._queue_size)
        self._runner: web.AppRunner | None = None
        self._max_body_size = verifier.max_body_size

    def __repr__(self) -> str:
        """Show where the receiver listens, not its path (the path works like a password)."""
        return f"WebhookReceiver(host={self.host!r}, port={self.port})"

    async def start(self) -> None:
        """Start listening; afterwards :attr:`port` is the bound port."""
        if self._runner is not None:
            return
        if not self._queue.empty():
            # A previous stop left its end marker behind.
            self._queue = asyncio.Queue(self._queue_size)
        app = web.Application(client_max_size=self._max_body_size)
        app.router.add_route("*", self.url_path, self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        _LOGGER.debug("Webhook receiver listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and end every iteration."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._put(None)

    async def __aenter__(self) -> Self:
        """Start the receiver."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the receiver."""
        await self.stop()

    def __aiter__(self) -> AsyncIterator[WebhookResult]:
        """Yield every result until the receiver stops."""
        return self._results()

    async def _results(self) -> AsyncIterator[WebhookResult]:
        while True:
            item = await self._queue.get()
            if item is None:
                # Leave the end marker for any other reader.
                self._put(None)
                return
            yield item

    def _put(self, item: WebhookResult | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(item)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self._put(RejectedWebhook(reason=RejectReason.TOO_LARGE))
            return web.Response(status=413)
        result = self.verifier.verify(body, request.headers, self.clock())
        self._put(result)
        if isinstance(result, VerifiedWebhook):
            return web.Response(status=200)
        if isinstance(result, UnverifiableWebhook):
            return web.Response(status=202)
        _LOGGER.debug("Webhook rejected: %s", result.reason)
        return web.Response(status=413 if result.reason is RejectReason.TOO_LARGE else 401)
