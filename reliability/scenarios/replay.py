"""Replay: every signed webhook of a session, captured on the way, sent again; none may count."""

from __future__ import annotations

import asyncio
from collections import Counter
import time
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from multidict import CIMultiDict

from reliability.context import STEP_GAP
from reliability.model import Outcome
from reliability.proxy import RecordingProxy
from reliability.stack import counter_delta, wait_until

if TYPE_CHECKING:
    from tools.hass_harness import HassWebSocket, StateWatcher

    from reliability.context import Context
    from reliability.proxy import Recorded
    from reliability.stack import Entry, Stack

OK: Final = 200
CALLBACK_URL: Final = "callback_url"
LATER_MARGIN: Final = 5.0
"""Seconds past the window for the second replay (full run)."""
QUICK_LATER: Final = 5.0
"""Seconds after the first replay for the second one (quick run)."""
SESSION: Final = (
    ("service", "unlock", ("unlocked",)),
    ("service", "lock", ("locked",)),
    ("service", "open", ("open", "unlocked")),
    ("knob", "night_lock", ("locked",)),
    ("knob", "day_lock", ("unlocked",)),
)


def answer_from_form(
    schema: list[dict[str, Any]], overrides: dict[str, Any], remove: set[str]
) -> dict[str, Any]:
    """Answer a form with what it suggests, except the overridden and removed fields.

    Sections (``expandable``) become nested answers, as Home Assistant's frontend sends them.
    """
    answer: dict[str, Any] = {}
    for field in schema:
        name = str(field["name"])
        if field.get("type") == "expandable":
            answer[name] = answer_from_form(list(field.get("schema") or []), overrides, remove)
        elif name in overrides:
            answer[name] = overrides[name]
        elif name not in remove:
            value = (field.get("description") or {}).get("suggested_value", field.get("default"))
            if value is not None:
                answer[name] = value
    return answer


async def set_callback_url(stack: Stack, entry: Entry, url: str | None) -> None:
    """Set (or clear) the callback URL through the options flow, as a user would."""
    form = await stack.hass.post(
        "/api/config/config_entries/options/flow", {"handler": entry.entry_id}
    )
    overrides = {CALLBACK_URL: url} if url else {}
    answer = answer_from_form(list(form.get("data_schema") or []), overrides, {CALLBACK_URL})
    result = await stack.hass.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}", answer
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"options flow ended in {result.get('type')}: {result.get('errors')}")


async def registered_at(stack: Stack, entry: Entry, base: str, within: float = 20.0) -> bool:
    """Wait until the bridge has exactly one registration of ours, and it starts with ``base``."""

    async def there() -> bool:
        ours = await stack.ours_on_bridge(entry)
        return len(ours) == 1 and ours[0].url.startswith(base)

    return await wait_until(there, within, interval=0.2) is not None


async def session(ws: HassWebSocket, watcher: StateWatcher, entry: Entry) -> list[str]:
    """Operate the lock from Home Assistant and at the door; return the steps that failed."""
    failed: list[str] = []
    for kind, argument, states in SESSION:
        await asyncio.sleep(STEP_GAP)
        if kind == "service":
            await ws.call_service("lock", argument, {"entity_id": entry.lock_entity})
        else:
            await entry.bridge.knob(argument)
        for state in states:
            try:
                await watcher.wait_for(entry.lock_entity, state, timeout=10)
            except TimeoutError:
                failed.append(f"{kind} {argument}")
                break
    await entry.bridge.settle()
    return failed


async def replay(stack: Stack, entry: Entry, recorded: list[Recorded]) -> Counter[str]:
    """Send every recorded request again, in order, straight to Home Assistant."""
    statuses: Counter[str] = Counter()
    for item in recorded:
        try:
            async with stack.session.request(
                item.method,
                f"{stack.hass.url}{item.path}",
                data=item.body,
                headers=CIMultiDict(item.headers),
            ) as response:
                statuses[str(response.status)] += 1
        except aiohttp.ClientError as err:
            statuses[f"connection {type(err).__name__}"] += 1
    del entry
    return statuses


async def run(ctx: Context) -> list[Outcome]:
    """Capture a session through a recording relay, then replay it twice."""
    stack, entry = ctx.stack, ctx.main
    window = ctx.interval("DEFAULT_TIMESTAMP_WINDOW")
    proxy = RecordingProxy(stack.session, stack.hass.url)
    await proxy.start()
    rounds: list[dict[str, Any]] = []
    try:
        await set_callback_url(stack, entry, proxy.url)
        if not await registered_at(stack, entry, proxy.url):
            raise RuntimeError("the bridge was not re-registered at the relay's URL")
        watched = set(await stack.entity_ids(entry))
        async with stack.websocket() as ws, ws.watch_states() as watcher:
            failed = await session(ws, watcher, entry)
            recorded = [r for r in proxy.recorded if r.status == OK and r.timestamp is not None]
            final = await stack.lock_state(entry)
            for label in ("within the window", "later"):
                if label == "later":
                    newest = max((r.timestamp or 0) for r in recorded) if recorded else 0
                    wait = (
                        QUICK_LATER
                        if ctx.quick
                        else max(0.0, newest + window + LATER_MARGIN - time.time())
                    )
                    await asyncio.sleep(wait)
                seen = len(watcher.changes)
                counters = await stack.push_counters(entry)
                ages = [time.time() - (r.timestamp or 0) for r in recorded]
                statuses = await replay(stack, entry, recorded)
                await asyncio.sleep(1.5)
                changes = [
                    f"{c.entity_id}: {c.old_state} -> {c.state}"
                    for c in watcher.changes[seen:]
                    if c.entity_id in watched
                ]
                rounds.append(
                    {
                        "label": label,
                        "statuses": dict(statuses),
                        "changes": changes,
                        "counters": counter_delta(counters, await stack.push_counters(entry)),
                        "ages": (round(min(ages), 1), round(max(ages), 1)) if ages else None,
                    }
                )
    finally:
        try:
            await set_callback_url(stack, entry, None)
            await registered_at(stack, entry, stack.hass.url)
        finally:
            await proxy.stop()
    passed = bool(recorded) and not failed and all(not r["changes"] for r in rounds)
    parts = []
    for item in rounds:
        ages = item["ages"]
        age_text = f" ({ages[0]:g}-{ages[1]:g} s old)" if ages else ""
        answers = ", ".join(f"{s}: {n}" for s, n in sorted(item["statuses"].items()))
        parts.append(
            f"{item['label']}{age_text}: answers {answers}, {len(item['changes'])} state changes"
        )
    observed = f"{len(recorded)} verified webhooks captured (session ended {final}); " + "; ".join(
        parts
    )
    if failed:
        observed += f"; session steps that did not arrive: {', '.join(failed)}"
    later = f"{QUICK_LATER:g} s later" if ctx.quick else f"again after the {window:g} s window"
    return [
        Outcome(
            key="replay",
            scenario="Replay",
            done=(
                "callback URL pointed at a recording relay (a listener on the LAN); unlock, lock, "
                "open from Home Assistant, knob lock and unlock at the door; every verified "
                f"webhook of that session re-sent at once, and {later}"
            ),
            expected=(
                "no replayed webhook accepted as a state change: no entity of the entry changes "
                "(an answer may still be 200: the integration may take a copy as a hint to read "
                "the status)"
            ),
            observed=observed,
            passed=passed,
            details=[
                f"round '{r['label']}': state changes: {', '.join(r['changes']) or 'none'}; "
                f"integration counters grew: {r['counters'] or 'not known'}"
                for r in rounds
            ],
            data={"recorded": len(recorded), "rounds": rounds},
        )
    ]
