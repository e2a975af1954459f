"""Commands: from Home Assistant receiving ``lock.unlock`` / ``lock.lock`` to the bridge.

Stamps: ``service`` is the probe's, when Home Assistant's service registry receives the call
(``call_service`` event, before the entity acts); ``bridge`` is the emulator's, after the lock
verified the signed command; ``returned`` is the benchmark's, when the REST call's answer
arrived (Home Assistant answers once the service finished). The calls go over the REST API
(``POST /api/services/lock/<service>``), the integrations alternating.

Each call is taken on its own: before the next integration's call, the benchmark waits until the
last one's bridge has delivered its webhooks (Home Assistant has answered them) and a short pause
more. Without that, a command would share Home Assistant with the previous integration's
``GO_TO_STATE_*`` webhook, which the built-in and the floor leave on its way when their call
returns. One round before the measured ones warms every path up and is not counted (the first
command after setup also opens the TCP connection to the bridge). Before each call the probe
moves Home Assistant's garbage collector to a random point of its count, as in `latency`.

What "finished" means differs: the built-in and the floor return when the bridge answered the
command (the bridge answers 200 to anything well-formed, even a command the lock will refuse);
ours returns when the lock confirmed it started moving (its ``GO_TO_STATE_*`` webhook with our
key id), or raises. Both figures are reported; only the first is like for like.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import time
from typing import TYPE_CHECKING, Any

from tools.hass_harness import HassApiError

from benchmarks.latency import in_turn
from benchmarks.probe import first_at_or_after
from benchmarks.stack import TARGET_NAMES
from benchmarks.stats import ns_to_ms, summarize
from loqed_emulator.lock import BoltState

if TYPE_CHECKING:
    from benchmarks.probe import Probe
    from benchmarks.stack import BenchStack

SETTLE_TIMEOUT = 10.0
QUIET = 0.02
"""Seconds after a bridge's webhooks were answered before the next call."""


@dataclass(slots=True)
class Call:
    """One service call as the benchmark made it."""

    service: str
    request_ns: int
    answer_ns: int
    error: str | None


async def _park_locks(stack: BenchStack) -> None:
    """Night lock everywhere (by the knob), settled, before the first command."""
    for target in stack.targets.values():
        target.bridge.turn_knob(BoltState.NIGHT_LOCK)
    for target in stack.targets.values():
        async with asyncio.timeout(SETTLE_TIMEOUT):
            await target.bridge.wait_settled()
    await asyncio.sleep(1.1)  # the next knob event in another second (replay window)


async def run(stack: BenchStack, probe: Probe, rounds: int, half_period: float) -> dict[str, Any]:
    """``rounds`` x (unlock, lock) per integration; a half round lasts ``half_period`` s.

    The same command to the same lock comes back every ``2 * half_period`` s: more than a
    second, so that the lock's confirming webhook is never byte-identical to the previous one
    (a receiver refuses that as a replay) and ours never waits its own repeat spacing.
    """
    await _park_locks(stack)
    calls: dict[str, list[Call]] = {name: [] for name in TARGET_NAMES}
    for index in range(-1, rounds):  # round -1 warms up and is not counted
        for service in ("unlock", "lock"):
            began = time.monotonic()
            for name in in_turn(TARGET_NAMES, max(index, 0)):
                call = await _call(stack, probe, name, service)
                if index >= 0:
                    calls[name].append(call)
            await asyncio.sleep(max(0.0, began + half_period - time.monotonic()))
    await probe.fetch()
    return {"rounds": rounds, "half_period_s": half_period, **_match(stack, probe, calls)}


async def _call(stack: BenchStack, probe: Probe, name: str, service: str) -> Call:
    """One service call, then quiet: its bridge's webhooks answered, and a pause."""
    target = stack.targets[name]
    await probe.shift_collector()
    request = time.monotonic_ns()
    error = None
    try:
        await stack.ha.call_service("lock", service, {"entity_id": target.entity_id})
    except HassApiError as err:
        error = str(err)[:200]
    answer = time.monotonic_ns()
    async with asyncio.timeout(SETTLE_TIMEOUT):
        await target.bridge.wait_idle()
    await asyncio.sleep(QUIET)
    return Call(service, request, answer, error)


def _match(stack: BenchStack, probe: Probe, calls: dict[str, list[Call]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    collections = probe.collections()
    for name, items in calls.items():
        target = stack.targets[name]
        services = probe.select("service", target.entity_id)
        spans: list[tuple[int, int]] = []
        to_return: list[int] = []
        round_trip: list[int] = []
        unmatched = 0
        for call in items:
            round_trip.append(call.answer_ns - call.request_ns)
            received = first_at_or_after(services, call.request_ns, call.service)
            if received is None or received.time_ns > call.answer_ns:
                unmatched += 1
                continue
            to_return.append(call.answer_ns - received.time_ns)
            command = next(
                (
                    c
                    for c in target.bridge.commands
                    if received.time_ns <= c.time_ns <= call.answer_ns and c.verified
                ),
                None,
            )
            if command is None:
                unmatched += 1
                continue
            spans.append((received.time_ns, command.time_ns))
        to_bridge = [end - start for start, end in spans]
        results[name] = {
            "label": target.label,
            "to_bridge_verified_ms": summarize(ns_to_ms(to_bridge)),
            **collections.split(spans),
            "to_service_returned_ms": summarize(ns_to_ms(to_return)),
            "client_round_trip_ms": summarize(ns_to_ms(round_trip)),
            "calls": len(items),
            "errors": [c.error for c in items if c.error is not None][:5],
            "error_count": sum(1 for c in items if c.error is not None),
            "unmatched": unmatched,
            "to_bridge_samples_ms": [round(v, 4) for v in ns_to_ms(to_bridge)],
        }
    return results
