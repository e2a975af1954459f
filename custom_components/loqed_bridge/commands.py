"""Lock commands: sent once, shown moving at once, confirmed by the lock or reported as failed.

The bridge answers every command with 200, even one signed with a wrong key: only the lock's
``GO_TO_STATE_*`` webhook with our key id says that it acts on it. Bridges that do not sign their
webhooks confirm through status reads instead. Commands to one lock run one at a time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import time
from typing import TYPE_CHECKING, Final, Literal, NoReturn

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from aioloqed import (
    BoltState,
    LockAction,
    LoqedAuthenticationError,
    LoqedConnectionError,
    LoqedError,
    LoqedEvent,
    Motion,
    SentCommand,
    confirms_command,
    target_state,
)

from .const import (
    COMMAND_CONFIRM_TIMEOUT,
    COMMAND_STATUS_POLL,
    DOMAIN,
    ISSUE_LOCK_KEY,
    LOGGER,
    UNCONFIRMED_COMMANDS_FOR_REPAIR,
    issue_id,
)
from .issues import async_clear_issue, async_raise_issue

if TYPE_CHECKING:
    from .coordinator import LoqedCoordinator

type Confirmation = Literal["push", "status"]

MOTIONS: Final[dict[LockAction, Motion]] = {
    LockAction.OPEN: Motion.OPENING,
    LockAction.UNLOCK: Motion.UNLOCKING,
    LockAction.LOCK: Motion.LOCKING,
}
REPEAT_SPACING: Final = 1.1
"""Seconds between the end of a command and the same command again (see ``_async_run``)."""
ACTION_NAMES: Final[dict[LockAction, str]] = {
    LockAction.OPEN: "open",
    LockAction.UNLOCK: "unlock",
    LockAction.LOCK: "lock",
}


def lock_key_issue_id(entry_id: str) -> str:
    """Repair issue id of the lock-key problem of one entry."""
    return issue_id(ISSUE_LOCK_KEY, entry_id)


class LoqedCommander:
    """Send commands to one lock and wait for the lock to confirm them."""

    def __init__(self, coordinator: LoqedCoordinator) -> None:
        """Bind the commander to its coordinator."""
        self._coordinator = coordinator
        self._serial = asyncio.Lock()
        self._pending: SentCommand | None = None
        self._confirmed: asyncio.Future[None] | None = None
        self.motion: Motion | None = None
        """The motion of the command in flight, shown until the lock reports its own."""
        self.unconfirmed_in_a_row = 0
        self._issue_raised = False
        self._finished: dict[LockAction, float] = {}
        """When the last command of each action finished (loop time)."""
        self.confirm_timeout = COMMAND_CONFIRM_TIMEOUT
        self.repeat_spacing = REPEAT_SPACING
        self.status_poll = COMMAND_STATUS_POLL
        self.counters: Counter[str] = Counter()
        """Commands by outcome: ``push``, ``status``, ``unconfirmed``, ``not_sent``."""

    @property
    def pending(self) -> SentCommand | None:
        """The command in flight, if any."""
        return self._pending

    @callback
    def async_event(self, event: LoqedEvent) -> None:
        """Resolve the command in flight if this verified lock event confirms it."""
        pending = self._pending
        if pending is None:
            return
        future = self._confirmed
        if future is not None and not future.done() and confirms_command(pending, event):
            future.set_result(None)

    async def async_run(self, action: LockAction) -> None:
        """Send ``action`` and return once the lock confirms it; raise a translated error if not."""
        async with self._serial:
            await self._async_run(action)

    async def async_relay(self) -> None:
        """Send the experimental relay message (command type 89) once; nothing confirms it."""
        coordinator = self._coordinator
        placeholders = {"address": coordinator.bridge_address}
        async with self._serial:
            try:
                await coordinator.bridge.send_relay()
            except LoqedConnectionError as err:
                coordinator.async_bridge_unreachable()
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="relay_not_sent",
                    translation_placeholders=placeholders,
                ) from err
            except LoqedError as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="relay_failed",
                    translation_placeholders=placeholders,
                ) from err
        self.counters["relay"] += 1
        LOGGER.debug("%s: sent the experimental relay message", coordinator.name)

    async def _async_run(self, action: LockAction) -> None:
        coordinator = self._coordinator
        bridge = coordinator.bridge
        loop = coordinator.hass.loop
        # The bridge signs with whole seconds: the lock's answer to the same command within the
        # same second (right after itself, or with others in between: lock, unlock, lock) would
        # be byte-identical to the last one, which is a replay to us.
        if (previous := self._finished.get(action)) is not None and (
            wait := previous + self.repeat_spacing - loop.time()
        ) > 0:
            await asyncio.sleep(wait)
        # Eager: the request is on its way before anything below runs. Nothing below waits, so
        # the command is registered before any webhook can be handled (on a fast network the
        # lock's webhook can arrive before the bridge's answer to our request).
        send = coordinator.hass.async_create_task(
            self._async_send(action), f"{coordinator.name} command", eager_start=True
        )
        future: asyncio.Future[None] = loop.create_future()
        self._confirmed = future
        self._pending = SentCommand(
            action=action, local_key_id=int(bridge.local_key_id or 0), timestamp=int(time.time())
        )
        # What we believed before sending (webhooks included): a status read that shows the
        # target only proves something if the lock was elsewhere.
        before = coordinator.data.lock.bolt_state
        self.motion = MOTIONS[action]
        coordinator.async_update_listeners()
        try:
            await send
            confirmation = await self._async_wait(action, future, before)
        finally:
            self._finished[action] = loop.time()
            self._pending = None
            self._confirmed = None
            self.motion = None
            coordinator.async_update_listeners()
        if confirmation is None:
            self._unconfirmed(action)
        self.counters[confirmation] += 1
        coordinator.async_note_command(confirmed_by_push=confirmation == "push")
        self._confirmed_ok()

    async def _async_send(self, action: LockAction) -> None:
        coordinator = self._coordinator
        try:
            await coordinator.bridge.send_command(action)
        except LoqedError as err:
            self.counters["not_sent"] += 1
            self._raise_not_sent(action, err)

    def _raise_not_sent(self, action: LockAction, err: LoqedError) -> NoReturn:
        """Raise the translated error of a command that did not reach the lock."""
        coordinator = self._coordinator
        placeholders = {"action": ACTION_NAMES[action], "address": coordinator.bridge_address}
        if isinstance(err, LoqedAuthenticationError):
            self._raise_issue()
            key = "lock_key_refused"
        elif isinstance(err, LoqedConnectionError):
            # The bridge is gone: show it now (unavailable, polled often) rather than at the
            # next status read, which may be minutes away while push is healthy.
            coordinator.async_bridge_unreachable()
            key = "command_not_sent"
        else:
            key = "command_failed"
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        ) from err

    async def _async_wait(
        self, action: LockAction, future: asyncio.Future[None], before: BoltState
    ) -> Confirmation | None:
        """Wait for the lock's confirmation; read the status when push cannot tell."""
        coordinator = self._coordinator
        loop = coordinator.hass.loop
        deadline = loop.time() + self.confirm_timeout
        # Without signed webhooks (or before the first one) the status has to tell.
        poll = coordinator.push.signed is not True
        while not future.done() and (remaining := deadline - loop.time()) > 0:
            await asyncio.wait(
                (future,), timeout=min(remaining, self.status_poll) if poll else remaining
            )
            if poll and not future.done():
                await coordinator.async_refresh()
                if not future.done() and self._status_reached(action, before):
                    return "status"
        if not future.done():
            # Not confirmed in time: read the status once (it may have moved, its webhook lost).
            await coordinator.async_refresh()
        if future.done():
            return "push"
        return "status" if self._status_reached(action, before) else None

    def _status_reached(self, action: LockAction, before: BoltState) -> bool:
        """Whether the last status read shows the command's target reached.

        A target the lock was already in proves nothing, except on bridges that do not sign
        their webhooks, where the status is all there is.
        """
        coordinator = self._coordinator
        status = coordinator.data.status
        if not coordinator.last_update_success or status is None:
            return False
        target = target_state(action)
        if status.bolt_state is not target:
            return False
        return before is not target or coordinator.push.signed is False

    def _unconfirmed(self, action: LockAction) -> NoReturn:
        coordinator = self._coordinator
        self.counters["unconfirmed"] += 1
        coordinator.async_note_command(confirmed_by_push=False)
        # Only count what points at the lock key: the bridge answers, the lock is online and
        # the bridge key works. OPEN on an unsigned bridge re-latches too fast to see.
        if (
            coordinator.last_update_success
            and coordinator.data.lock_online is not False
            and coordinator.registrar.state.bridge_key_ok is not False
            and not (action is LockAction.OPEN and coordinator.push.signed is False)
        ):
            self.unconfirmed_in_a_row += 1
            if self.unconfirmed_in_a_row >= UNCONFIRMED_COMMANDS_FOR_REPAIR:
                self._raise_issue()
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_not_confirmed",
            translation_placeholders={
                "action": ACTION_NAMES[action],
                "seconds": f"{self.confirm_timeout:g}",
            },
        )

    def _confirmed_ok(self) -> None:
        self.unconfirmed_in_a_row = 0
        self._issue_raised = False
        coordinator = self._coordinator
        async_clear_issue(coordinator.hass, coordinator.config_entry.entry_id, ISSUE_LOCK_KEY)

    def _raise_issue(self) -> None:
        coordinator = self._coordinator
        entry = coordinator.config_entry
        if not self._issue_raised:
            self._issue_raised = True
            LOGGER.warning(
                "The lock of '%s' does not act on commands signed with its lock key; the key may "
                "have been deleted in the LOQED app. Re-enter the keys to fix this",
                entry.title,
            )
        async_raise_issue(
            coordinator.hass,
            entry,
            ISSUE_LOCK_KEY,
            severity=ir.IssueSeverity.ERROR,
            fixable=True,
        )
