"""Lost webhooks (every one, for a while): when the state shows, and how push health follows.

With every webhook lost and nothing else to go by, only a ``/status`` read tells the integration
that the door moved: the bridge sends no heartbeat, so a lost webhook looks like a quiet door.
While push looks healthy the status is read every ``HEALTHY_POLL_INTERVAL`` (bridge reads are
kept to at most 10 an hour then, issue 8), so the first change nobody announced shows at the
next of those reads. That read, or a command whose webhook does not come, marks push unhealthy,
and from then on the status is read every ``FALLBACK_POLL_INTERVAL``. When delivery returns, the
next change comes by push and the healthy interval is back.

Four observations, each with its own bound from the integration's ``const.py`` (the values in
force in this run): the first door change, a command from Home Assistant, a further door change,
and a door change with delivery restored.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.context import STEP_GAP
from reliability.model import Outcome
from reliability.report import seconds_text
from reliability.scenarios.unsigned import bridge_reached
from reliability.stack import OPPOSITE, hass_state_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from tools.hass_harness import HassWebSocket, StateWatcher

    from reliability.context import Context
    from reliability.logs import LogFile
    from reliability.stack import Entry, Stack

HEALTHY: Final = "HEALTHY_POLL_INTERVAL"
FALLBACK: Final = "FALLBACK_POLL_INTERVAL"
WAITS_FOR: Final = (HEALTHY, FALLBACK, FALLBACK)
"""The intervals the scenario waits for at most (for its time budget)."""
SLACK: Final = 3.0
"""Seconds on top of a poll interval: the poll timer runs on whole seconds; a busy machine."""
PUSH_WITHIN: Final = 2.0
"""Seconds from the bridge reaching a state to it showing, by push (as the other scenarios)."""
FOLLOW_WITHIN: Final = 5.0
"""Seconds the push-problem sensor and the diagnostics get to follow a change of push health."""
REACH_WITHIN: Final = 15.0
"""Seconds the emulated lock gets to reach the state it was sent to."""
COMMAND_WITHIN: Final = 60.0
"""Seconds a lock service call may take before it counts as hanging."""
PUSH_PROBLEM: Final = "push_problem"
"""Translation key of the entry's binary sensor that is on while push is not healthy."""
STATUS_READ: Final = "GET /status to bridge"
"""The library's debug line for a status read, in Home Assistant's log."""
SCAN_LAG: Final = 1.0
"""Seconds by which the suite may see a log line later than the state change it led to."""
SERVICES: Final = {"day_lock": "unlock", "night_lock": "lock"}
BOLT_OF: Final = {"locked": "night_lock", "unlocked": "day_lock"}


@dataclass(slots=True)
class PushView:
    """How push looks to a user: the push-problem sensor and the entry's diagnostics."""

    problem: str | None = None
    """State of the push-problem binary sensor (``on``: push is not healthy)."""
    healthy: bool | None = None
    """``push.healthy`` of the diagnostics."""
    interval: float | None = None
    """``polling.interval_seconds`` of the diagnostics: the status read interval in force."""

    def looks_healthy(self, interval: float) -> bool:
        """Push healthy, and the status read every ``interval`` seconds."""
        return self.problem == "off" and self.healthy is True and self.interval == interval

    def looks_unhealthy(self, interval: float) -> bool:
        """Push known to be unhealthy, and the status read every ``interval`` seconds."""
        return self.problem == "on" and self.healthy is False and self.interval == interval

    def text(self) -> str:
        """E.g. ``push problem off, status read every 2 min``."""
        every = "?" if self.interval is None else seconds_text(self.interval)
        return f"push problem {self.problem or 'unknown'}, status read every {every}"


@dataclass(slots=True)
class Step:
    """One operation and when Home Assistant showed its result."""

    operation: str
    bound: float
    at: float
    """Wall time of the operation."""
    latency: float | None = None
    """Seconds from the bridge reaching the state to Home Assistant showing it."""
    reached: bool = True
    """Whether the emulated lock reached the state at all."""
    reads: list[float] = field(default_factory=list)
    """Status reads of the bridge seen in Home Assistant's log, seconds after the operation
    (as the suite saw the log lines: up to about a second late)."""
    service_seconds: float | None = None
    error: str | None = None

    @property
    def in_time(self) -> bool:
        """Shown within the bound, and no service error."""
        return self.latency is not None and self.latency <= self.bound and self.error is None

    def text(self) -> str:
        """E.g. ``knob night_lock shown 57.3 s after the bridge reached it``."""
        if not self.reached:
            text = f"{self.operation}: the lock never reached the state"
        elif self.latency is None:
            text = f"{self.operation}: not shown within {self.bound:g} s"
        else:
            figure = f"{self.latency:.3f}" if self.latency < 1 else f"{self.latency:.1f}"
            text = f"{self.operation}: shown {figure} s after the bridge reached it"
        if self.service_seconds is not None:
            text += f" (the service call took {self.service_seconds:.1f} s)"
        if self.error:
            text += f" ({self.error})"
        return text


