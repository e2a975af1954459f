"""Burst: 1,000 signed events at full speed to one integration; processed, lost, final state.

Every event of the sequence changes what Home Assistant shows (locking, locked, unlocking,
unlocked, with a new key id each time), so each processed event is exactly one ``state_changed``
at the probe: lost = sent - state changes. ``serial`` sends one after another as a bridge does
(each on a new connection, the next when the previous was answered); ``parallel`` keeps up to
``concurrency`` requests in flight, then sends the last event alone, so the final state is
defined. Also recorded: Home Assistant's CPU time per event while sending (all threads), and
its garbage collections (the probe's ``gc.callbacks`` clock).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import TYPE_CHECKING, Any

from benchmarks.latency import in_turn
from benchmarks.procfs import cpu_ns
from benchmarks.stack import TARGET_NAMES
from benchmarks.stats import ns_to_ms, summarize
from benchmarks.webhooks import NO_KEY_ID, burst_event, reached
from loqed_emulator.lock import BoltState

if TYPE_CHECKING:
    from benchmarks.probe import Probe
    from benchmarks.stack import BenchStack, Target
    from benchmarks.webhooks import SendResult, WebhookSender

HTTP_OK = 200
NS_PER_S = 1e9
SETTLE = 0.5
PAUSE = 1.0


async def one(
    stack: BenchStack,
    probe: Probe,
    sender: WebhookSender,
    target: Target,
    *,
    count: int,
    concurrency: int,
) -> dict[str, Any]:
    """Send ``count`` events to ``target``; return what arrived."""
    await sender.send(target, reached(BoltState.DAY_LOCK, NO_KEY_ID))  # start from unlocked
    await asyncio.sleep(0.2)
    events = [burst_event(index) for index in range(count)]
    gc_before = (await probe.fetch())["gc"]
    pid = stack.ha.pid
    cpu_before = cpu_ns(pid) if pid is not None else None
    began = time.monotonic_ns()
    results: list[SendResult] = []
    if concurrency <= 1:
        results.extend([await sender.send(target, planned) for planned in events])
    else:
        gate = asyncio.Semaphore(concurrency)

        async def send(index: int) -> SendResult:
            async with gate:
                return await sender.send(target, events[index])

        results.extend(await asyncio.gather(*(send(i) for i in range(count - 1))))
        results.append(await sender.send(target, events[-1]))
    sent_all = time.monotonic_ns()
    cpu_after = cpu_ns(pid) if pid is not None else None
    await asyncio.sleep(SETTLE)
    gc_after = (await probe.fetch())["gc"]
    changes = probe.select("state", target.entity_id, began)
    last_change = max((r.time_ns for r in changes), default=None)
    shown = await stack.ha.state(target.entity_id)
    state = None if shown is None else str(shown.get("state"))
    processed = len(changes)
    duration_ns = (last_change - began) if last_change is not None else None
    return {
        "label": target.label,
        "sent": count,
        "concurrency": concurrency,
        "processed": processed,
        "lost": max(0, count - processed),
        "extra_state_changes": max(0, processed - count),
        "non_200": sum(1 for r in results if r.status != HTTP_OK),
        "send_seconds": round((sent_all - began) / NS_PER_S, 3),
        "events_per_second": None
        if not duration_ns
        else round(processed / (duration_ns / NS_PER_S), 1),
        "final_state": state,
        "expected_final_state": events[-1].expected_state,
        "final_state_right": state == events[-1].expected_state,
        "http_round_trip_ms": summarize(ns_to_ms([r.end_ns - r.start_ns for r in results])),
        "ha_cpu_per_event_ms": None
        if cpu_before is None or cpu_after is None
        else round((cpu_after - cpu_before) / count / 1e6, 4),
        "gc_collections": [
            after - before
            for before, after in zip(gc_before["collections"], gc_after["collections"], strict=True)
        ],
        "gc_ms": round(sum(gc_after["seconds"]) * 1000 - sum(gc_before["seconds"]) * 1000, 3),
    }


async def run(
    stack: BenchStack,
    probe: Probe,
    sender: WebhookSender,
    *,
    count: int,
    concurrency: int,
    repetitions: int,
) -> dict[str, Any]:
    """``repetitions`` serial and parallel bursts per integration, the order changing."""
    results: dict[str, Any] = {"serial": {}, "parallel": {}}
    for mode, level in (("serial", 1), ("parallel", concurrency)):
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGET_NAMES}
        for repetition in range(repetitions):
            for name in in_turn(TARGET_NAMES, repetition):
                target = stack.targets[name]
                await asyncio.sleep(PAUSE)
                runs[name].append(
                    await one(stack, probe, sender, target, count=count, concurrency=level)
                )
        results[mode] = {name: combine(items) for name, items in runs.items()}
    return results


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the repetitions; medians for rates and CPU (every value kept too)."""
    first = runs[0]
    rates = [r["events_per_second"] for r in runs if r["events_per_second"] is not None]
    cpu = [r["ha_cpu_per_event_ms"] for r in runs if r["ha_cpu_per_event_ms"] is not None]
    return {
        "label": first["label"],
        "bursts": len(runs),
        "sent": sum(r["sent"] for r in runs),
        "per_burst": first["sent"],
        "concurrency": first["concurrency"],
        "processed": sum(r["processed"] for r in runs),
        "lost": sum(r["lost"] for r in runs),
        "extra_state_changes": sum(r["extra_state_changes"] for r in runs),
        "non_200": sum(r["non_200"] for r in runs),
        "events_per_second": round(statistics.median(rates), 1) if rates else None,
        "events_per_second_each": rates,
        "final_state_right": all(r["final_state_right"] for r in runs),
        "ha_cpu_per_event_ms": round(statistics.median(cpu), 4) if cpu else None,
        "gc_collections": [
            sum(values) for values in zip(*(r["gc_collections"] for r in runs), strict=True)
        ],
        "gc_ms": round(sum(r["gc_ms"] for r in runs), 3),
        "runs": runs,
    }
