"""Event to state: from the start of a signed webhook's send to Home Assistant's state_changed.

Two senders, both measured in the same run, integrations alternating sample by sample:

* ``direct``: the benchmark signs the bridge's payload with the target bridge's key and POSTs it
  (stamped just before signing);
* ``emulator``: the target's emulated bridge sends it after a knob turn, through its own webhook
  dispatcher (stamped just before it signs).

The end stamp is the probe's, taken inside Home Assistant by a synchronous ``state_changed``
listener. Both stamps are ``CLOCK_MONOTONIC`` readings on the same machine.

Before each sample the probe moves Home Assistant's garbage collector to a random point of its
count (`Probe.shift_collector`), so that whether a collection falls inside a sample depends on
what that sample allocates, not on the benchmark's rhythm. Samples with one inside are counted,
and the figures without them are given as well: the pause is the collector's, whoever's objects
it collects.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import itertools
import time
from typing import TYPE_CHECKING, Any

from benchmarks.probe import first_at_or_after
from benchmarks.stack import TARGET_NAMES
from benchmarks.stats import ns_to_ms, summarize
from benchmarks.webhooks import toggle_event
from loqed_emulator.lock import BoltState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from benchmarks.probe import Probe
    from benchmarks.stack import BenchStack
    from benchmarks.webhooks import WebhookSender

HTTP_OK = 200
SEND_TIMEOUT = 10.0


def in_turn(names: Sequence[str], index: int) -> list[str]:
    """``names`` in the ``index``-th of all their orders, taken in turn.

    Over a multiple of ``len(names)!`` rounds (6 for three) each integration goes first equally
    often and comes right after each of the others equally often, so what one leaves behind (a
    webhook still on its way, warm caches) favours none. Turning the list round would always put
    the same one after the same other.
    """
    orders = list(itertools.permutations(names))
    return list(orders[index % len(orders)])


@dataclass(frozen=True, slots=True)
class Sent:
    """One sample: the send's stamps, its HTTP status and the state it must produce."""

    start_ns: int
    end_ns: int
    status: int | None
    expected: str


def match_latencies(stack: BenchStack, probe: Probe, sent: dict[str, list[Sent]]) -> dict[str, Any]:
    """Pair every send with the first matching state record before that target's next send.

    Where the probe stamped the entry into the integration's webhook handler, the latency is
    split in two: ``transport`` (send to handler: the TCP connection, Home Assistant's HTTP
    server and webhook dispatch, the same code for every integration) and ``handler`` (the
    integration's own work up to the state write).
    """
    results: dict[str, Any] = {}
    collections = probe.collections()
    for name, samples in sent.items():
        target = stack.targets[name]
        states = probe.select("state", target.entity_id)
        entries = probe.select("webhook", name)
        spans: list[tuple[int, int]] = []
        transport: list[int] = []
        handler: list[int] = []
        missing = 0
        for index, sample in enumerate(samples):
            record = first_at_or_after(states, sample.start_ns, sample.expected)
            limit = samples[index + 1].start_ns if index + 1 < len(samples) else None
            if record is None or (limit is not None and record.time_ns >= limit):
                missing += 1
                continue
            spans.append((sample.start_ns, record.time_ns))
            entry = first_at_or_after(entries, sample.start_ns)
            if entry is not None and entry.time_ns <= record.time_ns:
                transport.append(entry.time_ns - sample.start_ns)
                handler.append(record.time_ns - entry.time_ns)
        latencies = [end - start for start, end in spans]
        http = [s.end_ns - s.start_ns for s in samples]
        results[name] = {
            "label": target.label,
            "event_to_state_ms": summarize(ns_to_ms(latencies)),
            **collections.split(spans),
            "transport_ms": summarize(ns_to_ms(transport)),
            "handler_ms": summarize(ns_to_ms(handler)),
            "http_round_trip_ms": summarize(ns_to_ms(http)),
            "missing": missing,
            "non_200": sum(1 for s in samples if s.status != HTTP_OK),
            "samples_ms": [round(v, 4) for v in ns_to_ms(latencies)],
        }
    return results


async def direct(
    stack: BenchStack, probe: Probe, sender: WebhookSender, samples: int, gap: float
) -> dict[str, Any]:
    """The benchmark signs and POSTs; ``samples`` per integration, ``gap`` s between sends."""
    sent: dict[str, list[Sent]] = {name: [] for name in TARGET_NAMES}
    for index in range(samples):
        planned = toggle_event(index)
        for name in in_turn(TARGET_NAMES, index):
            await probe.shift_collector()
            result = await sender.send(stack.targets[name], planned)
            sent[name].append(
                Sent(result.start_ns, result.end_ns, result.status, planned.expected_state)
            )
            await asyncio.sleep(gap)
    await probe.fetch()
    return {"samples_per_integration": samples, "gap_s": gap, **match_latencies(stack, probe, sent)}


async def through_emulator(
    stack: BenchStack, probe: Probe, samples: int, period: float
) -> dict[str, Any]:
    """Each emulator sends after a knob turn; one round (all three) every ``period`` s.

    The knob alternates night lock / day lock. A knob event has no key id, so its body repeats
    every other round; with ``period`` >= 0.55 s the repeat is always in a later second (a
    receiver would rightly refuse the same signed message twice).
    """
    sent: dict[str, list[Sent]] = {name: [] for name in TARGET_NAMES}
    for index in range(samples):
        round_start = time.monotonic()
        state = BoltState.NIGHT_LOCK if index % 2 == 0 else BoltState.DAY_LOCK
        expected = "locked" if state is BoltState.NIGHT_LOCK else "unlocked"
        for name in in_turn(TARGET_NAMES, index):
            bridge = stack.targets[name].bridge
            await probe.shift_collector()
            before = len(bridge.sends)
            bridge.turn_knob(state)
            async with asyncio.timeout(SEND_TIMEOUT):
                await bridge.wait_idle()
            for send in bridge.sends[before:]:
                sent[name].append(Sent(send.start_ns, send.end_ns, send.status, expected))
        await asyncio.sleep(max(0.0, round_start + period - time.monotonic()))
    await probe.fetch()
    return {
        "samples_per_integration": samples,
        "round_period_s": period,
        **match_latencies(stack, probe, sent),
    }