@dataclass(slots=True)
class Measured:
    """Everything the run saw."""

    healthy: float
    """``HEALTHY_POLL_INTERVAL`` in force (seconds)."""
    fallback: float
    """``FALLBACK_POLL_INTERVAL`` in force (seconds)."""
    product_healthy: float
    """``HEALTHY_POLL_INTERVAL`` of the product (seconds)."""
    before: PushView
    first: Step
    after_first: PushView
    command: Step
    after_command: PushView
    further: Step
    restored: Step
    after_restored: PushView
    resynced: bool = False
    grace: float | None = None
    """``STATUS_LAG_GRACE`` of the product: seconds after a verified lock event during which a
    status read does not overrule it."""
    quiet_before_first_read: float | None = None
    """Seconds from the last webhook that got through to the first status read after the first
    knob turn."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready measurements."""
        return asdict(self)


class StatusReads:
    """The status reads Home Assistant made, as it logs them, timed when the suite saw them."""

    def __init__(self, log: LogFile) -> None:
        """Start at the end of the log."""
        self._log = log
        self._mark = log.mark()
        self.times: list[float] = []
        """Wall times (suite side, within the scan interval) of each status read."""

    def scan(self) -> None:
        """Take in the complete lines written since the last scan."""
        text = self._log.since(self._mark)
        complete, newline, _ = text.rpartition("\n")
        if not newline:
            return
        self._mark += len(f"{complete}{newline}".encode())
        now = time.time()
        self.times.extend(now for line in complete.splitlines() if STATUS_READ in line)

    def between(self, start: float, end: float) -> list[float]:
        """Seconds after ``start`` of each read up to ``end`` (wall times)."""
        return [round(t - start, 1) for t in self.times if start <= t <= end]


async def shown_at(
    watcher: StateWatcher,
    reads: StatusReads,
    entity_id: str,
    state: str,
    *,
    after: float,
    until: float,
) -> float | None:
    """Wall time of the first change of ``entity_id`` to ``state`` after ``after``.

    Waits until wall time ``until`` at most, reading the log for status reads meanwhile.
    """
    while True:
        reads.scan()
        for change in watcher.changes:
            if change.entity_id == entity_id and change.state == state and change.wall >= after:
                return change.wall
        if time.time() > until:
            return None
        await asyncio.sleep(0.1)


async def observe(
    watcher: StateWatcher, reads: StatusReads, entry: Entry, step: Step, target: str
) -> None:
    """Wait for the bridge to reach ``target`` and Home Assistant to show it; fill in ``step``."""
    began = step.at
    reached = await bridge_reached(entry, target, began, REACH_WITHIN)
    if reached is None:
        step.reached = False
        reads.scan()
        return
    shown = await shown_at(
        watcher,
        reads,
        entry.lock_entity,
        hass_state_of(target),
        after=began,
        until=reached + step.bound,
    )
    step.latency = None if shown is None else round(max(0.0, shown - reached), 3)
    if shown is None:
        step.reads = reads.between(began, time.time())
        return
    # The log line of the read that showed it may be seen a moment after the state change.
    await asyncio.sleep(SCAN_LAG / 2)
    reads.scan()
    step.reads = reads.between(began, shown + SCAN_LAG)


async def door_change(
    watcher: StateWatcher, reads: StatusReads, entry: Entry, bound: float
) -> Step:
    """Turn the knob to a state that changes what Home Assistant should show."""
    bolt = str((await entry.bridge.lock())["bolt_state"])
    target = OPPOSITE.get(hass_state_of(bolt), "night_lock")
    step = Step(f"knob {target}", bound, at=time.time())
    await entry.bridge.knob(target)
    await observe(watcher, reads, entry, step, target)
    return step


