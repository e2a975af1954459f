"""Bridge reboot that forgets its webhooks: ours back within one reconcile interval, once."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from reliability.context import first_change_to
from reliability.model import Outcome
from reliability.stack import wait_until

if TYPE_CHECKING:
    from reliability.context import Context

DOWNTIME: Final = 5.0
SLACK: Final = 5.0
WATCH_DUPLICATES: Final = 5.0
PUSH_WITHIN: Final = 2.0


async def run(ctx: Context) -> list[Outcome]:
    """Reboot with a short downtime; poll the bridge's list; then check push."""
    stack, entry = ctx.stack, ctx.main
    interval = ctx.interval("RECONCILE_INTERVAL")
    bound = interval + SLACK
    await ctx.resync()
    before = len(await stack.ours_on_bridge(entry))
    await entry.bridge.emulator.reboot(DOWNTIME)
    await asyncio.sleep(DOWNTIME)
    await wait_until(
        lambda: _answers(ctx), 10.0, interval=0.2
    )  # the bridge is back when its API answers
    back_at = time.monotonic()
    counts: list[int] = []

    async def restored() -> bool:
        counts.append(len(await stack.ours_on_bridge(entry)))
        return counts[-1] >= 1

    took = await wait_until(restored, bound, interval=1.0)
    restored_after = None if took is None else time.monotonic() - back_at
    await asyncio.sleep(WATCH_DUPLICATES)
    after = len(await stack.ours_on_bridge(entry))
    most = max([*counts, after])
    async with stack.websocket() as ws, ws.watch_states() as watcher:
        await asyncio.sleep(1.2)
        expected, began = await ctx.knob_change()
        push = await first_change_to(
            watcher, entry.lock_entity, expected, after=began, within=PUSH_WITHIN
        )
    passed = restored_after is not None and most == 1 and after == 1 and push is not None
    restored_text = (
        f"registration back {restored_after:.0f} s after the bridge answered again"
        if restored_after is not None
        else f"registration not back within {bound:g} s"
    )
    observed = (
        f"{before} registration of ours before; {restored_text}; at most {most} of ours at a "
        f"time, {after} after {WATCH_DUPLICATES:g} s more; push "
        + (f"working ({push:.2f} s)" if push is not None else "not working")
    )
    return [
        Outcome(
            key="reboot",
            scenario="Bridge reboot forgetting webhooks",
            done=f"bridge rebooted with {DOWNTIME:g} s downtime; it forgets every registration",
            expected=(
                f"our registration restored within one reconcile interval ({interval:g} s, "
                f"+{SLACK:g} s slack), never twice, push working again"
            ),
            observed=observed,
            passed=passed,
            data={"restored_after": restored_after, "counts": counts, "after": after},
        )
    ]


async def _answers(ctx: Context) -> bool:
    try:
        await ctx.main.bridge.client(ctx.stack.session).status()
    except Exception:  # noqa: BLE001 - not back yet
        return False
    return True
