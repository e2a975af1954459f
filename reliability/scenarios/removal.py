"""Removal while the bridge is offline: it succeeds; the registration goes, or the user is told.

The registration is cleaned up when the bridge returns, or the user is told how to remove it.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from tools.hass_harness import HassApiError

from reliability.logs import count_containing, ours_at_least
from reliability.model import Outcome

if TYPE_CHECKING:
    from reliability.context import Context

REMOVE_WITHIN: Final = 15.0
WAIT_AFTER_RETURN: Final = 10.0
HINT: Final = "app.loqed.com"
UNREGISTERED: Final = "Received message for unregistered webhook"


async def run(ctx: Context) -> list[Outcome]:
    """Bridge down, remove the main entry, bridge back, look at the bridge and the log."""
    stack, entry = ctx.stack, ctx.main
    mark = stack.log.mark()
    await entry.bridge.set_faults(bridge_down=True)
    began = time.monotonic()
    error = None
    try:
        async with asyncio.timeout(REMOVE_WITHIN * 4):
            await stack.remove_entry(entry)
    except (HassApiError, TimeoutError) as err:
        error = f"{type(err).__name__}: {err}"
    took = time.monotonic() - began
    gone = await stack.entry_state(entry) is None
    entity = await stack.hass.state(entry.lock_entity)
    await entry.bridge.set_faults(bridge_down=False)
    await asyncio.sleep(WAIT_AFTER_RETURN)
    left = len(await stack.ours_on_bridge(entry))
    # The bridge still calls the removed entry's webhook when the lock moves.
    await entry.bridge.knob("day_lock")
    await entry.bridge.settle()
    await asyncio.sleep(0.5)
    records = stack.log.records_since(mark)
    told = [r for r in ours_at_least(records, "WARNING") if HINT in r.message]
    unregistered = count_containing(records, UNREGISTERED)
    removed = error is None and took <= REMOVE_WITHIN and gone
    passed = removed and (left == 0 or bool(told))
    observed = (
        ("removed" if removed else f"not removed ({error or 'still listed'})")
        + f" in {took:.1f} s while the bridge was down; lock entity "
        + ("gone" if entity is None else f"still there ({entity.get('state')})")
        + f"; {left} registration(s) of ours on the bridge {WAIT_AFTER_RETURN:g} s after it "
        "returned; the user was "
        + ("told where to remove it (warning in the log)" if told else "not told")
    )
    details = [f"warning: {r.message[:300]}" for r in told[:1]]
    if unregistered:
        details.append(
            f"afterwards the bridge kept calling the removed webhook; Home Assistant's webhook "
            f"component logged '{UNREGISTERED} <webhook id> ...' {unregistered} time(s)"
        )
    return [
        Outcome(
            key="removal",
            scenario="Removal while the bridge is offline",
            done="bridge port refusing connections; entry deleted over REST; bridge back",
            expected=(
                f"removal succeeds within {REMOVE_WITHIN:g} s; our registration is cleaned up when "
                "the bridge returns, or the user is told how to remove it"
            ),
            observed=observed,
            passed=passed,
            details=details,
            data={"seconds": took, "left": left, "told": bool(told), "unregistered": unregistered},
        )
    ]
