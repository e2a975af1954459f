"""New bridges that send webhooks without TIMESTAMP: the state must still be right in 2 s."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.context import first_change_to
from reliability.model import Outcome
from reliability.stack import hass_state_of

if TYPE_CHECKING:
    from tools.hass_harness import HassWebSocket, StateWatcher

    from reliability.context import Context
    from reliability.stack import Entry

WITHIN: Final = 2.0
"""Seconds from the bridge reaching a state to Home Assistant showing it."""
WAIT: Final = 15.0
"""How long each operation is watched at most."""
# (gap in seconds before the operation, kind, target)
FULL_STEPS: Final = (
    (1.5, "knob", "day_lock"),
    (3.0, "knob", "night_lock"),
    (6.0, "service", "unlock"),
    (3.0, "service", "lock"),
    (12.0, "knob", "day_lock"),
    (1.5, "knob", "night_lock"),
)
QUICK_STEPS: Final = FULL_STEPS[:4]
TARGETS: Final = {"unlock": "day_lock", "lock": "night_lock", "open": "open"}


async def bridge_reached(entry: Entry, target: str, since: float, within: float) -> float | None:
    """Wall time at which the bridge's lock reported ``target`` (a reached-state event)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for event in await entry.bridge.events_since(since):
            if (
                event.get("kind") == "lock"
                and str(event.get("event_type", "")).startswith("STATE_CHANGED")
                and event.get("state") == target
            ):
                return float(event["time"])
        await asyncio.sleep(0.05)
    return None


async def step(
    ws: HassWebSocket, watcher: StateWatcher, entry: Entry, kind: str, argument: str
) -> dict[str, Any]:
    """Do one operation; measure from the bridge reaching the state to Home Assistant showing it."""
    target = TARGETS.get(argument, argument)
    expected = hass_state_of(target)
    began = time.time()
    call: asyncio.Future[Any] | None = None
    if kind == "service":
        call = asyncio.ensure_future(
            ws.call_service("lock", argument, {"entity_id": entry.lock_entity})
        )
    else:
        await entry.bridge.knob(argument)
    reached = await bridge_reached(entry, target, began, WAIT)
    shown = (
        None
        if reached is None
        else await first_change_to(watcher, entry.lock_entity, expected, after=began, within=WAIT)
    )
    latency = None if reached is None or shown is None else max(0.0, began + shown - reached)
    error = None
    if call is not None:
        try:
            async with asyncio.timeout(WAIT):
                await call
        except Exception as err:  # noqa: BLE001 - a failed command is an observation
            error = f"{type(err).__name__}: {err}"
    return {
        "operation": f"{kind} {argument}",
        "latency": None if latency is None else round(latency, 2),
        "bridge_reached": reached is not None,
        "error": error,
    }


async def run(ctx: Context) -> list[Outcome]:
    """Run a second bridge that never signs, with its own entry; operate at human intervals."""
    stack = ctx.stack
    bridge = await stack.new_bridge("unsigned", extra_args=["--unsigned-webhooks"])
    results: list[dict[str, Any]] = []
    entry = await stack.add_entry(bridge)
    try:
        async with stack.websocket() as ws, ws.watch_states() as watcher:
            for gap, kind, argument in QUICK_STEPS if ctx.quick else FULL_STEPS:
                await asyncio.sleep(gap)
                results.append(await step(ws, watcher, entry, kind, argument))
    finally:
        with contextlib.suppress(Exception):
            await stack.remove_entry(entry)
        await bridge.stop()
    late = [r for r in results if r["latency"] is None or r["latency"] > WITHIN or r["error"]]
    parts = []
    for r in results:
        shown = "never" if r["latency"] is None else f"{r['latency']:.2f} s"
        parts.append(f"{r['operation']}: {shown}" + (f" ({r['error']})" if r["error"] else ""))
    gaps = ", ".join(f"{gap:g}" for gap, _, _ in (QUICK_STEPS if ctx.quick else FULL_STEPS))
    return [
        Outcome(
            key="unsigned",
            scenario="Webhooks without TIMESTAMP",
            done=(
                "a second bridge that never signs (fault unsigned_webhooks), set up through the "
                f"config flow; knob turns and lock/unlock from Home Assistant, {gaps} s apart"
            ),
            expected=(
                f"after each operation the state right within {WITHIN:g} s of the bridge reaching "
                "it (through status reads), and no command error"
            ),
            observed="; ".join(parts),
            passed=bool(results) and not late,
            data={"results": results},
        )
    ]
