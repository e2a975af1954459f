"""The stack the demo and the end-to-end test share: emulator + Home Assistant + config entry.

`LoqedStack` starts the bridge emulator and a real Home Assistant (in the current network
namespace, which must be private), adds the integration through Home Assistant's own config-flow
REST API with the emulator's Integration information, and finds the lock entity.
`run_lock_steps` then operates the lock through Home Assistant (lock, unlock, open) and at the door
(the knob, through the emulator's control API), and records for every step what arrived, when, and
how (the emulator's webhook deliveries, Home Assistant's status polls).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
import json
import re
import time
from typing import TYPE_CHECKING, Any

from tools.emulator_process import EmulatorProcess
from tools.hass_harness import HassUser, HomeAssistant, JSONObject
from tools.lifecycle import StartStop

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from tools.hass_harness import HassWebSocket, StateChange, StateWatcher

DOMAIN = "loqed_bridge"
POLL_LOG_LINE = re.compile(r"\[custom_components\.loqed_bridge[^\]]*\] Finished fetching")
INTEGRATION_LOGGERS = ("custom_components.loqed_bridge", "aioloqed")
STATE_EVENTS = {  # Home Assistant lock state -> the bridge event that reports it
    "open": "STATE_CHANGED_OPEN",
    "unlocked": "STATE_CHANGED_LATCH",
    "locked": "STATE_CHANGED_NIGHT_LOCK",
}
STEP_GAP = 1.1  # seconds between steps, see run_lock_steps
_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) \([^)]*\) \[([^\]]+)\] ")


@dataclass(slots=True)
class Timings:
    """Seconds each phase of the setup took."""

    emulator_start: float = 0.0
    hass_start: float = 0.0
    config_flow: float = 0.0
    entity_ready: float = 0.0


class LoqedStack(StartStop):
    """Emulator + Home Assistant + a ``loqed_bridge`` config entry, started and stopped together."""

    def __init__(
        self,
        workdir: Path,
        *,
        hass_port: int | None = None,
        control_port: int = 0,
        user: HassUser | None = None,
        motor_time: float = 2.0,
        relatch_time: float = 3.0,
        emulator_args: Sequence[str] = (),
    ) -> None:
        """Lay out the work directory; nothing starts before `start`."""
        self.workdir = workdir
        self.motor_time = motor_time
        self.relatch_time = relatch_time
        self.emulator = EmulatorProcess(
            workdir / "emulator",
            control_port=control_port,
            args=[
                "--motor-time",
                str(motor_time),
                "--relatch-time",
                str(relatch_time),
                *emulator_args,
            ],
        )
        self.hass = HomeAssistant(workdir / "hass", port=hass_port, user=user, keep_config_dir=True)
        self.timings = Timings()
        self.entry: JSONObject = {}
        self.lock_entity = ""

    async def start(self, progress: Callable[[str], None] | None = None) -> None:
        """Start both processes, create the entry through the config flow, find the lock."""
        say = progress or (lambda _line: None)
        began = time.monotonic()
        say("starting the bridge emulator")
        await self.emulator.start()
        self.timings.emulator_start = time.monotonic() - began
        began = time.monotonic()
        say("starting Home Assistant (fresh config, onboarding seeded, private network)")
        await self.hass.start()
        self.timings.hass_start = time.monotonic() - began
        began = time.monotonic()
        say("adding LOQED Bridge (local) through Home Assistant's config flow")
        result = await self.hass.config_flow(
            DOMAIN,
            [
                {"next_step_id": "paste"},
                {"integration_information": self.emulator.info_text},
            ],
        )
        self.entry = dict(result.get("result") or {})
        self.timings.config_flow = time.monotonic() - began
        began = time.monotonic()
        self.lock_entity = await self.hass.wait_for_entity(DOMAIN, "lock")
        self.timings.entity_ready = time.monotonic() - began

    async def stop(self) -> None:
        """Stop Home Assistant, then the emulator (each bounded)."""
        try:
            await self.hass.stop()
        finally:
            await self.emulator.stop()

    # ------------------------------------------------------------------ evidence
    def poll_count(self) -> int:
        """Status polls the integration finished so far (coordinator refreshes in HA's log)."""
        return len(POLL_LOG_LINE.findall(self.hass.log_text()))

    def integration_log_problems(self) -> list[str]:
        """Warning, error and traceback lines that our integration or library logged."""
        problems: list[str] = []
        capture = False
        for line in self.hass.log_text().splitlines():
            record = _LOG_RECORD.match(line)
            if record is not None:
                level, logger = record.groups()
                ours = logger.startswith(INTEGRATION_LOGGERS)
                capture = ours and level in {"WARNING", "ERROR", "CRITICAL"}
                if capture:
                    problems.append(line)
            elif capture:
                problems.append(line)
        return problems

    def secrets(self) -> list[str]:
        """Return the keys in the Integration information (no log may show them)."""
        info = self.emulator.info
        return [str(info[name]) for name in ("bridge_key", "lock_key_key", "backend_key")]


@dataclass(slots=True)
class Arrival:
    """A state that reached Home Assistant during a step."""

    state: str
    after: float  # seconds since the step's action was sent
    wall: float  # time.time() when the harness received it


@dataclass(slots=True)
class StepResult:
    """What one step did and what arrived."""

    name: str
    action: str
    expected: list[str]
    ok: bool = False
    error: str | None = None
    elapsed: float = 0.0
    started_wall: float = 0.0
    timeline: list[Arrival] = field(default_factory=list)  # every change of the lock entity
    arrivals: list[Arrival] = field(default_factory=list)
    states_seen: list[str] = field(default_factory=list)
    deliveries: list[JSONObject] = field(default_factory=list)
    polls_during: int = 0

    def to_json(self) -> JSONObject:
        """Return the result as JSON-ready values, with the push evidence."""
        return {**asdict(self), "push": self.push_evidence()}

    def first(self, state: str) -> Arrival | None:
        """Return the first arrival of ``state`` in the timeline, if any."""
        return next((a for a in self.timeline if a.state == state), None)

    def push_evidence(self) -> list[JSONObject]:
        """For each arrival: the webhook that carried it and seconds from sending to arrival.

        A delivery carries a state if its event is that state's ``STATE_CHANGED_*`` and it began
        before the state arrived; ``latency`` is None when no such delivery exists.
        """
        evidence: list[JSONObject] = []
        for arrival in self.arrivals:
            event = STATE_EVENTS.get(arrival.state)
            carriers = [
                d
                for d in self.deliveries
                if d.get("event") == event and _delivery_start(d) <= arrival.wall + 0.05
            ]
            carrier = carriers[-1] if carriers else None
            evidence.append(
                {
                    "state": arrival.state,
                    "event": event,
                    "outcome": None if carrier is None else carrier.get("outcome"),
                    "status": None if carrier is None else carrier.get("status"),
                    "signed": None if carrier is None else carrier.get("signed"),
                    "latency": None
                    if carrier is None
                    else round(arrival.wall - _delivery_start(carrier), 3),
                }
            )
        return evidence


def _delivery_start(delivery: JSONObject) -> float:
    """When the emulator began the POST (its log records the end and the duration)."""
    return float(delivery["time"]) - float(delivery.get("duration") or 0.0)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do and the states it must produce, in order."""

    name: str
    action: str  # "service lock.lock" or "knob night_lock"
    expected: tuple[str, ...]


def default_steps() -> list[Step]:
    """Unlock, lock, open (and its re-latch), then a person turns the knob: lock, unlock.

    The emulator starts in night lock (Home Assistant: locked); every step changes the state.
    """
    return [
        Step("unlock", "service lock.unlock", ("unlocked",)),
        Step("lock", "service lock.lock", ("locked",)),
        Step("open", "service lock.open", ("open", "unlocked")),
        Step("knob lock", "knob night_lock", ("locked",)),
        Step("knob unlock", "knob day_lock", ("unlocked",)),
    ]


async def _act(stack: LoqedStack, action: str) -> None:
    kind, _, argument = action.partition(" ")
    if kind == "service":
        domain, _, service = argument.partition(".")
        await stack.hass.call_service(domain, service, {"entity_id": stack.lock_entity})
    elif kind == "knob":
        await stack.emulator.operate("knob", state=argument)
    else:
        raise ValueError(f"unknown action {action!r}")


def _step_timeout(stack: LoqedStack, step: Step) -> float:
    """Generous bound: every motor run and re-latch of the step, plus slack for a busy machine."""
    motor_runs = 1 if step.action.startswith("service") else 0
    relatch = stack.relatch_time if "open" in step.expected else 0.0
    return motor_runs * stack.motor_time + relatch + 8.0


async def run_step(stack: LoqedStack, watcher: StateWatcher, step: Step) -> StepResult:
    """Do one step and wait (bounded) for each expected state, in order."""
    result = StepResult(step.name, step.action, list(step.expected))
    polls_before = stack.poll_count()
    deliveries_before = len(await stack.emulator.deliveries())
    started = time.monotonic()
    result.started_wall = time.time()
    seen_from = len(watcher.changes)
    try:
        await _act(stack, step.action)
        deadline = started + _step_timeout(stack, step)
        for expected in step.expected:
            change: StateChange = await watcher.wait_for(
                stack.lock_entity, expected, timeout=max(0.1, deadline - time.monotonic())
            )
            result.arrivals.append(
                Arrival(expected, round(change.received - started, 3), change.wall)
            )
        result.ok = True
    except Exception as err:  # noqa: BLE001 - a failed step is reported, not raised
        result.error = f"{type(err).__name__}: {err}"
    result.elapsed = round(time.monotonic() - started, 3)
    ours = [c for c in watcher.changes[seen_from:] if c.entity_id == stack.lock_entity]
    result.states_seen = [str(c.state) for c in ours]
    result.timeline = [Arrival(str(c.state), round(c.received - started, 3), c.wall) for c in ours]
    await asyncio.sleep(0.1)  # HA writes its log from a thread
    result.polls_during = stack.poll_count() - polls_before
    result.deliveries = (await stack.emulator.deliveries())[deliveries_before:]
    return result


async def run_lock_steps(
    stack: LoqedStack,
    ws: HassWebSocket,
    steps: Sequence[Step] | None = None,
    *,
    report: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Run the steps in order; stop at the first failure (later steps would only mislead)."""
    results: list[StepResult] = []
    async with ws.watch_states() as watcher:
        for index, step in enumerate(steps if steps is not None else default_steps()):
            if index:
                # Webhook timestamps have one-second resolution: the same event twice within a
                # second (the re-latch's LATCH, then a knob turned to LATCH at once) is the same
                # signed message, which a receiver must reject as a replay. People are slower.
                await asyncio.sleep(STEP_GAP)
            result = await run_step(stack, watcher, step)
            results.append(result)
            if report is not None:
                report(result)
            if not result.ok:
                break
    return results


async def lock_state(stack: LoqedStack) -> str | None:
    """Return the lock entity's current state in Home Assistant."""
    state = await stack.hass.state(stack.lock_entity)
    return None if state is None else str(state.get("state"))


def dumps(data: Any) -> str:
    """Compact JSON for reports."""
    return json.dumps(data, sort_keys=True, default=str)
