"""Many at once: 20 concurrent lock/unlock calls, and a burst of signed events."""

from __future__ import annotations

import asyncio
from collections import Counter
import random
import re
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.model import Outcome
from reliability.stack import counter_delta, hass_state_of, wait_until

if TYPE_CHECKING:
    from reliability.context import Context

CONCURRENT: Final = 20
FINAL_WITHIN: Final = 5.0
GO_TO_TARGET: Final = {
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK": "lock",
    "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH": "unlock",
    "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN": "open",
}
DELIVERY_LINE: Final = re.compile(r"webhook (\S+) -> (\S+): (\w+)(?: \((\d+)\))?")
BURST_CONCURRENCY: Final = 4
BLE_STATES: Final = ("open", "day_lock", "night_lock")
BLE_KEY_IDS: Final = (*range(251), 255)
BATTERY_TYPES: Final = ("alkaline", "nickel_metal_hydride", "lithium", "unknown")
BATTERY_LEVELS: Final = range(20, 81)
SETTLE: Final = 60.0
OK: Final = "200"


async def run_concurrent(ctx: Context) -> list[Outcome]:
    """Twenty lock/unlock calls sent at once over one websocket."""
    stack, entry = ctx.stack, ctx.main
    await ctx.resync()
    shown = await stack.lock_state(entry)
    first, second = ("unlock", "lock") if shown == "locked" else ("lock", "unlock")
    actions = [first if n % 2 == 0 else second for n in range(CONCURRENT)]
    began = time.time()
    async with stack.websocket() as ws:
        calls = [
            asyncio.ensure_future(ws.call_service("lock", action, {"entity_id": entry.lock_entity}))
            for action in actions
        ]
        results = await asyncio.gather(*calls, return_exceptions=True)
    took = time.time() - began
    await entry.bridge.settle()
    wanted = "locked" if actions[-1] == "lock" else "unlocked"
    shown_right = await wait_until(lambda: _shows(ctx, wanted), FINAL_WITHIN, interval=0.2)
    events = await entry.bridge.events_since(began)
    key_id = entry.bridge.identity.local_key_id
    sent = [
        GO_TO_TARGET[str(e["event_type"])]
        for e in events
        if e.get("kind") == "lock"
        and e.get("event_type") in GO_TO_TARGET
        and e.get("key_id") == key_id
    ]
    ignored = [e for e in events if e.get("kind") == "command_ignored"]
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    final = await stack.lock_state(entry)
    bridge_final = await stack.bridge_ha_state(entry)
    in_order = sent == actions
    passed = (
        not errors
        and in_order
        and not ignored
        and shown_right is not None
        and final == wanted == bridge_final
    )
    observed = (
        f"{CONCURRENT - len(errors)} of {CONCURRENT} calls succeeded in {took:.1f} s; the lock "
        f"received {len(sent)} commands"
        + (" in the order asked" if in_order else f" in the order {sent}")
        + f", ignored {len(ignored)}; Home Assistant showed '{final}' "
        + (
            f"{shown_right:.1f} s after the lock came to rest"
            if shown_right is not None
            else f"{FINAL_WITHIN:g} s after the lock came to rest"
        )
        + f" (bridge: {bridge_final})"
    )
    return [
        Outcome(
            key="concurrent",
            scenario="Concurrent commands",
            done=f"{CONCURRENT} lock/unlock service calls, alternating, sent at once",
            expected=(
                f"serialised: every call succeeds, the lock gets all {CONCURRENT} in the order "
                f"asked, none ignored; Home Assistant shows '{wanted}' (the last one asked) "
                f"within {FINAL_WITHIN:g} s of the lock coming to rest"
            ),
            observed=observed,
            passed=passed,
            details=errors[:5],
            data={"asked": actions, "received": sent, "errors": errors, "final": final},
        )
    ]


async def _shows(ctx: Context, state: str) -> bool:
    return await ctx.stack.lock_state(ctx.main) == state


