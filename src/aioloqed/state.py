"""Lock state as a pure reducer: ``reduce_state(state, event) -> state``.

The state knows the bolt position, a motion in progress (opening, unlocking, locking) with its
target, whether the motor stalled (jammed), and the key and source of the last operation. It also
says which events confirm a command we sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Self

from aioloqed.const import BoltState, EventSource, LockAction, Motion
from aioloqed.events import GoingToStateEvent, StateReachedEvent

if TYPE_CHECKING:
    from aioloqed.events import LoqedEvent
    from aioloqed.models import BridgeStatus

_MOTIONS: Final[dict[BoltState, Motion]] = {
    BoltState.OPEN: Motion.OPENING,
    BoltState.DAY_LOCK: Motion.UNLOCKING,
    BoltState.NIGHT_LOCK: Motion.LOCKING,
}
_TARGETS: Final[dict[LockAction, BoltState]] = {
    LockAction.OPEN: BoltState.OPEN,
    LockAction.UNLOCK: BoltState.DAY_LOCK,
    LockAction.LOCK: BoltState.NIGHT_LOCK,
}


def target_state(action: LockAction) -> BoltState:
    """Return the bolt state a command action drives the lock to."""
    return _TARGETS[action]


def motion_towards(target: BoltState) -> Motion | None:
    """Return the motion that ends in ``target`` (``None`` for ``UNKNOWN``)."""
    return _MOTIONS.get(target)


@dataclass(slots=True)
class LockState:
    """What we know about the lock, built from ``/status`` and webhook events.

    A value: the reducer returns a new one for every change and never changes one in place (not
    ``frozen`` only because a frozen dataclass costs several times as much to build).
    """

    bolt_state: BoltState = BoltState.UNKNOWN
    motion: Motion | None = None
    """A motor movement in progress, if any."""
    target: BoltState | None = None
    """Target of :attr:`motion`."""
    jammed: bool = False
    """The motor stalled (``MOTOR_STALL``) and no definite state was reached since."""
    key_id: int | None = None
    """Key of the last operation; ``None`` for no key (manual, automatic)."""
    source: EventSource | None = None
    """Source of the last operation."""
    event_type: str | None = None
    """Type of the last lock event seen."""

    @classmethod
    def from_status(cls, status: BridgeStatus, previous: LockState | None = None) -> Self:
        """Build the state from a ``/status`` answer.

        The status is taken as the truth about the bolt: a motion in progress is cleared.
        ``jammed`` survives only while the bolt state stays ``UNKNOWN``; the key, source and
        event type of ``previous`` are kept. ``/status`` lags behind webhooks, so callers
        should not apply a status read over a fresher webhook.
        """
        if previous is None:
            return cls(bolt_state=status.bolt_state)
        return cls(
            bolt_state=status.bolt_state,
            jammed=previous.jammed and status.bolt_state is BoltState.UNKNOWN,
            key_id=previous.key_id,
            source=previous.source,
            event_type=previous.event_type,
        )

    @property
    def is_moving(self) -> bool:
        """Whether a motion is in progress."""
        return self.motion is not None


def _reached_source(state: LockState, event: StateReachedEvent) -> tuple[int | None, EventSource]:
    """Key and source of a reached state, using the motion that led to it."""
    moving = state.motion is not None
    if event.key_id is None:
        if moving:
            # The lock reports the end of a motion without the key; keep the motion's.
            return state.key_id, state.source or EventSource.UNKNOWN
        if event.state is BoltState.DAY_LOCK and state.bolt_state is BoltState.OPEN:
            return None, EventSource.AUTOMATIC  # re-latch after OPEN
        if event.state is BoltState.UNKNOWN and (state.jammed or event.motor_stall):
            return None, EventSource.AUTOMATIC  # the lock's own report after a stall
        return None, event.source
    if moving and state.key_id == event.key_id and state.source is not None:
        return event.key_id, state.source
    return event.key_id, event.source


def reduce_state(state: LockState, event: LoqedEvent) -> LockState:
    """Return the lock state after ``event``; the same object if the event does not change it.

    * Going to a state: a motion towards the target starts unless the bolt is already there;
      key and source are those of the event; ``jammed`` is cleared.
    * Reached state: the bolt state is the event's, the motion ends. Without a key, the end of a
      motion keeps that motion's key and source; a re-latch right after OPEN is ``AUTOMATIC``;
      any other keyless change is ``MANUAL``.
    * ``MOTOR_STALL``: jammed, motion cleared, bolt state ``UNKNOWN``; the
      ``STATE_CHANGED_UNKNOWN`` that follows keeps ``jammed``.
    * Battery, online-status and unknown events leave the lock state alone.
    """
    # Both kinds of lock event in this one function: it runs for every lock webhook.
    if isinstance(event, GoingToStateEvent):
        if event.target is state.bolt_state:
            # A command for the state the lock is already in: no motion follows, and one in
            # progress is superseded (the lock goes back and reports no reached state for it).
            motion, target = None, None
        else:
            motion, target = _MOTIONS.get(event.target), event.target
        return LockState(
            bolt_state=state.bolt_state,
            motion=motion,
            target=target,
            jammed=False,
            key_id=event.key_id,
            source=event.source,
            event_type=event.event_type,
        )
    if isinstance(event, StateReachedEvent):
        key_id, source = _reached_source(state, event)
        if event.motor_stall:
            jammed = True
        elif event.state is BoltState.UNKNOWN:
            jammed = state.jammed  # the lock's own report after a stall keeps it
        else:
            jammed = False
        return LockState(
            bolt_state=event.state,
            motion=None,
            target=None,
            jammed=jammed,
            key_id=key_id,
            source=source,
            event_type=event.event_type,
        )
    return state


@dataclass(frozen=True, slots=True)
class SentCommand:
    """A signed command handed to the bridge, to be matched with the events that confirm it."""

    action: LockAction
    local_key_id: int
    timestamp: int
    """The timestamp inside the signed message."""

    @property
    def target(self) -> BoltState:
        """The bolt state the command drives the lock to."""
        return _TARGETS[self.action]


def confirms_command(command: SentCommand, event: LoqedEvent) -> bool:
    """Whether ``event`` shows the lock acting on ``command``.

    A going-to event with our key id and the action's target confirms it (for OPEN that
    includes ``GO_TO_STATE_INSTANTOPEN_OPEN`` as well as
    ``GO_TO_STATE_MANUAL_UNLOCK_REMOTE_OPEN``). A reached state with our key id and the target
    state confirms it too, for when the going-to webhook is lost or not subscribed. A motor
    stall confirms nothing.
    """
    if isinstance(event, GoingToStateEvent):
        return event.key_id == command.local_key_id and event.target is command.target
    if isinstance(event, StateReachedEvent) and not event.motor_stall:
        return event.key_id == command.local_key_id and event.state is command.target
    return False
