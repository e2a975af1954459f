"""Setup, start, steady state and cost.

* ``setup``: config entry reloads through the REST API, alternating; the probe stamps the entry's
  ``setup_in_progress`` and ``loaded`` transitions (the bridge is reachable).
* ``steady``: an idle window with both integrations loaded; every request to each bridge counted.
* ``cost``: Home Assistant restarted with only one LOQED entry enabled (the other disabled), and
  with none (the baseline); each time: start time, the entry's setup time at start, memory, CPU
  while idle, CPU per event for a serial stream of signed events (the baseline's go to the floor),
  and the requests each bridge received while idle.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import statistics
import time
from typing import TYPE_CHECKING, Any

from benchmarks.latency import in_turn
from benchmarks.procfs import cpu_ns, memory
from benchmarks.stats import ns_to_ms, ratio, summarize
from benchmarks.webhooks import burst_event

if TYPE_CHECKING:
    from benchmarks.probe import Probe, ProbeRecord
    from benchmarks.stack import BenchStack, Target
    from benchmarks.webhooks import WebhookSender

NS_PER_S = 1_000_000_000
SECONDS_PER_HOUR = 3600.0
LOQED = ("ours", "builtin")
COMMAND_PATH = "GET /to_lock"


def _entry_setups(records: list[ProbeRecord], entry_id: str, since_ns: int) -> int | None:
    """Nanoseconds from the first ``setup_in_progress`` after ``since_ns`` to ``loaded``."""
    started: int | None = None
    for record in sorted(records, key=lambda r: r.time_ns):
        if record.extra != entry_id or record.time_ns < since_ns:
            continue
        if record.value == "setup_in_progress" and started is None:
            started = record.time_ns
        elif record.value == "loaded" and started is not None:
            return record.time_ns - started
    return None


async def setup(stack: BenchStack, probe: Probe, samples: int) -> dict[str, Any]:
    """Reload each LOQED entry ``samples`` times, alternating."""
    reloads: dict[str, list[tuple[int, int]]] = {name: [] for name in LOQED}
    for index in range(samples):
        for name in in_turn(LOQED, index):
            target = stack.targets[name]
            began = time.monotonic_ns()
            await stack.ha.post(f"/api/config/config_entries/entry/{target.entry_id}/reload")
            reloads[name].append((began, time.monotonic_ns()))
            await asyncio.sleep(0.3)
    await probe.fetch()
    results: dict[str, Any] = {}
    for name, items in reloads.items():
        target = stack.targets[name]
        records = probe.select("entry", target.domain)
        setups = [
            value
            for began, _ in items
            if (value := _entry_setups(records, str(target.entry_id), began)) is not None
        ]
        results[name] = {
            "label": target.label,
            "entry_setup_ms": summarize(ns_to_ms(setups)),
            "reload_round_trip_ms": summarize(ns_to_ms([end - start for start, end in items])),
            "requests_per_reload": _per_reload(target, items),
        }
        target.webhook_url = stack.registered_url(target)
    return results


def _per_reload(target: Target, items: list[tuple[int, int]]) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for start, end in items:
        counts.update(r.kind for r in target.bridge.requests_between(start, end))
    return {kind: round(count / len(items), 2) for kind, count in sorted(counts.items())}


def request_counts(target: Target, start_ns: int, end_ns: int) -> dict[str, int]:
    """Requests to the target's bridge in the window, by method and path."""
    counts = Counter(r.kind for r in target.bridge.requests_between(start_ns, end_ns))
    return dict(sorted(counts.items()))


async def steady(stack: BenchStack, window: float) -> dict[str, Any]:
    """Count every request to each bridge while nothing happens for ``window`` seconds."""
    began = time.monotonic_ns()
    await asyncio.sleep(window)
    ended = time.monotonic_ns()
    return {
        "window_s": window,
        **{name: request_counts(stack.targets[name], began, ended) for name in LOQED},
    }


def expected_per_hour(polling: dict[str, Any]) -> dict[str, Any]:
    """Requests per hour from the intervals the integrations run with (read by the probe).

    Ours: one ``GET /status`` per poll interval and one ``GET /webhooks`` per webhook check while
    push is healthy (more only when something is wrong). The built-in: ``update_interval`` None,
    nothing after setup.
    """
    result: dict[str, Any] = {}
    ours = polling.get("loqed_bridge") or {}
    poll = ours.get("update_interval")
    check = ours.get("reconcile_interval")
    result["ours"] = {
        "status_reads": None if not poll else round(SECONDS_PER_HOUR / poll, 2),
        "webhook_checks": None if not check else round(SECONDS_PER_HOUR / check, 2),
        "push_healthy": ours.get("push_healthy"),
        "update_interval_s": poll,
        "reconcile_interval_s": check,
    }
    result["ours"]["total"] = sum(
        v for k, v in result["ours"].items() if k in {"status_reads", "webhook_checks"} and v
    )
    builtin = polling.get("loqed") or {}
    builtin_poll = builtin.get("update_interval")
    result["builtin"] = {
        "update_interval_s": builtin_poll,
        "total": 0.0 if not builtin_poll else round(SECONDS_PER_HOUR / builtin_poll, 2),
    }
    return result


async def _set_enabled(stack: BenchStack, wanted: set[str]) -> None:
    async with stack.ha.websocket() as ws:
        entries = {e["entry_id"]: e for e in await stack.ha.config_entries()}
        for name in LOQED:
            target = stack.targets[name]
            entry = entries.get(str(target.entry_id)) or {}
            disabled = entry.get("disabled_by") is not None
            if disabled == (name not in wanted):
                continue
            await ws.command(
                {
                    "type": "config_entries/disable",
                    "entry_id": target.entry_id,
                    "disabled_by": None if name in wanted else "user",
                }
            )


