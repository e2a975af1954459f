"""Reloads and restarts: one registration of ours, never "Handler is already defined"."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from reliability.context import first_change_to
from reliability.logs import parse_records, problems
from reliability.model import Outcome
from reliability.stack import wait_until

if TYPE_CHECKING:
    from reliability.context import Context

HANDLER_DEFINED: Final = "Handler is already defined"
READY_WITHIN: Final = 30.0
PUSH_WITHIN: Final = 2.0


async def _ready(ctx: Context) -> bool:
    entry = ctx.main
    if await ctx.stack.entry_state(entry) != "loaded":
        return False
    return await ctx.stack.lock_state(entry) not in {None, "unavailable"}


async def _push_works(ctx: Context) -> float | None:
    async with ctx.stack.websocket() as ws, ws.watch_states() as watcher:
        await asyncio.sleep(1.2)
        expected, began = await ctx.knob_change()
        return await first_change_to(
            watcher, ctx.main.lock_entity, expected, after=began, within=PUSH_WITHIN
        )


def _handler_lines(ctx: Context) -> int:
    return sum(text.count(HANDLER_DEFINED) for _, text in ctx.stack.hass_logs())


def _our_problems(ctx: Context) -> list[str]:
    found = []
    for _, text in ctx.stack.hass_logs():
        found += [
            f"[{r.logger}] {r.message[:200]}" for r in problems(parse_records(text)) if r.ours
        ]
    return found


async def run(ctx: Context) -> list[Outcome]:
    """Reload the main entry N times, then restart Home Assistant N times."""
    stack, entry = ctx.stack, ctx.main
    times = 3 if ctx.quick else 10
    outcomes: list[Outcome] = []
    for kind in ("reload", "restart"):
        began = time.monotonic()
        handlers_before = _handler_lines(ctx)
        problems_before = len(_our_problems(ctx))
        counts: list[int] = []
        not_ready = 0
        for _ in range(times):
            if kind == "reload":
                await stack.reload_entry(entry)
            else:
                await stack.restart_hass()
            if await wait_until(lambda: _ready(ctx), READY_WITHIN, interval=0.25) is None:
                not_ready += 1
            counts.append(len(await stack.ours_on_bridge(entry)))
        push = await _push_works(ctx)
        handlers = _handler_lines(ctx) - handlers_before
        new_problems = _our_problems(ctx)[problems_before:]
        passed = (
            not_ready == 0 and all(c == 1 for c in counts) and handlers == 0 and push is not None
        )
        what = "entry reloaded" if kind == "reload" else "Home Assistant restarted"
        title = what[0].upper() + what[1:]
        observed = (
            f"registrations of ours after each: {counts}; {not_ready} time(s) not loaded within "
            f"{READY_WITHIN:g} s; '{HANDLER_DEFINED}' {handlers} time(s); "
            f"{len(new_problems)} error(s) from the integration; push "
            + (f"working ({push:.2f} s)" if push is not None else "not working")
        )
        outcomes.append(
            Outcome(
                key=f"{kind}s",
                scenario=f"{title} {times} times",
                done=(
                    f"{what} {times} times"
                    + (" (REST reload, as the UI does)" if kind == "reload" else " (stop, start)")
                ),
                expected=(
                    f"loaded after each, exactly one registration of ours on the bridge, no "
                    f"'{HANDLER_DEFINED}', push working afterwards"
                ),
                observed=observed,
                passed=passed,
                details=new_problems[:5],
                data={"counts": counts, "handler_lines": handlers, "push": push},
                seconds=time.monotonic() - began,
            )
        )
    return outcomes
