"""What every scenario gets: the stack, the main entry, the run's settings and intervals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from reliability.stack import OPPOSITE, hass_state_of, wait_until

if TYPE_CHECKING:
    from pathlib import Path

    from tools.hass_harness import StateWatcher

    from reliability.stack import Entry, Stack

FIRST_UNIQUE_KEY_ID: Final = 10
LAST_UNIQUE_KEY_ID: Final = 250
STEP_GAP: Final = 1.2
"""Seconds between two lock events: the bridge signs with whole seconds, so the same event twice
within one second is the same signed message, which must be refused as a replay."""


@dataclass(slots=True)
class Settings:
    """How the run was asked to go."""

    quick: bool
    seed: int
    workdir: Path
    overrides: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Context:
    """Shared by the scenarios of one run."""

    stack: Stack
    main: Entry
    settings: Settings
    product_intervals: dict[str, float]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    """Diagnostics downloads by entry title (or the error), for the secrets scan."""
    _next_key_id: int = FIRST_UNIQUE_KEY_ID

    @property
    def quick(self) -> bool:
        """Whether this is the quick subset."""
        return self.settings.quick

    def interval(self, name: str) -> float:
        """Return the value in force for one of the integration's constants, in seconds."""
        if name in self.settings.overrides:
            return self.settings.overrides[name]
        return self.product_intervals[name]

    def say(self, line: str) -> None:
        """Progress for the person watching (stderr, so stdout stays for results)."""
        sys.stderr.write(f"reliability: {line}\n")
        sys.stderr.flush()

    async def resync(self, entry: Entry | None = None, *, within: float = 5.0) -> bool:
        """Bring Home Assistant and the bridge to the same state with a knob turn (signed push).

        Turns the knob to the state the bridge has (a new signed event), after the step gap.
        """
        entry = entry or self.main
        await entry.bridge.settle()
        await asyncio.sleep(STEP_GAP)
        bolt = str((await entry.bridge.lock())["bolt_state"])
        target = bolt if bolt in {"day_lock", "night_lock"} else "night_lock"
        await entry.bridge.knob(target)
        shown = await wait_until(
            lambda: self._shows(entry, hass_state_of(target)), within, interval=0.1
        )
        await entry.bridge.settle()  # the delivery is logged after Home Assistant answered
        return shown is not None

    async def _shows(self, entry: Entry, state: str) -> bool:
        return await self.stack.lock_state(entry) == state

    async def knob_change(self, entry: Entry | None = None) -> tuple[str, float]:
        """Turn the knob to a position that changes what Home Assistant shows.

        Returns the Home Assistant state that should follow and the wall time of the turn.
        """
        entry = entry or self.main
        shown = await self.stack.lock_state(entry) or "locked"
        target = OPPOSITE.get(shown, "night_lock")
        began = time.time()
        await entry.bridge.knob(target)
        return hass_state_of(target), began

    def unique_key_id(self) -> int:
        """Return a key id not used before in this run (so the webhook body is new)."""
        key_id = self._next_key_id
        self._next_key_id = key_id + 1 if key_id < LAST_UNIQUE_KEY_ID else FIRST_UNIQUE_KEY_ID
        return key_id

    async def app_change(self, entry: Entry | None = None) -> tuple[str, float]:
        """Move the lock with the app over Bluetooth, with a key id never used before.

        Every such webhook body is new, so no two can be the same signed message whatever the
        bridge's clock says. Returns the Home Assistant state that should follow (after the
        motor run) and the wall time of the operation.
        """
        entry = entry or self.main
        shown = await self.stack.lock_state(entry) or "locked"
        target = OPPOSITE.get(shown, "night_lock")
        began = time.time()
        await entry.bridge.emulator.operate("app_ble", state=target, key_id=self.unique_key_id())
        return hass_state_of(target), began


async def first_change_to(
    watcher: StateWatcher, entity_id: str, state: str, *, after: float, within: float
) -> float | None:
    """Seconds from wall time ``after`` to the first change of ``entity_id`` to ``state``."""
    deadline = time.monotonic() + within
    while True:
        for change in watcher.changes:
            if change.entity_id == entity_id and change.state == state and change.wall >= after:
                return max(0.0, change.wall - after)
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.05)
