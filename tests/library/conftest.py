"""Shared test data for the library tests: the protocol test vectors and captured payloads.

``fixtures/vectors.json`` holds the vectors of docs/protocol.md section 11;
``fixtures/webhooks/*.json`` hold webhook bodies byte for byte as published; ``emulator`` is a
running emulated bridge.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from tests.library.emulated import fast_config

from loqed_emulator import EmulatedBridge

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

FIXTURES = Path(__file__).parent / "fixtures"


def _load_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _load_json(name: str) -> Any:
    return orjson.loads(_load_bytes(name))


@pytest.fixture
def vectors() -> dict[str, Any]:
    """The test vectors of docs/protocol.md section 11."""
    data: dict[str, Any] = _load_json("vectors.json")
    return data


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Load a fixture file's raw bytes by name relative to ``fixtures/``."""
    return _load_bytes


@pytest.fixture
async def emulator(socket_enabled: None) -> AsyncIterator[EmulatedBridge]:
    """A running emulated bridge on loopback (see :func:`tests.library.emulated.fast_config`)."""
    async with EmulatedBridge(fast_config()) as emu:
        yield emu


@pytest.fixture
def fixture_json() -> Callable[[str], Any]:
    """Load a fixture file as JSON by name relative to ``fixtures/``."""
    return _load_json