async def command(
    ws: HassWebSocket,
    watcher: StateWatcher,
    reads: StatusReads,
    entry: Entry,
    bound: float,
    *,
    target: str | None = None,
) -> Step:
    """Lock or unlock from Home Assistant (to the other state unless ``target`` says)."""
    if target is None:
        bolt = str((await entry.bridge.lock())["bolt_state"])
        target = OPPOSITE.get(hass_state_of(bolt), "night_lock")
    service = SERVICES[target]
    step = Step(f"lock.{service}", bound, at=time.time())

    async def call() -> float:
        await ws.call_service("lock", service, {"entity_id": entry.lock_entity})
        return time.time() - step.at

    running = asyncio.ensure_future(call())
    await observe(watcher, reads, entry, step, target)
    try:
        async with asyncio.timeout(COMMAND_WITHIN):
            step.service_seconds = round(await running, 1)
    except Exception as err:  # noqa: BLE001 - a failed command is an observation
        step.error = f"{type(err).__name__}: {err}"
    return step


def find_section(data: Any, name: str) -> dict[str, Any] | None:
    """Find the mapping under key ``name`` anywhere in a diagnostics download."""
    if isinstance(data, dict):
        if isinstance(found := data.get(name), dict):
            return found
        for value in data.values():
            if (inner := find_section(value, name)) is not None:
                return inner
    return None


async def push_problem_entity(stack: Stack, entry: Entry) -> str | None:
    """Return the entity id of the entry's push-problem binary sensor."""
    for item in await stack.hass.entity_registry():
        if (
            item.get("config_entry_id") == entry.entry_id
            and item.get("translation_key") == PUSH_PROBLEM
        ):
            return str(item["entity_id"])
    return None


async def push_view(stack: Stack, entry: Entry, sensor: str | None) -> PushView:
    """Read the push-problem sensor and the diagnostics."""
    state = None if sensor is None else await stack.hass.state(sensor)
    diagnostics = await stack.diagnostics(entry)
    push = find_section(diagnostics, "push") or {}
    polling = find_section(diagnostics, "polling") or {}
    interval = polling.get("interval_seconds")
    return PushView(
        problem=None if state is None else str(state.get("state")),
        healthy=push.get("healthy") if isinstance(push.get("healthy"), bool) else None,
        interval=float(interval) if isinstance(interval, int | float) else None,
    )


async def view_when(
    stack: Stack,
    entry: Entry,
    sensor: str | None,
    wanted: Callable[[PushView], bool],
    within: float = FOLLOW_WITHIN,
) -> PushView:
    """Read the view until ``wanted(view)`` holds or ``within`` seconds passed; the last one."""
    deadline = time.monotonic() + within
    while True:
        view = await push_view(stack, entry, sensor)
        if wanted(view) or time.monotonic() > deadline:
            return view
        await asyncio.sleep(0.25)


