"""IP change: the bridge comes back at another address and announces itself; the entry follows."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Final

from reliability.context import first_change_to
from reliability.model import Outcome
from reliability.stack import DOMAIN, wait_until

if TYPE_CHECKING:
    from reliability.context import Context

NEW_HOST: Final = "127.0.0.2"
FOLLOW_WITHIN: Final = 30.0
PUSH_WITHIN: Final = 2.0


async def run(ctx: Context) -> list[Outcome]:
    """Move a bridge of its own to 127.0.0.2 (zeroconf) and watch the entry follow."""
    stack = ctx.stack
    bridge = await stack.new_bridge("mover")
    entry = await stack.add_entry(bridge)
    try:
        state = str((await bridge.lock())["bolt_state"])
        old = f"{bridge.host}:{bridge.port}"
        await bridge.stop()
        await asyncio.sleep(1.0)
        await bridge.start(host=NEW_HOST, state=state, zeroconf=True)

        async def followed() -> bool:
            try:
                return len(await stack.ours_on_bridge(entry)) == 1
            except Exception:  # noqa: BLE001 - not yet
                return False

        took = await wait_until(followed, FOLLOW_WITHIN, interval=0.25)
        available = await wait_until(lambda: stack.in_sync(entry), 10.0, interval=0.25)
        entry_state = await stack.entry_state(entry)
        async with stack.websocket() as ws:
            progress = await ws.command({"type": "config_entries/flow/progress"})
            waiting = [f for f in progress if f.get("handler") == DOMAIN]
            others = sorted({str(f.get("handler")) for f in progress if f.get("handler") != DOMAIN})
            async with ws.watch_states() as watcher:
                await asyncio.sleep(1.2)
                expected, knob_at = await ctx.knob_change(entry)
                push = await first_change_to(
                    watcher, entry.lock_entity, expected, after=knob_at, within=PUSH_WITHIN
                )
    finally:
        with contextlib.suppress(Exception):
            await stack.remove_entry(entry)
        await bridge.stop()
    passed = took is not None and available is not None and not waiting and push is not None
    observed = (
        (
            f"registered at the new address {took:.1f} s after the bridge announced itself"
            if took is not None
            else f"not registered at the new address within {FOLLOW_WITHIN:g} s"
        )
        + f"; entry {entry_state}; lock "
        + ("in sync" if available is not None else "not in sync")
        + f"; {len(waiting)} flow(s) of the integration waiting for the user; push "
        + (f"working ({push:.2f} s)" if push is not None else "not working")
    )
    details = [f"moved from {old} to {NEW_HOST}:{bridge.port}"]
    if others:
        details.append(f"discovery flows of other integrations meanwhile: {', '.join(others)}")
    return [
        Outcome(
            key="ip_change",
            scenario="IP change",
            done=(
                f"bridge stopped and started again at {NEW_HOST} (same port, keys and MACs), "
                "announcing LOQED-<mac>._http._tcp over mDNS; Home Assistant runs zeroconf"
            ),
            expected=(
                f"the entry follows without user action: registered from the new address within "
                f"{FOLLOW_WITHIN:g} s, lock in sync, no flow waiting, push working"
            ),
            observed=observed,
            passed=passed,
            details=details,
            data={"followed_after": took, "waiting_flows": len(waiting), "push": push},
        )
    ]
