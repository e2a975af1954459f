"""Fixtures of the emulator tests: a started bridge, a webhook receiver, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import aiohttp
import pytest
from tests.emulator.helpers import WebhookSink, fast_config

from loqed_emulator import EmulatedBridge

if TYPE_CHECKING:
    from tests.emulator.contract_helpers import Listener

    from aioloqed import LoqedBridge

BridgeFactory: TypeAlias = Callable[..., Awaitable[EmulatedBridge]]
SinkFactory: TypeAlias = Callable[..., Awaitable[WebhookSink]]


@pytest.fixture
async def make_bridge(socket_enabled: None) -> AsyncIterator[BridgeFactory]:
    """Start bridges with ``fast_config(**overrides)``; all are stopped after the test."""
    started: list[EmulatedBridge] = []

    async def factory(**overrides: Any) -> EmulatedBridge:
        bridge = EmulatedBridge(fast_config(**overrides))
        await bridge.start()
        started.append(bridge)
        return bridge

    yield factory
    for bridge in started:
        await bridge.stop()


@pytest.fixture
async def bridge(make_bridge: BridgeFactory) -> EmulatedBridge:
    """A started bridge with the fast test configuration."""
    return await make_bridge()


@pytest.fixture
async def make_sink(socket_enabled: None) -> AsyncIterator[SinkFactory]:
    """Start webhook receivers; all are stopped after the test."""
    started: list[WebhookSink] = []

    async def factory(**kwargs: Any) -> WebhookSink:
        sink = WebhookSink(**kwargs)
        await sink.start()
        started.append(sink)
        return sink

    yield factory
    for sink in started:
        await sink.stop()


@pytest.fixture
async def sink(make_sink: SinkFactory) -> WebhookSink:
    """A webhook receiver answering 200 at once."""
    return await make_sink()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for talking to the emulator."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def client(bridge: EmulatedBridge) -> AsyncIterator[LoqedBridge]:
    """An aioloqed client for ``bridge`` (imported lazily: only contract tests need it)."""
    from tests.emulator.contract_helpers import client_for

    async with client_for(bridge) as loqed:
        yield loqed


@pytest.fixture
async def listener(client: LoqedBridge) -> AsyncIterator[Listener]:
    """An aioloqed webhook receiver registered on ``bridge`` for every trigger."""
    from tests.emulator.contract_helpers import listen

    started = await listen(client)
    yield started
    await started.receiver.stop()
