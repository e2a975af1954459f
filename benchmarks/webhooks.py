"""Signed bridge webhooks sent by the benchmark itself, as the bridge would send them.

The payloads are the emulator's own (`loqed_emulator.payloads`), signed with the emulator's
signing function and the bridge key of the target's emulator: byte for byte what that bridge
would POST. Each request uses a new TCP connection, as the emulator (and the bridge) do.
"""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Final

import aiohttp

from loqed_emulator.lock import BoltState, EventKind, LockEvent, Source
from loqed_emulator.payloads import Macs, lock_event_payload
from loqed_emulator.protocol import encode_json, webhook_body_hash

if TYPE_CHECKING:
    from benchmarks.stack import Target

NO_KEY_ID: Final = 255
KEY_IDS: Final = 251  # 0..250

# What each lock event makes Home Assistant show.
STATE_AFTER: Final = {
    (EventKind.GOING_TO, BoltState.NIGHT_LOCK): "locking",
    (EventKind.REACHED, BoltState.NIGHT_LOCK): "locked",
    (EventKind.GOING_TO, BoltState.DAY_LOCK): "unlocking",
    (EventKind.REACHED, BoltState.DAY_LOCK): "unlocked",
}
GO_TO_REMOTE: Final = {
    BoltState.NIGHT_LOCK: "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",
    BoltState.DAY_LOCK: "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH",
}
REACHED_EVENT: Final = {
    BoltState.NIGHT_LOCK: "STATE_CHANGED_NIGHT_LOCK",
    BoltState.DAY_LOCK: "STATE_CHANGED_LATCH",
}


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    """One lock event to send and the state Home Assistant must show after it."""

    event: LockEvent
    expected_state: str


def reached(state: BoltState, key_id: int) -> PlannedEvent:
    """``STATE_CHANGED_*`` for ``state`` with ``key_id`` (a remote operation)."""
    event = LockEvent(EventKind.REACHED, REACHED_EVENT[state], state, key_id, Source.REMOTE)
    return PlannedEvent(event, STATE_AFTER[EventKind.REACHED, state])


def going_to(state: BoltState, key_id: int) -> PlannedEvent:
    """``GO_TO_STATE_*`` towards ``state`` with ``key_id`` (a remote operation)."""
    event = LockEvent(EventKind.GOING_TO, GO_TO_REMOTE[state], state, key_id, Source.REMOTE)
    return PlannedEvent(event, STATE_AFTER[EventKind.GOING_TO, state])


def toggle_event(index: int) -> PlannedEvent:
    """Latency samples: night lock and day lock alternately, key ids 1..250 in turn.

    Every sample changes the lock's state, and two samples with the same body are 250 samples
    apart (a bridge signs with whole seconds: the same body twice in one second is a replay).
    """
    state = BoltState.NIGHT_LOCK if index % 2 == 0 else BoltState.DAY_LOCK
    return reached(state, 1 + index % (KEY_IDS - 1))


def burst_event(index: int) -> PlannedEvent:
    """Burst events: going to night lock, night lock, going to day lock, day lock, repeated.

    The full sequence a lock reports for lock + unlock; every event changes the state shown
    (locking, locked, unlocking, unlocked). Key ids 0..250 in turn: bodies repeat only every
    1,004 events, so no event of a 1,000-event burst is a replay of another.
    """
    step = index % 4
    state = BoltState.NIGHT_LOCK if step < 2 else BoltState.DAY_LOCK
    key_id = index % KEY_IDS
    return going_to(state, key_id) if step % 2 == 0 else reached(state, key_id)


def signed_request(target: Target, planned: PlannedEvent) -> tuple[bytes, dict[str, str]]:
    """The body and headers the target's bridge would send for this event, signed now."""
    macs = target.bridge.macs
    payload = lock_event_payload(planned.event, Macs(wifi=macs.wifi, ble=macs.ble))
    body = encode_json(payload.body)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "TIMESTAMP": str(timestamp),
        "HASH": webhook_body_hash(bridge_key=target.bridge_key, body=body, timestamp=timestamp),
    }
    return body, headers


@dataclass(frozen=True, slots=True)
class SendResult:
    """When a send began (before signing), when its answer arrived, and the status."""

    start_ns: int
    end_ns: int
    status: int | None


class WebhookSender:
    """POSTs signed webhooks, one new connection per request (like the bridge)."""

    def __init__(self, timeout: float = 10.0) -> None:
        """Create the HTTP client."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True, limit=0),
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"User-Agent": "loqed-bench"},
        )

    async def send(self, target: Target, planned: PlannedEvent) -> SendResult:
        """Sign and POST one event to the target's webhook; return the stamps."""
        start = time.monotonic_ns()
        body, headers = signed_request(target, planned)
        status: int | None
        try:
            async with self._session.post(
                target.webhook_url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = None
        return SendResult(start, time.monotonic_ns(), status)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._session.close()