async def _one_config(
    stack: BenchStack,
    probe: Probe,
    sender: WebhookSender,
    config: str,
    *,
    idle: float,
    events: int,
    settle: float,
) -> dict[str, Any]:
    wanted = set() if config == "baseline" else {config}
    await _set_enabled(stack, wanted)
    ha = stack.ha
    await ha.restart()
    probe.reset()
    await asyncio.sleep(settle)
    snapshot = await probe.fetch()
    pid = ha.pid
    if pid is None:
        raise RuntimeError("Home Assistant is not running")
    started = snapshot.get("started_boottime")
    process_start = snapshot.get("process_start_boottime")
    totals = snapshot["setup"]["totals"]
    memory_start = memory(pid)
    cpu_before = cpu_ns(pid)
    window_start = time.monotonic_ns()
    await asyncio.sleep(idle)
    window_end = time.monotonic_ns()
    cpu_idle = (cpu_ns(pid) - cpu_before) / NS_PER_S
    target = stack.targets["limit" if config == "baseline" else config]
    if config != "baseline":
        target.webhook_url = stack.registered_url(target)
    cpu_before = cpu_ns(pid)
    statuses: Counter[str] = Counter()
    for index in range(events):
        result = await sender.send(target, burst_event(index))
        statuses[str(result.status)] += 1
    cpu_events = (cpu_ns(pid) - cpu_before) / NS_PER_S
    return {
        "config": config,
        "start_s": None
        if started is None or process_start is None
        else round(started - process_start, 3),
        "setup_s": {
            "loqed_bridge": totals.get("loqed_bridge"),
            "loqed": totals.get("loqed"),
        },
        "memory_after_start": memory_start.as_dict(),
        "memory_after_events": memory(pid).as_dict(),
        "idle_cpu_s": round(cpu_idle, 6),
        "idle_window_s": idle,
        "event_target": target.name,
        "events": events,
        "event_statuses": dict(statuses),
        "cpu_for_events_s": round(cpu_events, 6),
        "cpu_per_event_ms": round(cpu_events / events * 1000, 4) if events else None,
        "idle_requests": {
            name: request_counts(stack.targets[name], window_start, window_end) for name in LOQED
        },
        "polling": snapshot.get("polling"),
    }


async def cost(
    stack: BenchStack,
    probe: Probe,
    sender: WebhookSender,
    *,
    repetitions: int,
    idle: float,
    events: int,
    settle: float,
) -> dict[str, Any]:
    """Restart per configuration (baseline, ours only, built-in only), ``repetitions`` times."""
    configs = ["baseline", "ours", "builtin"]
    runs: list[dict[str, Any]] = []
    for repetition in range(repetitions):
        order = configs if repetition % 2 == 0 else list(reversed(configs))
        runs.extend(
            [
                await _one_config(
                    stack, probe, sender, config, idle=idle, events=events, settle=settle
                )
                for config in order
            ]
        )
    return {"runs": runs, "summary": summarize_cost(runs)}


def _per_minute(items: list[dict[str, Any]]) -> float | None:
    """Idle CPU over every idle window of a configuration, in ms per minute."""
    seconds = float(sum(r["idle_window_s"] for r in items))
    if not seconds:
        return None
    cpu = float(sum(r["idle_cpu_s"] for r in items))
    return round(cpu * 1000 * 60 / seconds, 3)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def summarize_cost(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per configuration, and each integration minus the baseline."""
    by_config: dict[str, dict[str, Any]] = {}
    for config in ("baseline", "ours", "builtin"):
        items = [r for r in runs if r["config"] == config]
        domain = {"ours": "loqed_bridge", "builtin": "loqed"}.get(config)
        by_config[config] = {
            "runs": len(items),
            "start_s": _median([r["start_s"] for r in items if r["start_s"] is not None]),
            "entry_setup_at_start_s": _median(
                [r["setup_s"][domain] for r in items if domain and r["setup_s"].get(domain)]
            ),
            "rss_mib": _median([r["memory_after_events"]["rss_mib"] for r in items]),
            "pss_mib": _median(
                [
                    r["memory_after_events"]["pss_mib"]
                    for r in items
                    if r["memory_after_events"]["pss_mib"] is not None
                ]
            ),
            "idle_cpu_ms_per_min": _per_minute(items),
            "cpu_per_event_ms": _median(
                [r["cpu_per_event_ms"] for r in items if r["cpu_per_event_ms"] is not None]
            ),
            "idle_requests": _sum_requests(items, config),
            "idle_seconds": sum(r["idle_window_s"] for r in items),
        }
    base = by_config["baseline"]
    for config in ("ours", "builtin"):
        entry = by_config[config]
        for key in ("start_s", "rss_mib", "pss_mib", "idle_cpu_ms_per_min", "cpu_per_event_ms"):
            value, floor = entry.get(key), base.get(key)
            entry[f"{key}_over_baseline"] = (
                None if value is None or floor is None else round(value - floor, 3)
            )
        entry["cpu_per_event_vs_floor"] = ratio(
            entry.get("cpu_per_event_ms"), base.get("cpu_per_event_ms")
        )
    return by_config


def _sum_requests(items: list[dict[str, Any]], config: str) -> dict[str, int]:
    if config == "baseline":
        return {}
    total: Counter[str] = Counter()
    for item in items:
        total.update(item["idle_requests"].get(config, {}))
    return dict(total)
