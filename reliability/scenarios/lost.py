"""Lost webhooks (every one, for a while): the state must be right within the fallback interval."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.context import STEP_GAP
from reliability.model import Outcome
from reliability.stack import OPPOSITE, hass_state_of, wait_until

if TYPE_CHECKING:
    from tools.hass_harness import HassWebSocket

    from reliability.context import Context
    from reliability.stack import Entry, Stack

SLACK: Final = 3.0
SERVICES: Final = {"day_lock": "unlock", "night_lock": "lock"}


async def shows(stack: Stack, entry: Entry, state: str) -> bool:
    """Whether Home Assistant shows ``state`` for the entry's lock."""
    return await stack.lock_state(entry) == state


async def knob(ctx: Context, entry: Entry, bound: float) -> dict[str, Any]:
    """Turn the knob to the other state; seconds until Home Assistant shows it."""
    bolt = str((await entry.bridge.lock())["bolt_state"])
    target = OPPOSITE.get(hass_state_of(bolt), "night_lock")
    await entry.bridge.knob(target)
    seen = await wait_until(
        lambda: shows(ctx.stack, entry, hass_state_of(target)), bound, interval=0.25
    )
    return {"operation": f"knob {target}", "latency": seen, "error": None}


async def command(
    ctx: Context, ws: HassWebSocket, entry: Entry, bound: float, *, target: str | None = None
) -> dict[str, Any]:
    """Lock or unlock from Home Assistant; seconds from the bridge reaching it to it showing."""
    if target is None:
        bolt = str((await entry.bridge.lock())["bolt_state"])
        target = OPPOSITE.get(hass_state_of(bolt), "night_lock")
    service = SERVICES[target]
    began = time.monotonic()
    error = None
    try:
        await ws.call_service("lock", service, {"entity_id": entry.lock_entity})
    except Exception as err:  # noqa: BLE001 - a failed command is an observation
        error = f"{type(err).__name__}: {err}"
    took = time.monotonic() - began
    seen = await wait_until(
        lambda: shows(ctx.stack, entry, hass_state_of(target)), bound, interval=0.25
    )
    # The motor needs its time: count from the moment the bridge could have reached the state.
    latency = None if seen is None else max(0.0, took + seen - ctx.stack.motor_time)
    return {
        "operation": f"lock.{service}",
        "latency": latency,
        "service_seconds": round(took, 1),
        "error": error,
    }


async def run(ctx: Context) -> list[Outcome]:
    """Lose everything; knob, command, knob; each must show within the fallback interval."""
    stack, entry = ctx.stack, ctx.main
    fallback = ctx.interval("FALLBACK_POLL_INTERVAL")
    bound = fallback + SLACK
    await ctx.resync()
    results: list[dict[str, Any]] = []
    resynced = False
    await entry.bridge.set_faults(webhook_loss_rate=1.0)
    try:
        async with stack.websocket() as ws:
            await asyncio.sleep(STEP_GAP)
            results.append(await knob(ctx, entry, bound))
            if results[-1]["latency"] is None:
                # Home Assistant still shows the old state: a command to that state brings the
                # bridge back to it, so the next measurements start from agreement again.
                shown = await stack.lock_state(entry) or "locked"
                target = {"locked": "night_lock", "unlocked": "day_lock"}.get(shown, "night_lock")
                await command(ctx, ws, entry, bound, target=target)
                resynced = True
            await asyncio.sleep(STEP_GAP)
            results.append(await command(ctx, ws, entry, bound))
            await asyncio.sleep(STEP_GAP)
            results.append(await knob(ctx, entry, bound))
    finally:
        await entry.bridge.set_faults(webhook_loss_rate=0.0)
        await ctx.resync()
    late = [r for r in results if r["latency"] is None or r["latency"] > fallback or r["error"]]
    parts = []
    for r in results:
        shown = "not within the bound" if r["latency"] is None else f"after {r['latency']:.1f} s"
        text = f"{r['operation']}: shown {shown}"
        if r.get("service_seconds") is not None:
            text += f" (the service call took {r['service_seconds']:g} s)"
        if r["error"]:
            text += f" ({r['error']})"
        parts.append(text)
    details = []
    if resynced:
        details.append(
            "after the first knob turn went unseen, a lock command to the state Home Assistant "
            "still showed brought the bridge back to it (not counted)"
        )
    return [
        Outcome(
            key="lost",
            scenario="Lost webhooks",
            done=(
                "every webhook delivery lost (fault webhook_loss_rate 1.0); knob turn at the "
                "door, lock command from Home Assistant, knob turn"
            ),
            expected=(
                f"each new state shown within the fallback interval ({fallback:g} s) of the "
                "bridge reaching it"
            ),
            observed="; ".join(parts),
            passed=not late,
            details=details,
            data={"results": results, "bound": bound},
        )
    ]
