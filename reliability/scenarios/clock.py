"""Stale and skewed bridge clocks: accepted inside the window, refused outside, and a repair."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.context import STEP_GAP, first_change_to
from reliability.logs import ours_at_least
from reliability.model import Outcome
from reliability.stack import DOMAIN

if TYPE_CHECKING:
    from tools.hass_harness import HassWebSocket, StateWatcher

    from reliability.context import Context

FULL_SKEWS: Final = (5.0, 25.0, 60.0, 600.0)
QUICK_SKEWS: Final = (5.0, 60.0)
ARRIVAL: Final = 2.0
"""Seconds within which an accepted event must show (and a refused one must not)."""
MOTIONS: Final = frozenset({"locking", "unlocking", "opening"})
"""States only a webhook's going-to event can show (a status read never shows a motion)."""
REPAIR_EVENTS: Final = 3
REPAIR_WAIT: Final = 5.0


def skew_text(seconds: float) -> str:
    """``5 s`` or ``10 min``."""
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"  # noqa: PLR2004


async def one_event(ctx: Context, watcher: StateWatcher, offset: float) -> dict[str, Any]:
    """Skew the bridge's clock, turn the knob, see what Home Assistant did with the webhook."""
    entry = ctx.main
    await entry.bridge.set_faults(clock_offset=offset)
    await asyncio.sleep(STEP_GAP)
    expected, began = await ctx.app_change()
    motor = ctx.stack.motor_time
    arrived = await first_change_to(
        watcher, entry.lock_entity, expected, after=began, within=motor + ARRIVAL
    )
    await entry.bridge.settle()
    await asyncio.sleep(0.2)
    changes = [
        c.state for c in watcher.changes if c.entity_id == entry.lock_entity and c.wall >= began
    ]
    deliveries = await entry.bridge.deliveries_since(began)
    statuses = [d.get("status") for d in deliveries]
    await entry.bridge.set_faults(clock_offset=0)
    in_sync = await ctx.resync()
    return {
        "offset": offset,
        "arrived": None if arrived is None else max(0.0, arrived - motor),
        "changes": changes,
        "statuses": statuses,
        "resynced": in_sync,
    }


async def issues(ws: HassWebSocket) -> list[dict[str, Any]]:
    """Active repair issues of the integration."""
    result = await ws.command({"type": "repairs/list_issues"})
    return [i for i in result.get("issues", []) if i.get("domain") == DOMAIN]


async def repair_phase(ctx: Context, ws: HassWebSocket) -> Outcome:
    """Check that validly signed webhooks 10 minutes off raise a repair issue."""
    entry = ctx.main
    before = {i["issue_id"] for i in await issues(ws)}
    mark = ctx.stack.log.mark()
    await entry.bridge.set_faults(clock_offset=600)
    for _ in range(REPAIR_EVENTS):
        await asyncio.sleep(STEP_GAP)
        await ctx.knob_change()
    await asyncio.sleep(REPAIR_WAIT)
    shown = await ctx.stack.lock_state(entry)
    should = await ctx.stack.bridge_ha_state(entry)
    after = await issues(ws)
    new = [i for i in after if i["issue_id"] not in before]
    warnings = ours_at_least(ctx.stack.log.records_since(mark), "WARNING")
    await entry.bridge.set_faults(clock_offset=0)
    await ctx.resync()
    names = ", ".join(str(i.get("translation_key") or i.get("issue_id")) for i in new) or "none"
    observed = f"new repair issues of the integration: {names}"
    details = [
        (
            f"while the webhooks were refused Home Assistant showed '{shown}', the bridge was at "
            f"'{should}'"
        ),
        f"{len(warnings)} warning(s) from the integration"
        + "".join(f"; {r.message[:160]}" for r in warnings[:2]),
    ]
    return Outcome(
        key="clock_repair",
        scenario="Clock-skew repair",
        done=(
            f"bridge clock 10 min ahead; {REPAIR_EVENTS} knob turns (validly signed webhooks "
            f"outside the window), then {REPAIR_WAIT:g} s"
        ),
        expected="a repair issue of the integration about the clock difference",
        observed=observed,
        passed=bool(new),
        details=details,
        data={"new_issues": new, "shown": shown, "bridge": should},
    )


def verdict(window: float, skew: float, results: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether each event was handled as its skew demands, and what was seen."""
    inside = skew <= window
    texts = []
    ok = True
    for item in results:
        sign = "ahead" if item["offset"] > 0 else "behind"
        statuses = sorted({str(s) for s in item["statuses"]})
        motions = [c for c in item["changes"] if c in MOTIONS]
        if inside:
            shown = (
                f"state {item['arrived']:.2f} s after the motor stopped"
                if item["arrived"] is not None
                else f"state not shown within {ARRIVAL:g} s"
            )
            ok = ok and item["arrived"] is not None and statuses == ["200"]
        else:
            shown = (
                f"the webhook's motion shown ({', '.join(motions)})"
                if motions
                else "nothing taken from the webhook"
            )
            if item["arrived"] is not None:
                shown += (
                    f"; the state followed {item['arrived']:.2f} s after the motor stopped "
                    "(a status read)"
                )
            ok = ok and not motions and statuses == ["401"]
        texts.append(f"{sign}: HTTP {'/'.join(statuses) or 'none'}, {shown}")
    return ok, "; ".join(texts)


async def run(ctx: Context) -> list[Outcome]:
    """Each skew ahead and behind, then the repair phase."""
    window = ctx.interval("DEFAULT_TIMESTAMP_WINDOW")
    outcomes: list[Outcome] = []
    await ctx.resync()
    async with ctx.stack.websocket() as ws, ws.watch_states() as watcher:
        for skew in QUICK_SKEWS if ctx.quick else FULL_SKEWS:
            began = time.monotonic()
            results = [await one_event(ctx, watcher, sign * skew) for sign in (1, -1)]
            ok, observed = verdict(window, skew, results)
            inside = skew <= window
            outcomes.append(
                Outcome(
                    key=f"clock_{skew:g}",
                    scenario=f"Clock off by {skew_text(skew)}",
                    done=(
                        f"bridge clock {skew_text(skew)} ahead, then behind (fault clock_offset); "
                        "each time the lock moved with the app (a new key id, so a new message)"
                    ),
                    expected=(
                        f"accepted (inside the {window:g} s window): HTTP 200 and the state "
                        f"within {ARRIVAL:g} s of the motor stopping"
                        if inside
                        else f"refused (outside the {window:g} s window): HTTP 401 and nothing "
                        "taken from the webhook (no motion shown; the state may follow through a "
                        "status read)"
                    ),
                    observed=observed,
                    passed=ok,
                    data={"results": results},
                    seconds=time.monotonic() - began,
                )
            )
        began = time.monotonic()
        repair = await repair_phase(ctx, ws)
        repair.seconds = time.monotonic() - began
        outcomes.append(repair)
    return outcomes