def burst_operations(count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` control operations whose webhooks all differ (no two are the same message).

    App-over-Bluetooth operations (state and key id) and battery reports (level and type); the
    last one is a lock operation, so the final state is defined.
    """
    ble = [
        ("/api/operations/app_ble", {"state": s, "key_id": k})
        for k in BLE_KEY_IDS
        for s in BLE_STATES
    ]
    battery = [
        ("/api/battery", {"percentage": p, "type": t})
        for p in BATTERY_LEVELS
        for t in BATTERY_TYPES
    ]
    rng = random.Random(seed)  # noqa: S311 - test data
    rng.shuffle(ble)
    rng.shuffle(battery)
    share = min(len(battery), count // 4)
    chosen = ble[: count - share] + battery[:share]
    last = chosen.pop(0)
    rng.shuffle(chosen)
    chosen.append(last)
    if len(chosen) != count:
        raise ValueError(f"at most {len(ble) + len(battery)} different operations")
    return chosen


def delivery_outcomes(text: str) -> Counter[str]:
    """Count the emulator's delivery log lines by outcome (``delivered 200``, ``lost``...)."""
    counts: Counter[str] = Counter()
    for match in DELIVERY_LINE.finditer(text):
        _, _, outcome, status = match.groups()
        counts[f"{outcome} {status}" if status else outcome] += 1
    return counts


async def run_burst(ctx: Context) -> list[Outcome]:
    """Queue many distinct events on the bridge as fast as its control API takes them."""
    stack, entry = ctx.stack, ctx.main
    count = 200 if ctx.quick else 1000
    await ctx.resync()
    operations = burst_operations(count, ctx.settings.seed)
    log = entry.bridge.log()
    mark = log.mark()
    counters_before = await stack.push_counters(entry)
    limit = asyncio.Semaphore(BURST_CONCURRENCY)
    began = time.monotonic()

    async def one(path: str, body: dict[str, Any]) -> None:
        async with limit:
            await entry.bridge.emulator.control("POST", path, body)

    await asyncio.gather(*(one(path, body) for path, body in operations[:-1]))
    await one(*operations[-1])
    queued = time.monotonic() - began
    settled = await entry.bridge.settle(SETTLE)
    sent_in = time.monotonic() - began
    await asyncio.sleep(1.0)
    outcomes = delivery_outcomes(log.since(mark))
    delivered = outcomes.get(f"delivered {OK}", 0)
    total = sum(outcomes.values())
    bridge_state = await stack.bridge_ha_state(entry)
    right = await wait_until(lambda: stack.in_sync(entry), 3.0, interval=0.2) is not None
    final = await stack.lock_state(entry)
    grown = counter_delta(counters_before, await stack.push_counters(entry))
    verified = grown.get("verified") if counters_before is not None else None
    passed = (
        settled
        and total >= count
        and delivered == total
        and right
        and (verified is None or verified == total)
    )
    observed = (
        f"{count} operations queued in {queued:.1f} s; the bridge sent {total} webhooks in "
        f"{sent_in:.1f} s: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
        + (
            f"; the integration counted {verified} verified"
            if verified is not None
            else "; (no push counters in the diagnostics)"
        )
        + f"; final state {final} (bridge: {bridge_state})"
    )
    return [
        Outcome(
            key="burst",
            scenario="Burst",
            done=(
                f"{count} operations at the bridge as fast as its control API takes them (app "
                "over Bluetooth with every state and key id, battery reports), each a different "
                "signed webhook, sent one after another by the bridge"
            ),
            expected=(
                f"every one of the >= {count} webhooks answered 200 and counted as verified by "
                "the integration (its diagnostics), none lost; final state = the bridge's"
            ),
            observed=observed,
            passed=passed,
            details=[f"integration counters grew: {grown}"] if grown else [],
            data={"outcomes": dict(outcomes), "counters": grown, "final": final},
        )
    ]


def expected_state(bolt: str) -> str:
    """Home Assistant's state for a bolt state (re-exported for tests)."""
    return hass_state_of(bolt)
