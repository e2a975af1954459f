"""Shared pieces of the contract tests: the aioloqed client and receiver against an emulator."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from tests.emulator.helpers import WAIT

from aioloqed import LoqedBridge, LoqedCredentials, WebhookReceiver, WebhookTrigger

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aioloqed import WebhookResult
    from loqed_emulator import EmulatedBridge


def client_for(bridge: EmulatedBridge, **kwargs: Any) -> LoqedBridge:
    """A library client built from the emulator's Integration information, as a user would."""
    credentials = LoqedCredentials.from_integration_information(bridge.integration_information)
    client = LoqedBridge.from_credentials(credentials, request_timeout=2.0, status_retries=1)
    return dataclasses.replace(client, **kwargs)


class Listener:
    """A started ``WebhookReceiver`` registered on the emulator through the library."""

    def __init__(self, receiver: WebhookReceiver) -> None:
        """Wrap a started receiver."""
        self.receiver = receiver
        self._results: AsyncIterator[WebhookResult] = aiter(receiver)

    @property
    def url(self) -> str:
        """The URL registered on the bridge."""
        return f"http://127.0.0.1:{self.receiver.port}{self.receiver.url_path}"

    async def next(self, timeout: float = WAIT) -> WebhookResult:
        """The next verification result."""
        async with asyncio.timeout(timeout):
            return await anext(self._results)

    async def take(self, count: int, timeout: float = WAIT) -> list[WebhookResult]:
        """The next ``count`` results."""
        return [await self.next(timeout) for _ in range(count)]


async def listen(
    client: LoqedBridge, triggers: WebhookTrigger = WebhookTrigger.ALL, **verifier: Any
) -> Listener:
    """Start a receiver on loopback and register it on the bridge with the library."""
    receiver = WebhookReceiver(client.webhook_verifier(**verifier), host="127.0.0.1")
    await receiver.start()
    listener = Listener(receiver)
    await client.add_webhook(listener.url, triggers)
    return listener