def assess(m: Measured) -> Outcome:
    """Turn the measurements into the report's row."""
    healthy, fallback = m.healthy, m.fallback
    in_force = seconds_text(healthy)
    if healthy != m.product_healthy:
        in_force += f" in this run, {seconds_text(m.product_healthy)} in the product"
    checks = {
        "push looked healthy before": m.before.looks_healthy(healthy),
        "first change in time": m.first.in_time,
        "command in time": m.command.in_time,
        "push known unhealthy before step 3": m.after_command.looks_unhealthy(fallback),
        "further change in time": m.further.in_time,
        "push back": m.restored.in_time and m.after_restored.looks_healthy(healthy),
    }
    observed = "; ".join(
        [
            f"1. before: {m.before.text()}; {m.first.text()}; then {m.after_first.text()}",
            f"2. {m.command.text()}",
            f"3. before: {m.after_command.text()}; {m.further.text()}",
            f"4. delivery back: {m.restored.text()}; then {m.after_restored.text()}",
        ]
    )
    steps = (m.first, m.command, m.further, m.restored)
    details = [
        "status reads seen in Home Assistant's log, seconds after each operation until it "
        "showed: "
        + "; ".join(
            f"{n}. {step.operation}: {', '.join(f'{r:g}' for r in step.reads) or 'none'}"
            for n, step in enumerate(steps, start=1)
        )
    ]
    quiet = m.quiet_before_first_read
    if quiet is not None:
        details.append(
            f"the first status read after the first knob turn came {quiet:.0f} s after the last "
            "webhook that got through"
        )
        if not m.first.in_time and m.grace is not None and quiet < m.grace:
            details.append(
                f"that read came within STATUS_LAG_GRACE ({m.grace:g} s) of the last verified "
                "lock event, when the integration keeps the webhook's state over /status, and "
                "the next read was one healthy poll interval later"
            )
    if m.resynced:
        details.append(
            "after the first knob turn went unseen, a lock command to the state Home Assistant "
            "still showed brought the bridge back to it (not counted)"
        )
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        details.append(f"not met: {', '.join(failed)}")
    return Outcome(
        key="lost",
        scenario="Lost webhooks",
        done=(
            "every webhook delivery lost (fault webhook_loss_rate 1.0) while push looked "
            "healthy; 1. knob turn at the door; 2. lock command from Home Assistant; 3. knob "
            "turn; 4. delivery back, knob turn"
        ),
        expected=(
            f"1. the first change shown within the healthy poll interval ({in_force}, "
            f"+{SLACK:g} s slack): the bridge sends no heartbeat, so while push looks healthy "
            "only the next status read can show a change whose webhook was lost, and those "
            "reads are kept rare because the bridge is a small device (at most 10 bridge "
            "requests an hour while push is healthy, see docs/benchmarks.md); 2. the command "
            f"shown within the fallback interval ({seconds_text(fallback)}, +{SLACK:g} s) of the "
            "bridge reaching the state, without an error (its webhook does not come, so push "
            "counts as unhealthy); 3. with the push problem sensor on, the next change within "
            f"the fallback interval ({seconds_text(fallback)}, +{SLACK:g} s); 4. with delivery "
            f"back, the next change by push within {PUSH_WITHIN:g} s, then the push problem "
            f"sensor off and the status read every {seconds_text(healthy)} again (diagnostics)"
        ),
        observed=observed,
        passed=not failed,
        details=details,
        data=m.to_json(),
    )


async def run(ctx: Context) -> list[Outcome]:
    """Lose every webhook: knob, command, knob; then deliver again: knob."""
    stack, entry = ctx.stack, ctx.main
    healthy = ctx.interval(HEALTHY)
    fallback = ctx.interval(FALLBACK)
    sensor = await push_problem_entity(stack, entry)
    await ctx.resync()
    last_push = time.time()
    resynced = False
    async with stack.websocket() as ws, ws.watch_states() as watcher:
        reads = StatusReads(stack.log)
        before = await view_when(stack, entry, sensor, lambda v: v.looks_healthy(healthy))
        await entry.bridge.set_faults(webhook_loss_rate=1.0)
        try:
            await asyncio.sleep(STEP_GAP)
            first = await door_change(watcher, reads, entry, healthy + SLACK)
            if first.latency is None:
                # Home Assistant still shows the old state: a command to that state brings the
                # bridge back to it, so the next measurements start from agreement again.
                shown = await stack.lock_state(entry) or "locked"
                await command(
                    ws,
                    watcher,
                    reads,
                    entry,
                    fallback + SLACK,
                    target=BOLT_OF.get(shown, "night_lock"),
                )
                resynced = True
            after_first = await view_when(
                stack, entry, sensor, lambda v: v.looks_unhealthy(fallback)
            )
            await asyncio.sleep(STEP_GAP)
            lock_command = await command(ws, watcher, reads, entry, fallback + SLACK)
            after_command = await view_when(
                stack, entry, sensor, lambda v: v.looks_unhealthy(fallback)
            )
            await asyncio.sleep(STEP_GAP)
            further = await door_change(watcher, reads, entry, fallback + SLACK)
        finally:
            await entry.bridge.set_faults(webhook_loss_rate=0.0)
        await asyncio.sleep(STEP_GAP)
        restored = await door_change(watcher, reads, entry, PUSH_WITHIN)
        after_restored = await view_when(stack, entry, sensor, lambda v: v.looks_healthy(healthy))
    await ctx.resync()
    first_read = next((t for t in reads.times if t >= first.at), None)
    measured = Measured(
        healthy=healthy,
        fallback=fallback,
        product_healthy=ctx.product_intervals.get(HEALTHY, healthy),
        before=before,
        first=first,
        after_first=after_first,
        command=lock_command,
        after_command=after_command,
        further=further,
        restored=restored,
        after_restored=after_restored,
        resynced=resynced,
        grace=ctx.product_intervals.get("STATUS_LAG_GRACE"),
        quiet_before_first_read=None if first_read is None else first_read - last_push,
    )
    return [assess(measured)]
