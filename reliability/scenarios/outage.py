"""Bridge down for a while: unavailable, one log line each way, clear errors, back by itself."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Final

from tools.hass_harness import HassApiError

from reliability.context import first_change_to
from reliability.logs import ours_at_least
from reliability.model import Outcome
from reliability.stack import wait_until

if TYPE_CHECKING:
    from tools.hass_harness import HassWebSocket, StateWatcher

    from reliability.context import Context
    from reliability.logs import LogRecord

COMMAND_AFTER: Final = 3.0
"""Seconds into the outage at which a command is tried."""
SLACK: Final = 5.0
"""Seconds added to the poll interval for the recovery bound (a busy machine)."""
PUSH_WITHIN: Final = 2.0
EXPECTED_ERROR: Final = "command_not_sent"


async def try_command(ws: HassWebSocket, entity_id: str, shown: str | None) -> dict[str, Any]:
    """Call lock.lock or lock.unlock (whichever changes something); return the error seen."""
    service = "unlock" if shown == "locked" else "lock"
    began = time.monotonic()
    try:
        await ws.call_service("lock", service, {"entity_id": entity_id})
    except HassApiError as err:
        body = err.body if isinstance(err.body, dict) else {}
        return {
            "service": service,
            "seconds": round(time.monotonic() - began, 2),
            "code": body.get("code"),
            "message": body.get("message"),
            "translation_key": body.get("translation_key"),
        }
    except TimeoutError:
        return {
            "service": service,
            "seconds": round(time.monotonic() - began, 2),
            "code": "timeout",
        }
    return {"service": service, "seconds": round(time.monotonic() - began, 2), "code": None}


def first_unavailable(watcher: StateWatcher, entity_id: str, since: float) -> float | None:
    """Seconds from ``since`` (wall) to the entity becoming unavailable, if it did."""
    for change in watcher.changes:
        if change.entity_id == entity_id and change.state == "unavailable" and change.wall >= since:
            return change.wall - since
    return None


def _noticed_by(ctx: Context, records: list[LogRecord]) -> list[str]:
    """Say which mechanism noticed the outage first, when it is the periodic webhook check."""
    if not records or "regist" not in records[0].message.lower():
        return []
    used = ctx.interval("RECONCILE_INTERVAL")
    product = ctx.product_intervals.get("RECONCILE_INTERVAL", used)
    return [
        (
            "the outage was first noticed by the periodic webhook check, which runs every "
            f"{used:g} s in this run ({product:g} s with the product's own interval)"
        )
    ]


def _lines(records: list[LogRecord]) -> list[str]:
    return [f"{r.level} [{r.logger}] {r.message[:200]}" for r in records]


async def outage(ctx: Context, duration: float) -> Outcome:
    """Take the bridge down for ``duration`` seconds and watch everything."""
    stack, entry = ctx.stack, ctx.main
    poll = ctx.interval("FALLBACK_POLL_INTERVAL")
    bound = poll + SLACK
    await ctx.resync()
    async with stack.websocket() as ws, ws.watch_states() as watcher:
        shown = await stack.lock_state(entry)
        mark_down = stack.log.mark()
        down_at = time.time()
        down_monotonic = time.monotonic()
        await entry.bridge.set_faults(bridge_down=True)
        await asyncio.sleep(COMMAND_AFTER)
        command = await try_command(ws, entry.lock_entity, shown)
        await asyncio.sleep(max(0.0, duration - (time.monotonic() - down_monotonic)))
        unavailable_after = first_unavailable(watcher, entry.lock_entity, down_at)
        mark_up = stack.log.mark()
        up_at = time.time()
        await entry.bridge.set_faults(bridge_down=False)

        async def back() -> bool:
            return await stack.lock_state(entry) not in {
                None,
                "unavailable",
            } and await stack.in_sync(entry)

        recovered = await wait_until(back, bound, interval=0.25)
        await asyncio.sleep(1.0)
        expected, began = await ctx.knob_change()
        push = await first_change_to(
            watcher, entry.lock_entity, expected, after=began, within=PUSH_WITHIN
        )
    down_lines = ours_at_least(stack.log.records_between(mark_down, mark_up), "INFO")
    up_lines = ours_at_least(stack.log.records_since(mark_up), "INFO")
    translated = command.get("translation_key") == EXPECTED_ERROR
    passed = (
        unavailable_after is not None
        and len(down_lines) == 1
        and len(up_lines) == 1
        and translated
        and recovered is not None
        and push is not None
    )
    unavailable_text = (
        f"unavailable {unavailable_after:.0f} s after it went down"
        if unavailable_after is not None
        else f"never unavailable (stayed '{shown}')"
    )
    recovered_text = (
        f"right again {recovered:.1f} s after it returned"
        if recovered is not None
        else f"not right within {bound:g} s after it returned"
    )
    observed = (
        f"{unavailable_text}; lock.{command['service']} failed after {command['seconds']} s with "
        f'{command.get("translation_key") or command.get("code")}: "{command.get("message")}"; '
        f"{len(down_lines)} log line(s) going down, {len(up_lines)} coming back; "
        f"{recovered_text}; push "
        + (f"working ({push:.2f} s)" if push is not None else "not working")
    )
    label = f"{duration / 60:g} min" if duration >= 60 else f"{duration:g} s"  # noqa: PLR2004
    return Outcome(
        key=f"bridge_down_{duration:g}",
        scenario=f"Bridge down {label}",
        done=(
            f"bridge port refusing connections for {label} (fault bridge_down); a lock command "
            f"{COMMAND_AFTER:g} s in; then the bridge back"
        ),
        expected=(
            "lock entity unavailable during the outage; exactly one log line (INFO or higher, "
            "integration or library) each way; the command fails with the translated "
            f"'{EXPECTED_ERROR}' error; available, right and pushed again within one poll "
            f"interval ({poll:g} s, +{SLACK:g} s slack) after the bridge returns"
        ),
        observed=observed,
        passed=passed,
        details=[
            *_noticed_by(ctx, down_lines),
            *(f"going down: {line}" for line in _lines(down_lines)),
            *(f"coming back: {line}" for line in _lines(up_lines)),
        ],
        data={
            "unavailable_after": unavailable_after,
            "command": command,
            "recovered_after": recovered,
            "push_latency": push,
            "down_lines": len(down_lines),
            "up_lines": len(up_lines),
            "down_at": down_at,
            "up_at": up_at,
        },
    )


async def run_short(ctx: Context) -> list[Outcome]:
    """Run the 30 s outage."""
    return [await outage(ctx, 30.0)]


async def run_long(ctx: Context) -> list[Outcome]:
    """Run the 5 min outage."""
    return [await outage(ctx, 300.0)]
