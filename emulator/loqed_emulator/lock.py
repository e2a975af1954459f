"""The emulated lock: bolt states, motor runs, automatic re-latch, stalls and its battery.

The lock knows nothing of HTTP or webhooks: it reports what happens as ``LockEvent`` values through
the ``emit`` callback, in the order a real lock would (protocol 4.5).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Final

from loqed_emulator.protocol import NO_KEY_ID

if TYPE_CHECKING:
    from collections.abc import Callable


class BoltState(IntEnum):
    """Bolt state with its numeric code (protocol 3, ``bolt_state_numeric``)."""

    UNKNOWN = 0
    OPEN = 1
    DAY_LOCK = 2
    NIGHT_LOCK = 3

    @property
    def status_name(self) -> str:
        """Lower-case name used in ``/status`` (``day_lock``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> BoltState:
        """Parse ``open``/``day_lock``/``night_lock`` (any case); ValueError otherwise."""
        try:
            state = cls[value.strip().upper()]
        except KeyError:
            raise ValueError("state must be one of open, day_lock, night_lock") from None
        if state is cls.UNKNOWN:
            raise ValueError("state must be one of open, day_lock, night_lock")
        return state


class BatteryType(IntEnum):
    """Battery type with its numeric code (protocol 3, ``battery_type_numeric``)."""

    ALKALINE = 0
    NICKEL_METAL_HYDRIDE = 1
    LITHIUM = 2
    UNKNOWN = 3

    @classmethod
    def parse(cls, value: str) -> BatteryType:
        """Parse a name (any case, ``nimh`` allowed) or a numeric code; ValueError otherwise."""
        text = value.strip().upper()
        if text == "NIMH":
            return cls.NICKEL_METAL_HYDRIDE
        if text.isdigit() and int(text) in cls._value2member_map_:
            return cls(int(text))
        try:
            return cls[text]
        except KeyError:
            names = ", ".join(member.name.lower() for member in cls)
            raise ValueError(f"battery type must be one of {names}") from None


class Source(StrEnum):
    """Who or what moved the lock."""

    REMOTE = "remote"  # a command relayed by the bridge
    APP_BLE = "app_ble"
    KEYPAD_PIN = "keypad_pin"
    OUTSIDE_BUTTON = "outside_button"
    TOUCH_TO_OPEN = "touch_to_open"
    AUTO_UNLOCK = "auto_unlock"
    TWIST_ASSIST = "twist_assist"
    TOUCH_TO_LOCK = "touch_to_lock"
    KNOB = "knob"
    AUTOMATIC = "automatic"  # re-latch after OPEN, UNKNOWN after a stall


class EventKind(StrEnum):
    """Webhook payload family of a lock event (protocol 4.3)."""

    GOING_TO = "going_to"
    REACHED = "reached"


# event_type of "going to a state" per source and target (protocol 4.4).
GO_TO_EVENT_TYPES: Final[dict[Source, dict[BoltState, str]]] = {
    Source.REMOTE: {
        BoltState.OPEN: "GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN",
        BoltState.DAY_LOCK: "GO_TO_STATE_MANUAL_LOCK_REMOTE_LATCH",
        BoltState.NIGHT_LOCK: "GO_TO_STATE_MANUAL_LOCK_REMOTE_NIGHT_LOCK",
    },
    Source.APP_BLE: {
        BoltState.OPEN: "GO_TO_STATE_MANUAL_UNLOCK_BLE_OPEN",
        BoltState.DAY_LOCK: "GO_TO_STATE_MANUAL_LOCK_BLE_LATCH",
        BoltState.NIGHT_LOCK: "GO_TO_STATE_MANUAL_LOCK_BLE_NIGHT_LOCK",
    },
    Source.TWIST_ASSIST: {
        BoltState.OPEN: "GO_TO_STATE_TWIST_ASSIST_OPEN",
        BoltState.DAY_LOCK: "GO_TO_STATE_TWIST_ASSIST_LATCH",
        BoltState.NIGHT_LOCK: "GO_TO_STATE_TWIST_ASSIST_LOCK",
    },
    Source.KEYPAD_PIN: {BoltState.OPEN: "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_PIN"},
    Source.OUTSIDE_BUTTON: {BoltState.OPEN: "GO_TO_STATE_MANUAL_UNLOCK_VIA_OUTSIDE_MODULE_BUTTON"},
    Source.TOUCH_TO_OPEN: {BoltState.OPEN: "GO_TO_STATE_INSTANTOPEN_OPEN"},
    Source.AUTO_UNLOCK: {BoltState.DAY_LOCK: "GO_TO_STATE_INSTANTOPEN_LATCH"},
    Source.TOUCH_TO_LOCK: {BoltState.NIGHT_LOCK: "GO_TO_STATE_TOUCH_TO_LOCK"},
}

STATE_CHANGED_EVENT_TYPES: Final[dict[BoltState, str]] = {
    BoltState.OPEN: "STATE_CHANGED_OPEN",
    BoltState.DAY_LOCK: "STATE_CHANGED_LATCH",
    BoltState.NIGHT_LOCK: "STATE_CHANGED_NIGHT_LOCK",
    BoltState.UNKNOWN: "STATE_CHANGED_UNKNOWN",
}
MOTOR_STALL_EVENT_TYPE: Final = "MOTOR_STALL"

# Battery model: eight cells; a motor run and each battery report drain a little.
_CELLS: Final = 8
_DRAIN_PER_MOTOR_RUN: Final = 0.05
_STALL_FRACTION: Final = 0.5
_PERCENT: Final = 100.0


@dataclass(frozen=True, slots=True)
class LockEvent:
    """Something the lock reports to the bridge."""

    kind: EventKind
    event_type: str
    state: BoltState  # target (GOING_TO) or reached state (REACHED; UNKNOWN for a stall)
    key_id: int
    source: Source


@dataclass(frozen=True, slots=True)
class Motion:
    """A motor run in progress."""

    target: BoltState
    source: Source
    key_id: int


def cell_voltage(battery_type: BatteryType, percentage: float) -> float:
    """Return a plausible per-cell voltage for a charge level (0..100)."""
    level = max(0.0, min(percentage, _PERCENT)) / _PERCENT
    if battery_type is BatteryType.NICKEL_METAL_HYDRIDE:
        return 1.1 + 0.2 * level
    if battery_type is BatteryType.LITHIUM:
        return 1.3 + 0.5 * level
    return 1.0 + 0.55 * level


class Lock:
    """State machine of one LOQED Touch lock."""

    def __init__(
        self,
        *,
        emit: Callable[[LockEvent], None],
        motor_time: float,
        relatch_time: float,
        battery_percentage: float = 90.0,
        battery_type: BatteryType = BatteryType.NICKEL_METAL_HYDRIDE,
        bolt_state: BoltState = BoltState.NIGHT_LOCK,
        should_stall: Callable[[], bool] = lambda: False,
    ) -> None:
        """Create a lock at rest in ``bolt_state``."""
        self._emit = emit
        self.motor_time = motor_time
        self.relatch_time = relatch_time
        self.battery_percentage = battery_percentage
        self.battery_type = battery_type
        self.bolt_state = bolt_state
        self.jammed = False
        self.motion: Motion | None = None
        self._should_stall = should_stall
        self._motion_task: asyncio.Task[None] | None = None
        self._relatch_task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """True while the motor runs or a re-latch is pending."""
        return self.motion is not None or self._relatch_task is not None

    @property
    def relatch_pending(self) -> bool:
        """True while the latch is held open and will fall back by itself."""
        return self._relatch_task is not None

    @property
    def battery_voltage(self) -> float:
        """Total battery voltage (eight cells), rounded to 10 mV."""
        return round(_CELLS * cell_voltage(self.battery_type, self.battery_percentage), 2)

    def operate(self, target: BoltState, source: Source, key_id: int = NO_KEY_ID) -> None:
        """Start a motorised operation towards ``target`` (protocol 4.5).

        The ``GO_TO_STATE_*`` event is emitted at once; ``STATE_CHANGED_*`` follows after the motor
        time. A run for the state the lock is already in (and not moving) emits only the first
        event. A new operation supersedes a run in progress.
        """
        event_types = GO_TO_EVENT_TYPES[source]
        if target not in event_types:
            raise ValueError(f"{source.value} cannot move the lock to {target.status_name}")
        self._cancel_relatch()
        self._cancel_motion()
        self._emit(LockEvent(EventKind.GOING_TO, event_types[target], target, key_id, source))
        if target is self.bolt_state:
            return
        stall = self._should_stall() or self.battery_percentage <= 0
        self.motion = Motion(target, source, key_id)
        self._motion_task = asyncio.create_task(self._run_motor(self.motion, stall=stall))

    def turn_knob(self, target: BoltState) -> None:
        """Turn the knob by hand: no motor, no ``GO_TO`` event, key 255."""
        self._cancel_relatch()
        self._cancel_motion()
        self._reach(target, NO_KEY_ID, Source.KNOB)

    async def wait_at_rest(self) -> None:
        """Wait until no motor run and no re-latch is pending."""
        while True:
            tasks = [
                task
                for task in (self._motion_task, self._relatch_task)
                if task is not None and not task.done()
            ]
            if not tasks:
                return
            await asyncio.wait(tasks)

    async def close(self) -> None:
        """Stop every timer (motor run, pending re-latch) and wait for them to end."""
        tasks = (self._motion_task, self._relatch_task)
        self._cancel_relatch()
        self._cancel_motion()
        for task in tasks:
            await cancel_and_wait(task)

    def _cancel_motion(self) -> None:
        if self._motion_task is not None:
            self._motion_task.cancel()
            self._motion_task = None
        self.motion = None

    def _cancel_relatch(self) -> None:
        if self._relatch_task is not None:
            self._relatch_task.cancel()
            self._relatch_task = None

    async def _run_motor(self, motion: Motion, *, stall: bool) -> None:
        if stall:
            await asyncio.sleep(self.motor_time * _STALL_FRACTION)
            self._finish_motion()
            self.jammed = True
            self.bolt_state = BoltState.UNKNOWN
            self._emit(
                LockEvent(
                    EventKind.REACHED,
                    MOTOR_STALL_EVENT_TYPE,
                    BoltState.UNKNOWN,
                    motion.key_id,
                    motion.source,
                )
            )
            self._emit(
                LockEvent(
                    EventKind.REACHED,
                    STATE_CHANGED_EVENT_TYPES[BoltState.UNKNOWN],
                    BoltState.UNKNOWN,
                    NO_KEY_ID,
                    Source.AUTOMATIC,
                )
            )
            return
        await asyncio.sleep(self.motor_time)
        self._finish_motion()
        self._reach(motion.target, motion.key_id, motion.source)

    def _finish_motion(self) -> None:
        self.motion = None
        self._motion_task = None
        self.battery_percentage = max(0.0, self.battery_percentage - _DRAIN_PER_MOTOR_RUN)

    def _reach(self, state: BoltState, key_id: int, source: Source) -> None:
        self.bolt_state = state
        self.jammed = False
        self._emit(
            LockEvent(EventKind.REACHED, STATE_CHANGED_EVENT_TYPES[state], state, key_id, source)
        )
        if state is BoltState.OPEN:
            self._relatch_task = asyncio.create_task(self._relatch())

    async def _relatch(self) -> None:
        await asyncio.sleep(self.relatch_time)
        self._relatch_task = None
        self._reach(BoltState.DAY_LOCK, NO_KEY_ID, Source.AUTOMATIC)


def drain(percentage: float, amount: float) -> float:
    """Return the charge after draining ``amount`` percent, never below zero."""
    return max(0.0, percentage - amount)


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a task and wait for it to finish (helper for clean shutdowns)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
